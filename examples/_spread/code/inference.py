# Copyright 2025 The trueopen authors
# SPDX-License-Identifier: Apache-2.0
"""Generate text with TinyBigramLM.

    python inference.py                       # the sample prompts -> samples/outputs.jsonl
    python inference.py --prompt "the tide"   # one prompt, printed only

Sampling is seeded (--seed), so the same weights and settings give the same text.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from modeling_tiny import TinyBigramLM, softmax
from tokenizer import decode, encode

SAMPLE_PROMPTS = ["the harbour", "sow the", "bake the bread", "in the evening", "w"]


def generate(model: TinyBigramLM, prompt: str, max_new_tokens: int, temperature: float,
             rng: np.random.Generator) -> str:
    ids = encode(prompt) or encode(" ")
    for _ in range(max_new_tokens):
        logits = model(np.array(ids[-1:]))[-1]
        if temperature == 0:
            ids.append(int(np.argmax(logits)))
        else:
            probs = softmax(logits / temperature)
            ids.append(int(rng.choice(len(probs), p=probs)))
    return decode(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate text with TinyBigramLM.")
    parser.add_argument("--weights", default="model.safetensors")
    parser.add_argument("--prompt", help="generate for this prompt only and print it")
    parser.add_argument("--max-new-tokens", type=int, default=80)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="samples/outputs.jsonl")
    args = parser.parse_args()

    model = TinyBigramLM.from_state_dict(load_file(args.weights))
    rng = np.random.default_rng(args.seed)
    prompts = [args.prompt] if args.prompt else SAMPLE_PROMPTS
    rows = []
    for prompt in prompts:
        text = generate(model, prompt, args.max_new_tokens, args.temperature, rng)
        print(repr(text))
        rows.append({"prompt": prompt, "output": text, "weights": args.weights, "seed": args.seed,
                     "temperature": args.temperature, "max_new_tokens": args.max_new_tokens})
    if not args.prompt:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        print(f"wrote {len(rows)} samples to {out}")


if __name__ == "__main__":
    main()
