# Copyright 2025 The trueopen authors
# SPDX-License-Identifier: Apache-2.0
"""Evaluate TinyBigramLM: character-level cross-entropy and perplexity.

Scores model.safetensors on the held-out evaluation text eval/eval.txt (written separately
from the training data, never seen in training) and on the validation split data/valid.txt,
and compares with two baselines: a uniform distribution over the vocabulary and a unigram
model (character frequencies of data/train.txt with add-one smoothing).

Writes eval_results.json. Usage: python evaluate.py [--model-dir .] [--out eval_results.json]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from modeling_tiny import TinyBigramLM
from tokenizer import VOCAB_SIZE, encode


def ids_of(path: str) -> np.ndarray:
    return np.array(encode(Path(path).read_text(encoding="utf-8")), dtype=np.int64)


def scores(nats: float, chars: int) -> dict:
    return {
        "characters": chars,
        "cross_entropy_nats": round(nats, 4),
        "bits_per_character": round(nats / math.log(2), 4),
        "perplexity": round(math.exp(nats), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", default=".")
    parser.add_argument("--eval-file", default="eval/eval.txt")
    parser.add_argument("--valid-file", default="data/valid.txt")
    parser.add_argument("--train-file", default="data/train.txt")
    parser.add_argument("--out", default="eval_results.json")
    args = parser.parse_args()

    model = TinyBigramLM.from_pretrained(args.model_dir)
    train = ids_of(args.train_file)
    unigram = np.bincount(train, minlength=VOCAB_SIZE) + 1.0
    log_unigram = np.log(unigram / unigram.sum())

    results = {"model": "tiny-bigram-lm", "weights": "model.safetensors", "metric": "character perplexity"}
    for name, path in (("eval", args.eval_file), ("valid", args.valid_file)):
        ids = ids_of(path)
        x, y = ids[:-1], ids[1:]
        results[name] = {
            "file": path,
            "model": scores(model.loss(x, y), int(y.size)),
            "baseline_unigram": scores(float(-log_unigram[y].mean()), int(y.size)),
            "baseline_uniform": scores(math.log(VOCAB_SIZE), int(y.size)),
        }
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for name in ("eval", "valid"):
        r = results[name]
        print(f"{name:5s} perplexity: model {r['model']['perplexity']:.3f}  "
              f"unigram {r['baseline_unigram']['perplexity']:.3f}  uniform {r['baseline_uniform']['perplexity']:.3f}")


if __name__ == "__main__":
    main()
