"""Synthetic datasets for the `trueopen data` tests, written in the test: Parquet, JSONL (plain,
.gz, .zst), CSV and WebDataset tar shards with real PNG/JPEG images encoded by Pillow.

Rows are dicts of strings; every format gets the same rows, so a test can run one check on each
format and expect the same row names."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard
from PIL import Image, ImageDraw

FORMATS = ("parquet", "jsonl", "jsonl.gz", "jsonl.zst", "csv", "wds")
EXT = {"parquet": ".parquet", "jsonl": ".jsonl", "jsonl.gz": ".jsonl.gz", "jsonl.zst": ".jsonl.zst", "csv": ".csv",
       "csv.gz": ".csv.gz", "csv.zst": ".csv.zst", "wds": ".tar"}


def image(seed: int, fmt: str = "PNG", size: int = 64, boxes: int = 8, smallest: int = 10, largest: int = 2,
          quality: int = 90) -> bytes:
    """A picture of coloured boxes (distinct per seed), encoded in the test; box sides between
    size/smallest and size/largest."""
    r = np.random.default_rng(seed)
    im = Image.new("RGB", (size, size), tuple(int(x) for x in r.integers(0, 255, 3)))
    d = ImageDraw.Draw(im)
    for _ in range(boxes):
        x, y = (int(v) for v in r.integers(0, size * 3 // 4, 2))
        w, h = (int(v) for v in r.integers(size // smallest, size // largest, 2))
        d.rectangle([x, y, x + w, y + h], fill=tuple(int(c) for c in r.integers(0, 255, 3)))
    buf = io.BytesIO()
    im.save(buf, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return buf.getvalue()


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def md5(data: bytes | str) -> str:
    return hashlib.md5(data.encode() if isinstance(data, str) else data, usedforsecurity=False).hexdigest()


def rows(n: int = 10, prefix: str = "a") -> list[dict[str, str]]:
    """n image-text rows: a url, a caption and a licence column."""
    return [{"url": f"https://{prefix}{i}.example.org/img/{i}.jpg", "caption": f"picture number {i} of {prefix}",
             "license": "CC-BY-4.0"} for i in range(n)]


def hashed_rows(n: int = 8) -> list[dict[str, str]]:
    """Image-text rows whose sha256/md5 columns are the hashes of the WebDataset sample's image."""
    return [{"url": f"https://img{i}.example.org/p/{i}.jpg", "caption": f"secret caption {i} zebra",
             "sha256": sha256(wds_image(i)), "md5": md5(wds_image(i)), "license": "CC-BY-4.0"} for i in range(n)]


def wds_image(i: int) -> bytes:
    """The image of WebDataset sample i (PNG for even i, JPEG for odd)."""
    return image(1000 + i, "PNG" if i % 2 == 0 else "JPEG")


def _write_one(fmt: str, path: Path, part: Sequence[dict[str, str]], start: int) -> None:
    if fmt == "parquet":
        names = list(dict.fromkeys(k for r in part for k in r))
        pq.write_table(pa.table({k: pa.array([r.get(k) for r in part], pa.string()) for k in names}), path)
    elif fmt.startswith("jsonl"):
        path.write_bytes(_compress(fmt, b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in part)))
    elif fmt.startswith("csv"):
        names = list(dict.fromkeys(k for r in part for k in r))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(names)
        for r in part:
            w.writerow([r.get(k, "") for k in names])
        path.write_bytes(_compress(fmt, buf.getvalue().encode()))
    elif fmt == "wds":
        write_tar(path, wds_members(part, start))
    else:
        raise ValueError(fmt)


def _compress(fmt: str, data: bytes) -> bytes:
    if fmt.endswith(".gz"):
        return gzip.compress(data, mtime=0)
    if fmt.endswith(".zst"):
        return zstandard.ZstdCompressor().compress(data)
    return data


def wds_members(part: Sequence[dict[str, str]], start: int = 0) -> list[tuple[str, bytes]]:
    """Members of WebDataset samples: KEY.png|jpg (the image), KEY.json (the fields but the
    caption), KEY.txt (the caption)."""
    out: list[tuple[str, bytes]] = []
    for j, r in enumerate(part):
        i = start + j
        key = f"sample{i:05d}"
        out.append((f"{key}.{'png' if i % 2 == 0 else 'jpg'}", wds_image(i)))
        meta = {k: v for k, v in r.items() if k != "caption"}
        out.append((f"{key}.json", json.dumps(meta).encode()))
        if "caption" in r:
            out.append((f"{key}.txt", r["caption"].encode()))
    return out


def write_tar(path: Path, members: Sequence[tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 0
            tf.addfile(ti, io.BytesIO(data))
    return path


def write_dataset(fmt: str, folder: Path, data: Sequence[dict[str, str]], shards: int = 1) -> Path:
    """Write the rows as `shards` files part-00000.EXT ... in folder (rows dealt in order); returns folder."""
    folder.mkdir(parents=True, exist_ok=True)
    per = -(-len(data) // shards)
    for s in range(shards):
        part = data[s * per:(s + 1) * per]
        _write_one(fmt, folder / f"part-{s:05d}{EXT[fmt]}", part, s * per)
    return folder


def parquet_shards_with_different_columns(tmp_path: Path) -> tuple[Path, Path]:
    """Three Parquet shards: all key columns and an id; no sha256; no url and no id (and SHA256)."""
    d = tmp_path / "evolving"
    d.mkdir()
    s = sha256(wds_image(0))
    pq.write_table(pa.table({"id": ["a0"], "url": ["http://a.org/0"], "sha256": [s]}), d / "a.parquet")
    pq.write_table(pa.table({"id": ["b0", "b1"], "url": ["http://a.org/9", "http://a.org/0"]}), d / "b.parquet")
    pq.write_table(pa.table({"SHA256": ["0" * 64, s]}), d / "c.parquet")  # spelt otherwise: the same role
    lst = tmp_path / "keys.csv"
    lst.write_text(f"url,sha256\nhttp://a.org/0,\n,{s}\n")
    return d, lst


def tree_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under folder, by relative path (to show a folder was not modified)."""
    return {p.relative_to(folder).as_posix(): sha256(p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}
