"""Releases for the Hub tests, built file by file (sparse where they are big)."""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
from pathlib import Path

from builders import safetensors_bytes, write_release

APACHE_NOTICE = "Licensed under the Apache License, Version 2.0 (the \"License\");\n"
CARD = """---
license: apache-2.0
library_name: transformers
pipeline_tag: text-generation
datasets:
- org/corpus
tags:
- llama
---
# Tiny model

An open source language model.

## Training data

Trained on org/corpus, a public web corpus, filtered for quality and deduplicated.

## Evaluation

| task | score |
| --- | --- |
| hellaswag | 0.31 |
"""
# os.system("touch <canary>") as a pickle, written by hand: nothing here ever runs it.
def evil_pickle(canary: str = "/tmp/trueopen-canary-must-not-exist") -> bytes:
    cmd = f"touch {canary}".encode()
    return b"\x80\x02cos\nsystem\nq\x00X" + struct.pack("<I", len(cmd)) + cmd + b"q\x01\x85q\x02Rq\x03."


def benign_pickle() -> bytes:
    return pickle.dumps({"weight": [0.0, 1.0], "step": 3}, protocol=2)


def open_release(root: Path, *, shards: int = 1) -> Path:
    """A small release: card (Apache-2.0, an open-source claim), config, code, weights."""
    files: dict[str, str | bytes] = {
        "README.md": CARD,
        "LICENSE": "Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/\n",
        "config.json": '{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "torch_dtype": "float32"}\n',
        "generation_config.json": '{"do_sample": false}\n',
        "train.py": f"# {APACHE_NOTICE}import torch\nSEED = 1234\n",
        "tokenizer_config.json": '{"chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"}\n',
    }
    if shards == 1:
        files["model.safetensors"] = safetensors_bytes({"w": (256, 256), "bias": (256,)})  # a header length of 0x80 is sniffed as a pickle by scan/formats.py
    else:
        index = {"metadata": {"total_size": 0}, "weight_map": {}}
        for i in range(shards):
            name = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
            files[name] = safetensors_bytes({f"layer{i}.w": (128, 128)})
            index["weight_map"][f"layer{i}.w"] = name
        import json

        files["model.safetensors.index.json"] = json.dumps(index)
    return write_release(root, files)


def torch_zip(pkl: bytes, storage: int = 4 << 20, records: int = 3) -> bytes:
    """A zip laid out as torch.save writes it: data.pkl first, tensor storage, then small records."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", "little")
        for i in range(records):
            z.writestr(f"archive/data/{i}", bytes(storage))
        z.writestr("archive/version", "3\n")
        z.writestr("archive/.data/serialization_id", "1234567890")
    return buf.getvalue()


def zip_member_span(data: bytes, name: str) -> tuple[int, int]:
    """[start, end) of a member's local header and data in a stored zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(name)
    start = info.header_offset
    nlen, xlen = struct.unpack_from("<HH", data, start + 26)
    return start, start + 30 + nlen + xlen + info.compress_size


def sparse_pickle(path: Path, size: int) -> Path:
    """A bare pickle of `size` bytes that a reader must stream whole: one UNICODE line running
    through a hole of zeros to a newline near the end, then STOP. Sparse: only the ends are written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.write(b"\x80\x02V")
        fh.seek(size - 2)
        fh.write(b"\n.")
    return path
