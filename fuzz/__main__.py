"""python -m fuzz [--seconds N | --count N] [--seed S] [--out DIR]

Examples:
  python -m fuzz --count 500 --seed 1          # the CI slice's size
  python -m fuzz --seconds 3600 --out fuzz-out  # an hour; misses saved for reproduction
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fuzz.run import report, run


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, help="stop after this long")
    parser.add_argument("--count", type=int, help="stop after this many inputs")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same inputs")
    parser.add_argument("--out", type=Path, default=Path("fuzz-out"),
                        help="where silent misses are saved (default fuzz-out)")
    args = parser.parse_args()
    if args.seconds is None and args.count is None:
        parser.error("give --seconds or --count")
    stats = run(count=args.count, seconds=args.seconds, seed=args.seed, out=args.out)
    print(report(stats, args.seed))
    return 1 if stats.misses or stats.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
