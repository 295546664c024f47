"""Auditing releases on the Hub: bytes fetched, requests and wall time, against the fake Hub.

Issue 9's goals, on the fake Hub of tests/hub/fake_hub.py with 20 ms added to every request:
bytes fetched <= 0.1 % of the release for safetensors and GGUF, <= 1 % for torch zips; requests
<= 2 per weights file + 1 per text file + a constant; a whole audit under 3 s.

    .venv/bin/python benchmarks/hub.py                 # build (once) and measure
    .venv/bin/python benchmarks/hub.py --latency 0     # without the added latency

Releases (sparse files under benchmarks/_work/hub/, a few MiB on disk; built once):
- st-4g: 4 x 1 GiB safetensors shards (150 tensors each, a ~2B-parameter layout) + index, card,
  licence, configs and a 2 MiB tokenizer.json;
- torch-2g: one 2 GiB torch.save zip (data.pkl naming torch._utils._rebuild_tensor_v2, 290
  storage records), card and config;
- gguf-10: a 10-shard GGUF split (10 x 1 GiB, llama layout, the first shard with a 128k-token
  vocabulary, 280k merges and a chat template), card.

Each audit is `trueopen audit hf://bench/NAME --format json` in a fresh process (start-up and
imports included), median of 3 runs; the fake Hub counts requests and bytes pushed into the
socket. For comparison: huggingface_hub's own `HfApi.get_safetensors_metadata` (measured, same
server), and what picklescan --huggingface / modelaudit would download (computed: both fetch
whole files, and neither can be pointed at a fake Hub: picklescan's URL is hard-coded to
huggingface.co, modelaudit only follows https redirects to Hub hosts).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "_work" / "hub"
sys.path[:0] = [str(REPO / "tests" / "hub"), str(HERE)]  # fake_hub.py, scanners.py
GiB, MiB = 1 << 30, 1 << 20


# --- building the releases ------------------------------------------------------------------


def _sparse(path: Path, size: int, head: bytes, tail: bytes = b"") -> None:
    with path.open("wb") as fh:
        fh.write(head)
        fh.truncate(size)
        if tail:
            fh.seek(size - len(tail))
            fh.write(tail)


def _texts(root: Path, arch: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text(
        "---\nlicense: apache-2.0\nlibrary_name: transformers\npipeline_tag: text-generation\n---\n"
        f"# bench/{root.name}\n\nA {arch} model for the benchmark.\n\n## Training data\n\nPublic web text.\n")
    (root / "LICENSE").write_text("Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/\n")
    (root / "config.json").write_text(json.dumps({"architectures": [arch], "model_type": "llama", "hidden_size": 2048}))


def build_safetensors(root: Path) -> None:
    _texts(root, "LlamaForCausalLM")
    (root / "generation_config.json").write_text('{"do_sample": true, "temperature": 0.6}\n')
    (root / "tokenizer_config.json").write_text(json.dumps({"chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"}))
    vocab = {f"tok{i:06d}": i for i in range(90_000)}
    (root / "tokenizer.json").write_text(json.dumps({"version": "1.0", "model": {"type": "BPE", "vocab": vocab}}))
    weight_map = {}
    for s in range(4):
        name = f"model-{s + 1:05d}-of-00004.safetensors"
        header, off = {}, 0
        per = (GiB - 64 * 1024) // 150 // 8 * 8
        for t in range(150):
            key = f"model.layers.{s * 150 + t}.weight"
            header[key] = {"dtype": "BF16", "shape": [per // 2], "data_offsets": [off, off + per]}
            weight_map[key] = name
            off += per
        raw = json.dumps(header, separators=(",", ":")).encode()
        raw += b" " * (-len(raw) % 8)
        _sparse(root / name, 8 + len(raw) + off, struct.pack("<Q", len(raw)) + raw)
    (root / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": 4 * GiB}, "weight_map": weight_map}))


def build_torch_zip(root: Path) -> None:
    from scanners import torch_state_dict_pickle  # stand-in torch modules, real global names

    _texts(root, "GPT2LMHeadModel")
    shapes = {f"transformer.h.{i // 12}.w{i % 12}": ((2 * GiB - 8 * MiB) // 290 // 4,) for i in range(290)}
    data_pkl, storages = torch_state_dict_pickle(shapes)
    members = [("archive/data.pkl", data_pkl, None), ("archive/byteorder", b"little", None)]
    members += [(f"archive/data/{k}", None, n) for k, n in storages]
    members += [("archive/version", b"3\n", None), ("archive/.data/serialization_id", b"0" * 40, None)]
    _write_sparse_zip(root / "pytorch_model.bin", members)


def _write_sparse_zip(path: Path, members: list[tuple[str, bytes | None, int | None]]) -> None:
    """A stored zip as torch writes it; big members are holes (zeros), never written."""
    zero_crc: dict[int, int] = {}

    def crc_zeros(n: int) -> int:
        if n not in zero_crc:
            c, block = 0, bytes(16 * MiB)
            for i in range(0, n, len(block)):
                c = zlib.crc32(block[:min(len(block), n - i)], c)
            zero_crc[n] = c
        return zero_crc[n]

    central, pos = [], 0
    with path.open("wb") as fh:
        for name, data, size in members:
            n = len(data) if data is not None else size
            crc = zlib.crc32(data) if data is not None else crc_zeros(size)
            nm = name.encode()
            pad = (-(pos + 30 + len(nm) + 4)) % 64  # torch aligns record data to 64 bytes with an extra field
            extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad
            fh.seek(pos)
            fh.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, n, n, len(nm), len(extra)) + nm + extra)
            if data is not None:
                fh.write(data)
            central.append((nm, crc, n, pos))
            pos += 30 + len(nm) + len(extra) + n
        cd = b"".join(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, crc, n, n, len(nm), 0, 0, 0, 0, 0, off) + nm
                      for nm, crc, n, off in central)
        fh.seek(pos)
        fh.write(cd + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(cd), pos, 0))


def _gguf_str(s: str) -> bytes:
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def _kv(key: str, typ: int, value: bytes) -> bytes:
    return _gguf_str(key) + struct.pack("<I", typ) + value


def build_gguf(root: Path) -> None:
    _texts(root, "LlamaForCausalLM")
    for shard in range(10):
        kvs = [_kv("general.architecture", 8, _gguf_str("llama")), _kv("split.no", 2, struct.pack("<H", shard)),
               _kv("split.count", 2, struct.pack("<H", 10)), _kv("split.tensors.count", 5, struct.pack("<i", 290))]
        if shard == 0:
            tokens = b"".join(_gguf_str(f"tok{i:06d}") for i in range(128_256))
            merges = b"".join(_gguf_str(f"t{i % 5000} k{i % 7000}") for i in range(280_147))
            kvs += [_kv("general.name", 8, _gguf_str("bench")), _kv("llama.context_length", 4, struct.pack("<I", 8192)),
                    _kv("tokenizer.ggml.model", 8, _gguf_str("gpt2")),
                    _kv("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 128_256) + tokens),
                    _kv("tokenizer.ggml.token_type", 9, struct.pack("<IQ", 5, 128_256) + struct.pack("<i", 1) * 128_256),
                    _kv("tokenizer.ggml.merges", 9, struct.pack("<IQ", 8, 280_147) + merges),
                    _kv("tokenizer.chat_template", 8, _gguf_str("{% for m in messages %}{{ m['content'] }}{% endfor %}"))]
        infos, off = b"", 0
        per = (GiB - 8 * MiB) // 29 // 32 * 32
        for t in range(29):
            infos += _gguf_str(f"blk.{shard * 29 + t}.ffn.weight") + struct.pack("<IQIQ", 1, per // 2, 1, off)
            off += per
        head = b"GGUF" + struct.pack("<IQQ", 3, 29, len(kvs)) + b"".join(kvs) + infos
        head += b"\0" * (-len(head) % 32)
        _sparse(root / f"model-{shard + 1:05d}-of-00010.gguf", len(head) + off, head)


RELEASES = {"st-4g": build_safetensors, "torch-2g": build_torch_zip, "gguf-10": build_gguf}


def build() -> None:
    for name, fn in RELEASES.items():
        root, done = WORK / name, WORK / f"{name}.built"
        if done.exists():
            continue
        root.mkdir(parents=True, exist_ok=True)
        fn(root)
        done.write_text("ok")


def lfs_hashes(root: Path) -> dict[str, str]:
    """sha256 of the big files, computed once and kept beside them (hashing 16 GiB of holes costs ~20 s)."""
    from fake_hub import file_sha256

    memo = root.parent / f"{root.name}.sha256.json"
    known = json.loads(memo.read_text()) if memo.exists() else {}
    out = {}
    for p in sorted(root.iterdir()):
        if p.name.startswith(".") or p.stat().st_size < 10 * MiB:
            continue
        st = p.stat()
        key = f"{p.name}:{st.st_size}:{st.st_mtime_ns}"
        if key not in known:
            known[key] = file_sha256(p)
        out[p.name] = known[key]
    memo.write_text(json.dumps(known, indent=1))
    return out


# --- measuring ------------------------------------------------------------------------------


def machine() -> str:
    from scanners import machine as m

    return m()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--latency", type=float, default=0.020, help="seconds added to every request")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    build()
    from fake_hub import FakeHub

    fake = FakeHub()
    home = tempfile.mkdtemp(prefix="trueopen-bench-hf-")
    # A store of its own, and --refresh below: every run audits (and stores) as a first audit does.
    # Without them a run after the first reused the stored record and fetched nothing (1 request).
    env = {**os.environ, "HF_ENDPOINT": fake.endpoint, "HF_HOME": home, "HF_HUB_DISABLE_TELEMETRY": "1",
           "TRUEOPEN_STORE": os.path.join(home, "trueopen-store")}
    env.pop("HF_TOKEN", None)
    os.environ.update({k: env[k] for k in ("HF_ENDPOINT", "HF_HOME", "HF_HUB_DISABLE_TELEMETRY")})
    fake.start()
    rows = []
    for name in RELEASES:
        root = WORK / name
        fake.add_repo(f"bench/{name}", root, sha256=lfs_hashes(root))
    fake.latency = args.latency
    for name in RELEASES:
        root = WORK / name
        files = [p for p in root.iterdir() if not p.name.startswith(".")]
        weights = [p for p in files if p.suffix in (".safetensors", ".bin", ".gguf")]
        total = sum(p.stat().st_size for p in files)
        times, record, log = [], None, []
        for _ in range(args.runs):
            fake.clear_log()
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, "-m", "trueopen.cli", "audit", f"hf://bench/{name}", "--format", "json", "--refresh"],
                               capture_output=True, text=True, env=env, timeout=600)
            times.append(time.perf_counter() - t0)
            if r.returncode != 0:
                print(r.stderr, file=sys.stderr)
                return 1
            record, log = json.loads(r.stdout), fake.requests()
        if os.environ.get("HUB_BENCH_LOG"):
            for x in log:
                print(f"  {name}: {x.path} {x.range or ''} {x.status} {x.pushed}", file=sys.stderr)
        pushed = sum(x.pushed for x in log)
        tr = record["transfer"]
        budget = 2 * len(weights) + (len(files) - len(weights))
        rows.append({"release": name, "size": total, "files": len(files), "weights": len(weights),
                     "fetched": tr["bytes_fetched"], "pushed": pushed, "requests": len(log), "record_requests": tr["requests"],
                     "budget": budget, "seconds": statistics.median(times), "safety": record["safety"]["status"],
                     "label": record["verdicts"]["label"]})
    # huggingface_hub's own ranged read of safetensors headers, same server and latency.
    from huggingface_hub import HfApi

    fake.clear_log()
    t0 = time.perf_counter()
    HfApi(endpoint=fake.endpoint).get_safetensors_metadata("bench/st-4g")
    hf_secs = time.perf_counter() - t0
    hf_log = fake.requests()
    fake.stop()

    print(f"Machine: {machine()}. Date: {time.strftime('%Y-%m-%d')}. Added latency: {args.latency * 1000:g} ms per request.\n")
    print("| release | size | files (weights) | fetched | % of release | pushed by server | requests (goal) | wall time | safety |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['release']} | {r['size'] / GiB:.2f} GiB | {r['files']} ({r['weights']}) | {r['fetched'] / 1024:,.0f} KiB | "
              f"{100 * r['fetched'] / r['size']:.4f} % | {r['pushed'] / 1024:,.0f} KiB | {r['requests']} (<= {r['budget']} + c) | "
              f"{r['seconds']:.2f} s | {r['safety']} |")
    st = next(r for r in rows if r["release"] == "st-4g")
    torch = next(r for r in rows if r["release"] == "torch-2g")
    print("\nComparison (st-4g headers): huggingface_hub `HfApi.get_safetensors_metadata`: "
          f"{sum(x.pushed for x in hf_log) / 1024:,.0f} KiB pushed in {len(hf_log)} requests, {hf_secs:.2f} s "
          f"(trueopen, whole audit: {st['pushed'] / 1024:,.0f} KiB, {st['requests']} requests).")
    print(f"picklescan --huggingface / modelaudit (computed, whole files): torch-2g {torch['size'] / GiB:.2f} GiB "
          f"= {torch['size'] / max(1, torch['fetched']):,.0f}x trueopen's {torch['fetched'] / 1024:,.0f} KiB; "
          "st-4g and gguf-10: picklescan fetches no file (no pickle extension), modelaudit downloads the weights it scans.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
