# Copyright 2025 The trueopen authors
# SPDX-License-Identifier: Apache-2.0
"""Build data/train.txt and data/valid.txt from the raw texts in data/raw/.

Steps, in order (every step is deterministic; there is no randomness in this script):

1. Read data/raw/*.txt in file-name order, line by line (UTF-8).
2. Drop comment lines (starting with "#"): they hold titles and notes for editors.
3. Normalise: Unicode NFKD, remove accents, map typographic quotes and dashes to ASCII,
   lower-case, replace any character outside the tokenizer vocabulary by a space,
   collapse runs of spaces.
4. Filter: keep lines with at least 20 characters and 4 words, of which at least 70 %
   are letters or spaces.
5. Deduplicate: keep the first occurrence of each normalised line.
6. Split: a line goes to the validation set when the first 8 hex digits of its SHA-256,
   read as an integer, are divisible by 10 (about 10 % of lines); the rest is training data.

Usage: python preprocess.py [--raw-dir data/raw] [--out-dir data]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import unicodedata
from pathlib import Path

from tokenizer import VOCAB

ALLOWED = set(VOCAB) - {"\n"}
TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201c": "'", "\u201d": "'", '"': "'",
    "\u2013": "-", "\u2014": " - ", "\u2026": "...",
})
MIN_CHARS = 20
MIN_WORDS = 4
MIN_LETTER_RATIO = 0.70
VALID_MODULUS = 10


def normalise(line: str) -> str:
    line = line.translate(TRANSLATE)
    line = unicodedata.normalize("NFKD", line)
    line = "".join(ch for ch in line if not unicodedata.combining(ch))
    line = line.lower()
    line = "".join(ch if ch in ALLOWED else " " for ch in line)
    return re.sub(r" +", " ", line).strip()


def keep(line: str) -> bool:
    if len(line) < MIN_CHARS or len(line.split()) < MIN_WORDS:
        return False
    letters = sum(ch.isalpha() or ch == " " for ch in line)
    return letters / len(line) >= MIN_LETTER_RATIO


def is_valid_split(line: str) -> bool:
    digest = hashlib.sha256(line.encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % VALID_MODULUS == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw-dir", default="data/raw")
    parser.add_argument("--out-dir", default="data")
    args = parser.parse_args()

    stats = {"files": 0, "lines_read": 0, "comments": 0, "filtered": 0, "duplicates": 0}
    seen: set[str] = set()
    kept: list[str] = []
    for path in sorted(Path(args.raw_dir).glob("*.txt")):
        stats["files"] += 1
        for raw in path.read_text(encoding="utf-8").splitlines():
            if not raw.strip():
                continue
            stats["lines_read"] += 1
            if raw.lstrip().startswith("#"):
                stats["comments"] += 1
                continue
            line = normalise(raw)
            if not keep(line):
                stats["filtered"] += 1
                continue
            if line in seen:
                stats["duplicates"] += 1
                continue
            seen.add(line)
            kept.append(line)

    train = [line for line in kept if not is_valid_split(line)]
    valid = [line for line in kept if is_valid_split(line)]
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "train.txt").write_text("\n".join(train) + "\n", encoding="utf-8")
    (out / "valid.txt").write_text("\n".join(valid) + "\n", encoding="utf-8")
    print(" ".join(f"{k}={v}" for k, v in stats.items()),
          f"train_lines={len(train)} valid_lines={len(valid)}",
          f"train_chars={sum(len(x) + 1 for x in train)} valid_chars={sum(len(x) + 1 for x in valid)}")


if __name__ == "__main__":
    main()
