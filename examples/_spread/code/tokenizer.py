# Copyright 2025 The trueopen authors
# SPDX-License-Identifier: Apache-2.0
"""Character-level tokenizer for TinyBigramLM.

The vocabulary is fixed: newline, space, the lower-case ASCII letters, the digits and eight
punctuation marks. preprocess.py maps every training character into this set, so the model
never sees an unknown symbol. At inference time an unknown character becomes a space.
"""

from __future__ import annotations

VOCAB = "\n " + "abcdefghijklmnopqrstuvwxyz" + "0123456789" + ".,;:'!?-"
VOCAB_SIZE = len(VOCAB)
STOI = {ch: i for i, ch in enumerate(VOCAB)}
SPACE_ID = STOI[" "]


def encode(text: str) -> list[int]:
    """Turn text into token ids. Upper case is folded; unknown characters become spaces."""
    return [STOI.get(ch, SPACE_ID) for ch in text.lower()]


def decode(ids) -> str:
    """Turn token ids back into text."""
    return "".join(VOCAB[int(i)] for i in ids)


if __name__ == "__main__":
    print(f"vocab_size={VOCAB_SIZE}")
    print(repr(VOCAB))
