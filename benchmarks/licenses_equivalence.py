"""Licence identification: same results before and after a speed change, and its cost per file.

    .venv/bin/python benchmarks/licenses_equivalence.py record OUT.txt   # every result, repr'd
    .venv/bin/python benchmarks/licenses_equivalence.py check OUT.txt    # byte-identical or exit 1
    .venv/bin/python benchmarks/licenses_equivalence.py speed [--rounds 5]
    .venv/bin/python benchmarks/licenses_equivalence.py instructions     # callgrind, real sets

Inputs: every input of benchmarks/licenses.py (its two real sets, the SPDX texts and their three
variants), run through the function that benchmark times per file (`identify_file(text, name)`).
`record` writes, per input, its set, path and the repr of every LicenseMatch returned (ids,
evidence, lines, scores, terms: everything), so a change that alters any result shows as a diff.

`speed` runs the real sets in a fresh process per round, as licenses.py's child does (index
loaded first, then every file timed, real-ai then real-releases in one process), and reports
files/s from CPU time (process_time: the machine is shared, wall time is noisier).
`instructions` runs under valgrind's callgrind: start-up alone, then start-up plus the first k
files, and reports the differences per file for each set (what a fresh process spends
identifying a file after warm(), what the first files load on the way included, as in the
benchmark), then the steady state (every file a second time in the same process). The child
runs with PYTHONHASHSEED=0 (set iteration orders move the counts by a few per cent otherwise);
EQUIV_SRC=<path to a src/ folder> measures another copy of the code (e.g. a `git archive` of
the base commit) with the same harness.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

import licenses as bench  # noqa: E402  (benchmarks/licenses.py: the inputs)

CHILD = r'''
import json, os, sys, time
paths = json.load(open(sys.argv[1]))
mode = sys.argv[2]
from trueopen.licenses import identify_file
from trueopen.licenses.detect import warm
warm()
texts = []
for p in paths:
    with open(p, encoding="utf-8", errors="replace") as f:
        texts.append((f.read(), os.path.basename(p)))
limit = int(sys.argv[3]) if len(sys.argv) > 3 else len(texts)
if mode == "startup":
    sys.exit(0)
if mode == "again":  # every file once untimed: what is left is the steady cost of a file
    for text, name in texts:
        identify_file(text, name)
times = []
for text, name in texts[:limit]:
    t = time.process_time()
    identify_file(text, name)
    times.append(time.process_time() - t)
if mode == "times":
    print(json.dumps(times))
'''


def _items() -> list[dict]:
    return bench.build_inputs()


def record(out: Path) -> int:
    from trueopen.licenses import identify_file
    from trueopen.licenses.detect import warm

    warm()
    items = _items()
    with out.open("w", encoding="utf-8") as f:
        for item in items:
            with open(item["path"], encoding="utf-8", errors="replace") as src:
                text = src.read()
            ms = identify_file(text, os.path.basename(item["path"]))
            # Files the benchmark generated under this checkout by their path in it, so that two
            # checkouts (a worktree and main) compare; the shared corpus by its path beside it.
            under = Path(item["path"]).resolve().is_relative_to(ROOT)
            rel = os.path.relpath(item["path"], ROOT if under else ROOT.parent)
            f.write(f"## {item['set']} {rel}\n")
            for m in ms:
                f.write(repr(m) + "\n")
    return len(items)


def _child(paths: list[str], mode: str, wrap: list[str] | None = None, limit: int | None = None) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "child.py"
        script.write_text(CHILD, encoding="utf-8")
        plist = Path(tmp) / "paths.json"
        plist.write_text(json.dumps(paths), encoding="utf-8")
        env = {**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0"), "PYTHONPATH": os.environ.get("EQUIV_SRC", str(ROOT / "src"))}
        return subprocess.run([*(wrap or []), sys.executable, str(script), str(plist), mode,
                               str(len(paths) if limit is None else limit)],
                              capture_output=True, text=True, env=env, check=True)


def _real() -> dict[str, list[str]]:
    sets: dict[str, list[str]] = {}
    for item in _items():
        if item["set"] in bench.REAL_SETS:
            sets.setdefault(item["set"], []).append(item["path"])
    return sets


def speed(rounds: int) -> None:
    sets = _real()
    paths = [p for ps in sets.values() for p in ps]  # one child, the sets in order, as licenses.py runs them
    per: dict[str, list[float]] = {k: [] for k in sets}
    for _ in range(rounds):
        times = json.loads(_child(paths, "times").stdout)
        k = 0
        for name, ps in sets.items():
            part = times[k:k + len(ps)]
            k += len(ps)
            per[name].append(len(part) / sum(part))
    for name, xs in per.items():
        xs.sort()
        print(f"{name:<14} {len(sets[name]):>3} files  files/s (CPU) median {xs[len(xs) // 2]:.1f} "
              f"[{xs[0]:.1f}-{xs[-1]:.1f}] over {rounds} fresh processes")


def _ir(paths: list[str], mode: str, limit: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cg.out"
        proc = _child(paths, mode, ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"], limit)
        m = re.search(r"Collected : (\d+)", proc.stderr)
        if not m:
            raise SystemExit("no instruction count from callgrind:\n" + proc.stderr[-2000:])
        return int(m.group(1))


def instructions() -> None:
    """Every real file read and the index loaded, then the first k identified: the difference
    between k = 0 and k = all of real-ai, then all of both sets (in order, as licenses.py)."""
    sets = _real()
    paths = [p for ps in sets.values() for p in ps]
    before, done = _ir(paths, "startup", 0), 0
    for name, ps in sets.items():
        done += len(ps)
        after = _ir(paths, "run", done)
        print(f"{name:<14} {len(ps):>3} files  {(after - before) / len(ps) / 1e6:.2f} M instructions per file")
        before = after
    # The same files a second time in the same process: without what the first files load on
    # the way (tables, records, regexes compiled on first use) that warm() does not.
    steady = _ir(paths, "again", len(paths)) - _ir(paths, "run", len(paths))
    print(f"{'both, again':<14} {len(paths):>3} files  {steady / len(paths) / 1e6:.2f} M instructions per file (steady state)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("out", type=Path)
    c = sub.add_parser("check")
    c.add_argument("ref", type=Path)
    s = sub.add_parser("speed")
    s.add_argument("--rounds", type=int, default=5)
    sub.add_parser("instructions")
    args = ap.parse_args()
    if args.cmd == "record":
        print(f"{record(args.out)} inputs recorded in {args.out}")
    elif args.cmd == "check":
        with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as tmp:
            now = Path(tmp.name)
        n = record(now)
        same = now.read_bytes() == args.ref.read_bytes()
        print(f"{n} inputs: " + ("byte-identical to " if same else "DIFFERENT from ") + str(args.ref)
              + ("" if same else f" (now: {now})"))
        if same:
            now.unlink()
        return 0 if same else 1
    elif args.cmd == "speed":
        speed(args.rounds)
    else:
        instructions()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
