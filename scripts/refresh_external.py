#!/usr/bin/env python3
"""Regenerate trueopen's bundled external-index data from local copies of the upstream projects.

    git clone https://github.com/lfai/model_openness_tool mot
    git clone https://github.com/Language-Technology-Assessment/main-database osai
    # each copy needs a SOURCE.md naming its snapshot commit and date, and its licence (see
    # src/trueopen/data/external/SOURCE.md), e.g. "Snapshot commit: <40 hex> (commit date YYYY-MM-DD)"
    python scripts/refresh_external.py --mot mot --osai osai

Writes src/trueopen/data/external/mot.json and osai_index.json (or --out DIR). Same input folders,
same bytes. Exit 2 with a one-line error when a folder is not a copy of the upstream data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mot", type=Path, required=True, help="copy of lfai/model_openness_tool (holds models/*.yml)")
    parser.add_argument("--osai", type=Path, required=True,
                        help="copy of Language-Technology-Assessment/main-database (models/*.yaml, _parameters.yml)")
    parser.add_argument("--out", type=Path, default=REPO / "src" / "trueopen" / "data" / "external",
                        help="folder to write mot.json and osai_index.json (default: the bundled data folder)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "src"))
    from trueopen.errors import InputError
    from trueopen.index.external_build import write_bundle

    try:
        counts = write_bundle(args.mot, args.osai, args.out)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, n in counts.items():
        print(f"{args.out / name}: {n} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
