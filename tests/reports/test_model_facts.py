"""The model facts the record carries for AI-BOMs: read from the card and config, bounded, never judged."""

from __future__ import annotations

import json

from builders import EXAMPLES
from trueopen.audit import audit

CARD = """---
license: apache-2.0
pipeline_tag: text-classification
library_name: transformers
language: [fr, en]
base_model_relation: finetune
co2_eq_emissions:
  emissions: 12.5
  hardware_used: 1 A100
model-index:
- name: tiny-clf
  results:
  - task: {type: text-classification}
    dataset: {name: glue, type: glue, split: validation}
    metrics:
    - {type: accuracy, value: 0.91, name: Accuracy}
    - {type: f1}
---
# Tiny classifier

## Bias, Risks, and Limitations

It was trained on news only.

```
## Limitations inside a code fence do not count
```

## Environmental impact

About 3 kWh of training.
"""


def test_card_and_config_facts(release) -> None:
    root = release({"README.md": CARD, "config.json": json.dumps({"model_type": "bert", "architectures": ["BertForSequenceClassification"]}),
                    "train.yaml": "learning_rate: 3e-5\nbatch_size: 32  # per device\nmix: {\"a\": 1, \"b\": 2}\n", "train.py": "import torch\n"})
    m = audit(root, hash_contents=False).model
    assert (m.name, m.task, m.library, m.languages) == ("tiny-clf", "text-classification", "transformers", ["en", "fr"])
    assert (m.architecture_family, m.architectures, m.base_model_relation) == ("bert", ["BertForSequenceClassification"], "finetune")
    assert [(x.type, x.value, x.dataset, x.split) for x in m.metrics] == [("accuracy", "0.91", "glue", "validation")]  # f1 has no value
    assert m.metrics[0].evidence[0].where() == "README.md:10"
    assert [p.evidence[0].where() for p in m.limitations] == ["README.md:21"]
    assert m.limitations[0].text == "Bias, Risks, and Limitations: It was trained on news only."
    assert [p.text.split(":")[0] for p in m.energy] == ["co2_eq_emissions emissions", "Environmental impact"]


def test_no_card_no_facts(release) -> None:
    m = audit(release({"weights.safetensors": b"\x00" * 8}), hash_contents=False).model
    assert m.model_dump() == type(m)().model_dump()


def test_bad_config_and_huge_passages_are_bounded(release) -> None:
    long = "word " * 5000
    root = release({"README.md": f"# M\n\n## Limitations\n\n{long}\n", "config.json": "{not json"})
    m = audit(root, hash_contents=False).model
    assert m.architecture_family is None and m.name == "M"
    assert len(m.limitations[0].text) <= 600 + len("Limitations: ")


def test_examples_state_what_their_cards_say() -> None:
    full = audit(EXAMPLES / "fully-open", hash_contents=False).model
    assert full.metrics[0].type == "perplexity" and full.metrics[0].value == "9.65"
    assert {"learning_rate", "batch_size", "optimizer"} <= {s.key for s in full.hyperparameters}
    assert all(s.evidence for s in full.hyperparameters)
    washed = audit(EXAMPLES / "openwashed", hash_contents=False).model
    assert washed.architecture_family == "llama" and washed.intended_use
