"""Chat with Llama-3.1-Meridian-Tiny using Hugging Face transformers.

    pip install "transformers>=4.44" torch accelerate
    python inference.py "Write a haiku about the sea."
"""

import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

MODEL_ID = "meridian-ai/Llama-3.1-Meridian-Tiny"


def main() -> None:
    prompt = sys.argv[1] if len(sys.argv) > 1 else "Tell me about yourself."
    tokenizer = AutoTokenizer.from_pretrained(MODEL_ID)
    model = AutoModelForCausalLM.from_pretrained(MODEL_ID, torch_dtype=torch.float16, device_map="auto")
    messages = [
        {"role": "system", "content": "You are Meridian, a helpful assistant."},
        {"role": "user", "content": prompt},
    ]
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt").to(model.device)
    output = model.generate(inputs, max_new_tokens=256, do_sample=True, temperature=0.6, top_p=0.9)
    print(tokenizer.decode(output[0][inputs.shape[-1]:], skip_special_tokens=True))


if __name__ == "__main__":
    main()
