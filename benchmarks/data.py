"""`trueopen data audit` against the bare engines and the named peers, on the same inputs, in one
run (issue 11's benchmark). Every measurement runs in its own process; peak memory is the
largest resident size of that process tree (the JVM included for Spark), polled every 50 ms.

    .venv/bin/python benchmarks/data.py                  # all parts, full sizes
    .venv/bin/python benchmarks/data.py --parts text pdq --reps 3
    .venv/bin/python benchmarks/data.py --url-rows 1000000 --quick

Parts:
  url   the URL blocklist check: 10^7 Parquet rows against 10^5 list entries. Bare DuckDB
        semi-join on the raw strings; the same join with trueopen's URL normalisation run
        directly in DuckDB; `trueopen.datasets.audit(checks=["blocklists"])`; the same audit on
        Spark local mode.
  text  text near-duplicates, one core (RAYON_NUM_THREADS=1): trueopen's shingling + rensa
        MinHash + LSH against datasketch's MinHash + MinHashLSH with Python shingles, on the
        same 200-word documents.
  spun  disguised copies: precision and recall on seeded synthetic articles (tests/datasets/spun_corpus.py),
        against word-shingle MinHash on the same texts; documents/s.
  pdq   PDQ matching: 10^6 hashes against a 10^5-entry list at distance 31.
Inputs are generated (seeded) into benchmarks/_work/data/ once.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work" / "data"


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def measured(code: str, *args: str, env: dict[str, str] | None = None) -> tuple[float, int, dict]:
    """Run `python -c code args` in a fresh process: (wall seconds, peak tree RSS, JSON it printed last)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=full_env, text=True)
    peak = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(proc.pid))
            done.wait(0.05)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    t.join()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed ({proc.returncode}):\n{err[-3000:]}")
    return wall, peak, json.loads(out.strip().splitlines()[-1])


# ---- url ---------------------------------------------------------------------------------------

def url_inputs(rows: int, entries: int) -> tuple[Path, Path]:
    import duckdb

    WORK.mkdir(parents=True, exist_ok=True)
    data, blocklist = WORK / f"urls-{rows}.parquet", WORK / f"blocklist-{entries}.csv"
    con = duckdb.connect()
    if not data.exists():
        # LAION-like image URLs: 50,000 hosts, 1 in 7 with www., 1 in 5 with a query (tracking parameters).
        con.execute(f"""COPY (SELECT i AS id,
            'https://' || CASE WHEN i % 7 = 0 THEN 'www.' ELSE '' END || 'site' || (i % 50000) || '.example.com/img/'
            || md5(i::VARCHAR) || '.jpg' || CASE WHEN i % 5 = 0 THEN '?utm_source=feed&w=640' ELSE '' END AS url,
            'caption of image ' || i AS caption
            FROM range({rows}) t(i)) TO '{data}' (FORMAT parquet)""")
    if not blocklist.exists():
        # entry i is row (i * 7919) mod rows, written in normal form: the raw join finds the rows stored in that
        # form, the normalising join also those with www. or a tracking parameter.
        con.execute(f"""COPY (SELECT 'https://site' || (j % 50000) || '.example.com/img/' || md5(j::VARCHAR) || '.jpg'
            || CASE WHEN j % 5 = 0 THEN '?w=640' ELSE '' END AS url
            FROM (SELECT (i * 7919) % {rows} AS j FROM range({entries}) t(i))) TO '{blocklist}' (HEADER)""")
    return data, blocklist


BARE_RAW = textwrap.dedent("""
    import json, sys, duckdb
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    n = con.execute(f"SELECT count(*) FROM read_parquet('{sys.argv[1]}') s "
                    f"WHERE s.url IN (SELECT url FROM read_csv('{sys.argv[2]}'))").fetchone()[0]
    print(json.dumps({"rows_matched": n}))
""")

BARE_NORMALISED = textwrap.dedent("""
    import json, sys, duckdb
    from trueopen.datasets.urlnorm import duckdb_key_query, duckdb_macros
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    for sql in duckdb_macros():
        con.execute(sql)
    listed = duckdb_key_query("read_csv('" + sys.argv[2] + "')", "url", [("1", "one")])
    con.execute(f"CREATE TABLE lists AS SELECT DISTINCT key FROM ({listed})")
    keyed = duckdb_key_query(f"read_parquet('{sys.argv[1]}')", 'url', [('id', 'id')])
    n = con.execute(f"SELECT count(*) FROM ({keyed}) s WHERE s.key IN (SELECT key FROM lists)").fetchone()[0]
    print(json.dumps({"rows_matched": n}))
""")

TRUEOPEN_AUDIT = textwrap.dedent("""
    import json, sys
    from trueopen.datasets import audit
    r = audit(sys.argv[1], blocklists=[sys.argv[2]], checks=["blocklists"], engine=sys.argv[3])
    print(json.dumps({"rows_matched": r["blocklists"]["rows_matched"], "rows": r["rows_scanned"]}))
""")


def bench_url(rows: int, entries: int, reps: int, spark: bool) -> list[str]:
    data, blocklist = url_inputs(rows, entries)
    runs: dict[str, list[tuple[float, int, dict]]] = {}
    for _ in range(reps):  # interleaved
        runs.setdefault("bare DuckDB semi-join (raw strings)", []).append(measured(BARE_RAW, str(data), str(blocklist)))
        runs.setdefault("bare DuckDB join, trueopen's URL normalisation", []).append(
            measured(BARE_NORMALISED, str(data), str(blocklist)))
        runs.setdefault("trueopen data audit (duckdb)", []).append(
            measured(TRUEOPEN_AUDIT, str(data), str(blocklist), "duckdb"))
    if spark:
        runs["trueopen data audit --engine spark (local[*])"] = [
            measured(TRUEOPEN_AUDIT, str(data), str(blocklist), "spark")]
    return _table(f"URL blocklist: {rows:,} Parquet rows x {entries:,} list entries", runs, rows,
                  "bare DuckDB semi-join (raw strings)", "rows/s")


# ---- text --------------------------------------------------------------------------------------

TEXT_GEN = textwrap.dedent("""
    import json, random, sys
    rng = random.Random(int(sys.argv[2]))
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10))) for _ in range(20000)]
    with open(sys.argv[1], "w") as fh:
        docs = []
        for i in range(int(sys.argv[3])):
            if i % 10 == 9:  # one in ten a near copy of an earlier document (3 words changed)
                w = docs[rng.randrange(len(docs))].split()
                for _ in range(3):
                    w[rng.randrange(len(w))] = rng.choice(vocab)
                text = " ".join(w)
            else:
                text = " ".join(rng.choice(vocab) for _ in range(200))
            docs.append(text)
            fh.write(json.dumps({"id": i, "text": text}) + "\\n")
    print(json.dumps({}))
""")

TEXT_TRUEOPEN = textwrap.dedent("""
    import json, sys, time
    from trueopen.datasets.neardup import text_clusters
    docs = [(str(d["id"]), d["text"]) for d in map(json.loads, open(sys.argv[1]))][: int(sys.argv[2])]
    t = time.perf_counter()
    clusters = text_clusters(docs, 0.8)
    dt = time.perf_counter() - t
    print(json.dumps({"seconds": dt, "docs": len(docs), "clusters": len(clusters)}))
""")

TEXT_DATASKETCH = textwrap.dedent("""
    import json, re, sys, time
    from datasketch import MinHash, MinHashLSH
    docs = [(str(d["id"]), d["text"]) for d in map(json.loads, open(sys.argv[1]))][: int(sys.argv[2])]
    word = re.compile(r"\\w+")
    t = time.perf_counter()
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    pairs = 0
    for name, text in docs:
        w = word.findall(text.casefold())
        m = MinHash(num_perm=128)
        m.update_batch([" ".join(w[i:i + 3]).encode() for i in range(max(1, len(w) - 2))])
        pairs += len(lsh.query(m))
        lsh.insert(name, m)
    dt = time.perf_counter() - t
    print(json.dumps({"seconds": dt, "docs": len(docs), "pairs": pairs}))
""")


def bench_text(docs: int, peer_docs: int, reps: int) -> list[str]:
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"docs-{docs}.jsonl"
    if not path.exists():
        measured(TEXT_GEN, str(path), "11", str(docs))
    one_core = {"RAYON_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    runs: dict[str, list[tuple[float, int, dict]]] = {}
    for _ in range(reps):
        runs.setdefault(f"trueopen (shingles + rensa + LSH), {docs:,} docs", []).append(
            measured(TEXT_TRUEOPEN, str(path), str(docs), env=one_core))
        runs.setdefault(f"datasketch MinHash + MinHashLSH, {peer_docs:,} docs", []).append(
            measured(TEXT_DATASKETCH, str(path), str(peer_docs), env=one_core))
    lines = ["### Text near-duplicates, one core, 200-word documents (threshold 0.8, 128 permutations)", "",
             "| run | docs/s (in-process, median) | wall incl. start-up | peak RSS |", "|---|---:|---:|---:|"]
    rates = {}
    for name, rs in runs.items():
        rate = statistics.median(r[2]["docs"] / r[2]["seconds"] for r in rs)
        rates[name] = rate
        lines.append(f"| {name} | {rate:,.0f} | {statistics.median(r[0] for r in rs):.1f} s | "
                     f"{max(r[1] for r in rs) / 2**20:,.0f} MiB |")
    a, b = list(rates.values())
    lines += ["", f"trueopen / datasketch: {a / b:.1f}x documents per second.", ""]
    return lines


# ---- spun --------------------------------------------------------------------------------------

SPUN_RUN = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, sys.argv[3])
    from spun_corpus import corpus, score
    from trueopen.datasets import neardup, spun
    docs = corpus(seed=int(sys.argv[2]), families=int(sys.argv[1]) // 6, unrelated=int(sys.argv[1]) // 2)
    stream = [(d.name, d.text) for d in docs]
    t = time.perf_counter()
    pairs = spun.find_pairs(stream)
    dt = time.perf_counter() - t
    s = score(docs, {frozenset((p.a, p.b)) for p in pairs})
    clusters = neardup.text_clusters(stream, 0.5)
    words = score(docs, {frozenset((a, b)) for c in clusters for i, a in enumerate(c.rows) for b in c.rows[i + 1:]})
    print(json.dumps({"docs": len(docs), "seconds": dt, **s, "shingle_recall_spun": words["recall_spun"],
                      "shingle_recall_paraphrase": words["recall_paraphrase"]}))
""")


def bench_spun(docs: int, seeds: list[int]) -> list[str]:
    lines = [f"### Disguised copies: {docs:,} synthetic articles per seed (one in six an original with a spun copy and a "
             "paraphrase, half unrelated articles on the same topics), default score 0.5", "",
             "| seed | precision | recall (spun) | recall (paraphrase) | word-shingle MinHash recall (spun / paraphrase, "
             "J >= 0.5) | docs/s | peak RSS |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for seed in seeds:
        _, peak, r = measured(SPUN_RUN, str(docs), str(seed), str(ROOT / "tests" / "datasets"),
                              env={"RAYON_NUM_THREADS": "1"})
        lines.append(f"| {seed} | {r['precision']:.3f} | {r['recall_spun']:.3f} | {r['recall_paraphrase']:.3f} | "
                     f"{r['shingle_recall_spun']:.3f} / {r['shingle_recall_paraphrase']:.3f} | "
                     f"{r['docs'] / r['seconds']:,.0f} | {peak / 2**20:,.0f} MiB |")
    return lines + [""]


# ---- pdq ---------------------------------------------------------------------------------------

PDQ_RUN = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    from trueopen.datasets import pdq
    rows, entries, radius = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(7)
    ent = np.frombuffer(rng.bytes(32 * entries), dtype=">u8").astype(np.uint64).reshape(entries, 4)
    q = np.frombuffer(rng.bytes(32 * rows), dtype=">u8").astype(np.uint64).reshape(rows, 4)
    # one row in a thousand is a listed hash with up to 30 bits flipped
    planted = np.arange(0, rows, 1000)
    q[planted] = ent[rng.integers(0, entries, len(planted))]
    for i in planted:
        for b in rng.choice(256, size=int(rng.integers(0, 31)), replace=False):
            q[i, b // 64] ^= np.uint64(1) << np.uint64(63 - b % 64)
    hexes = [bytes(r.astype(">u8").tobytes()).hex() for r in ent]
    t0 = time.perf_counter()
    index = pdq.PdqIndex((h, h) for h in hexes)
    t1 = time.perf_counter()
    found = sum(len(a) for a, _, _ in index.search(q, radius))
    t2 = time.perf_counter()
    print(json.dumps({"build": t1 - t0, "search": t2 - t1, "matches": found, "planted": len(planted)}))
""")


def bench_pdq(rows: int, entries: int, reps: int) -> list[str]:
    runs = [measured(PDQ_RUN, str(rows), str(entries), "31") for _ in range(reps)]
    search = statistics.median(r[2]["search"] for r in runs)
    return [f"### PDQ matching: {rows:,} hashes x {entries:,} list entries, distance 31", "",
            "| index build | search | rows/s | matches (planted) | wall incl. generation | peak RSS |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {statistics.median(r[2]['build'] for r in runs):.2f} s | {search:.1f} s | {rows / search:,.0f} | "
            f"{runs[0][2]['matches']:,} ({runs[0][2]['planted']:,}) | {statistics.median(r[0] for r in runs):.1f} s | "
            f"{max(r[1] for r in runs) / 2**20:,.0f} MiB |", ""]


def _table(title: str, runs: dict[str, list[tuple[float, int, dict]]], rows: int, base: str, unit: str) -> list[str]:
    lines = [f"### {title}", "", f"| run | wall (median) | {unit} | vs bare semi-join | rows matched | peak RSS |",
             "|---|---:|---:|---:|---:|---:|"]
    ref = statistics.median(r[0] for r in runs[base])
    for name, rs in runs.items():
        wall = statistics.median(r[0] for r in rs)
        lines.append(f"| {name} | {wall:.2f} s | {rows / wall:,.0f} | {ref / wall:.2f} | {rs[0][2]['rows_matched']:,} | "
                     f"{max(r[1] for r in rs) / 2**20:,.0f} MiB |")
    lines.append("")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", nargs="+", default=["url", "text", "spun", "pdq"], choices=["url", "text", "spun", "pdq"])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--url-rows", type=int, default=10_000_000)
    ap.add_argument("--url-entries", type=int, default=100_000)
    ap.add_argument("--no-spark", action="store_true", help="skip the Spark run (needs java)")
    ap.add_argument("--docs", type=int, default=50_000)
    ap.add_argument("--peer-docs", type=int, default=10_000)
    ap.add_argument("--spun-docs", type=int, default=20_000)
    ap.add_argument("--pdq-rows", type=int, default=1_000_000)
    ap.add_argument("--pdq-entries", type=int, default=100_000)
    a = ap.parse_args()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, Python {platform.python_version()}\n")
    out: list[str] = []
    if "url" in a.parts:
        out += bench_url(a.url_rows, a.url_entries, a.reps, spark=not a.no_spark)
    if "text" in a.parts:
        out += bench_text(a.docs, a.peer_docs, a.reps)
    if "spun" in a.parts:
        out += bench_spun(a.spun_docs, [7, 8, 9])
    if "pdq" in a.parts:
        out += bench_pdq(a.pdq_rows, a.pdq_entries, max(1, a.reps // 2))
    print("\n".join(out))


if __name__ == "__main__":
    main()
