# Copyright 2025 The trueopen authors
# SPDX-License-Identifier: Apache-2.0
"""Train TinyBigramLM on data/train.txt with AdamW written in numpy.

Outputs (all in --out-dir, default "."):
  model.safetensors                          final weights (float32)
  checkpoints/step-000100/model.safetensors  intermediate weights, every --save-every steps
  training_log.jsonl                         one JSON object per logged step
  training_args.json                         the exact settings of this run

The run is deterministic: the same data, settings and seed give a byte-identical
model.safetensors. The defaults below are the settings of the released model and mirror
configs/train.yaml; `python train.py --config configs/train.yaml` gives the same run.

Usage: python train.py [--lr 0.1] [--batch-size 256] [--steps 400] [--weight-decay 0.01]
                       [--warmup 20] [--seed 1234] [--shuffle-seed 42] ...
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from modeling_tiny import TinyBigramLM, log_softmax, softmax
from tokenizer import VOCAB_SIZE, encode

# configs/train.yaml key -> argparse destination
CONFIG_KEYS = {
    "learning_rate": "lr", "batch_size": "batch_size", "max_steps": "steps",
    "weight_decay": "weight_decay", "warmup_steps": "warmup", "min_lr_ratio": "min_lr_ratio",
    "adam_beta1": "beta1", "adam_beta2": "beta2", "adam_epsilon": "eps", "init_std": "init_std",
    "seed": "seed", "shuffle_seed": "shuffle_seed", "save_steps": "save_every",
    "eval_steps": "eval_every", "logging_steps": "log_every",
    "train_file": "train_file", "valid_file": "valid_file",
}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Train TinyBigramLM (numpy, CPU).")
    p.add_argument("--config", help="flat YAML file (configs/train.yaml); flags given on the command line win")
    p.add_argument("--train-file", default="data/train.txt")
    p.add_argument("--valid-file", default="data/valid.txt")
    p.add_argument("--out-dir", default=".")
    p.add_argument("--lr", type=float, default=0.1, help="peak learning rate")
    p.add_argument("--batch-size", type=int, default=256, help="character pairs per step")
    p.add_argument("--steps", type=int, default=400, help="optimiser steps")
    p.add_argument("--weight-decay", type=float, default=0.01, help="decoupled (AdamW) weight decay")
    p.add_argument("--warmup", type=int, default=20, help="linear warm-up steps")
    p.add_argument("--min-lr-ratio", type=float, default=0.1, help="cosine decay floor, as a fraction of --lr")
    p.add_argument("--beta1", type=float, default=0.9)
    p.add_argument("--beta2", type=float, default=0.99)
    p.add_argument("--eps", type=float, default=1e-8)
    p.add_argument("--init-std", type=float, default=0.02)
    p.add_argument("--seed", type=int, default=1234, help="seed of the weight initialisation")
    p.add_argument("--shuffle-seed", type=int, default=42, help="seed of the data order")
    p.add_argument("--save-every", type=int, default=100, help="write a checkpoint every N steps")
    p.add_argument("--eval-every", type=int, default=50)
    p.add_argument("--log-every", type=int, default=10)
    args = p.parse_args()
    if args.config:
        given = {a.dest for a in p._actions if any(s in sys.argv for s in a.option_strings)}
        for key, value in read_flat_yaml(Path(args.config)).items():
            dest = CONFIG_KEYS.get(key)
            if dest and dest not in given:
                setattr(args, dest, type(getattr(args, dest))(value))
    return args


def read_flat_yaml(path: Path) -> dict[str, str]:
    """Read the top-level `key: value` pairs of a simple YAML file (no nesting, no lists)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line[0] in " #-" or ":" not in line:
            continue
        key, _, value = line.partition(":")
        value = value.split(" #")[0].strip().strip('"')
        if value:
            out[key.strip()] = value
    return out


def learning_rate(step: int, args: argparse.Namespace) -> float:
    """Linear warm-up to --lr, then cosine decay to --lr * --min-lr-ratio at --steps."""
    if step <= args.warmup:
        return args.lr * step / args.warmup
    progress = (step - args.warmup) / max(1, args.steps - args.warmup)
    floor = args.lr * args.min_lr_ratio
    return floor + 0.5 * (args.lr - floor) * (1.0 + math.cos(math.pi * progress))


def pairs(path: str) -> tuple[np.ndarray, np.ndarray]:
    ids = np.array(encode(Path(path).read_text(encoding="utf-8")), dtype=np.int64)
    return ids[:-1], ids[1:]


def batches(n: int, batch_size: int, rng: np.random.Generator):
    """Endless stream of index batches: a fresh permutation of all pairs every epoch."""
    while True:
        order = rng.permutation(n)
        for start in range(0, n - batch_size + 1, batch_size):
            yield order[start:start + batch_size]


def save(model: TinyBigramLM, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # One metadata key only: safetensors writes several keys in an unstable order.
    save_file(model.state_dict(), str(path), metadata={"format": "np"})


def main() -> None:
    args = parse_args()
    out = Path(args.out_dir)
    x_train, y_train = pairs(args.train_file)
    x_valid, y_valid = pairs(args.valid_file)

    model = TinyBigramLM.init(VOCAB_SIZE, np.random.default_rng(args.seed), std=args.init_std)
    data_rng = np.random.default_rng(args.shuffle_seed)
    m = np.zeros_like(model.weight)
    v = np.zeros_like(model.weight)

    settings = {k: v_ for k, v_ in sorted(vars(args).items()) if k != "config"}
    settings.update(model="TinyBigramLM", vocab_size=VOCAB_SIZE, train_pairs=int(x_train.size),
                    valid_pairs=int(x_valid.size), optimizer="AdamW", lr_scheduler="cosine_with_warmup",
                    numpy_version=np.__version__)
    (out / "training_args.json").write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")

    log = (out / "training_log.jsonl").open("w", encoding="utf-8")
    stream = batches(x_train.size, args.batch_size, data_rng)
    for step in range(1, args.steps + 1):
        idx = next(stream)
        xb, yb = x_train[idx], y_train[idx]

        # Forward and backward for a bigram table: d loss / d W[i] = (n_i * softmax(W[i]) - c_i) / B
        counts = np.zeros_like(model.weight)
        np.add.at(counts, (xb, yb), 1.0)
        rows = counts.sum(axis=1, keepdims=True)
        train_loss = float(-(counts * log_softmax(model.weight)).sum() / args.batch_size)
        grad = (rows * softmax(model.weight) - counts) / args.batch_size

        # AdamW with bias correction
        lr = learning_rate(step, args)
        m = args.beta1 * m + (1.0 - args.beta1) * grad
        v = args.beta2 * v + (1.0 - args.beta2) * grad * grad
        m_hat = m / (1.0 - args.beta1 ** step)
        v_hat = v / (1.0 - args.beta2 ** step)
        model.weight -= lr * (m_hat / (np.sqrt(v_hat) + args.eps) + args.weight_decay * model.weight)

        record = None
        if step % args.log_every == 0 or step == 1:
            record = {"step": step, "lr": round(lr, 6), "train_loss": round(train_loss, 6)}
        if step % args.eval_every == 0 or step == args.steps:
            record = record or {"step": step, "lr": round(lr, 6), "train_loss": round(train_loss, 6)}
            record["valid_loss"] = round(model.loss(x_valid, y_valid), 6)
        if record:
            log.write(json.dumps(record) + "\n")
        if step % args.save_every == 0 and step < args.steps:
            save(model, out / "checkpoints" / f"step-{step:06d}" / "model.safetensors")

    log.close()
    save(model, out / "model.safetensors")
    print(f"done: steps={args.steps} train_loss={train_loss:.4f} "
          f"valid_loss={model.loss(x_valid, y_valid):.4f} -> {out / 'model.safetensors'}")


if __name__ == "__main__":
    main()
