"""What the issue-13 scanner fixes cost: this tree's `trueopen scan` against a base commit's, on
the same files, interleaved, in one run (issue 13 item 4: at most 10 % of opcodes/s or memory).

    .venv/bin/python benchmarks/scanner_cost.py --base 41d79c5 --reps 5

The base commit's `src/` is exported with `git archive` into benchmarks/_work/base-<commit>/ and
run with the same interpreter and dependencies (PYTHONPATH), so only the scanner differs. Inputs
(written once into benchmarks/_work/scanner-cost/): a 500k-entry vocabulary dict pickle (~1.5 M
opcodes), a 128 MiB numpy array pickle, and a folder of 10,000 small text files (the new
pickle probe runs on every non-pickle file). Wall time includes start-up; peak RSS from
/usr/bin/time when installed. Medians; ratio = this tree / base.
"""

from __future__ import annotations

import argparse
import io
import os
import pickle
import pickletools
import platform
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"
DATA = WORK / "scanner-cost"
TIME = Path("/usr/bin/time")
SCAN = ("import sys; from trueopen.scan.engine import scan_paths; "
        "r = scan_paths(sys.argv[1:]); print(r.status)")


def inputs() -> dict[str, Path]:
    """Write the inputs once; returns name -> path."""
    import numpy as np  # only to write the array pickle

    DATA.mkdir(parents=True, exist_ok=True)
    vocab = DATA / "vocab_dict.pkl"
    if not vocab.exists():
        vocab.write_bytes(pickle.dumps({f"tok_{i:06d}": i for i in range(500_000)}, protocol=4))
    array = DATA / "array_128MiB.pkl"
    if not array.exists():
        with open(array, "wb") as f:
            pickle.dump(np.zeros(32 << 20, dtype=np.float32), f, protocol=4)
    folder = DATA / "text_10k"
    if not folder.exists():
        for i in range(10_000):
            sub = folder / f"d{i // 1000}"
            sub.mkdir(parents=True, exist_ok=True)
            (sub / f"f{i}.txt").write_text(f"line {i}\nsome words about file {i}\n")
    return {"vocab dict (1.5M opcodes)": vocab, "numpy 128 MiB": array, "10k text files": folder}


def base_tree(commit: str) -> Path:
    """The base commit's src/ exported once."""
    dest = WORK / f"base-{commit}"
    if not (dest / "src" / "trueopen").exists():
        dest.mkdir(parents=True, exist_ok=True)
        blob = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src"],
                              capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(blob)) as t:
            t.extractall(dest, filter="data")
    return dest / "src"


def once(src: Path, target: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one scan in a fresh process."""
    env = dict(os.environ, PYTHONPATH=str(src))
    cmd = [sys.executable, "-c", SCAN, str(target)]
    if TIME.exists():
        cmd = [str(TIME), "-f", "%M", *cmd]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    rss = float(proc.stderr.strip().splitlines()[-1]) / 1024 if TIME.exists() else float("nan")
    return wall, rss


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="41d79c5", help="commit to compare with")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    files = inputs()
    trees = {"base": base_tree(args.base), "this": ROOT / "src"}
    with open(files["vocab dict (1.5M opcodes)"], "rb") as f:
        opcodes = sum(1 for _ in pickletools.genops(f))
    runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(args.reps):
        for name, path in files.items():
            for tree, src in trees.items():  # interleaved: load drifts hit both alike
                runs.setdefault((name, tree), []).append(once(src, path))
    load = os.getloadavg()
    print(f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load {load[0]:.2f}; base {args.base}; "
          f"{args.reps} reps, medians")
    print(f"{'input':28s} {'base s':>8s} {'this s':>8s} {'ratio':>6s} {'base MiB':>9s} "
          f"{'this MiB':>9s} {'ratio':>6s}")
    for name in files:
        b = runs[(name, "base")]
        t = runs[(name, "this")]
        bw, tw = statistics.median(r[0] for r in b), statistics.median(r[0] for r in t)
        bm, tm = max(r[1] for r in b), max(r[1] for r in t)
        print(f"{name:28s} {bw:8.2f} {tw:8.2f} {tw / bw:6.2f} {bm:9.0f} {tm:9.0f} {tm / bm:6.2f}")
    b = statistics.median(r[0] for r in runs[("vocab dict (1.5M opcodes)", "base")])
    t = statistics.median(r[0] for r in runs[("vocab dict (1.5M opcodes)", "this")])
    print(f"opcodes/s incl. start-up on the dict: base {opcodes / b:,.0f}, this {opcodes / t:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
