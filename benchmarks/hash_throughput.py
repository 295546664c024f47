"""Hashing throughput: sha256sum vs trueopen.hashing.hash_files vs `trueopen audit`.

Generates a synthetic release (many shards, a config.json, a README.md) in --workdir, reusing
it when it is already there with the same size, then times each method once after a warm-up
read (dropping the page cache needs root, so all figures are warm-cache figures).

    .venv/bin/python benchmarks/hash_throughput.py --size 1GiB
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from trueopen.hashing import hash_files  # noqa: E402

BLOCK = 1 << 20
_UNITS = {"": 1, "B": 1, "K": 2**10, "KIB": 2**10, "M": 2**20, "MIB": 2**20,
          "G": 2**30, "GIB": 2**30, "KB": 10**3, "MB": 10**6, "GB": 10**9}


def parse_size(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    if not m or m[2].upper() not in _UNITS:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 1GiB, 512MiB)")
    return int(float(m[1]) * _UNITS[m[2].upper()])


def make_release(workdir: Path, size: int, shards: int) -> tuple[Path, list[str]]:
    """Write (or reuse) the synthetic release; returns its folder and its file list."""
    release = workdir / "release"
    manifest = workdir / "manifest.json"
    shard_size = max(BLOCK, (size // shards) // BLOCK * BLOCK)
    names = [f"model-{i + 1:05d}-of-{shards:05d}.safetensors" for i in range(shards)]
    want = {"size": size, "shards": shards, "shard_size": shard_size}
    files = names + ["config.json", "README.md"]
    if manifest.exists() and json.loads(manifest.read_text()) == want and all(
        (release / n).is_file() and (release / n).stat().st_size == shard_size for n in names
    ):
        print(f"reusing {release}")
        return release, files
    if release.exists():
        shutil.rmtree(release)
    release.mkdir(parents=True)
    t0 = time.perf_counter()
    for i, name in enumerate(names):
        base = bytearray(os.urandom(BLOCK))
        with open(release / name, "wb") as f:
            for block in range(shard_size // BLOCK):
                # A counter in each block so no two blocks (or shards) are identical.
                base[:16] = i.to_bytes(8, "little") + block.to_bytes(8, "little")
                f.write(base)
    (release / "config.json").write_text(json.dumps({"architectures": ["Bench"], "hidden_size": 64}))
    (release / "README.md").write_text("---\nlicense: apache-2.0\n---\n# Bench\nSynthetic release.\n")
    manifest.write_text(json.dumps(want))
    print(f"generated {shards} x {shard_size / 2**20:.0f} MiB in {time.perf_counter() - t0:.1f}s")
    return release, files


def warm(release: Path, files: list[str]) -> None:
    buf = bytearray(8 * BLOCK)
    for name in files:
        with open(release / name, "rb", buffering=0) as f:
            while f.readinto(buf):
                pass


def machine() -> str:
    cpu = platform.processor() or "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=parse_size, default=parse_size("4GiB"))
    ap.add_argument("--shards", type=int, default=16)
    ap.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / "_work")
    ap.add_argument("--workers", type=int, default=None, help="hash_files workers (default: cpu count)")
    args = ap.parse_args()

    args.workdir.mkdir(parents=True, exist_ok=True)
    release, files = make_release(args.workdir, args.size, args.shards)
    paths = [str(release / f) for f in files]
    total = sum(os.path.getsize(p) for p in paths)
    warm(release, files)

    rows: list[tuple[str, float | None, str]] = []

    sha256sum = shutil.which("sha256sum")
    if sha256sum:
        t0 = time.perf_counter()
        subprocess.run([sha256sum, *paths], check=True, stdout=subprocess.DEVNULL)
        rows.append(("sha256sum (sequential, one call)", time.perf_counter() - t0, ""))
    else:
        rows.append(("sha256sum (sequential, one call)", None, "sha256sum not found"))

    # coreutils sha256sum may not use the CPU's SHA extensions; OpenSSL (which hashlib uses)
    # does, so this is the fairer single-thread native baseline.
    openssl = shutil.which("openssl")
    if openssl:
        t0 = time.perf_counter()
        subprocess.run([openssl, "dgst", "-sha256", *paths], check=True, stdout=subprocess.DEVNULL)
        rows.append(("openssl dgst -sha256 (sequential)", time.perf_counter() - t0, ""))

    t0 = time.perf_counter()
    hash_files(release, files, workers=1)
    rows.append(("hash_files, 1 worker", time.perf_counter() - t0, ""))

    t0 = time.perf_counter()
    digests = hash_files(release, files, workers=args.workers)
    n = args.workers or os.cpu_count()
    rows.append((f"hash_files, {n} workers", time.perf_counter() - t0, ""))
    assert all(d.error is None for d in digests), [d for d in digests if d.error]

    cli = Path(sys.executable).parent / "trueopen"
    label = "trueopen audit --format json"
    if not cli.exists():
        rows.append((label, None, f"skipped: {cli} not found"))
    else:
        t0 = time.perf_counter()
        proc = subprocess.run([str(cli), "audit", str(release), "--format", "json"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no message"])[-1][:100]
            rows.append((label, None, f"skipped: exit {proc.returncode}: {last}"))
        else:
            rows.append((label, elapsed, "whole audit, not only hashing"))

    base = rows[0][1]
    print()
    print(f"machine: {machine()}")
    print(f"date:    {dt.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"data:    {len(files)} files, {total / 2**30:.2f} GiB, warm page cache "
          f"(cache not dropped: needs root)")
    print()
    print(f"{'method':<36} {'seconds':>8} {'GB/s':>7} {'vs sha256sum':>13}  note")
    for name, secs, note in rows:
        if secs is None:
            print(f"{name:<36} {'-':>8} {'-':>7} {'-':>13}  {note}")
            continue
        ratio = f"{base / secs:.2f}x" if base else "-"
        print(f"{name:<36} {secs:>8.2f} {total / secs / 1e9:>7.2f} {ratio:>13}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
