# Copyright 2025 The trueopen authors
# SPDX-License-Identifier: Apache-2.0
"""TinyBigramLM: a character-level bigram language model in plain numpy.

The whole model is one matrix W of shape (vocab_size, vocab_size). Row i holds the logits of
the next character given that the current character is i:

    p(x[t+1] = j | x[t] = i) = softmax(W[i])[j]

The parameters are stored in model.safetensors under the name "bigram_logits.weight"
(float32). Training keeps a float64 copy and casts once when saving.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

WEIGHT_NAME = "bigram_logits.weight"


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax, numerically stable."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


class TinyBigramLM:
    """Bigram language model: next-character logits are a table lookup."""

    def __init__(self, weight: np.ndarray):
        if weight.ndim != 2 or weight.shape[0] != weight.shape[1]:
            raise ValueError(f"expected a square matrix, got shape {weight.shape}")
        self.weight = weight

    @property
    def vocab_size(self) -> int:
        return self.weight.shape[0]

    @classmethod
    def init(cls, vocab_size: int, rng: np.random.Generator, std: float = 0.02) -> "TinyBigramLM":
        """Random initialisation: small Gaussian logits, float64 for training."""
        return cls(rng.normal(0.0, std, size=(vocab_size, vocab_size)))

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """Logits of the next token for every position in ids. Shape: ids.shape + (vocab,)."""
        return self.weight[np.asarray(ids)]

    __call__ = forward

    def loss(self, inputs: np.ndarray, targets: np.ndarray) -> float:
        """Mean cross-entropy (nats per character) of targets given inputs."""
        logp = log_softmax(self.weight)
        return float(-logp[inputs, targets].mean())

    def state_dict(self) -> dict[str, np.ndarray]:
        return {WEIGHT_NAME: self.weight.astype(np.float32)}

    @classmethod
    def from_state_dict(cls, tensors: dict[str, np.ndarray]) -> "TinyBigramLM":
        return cls(tensors[WEIGHT_NAME].astype(np.float64))

    @classmethod
    def from_pretrained(cls, folder: str | Path = ".") -> "TinyBigramLM":
        """Load config.json and model.safetensors from a folder."""
        from safetensors.numpy import load_file

        folder = Path(folder)
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        model = cls.from_state_dict(load_file(folder / "model.safetensors"))
        if model.vocab_size != config["vocab_size"]:
            raise ValueError("config.json and model.safetensors disagree on vocab_size")
        return model
