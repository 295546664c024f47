"""Data information in natural phrasing: precision and recall of trueopen's data-information
signals per OSAID 1.0 item, on a labelled set of data sections (issue 8, item 7).

Each section of benchmarks/data/datainfo-labelled.yml becomes a one-file release (a data card,
DATA_CARD.md, so the whole text is the data scope); trueopen's `read_datainfo` says which items it
finds; the labels say which the section describes. Sections marked `ref` are read from
../shared/reference/real-releases at run time (skipped when that folder is absent).

Run: .venv/bin/python benchmarks/datainfo.py [--split dev|held-out|all] [--show]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

import yaml

from trueopen.inspectors.card import read_card
from trueopen.inspectors.datainfo import read_datainfo
from trueopen.inspectors.inventory import take_inventory
from trueopen.sources import open_release

HERE = Path(__file__).resolve().parent
LABELS = HERE / "data" / "datainfo-labelled.yml"
CORPUS = HERE.parents[1] / "shared" / "reference" / "real-releases"
# The labelled set's short item names -> datainfo signal names.
SIGNALS = {"provenance": "provenance", "scope": "scope-and-characteristics", "selection": "obtained-and-selected",
           "labelling": "labelling", "processing": "processing-and-filtering", "public": "public-sources",
           "third-party": "third-party-sources"}


def section_text(ref: dict) -> str | None:
    """The body of the section titled `heading` in a corpus file (to the next heading of the same or a higher level)."""
    path = CORPUS / ref["path"]
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(#{1,6})\s+(.*?)\s*$", line)
        if m and m.group(2).strip().lower() == ref["heading"].lower():
            level = len(m.group(1))
            body = []
            for nxt in lines[i + 1:]:
                h = re.match(r"^(#{1,6})\s", nxt)
                if h and len(h.group(1)) <= level:
                    break
                body.append(nxt)
            return "\n".join(body)
    raise SystemExit(f"{ref['path']}: no heading {ref['heading']!r}")


def predict(text: str) -> set[str]:
    """The items trueopen finds in one data section."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "DATA_CARD.md").write_text(text, encoding="utf-8")
        with open_release(tmp) as release:
            card = read_card(release)
            info = read_datainfo(release, card, take_inventory(release, card))
    return {item for item, signal in SIGNALS.items() if info.hits(signal)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=["dev", "held-out", "all"], default="all")
    ap.add_argument("--show", action="store_true", help="print each section's misses and false hits")
    args = ap.parse_args()
    data = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    rows = []
    skipped = 0
    for s in data["sections"]:
        if args.split != "all" and s["split"] != args.split:
            continue
        text = s.get("text") if "text" in s else section_text(s["ref"])
        if text is None:
            skipped += 1
            continue
        got, want = predict(text), set(s["elements"])
        rows.append((s["id"], s["split"], got, want))
        if args.show and got != want:
            print(f"{s['id']:28} missed {sorted(want - got)}  false {sorted(got - want)}")
    print(f"\nSections: {len(rows)} ({args.split}){f', {skipped} corpus sections skipped (no ../shared)' if skipped else ''}")
    print(f"{'item':12} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    for split in (["dev", "held-out"] if args.split == "all" else [args.split]) + (["all"] if args.split == "all" else []):
        sel = [r for r in rows if split == "all" or r[1] == split]
        print(f"-- {split} ({len(sel)} sections)")
        for item in SIGNALS:
            tp = sum(1 for _, _, g, w in sel if item in g and item in w)
            fp = sum(1 for _, _, g, w in sel if item in g and item not in w)
            fn = sum(1 for _, _, g, w in sel if item not in g and item in w)
            p = tp / (tp + fp) if tp + fp else float("nan")
            r = tp / (tp + fn) if tp + fn else float("nan")
            print(f"{item:12} {p:9.2f} {r:7.2f} {tp:4} {fp:4} {fn:4}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
