"""The index site at scale (issue 16 item 6): `write_site` for 10,000 synthetic releases (goal:
under 30 s on 2 cores) and a sort of the 10,000-row table in headless Chromium (goal: under
300 ms), plus a filter, measured in the page with performance.now() around the sort and a forced
layout (the rows re-appended and laid out, not only the array sorted).

    .venv/bin/python benchmarks/index_site.py [--releases 10000] [--reps 3]

Synthetic releases: the bundled examples' real audits under 10,000 identities (97 publishers,
varied revisions and dates), one in 50 an error row. Prints the figures; medians of --reps.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "tests" / "index")]


def synthetic(n: int) -> list:
    """n index entries from the examples' audits."""
    import trueopen
    from site_examples import example_audit
    from trueopen.index.entry import IndexEntry

    audits = [example_audit(name) for name in ("fully-open", "open-weights", "openwashed")]
    out = []
    for i in range(n):
        rev = hashlib.sha1(str(i).encode()).hexdigest()
        common = {"id": f"https://huggingface.co/org{i % 97}/model-{i:05d}", "target": f"hf://org{i % 97}/model-{i:05d}",
                  "revision": rev, "revision_date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T00:00:00Z",
                  "audited_at": "2026-12-04T00:00:00Z", "trueopen_version": trueopen.__version__}
        if i % 50 == 49:
            out.append(IndexEntry(**common, error=f"hf://org{i % 97}/model-{i:05d}: repository not found (404)"))
        else:
            out.append(IndexEntry(**common, audit=audits[(i * 7) % 3]))
    return out


def _cpu() -> float:
    """User + system CPU seconds of this process and its finished children (the page workers)."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def browser_sort(site: Path, reps: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright
    from reports.browser import FLAGS, chromium_path

    figures: dict[str, list[float]] = {"load": [], "sort by MOF class": [], "sort reversed": [], "sort by release": [],
                                       "filter by label": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=[f for f in FLAGS if f != "--headless"])
        for _ in range(reps):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            t = time.perf_counter()
            page.goto((site / "index.html").as_uri())
            page.wait_for_load_state("load")
            page.evaluate("document.body.offsetHeight")
            figures["load"].append((time.perf_counter() - t) * 1000)
            for name, call in (("sort by MOF class", "trueopenIndex.sortBy(4, 1)"), ("sort reversed", "trueopenIndex.sortBy(4, -1)"),
                               ("sort by release", "trueopenIndex.sortBy(0, 1)")):
                figures[name].append(page.evaluate(f"""() => {{ const t = performance.now(); {call};
                    document.body.offsetHeight; return performance.now() - t; }}"""))
            figures["filter by label"].append(page.evaluate("""() => { const s = document.getElementById('f-label');
                const t = performance.now(); s.value = 'open-weights'; trueopenIndex.applyFilter(); document.body.offsetHeight;
                return performance.now() - t; }"""))
            page.close()
        browser.close()
    return {k: statistics.median(v) for k, v in figures.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--releases", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    from trueopen.index.site import write_site

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average before: {os.getloadavg()[0]:.2f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    t = time.perf_counter()
    entries = synthetic(args.releases)
    print(f"{len(entries):,} synthetic entries made in {time.perf_counter() - t:.1f} s")
    tmp = Path(tempfile.mkdtemp(prefix="index-site-"))
    try:
        walls, cpus = [], []
        for _ in range(args.reps):
            before = _cpu()
            t = time.perf_counter()
            write_site(entries, tmp / "site")
            walls.append(time.perf_counter() - t)
            cpus.append(_cpu() - before)
        site = tmp / "site"
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        print(f"write_site: median {statistics.median(walls):.1f} s of {', '.join(f'{w:.1f}' for w in walls)} "
              f"(goal < 30 s); CPU (this process and its workers) median {statistics.median(cpus):.1f} s, "
              f"so about {statistics.median(cpus) / min(os.cpu_count() or 1, 8):.1f} s on idle cores; {size / 2**20:.0f} MiB written; index.html {(site / 'index.html').stat().st_size / 2**20:.1f} MiB, "
              f"compare.html {(site / 'compare.html').stat().st_size / 2**20:.1f} MiB")
        for name, ms in browser_sort(site, args.reps).items():
            print(f"chromium {name}: {ms:.0f} ms" + (" (goal < 300 ms)" if name.startswith("sort") else ""))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
