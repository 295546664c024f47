"""The openness index's batch: throughput, the rerun of an unchanged batch, and the store's engine.

    .venv/bin/python benchmarks/index.py [--releases 100] [--hub 20]

1. `trueopen index build` (the CLI, as a user runs it) on N synthetic releases: first run
   (every release audited, one worker per core) and a rerun of the unchanged list (every
   release from the store); releases per minute and the rerun's speed-up (goal: >= 20x).
2. The same through the test Hub server (tests/hub/fake_hub.py on 127.0.0.1): hf:// targets.
3. The store: SQLite (WAL) against DuckDB for what the batch does: many small transactions,
   from several processes at once.

Prints one line per measurement; figures go to benchmarks/RESULTS.md with the machine and date.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "fully-open"
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "hub"))


def make_releases(root: Path, n: int) -> list[Path]:
    """n distinct small releases: the fully-open example with a different card line each."""
    out = []
    for i in range(n):
        dest = root / f"rel-{i:04d}"
        shutil.copytree(EXAMPLE, dest)
        readme = dest / "README.md"
        readme.write_text(readme.read_text(encoding="utf-8") + f"\nRelease number {i}.\n", encoding="utf-8")
        out.append(dest)
    return out


def run_build(lst: Path, site: Path, store: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "trueopen.cli", "index", "build", "--from", str(lst), "--out", str(site),
                           "--store", str(store)], capture_output=True, text=True, env=env)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"index build failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return took


def batch(n: int, tmp: Path) -> None:
    folders = make_releases(tmp / "releases", n)
    lst = tmp / "list.txt"
    lst.write_text("".join(f"{p}\n" for p in folders))
    store = tmp / "store.sqlite"
    env = {**os.environ}
    first = run_build(lst, tmp / "site", store, env)
    reruns = sorted(run_build(lst, tmp / "site", store, env) for _ in range(3))  # the same command again
    rerun = reruns[1]
    other = run_build(lst, tmp / "site-elsewhere", store, env)  # every audit reused, every page written
    print(f"local  {n} releases: first run {first:.1f} s ({n / first * 60:.0f} releases/min, {os.cpu_count()} workers); "
          f"unchanged rerun {rerun:.2f} s (median of 3, {reruns[0]:.2f}-{reruns[2]:.2f}); speed-up {first / rerun:.1f}x "
          f"(goal >= 20x); into a new folder (pages written again) {other:.2f} s, {first / other:.1f}x")


def hub_batch(n: int, tmp: Path) -> None:
    from fake_hub import FakeHub

    hub = FakeHub().start()
    try:
        folders = make_releases(tmp / "hub-releases", n)
        for i, p in enumerate(folders):
            hub.add_repo(f"bench/model-{i:04d}", p)
        lst = tmp / "hub-list.txt"
        lst.write_text("".join(f"hf://bench/model-{i:04d}\n" for i in range(n)))
        env = {**os.environ, "HF_ENDPOINT": hub.endpoint, "HF_HOME": str(tmp / "hf-home"), "HF_HUB_DISABLE_TELEMETRY": "1"}
        env.pop("HF_HUB_OFFLINE", None)
        store = tmp / "hub-store.sqlite"
        first = run_build(lst, tmp / "hub-site", store, env)
        requests_first = len(hub.log)
        rerun = run_build(lst, tmp / "hub-site", store, env)
        requests_rerun = len(hub.log) - requests_first
        print(f"hub    {n} releases through the test Hub: first run {first:.1f} s ({n / first * 60:.0f} releases/min, "
              f"{requests_first} requests); unchanged rerun {rerun:.2f} s ({requests_rerun} requests: the commit "
              f"and file list only); speed-up {first / rerun:.1f}x")
    finally:
        hub.stop()


WRITER = textwrap.dedent("""
    import json, sys, time, zlib
    engine, path, n, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    blob = zlib.compress(json.dumps({"pad": "x" * 60000, "name": name}).encode())
    errors = 0
    start = time.perf_counter()
    for i in range(n):
        try:
            if engine == "sqlite":
                from trueopen.index.store import Store
                with Store.open(__import__("pathlib").Path(path)) as db:
                    db.put(release_id=f"https://x/{name}/{i}", target=name, revision=None, revision_kind="fingerprint",
                           revision_date=None, content=str(i), options="{}", trueopen_version="v", rules="r",
                           audited_at="t", record={"pad": "x" * 60000})
            else:
                import duckdb
                con = duckdb.connect(path)
                con.execute("CREATE TABLE IF NOT EXISTS audits (release_id TEXT, content TEXT, record BLOB)")
                con.execute("INSERT INTO audits VALUES (?, ?, ?)", [f"https://x/{name}/{i}", str(i), blob])
                con.close()
        except Exception as exc:
            errors += 1
            last = type(exc).__name__ + ": " + str(exc).splitlines()[0][:80]
    print(json.dumps({"seconds": time.perf_counter() - start, "errors": errors, "last": last if errors else ""}))
""")


def store_engines(tmp: Path, n: int = 200, writers: int = 2) -> None:
    for engine in ("sqlite", "duckdb"):
        path = tmp / f"engine.{engine}"
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", WRITER, engine, str(path), str(n), f"w{k}"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for k in range(writers)]
        outs = [json.loads(p.communicate()[0] or '{"seconds": 0, "errors": -1, "last": "crashed"}') for p in procs]
        took = time.perf_counter() - start
        errors = sum(o["errors"] for o in outs)
        last = next((o["last"] for o in outs if o["last"]), "")
        print(f"store  {engine:6} {writers} processes x {n} records of 60 KB: {took:.1f} s, {writers * n - errors} stored, "
              f"{errors} failed{(' (' + last + ')') if last else ''}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--releases", type=int, default=100)
    ap.add_argument("--hub", type=int, default=20)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    with tempfile.TemporaryDirectory(prefix="trueopen-bench-index-") as d:
        tmp = Path(d)
        store_engines(tmp)
        batch(args.releases, tmp)
        if args.hub:
            hub_batch(args.hub, tmp)


if __name__ == "__main__":
    main()
