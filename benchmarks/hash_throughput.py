"""Hashing throughput: `openssl dgst -sha256` and `sha256sum` (sequential) vs
trueopen.hashing.hash_files vs a whole `trueopen audit`, on the same files in the same run.

Generates a synthetic release (many shards, a config.json, a README.md) in --workdir, reusing
it when it is already there with the same size, reads it once to warm the page cache (dropping
the cache needs root, so every figure is a warm-cache figure), then runs every method --reps
times, interleaved (each repetition runs each method once, the order rotating), and reports the
median, the spread and the time ratio to sequential openssl (the fair native baseline: coreutils
sha256sum may lack the CPU's SHA instructions), with the load average before each repetition.

    .venv/bin/python benchmarks/hash_throughput.py --size 4GiB --reps 5
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
    ap.add_argument("--reps", type=int, default=5, help="interleaved repetitions of every method")
    args = ap.parse_args()

    args.workdir.mkdir(parents=True, exist_ok=True)
    release, files = make_release(args.workdir, args.size, args.shards)
    paths = [str(release / f) for f in files]
    total = sum(os.path.getsize(p) for p in paths)
    warm(release, files)

    n = args.workers or os.cpu_count()
    cli = Path(sys.executable).parent / "trueopen"
    methods: dict[str, list[str] | None] = {
        "openssl dgst -sha256, sequential": [shutil.which("openssl"), "dgst", "-sha256", *paths] if shutil.which("openssl") else None,
        "sha256sum, sequential": [shutil.which("sha256sum"), *paths] if shutil.which("sha256sum") else None,
        "hash_files, 1 worker": [sys.executable, "-c", _HASH_FILES, str(release), "1", *files],
        f"hash_files, {n} workers": [sys.executable, "-c", _HASH_FILES, str(release), str(n), *files],
        # --refresh: audit and store the record, as a first audit does, without reusing the
        # record the previous repetition stored.
        "trueopen audit --format json (whole audit)": [str(cli), "audit", str(release), "--format", "json", "--refresh"] if cli.exists() else None,
        "trueopen audit --no-hash (the rest alone)": [str(cli), "audit", str(release), "--format", "json", "--refresh", "--no-hash"] if cli.exists() else None,
    }
    # As installed: bytecode is written and used (PYTHONDONTWRITEBYTECODE, set on some machines,
    # would recompile dozens of modules at every start), the store in the work folder.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["TRUEOPEN_STORE"] = str(args.workdir / "store.sqlite")
    runnable = [k for k, v in methods.items() if v is not None]
    for name in runnable:  # one untimed run each: bytecode written, code paths warm
        subprocess.run(methods[name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    times: dict[str, list[float]] = {k: [] for k in runnable}
    loads: list[float] = []
    for rep in range(args.reps):
        loads.append(os.getloadavg()[0])
        order = runnable[rep % len(runnable):] + runnable[:rep % len(runnable)]  # rotate: no method always first
        for name in order:
            t0 = time.perf_counter()
            proc = subprocess.run(methods[name], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
            elapsed = time.perf_counter() - t0
            if proc.returncode != 0:
                raise SystemExit(f"{name}: exit {proc.returncode}: {proc.stderr.strip()[-300:]}")
            times[name].append(elapsed)
    base = "openssl dgst -sha256, sequential" if "openssl dgst -sha256, sequential" in times else runnable[0]
    second = "sha256sum, sequential" if "sha256sum, sequential" in times else None
    print()
    print(f"machine: {machine()}")
    print(f"date:    {dt.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"data:    {len(files)} files, {total / 2**30:.2f} GiB, warm page cache (not dropped: needs root)")
    print(f"reps:    {args.reps}, interleaved; load average before each: {', '.join(f'{x:.2f}' for x in loads)}")
    print()
    print(f"{'method':<44} {'median s':>9} {'min-max s':>13} {'GiB/s':>6} {'time vs openssl':>16} {'vs sha256sum':>13}")
    for name in runnable:
        ts = times[name]
        ratio = _median([t / b for t, b in zip(ts, times[base])])
        ratio2 = f"{_median([t / b for t, b in zip(ts, times[second])]):.2f}x" if second else "-"
        print(f"{name:<44} {_median(ts):>9.2f} {min(ts):>6.2f}-{max(ts):<6.2f} {total / _median(ts) / 2**30:>6.2f}"
              f" {ratio:>15.2f}x {ratio2:>13}")
    print("\n(time ratios are per repetition, then the median: below 1 is faster than the baseline)")
    return 0


_HASH_FILES = """
import sys
from trueopen.hashing import hash_files
root, workers, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
digests = hash_files(root, files, workers=workers)
assert all(d.error is None for d in digests), [d for d in digests if d.error]
"""


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


if __name__ == "__main__":
    raise SystemExit(main())
