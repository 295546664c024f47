"""European Open Source AI Index: each of the 12 dimensions graded open / partial / closed."""

from __future__ import annotations

import pytest

from builders import EXAMPLES, corpus_text, safetensors_bytes
from trueopen.assessors.eu_index import assess_eu_index, dimensions
from trueopen.audit import audit

WORDS = "This card documents the model, its intended uses and its limits in some detail. " * 3
TRAIN = "import torch\nopt = torch.optim.AdamW(params, lr=1e-3)\nfor b in data:\n    loss(b).backward()\n    opt.step()\n"
INFER = "out = model.generate(ids)\nprint(out)\n"
PREP = "def clean_text(s):\n    return s.strip()\n"
ARCH = "class Net(nn.Module):\n    def forward(self, x):\n        return x\n"
DATA = ("\n## Training data\n\n- Provenance: public-domain books collected from the archive.\n"
        "- Composition: 1,200 documents (2 million tokens).\n- Where to obtain it: https://archive.example/books.\n")


def _files(card: str = "", extra: dict | None = None, drop: tuple[str, ...] = ()) -> dict:
    files = {
        "README.md": "---\nlicense: apache-2.0\n---\n# M\n\n" + WORDS + card,
        "LICENSE": corpus_text("starcoder_repo_LICENSE"),
        "model.safetensors": safetensors_bytes(),
        "train.py": TRAIN, "infer.py": INFER, "preprocess.py": PREP, "modeling.py": ARCH,
    }
    for k in drop:
        files.pop(k)
    files.update(extra or {})
    return files


_COUNT = iter(range(10**6))


def _grade(release, dim: str, **kw) -> str:
    """Grade one dimension of a release built fresh (each call gets its own folder)."""
    idx = audit(release(_files(**kw), name=f"rel{next(_COUNT)}"), hash_contents=False).verdicts.eu_index
    d = {x.id: x for x in idx.dimensions}[dim]
    assert d.reasons and d.points == {"open": 1.0, "partial": 0.5, "closed": 0.0}[d.grade]
    return d.grade


def test_twelve_dimensions_in_the_index_order() -> None:
    dims, points = dimensions()
    assert [d.id for d in dims] == ["datasources_basemodel", "datasources_endmodel", "weights_basemodel", "weights_endmodel",
                                    "trainingcode", "code", "hardware_architecture", "preprint", "paper", "modelcard",
                                    "datasheet", "licenses"]
    assert points == {"open": 1.0, "partial": 0.5, "closed": 0.0}


def test_score_is_the_sum(release) -> None:
    idx = audit(release(_files(DATA)), hash_contents=False).verdicts.eu_index
    assert idx.max_score == 12 and len(idx.dimensions) == 12
    assert idx.score == sum(d.points for d in idx.dimensions)


# --- data sources ---------------------------------------------------------------------------------

def test_end_data_open_when_sources_are_listed(release) -> None:
    assert _grade(release, "datasources_endmodel", card=DATA) == "open"
    assert _grade(release, "datasources_basemodel", card=DATA) == "open"  # no base model: mirrors


def test_end_data_open_when_shipped_under_open_licence(release) -> None:
    extra = {"data/train.txt": "some text\n", "data/LICENSE": corpus_text("spdx_CC0-1.0.txt")}
    assert _grade(release, "datasources_endmodel", extra=extra) == "open"


def test_end_data_partial_when_some_is_withheld(release) -> None:
    card = DATA + "- Some of the data is proprietary and is not released.\n"
    assert _grade(release, "datasources_endmodel", card=card) == "partial"


def test_end_data_closed_without_sources(release) -> None:
    assert _grade(release, "datasources_endmodel") == "closed"


def test_base_model_named_base_data_closed_base_weights_partial(release) -> None:
    card = DATA
    files_kw = dict(card=card)
    rel = release(_files(**files_kw))
    readme = (rel / "README.md").read_text().replace("license: apache-2.0\n", "license: apache-2.0\nbase_model: org/base-7b\n")
    (rel / "README.md").write_text(readme)
    idx = {d.id: d for d in audit(rel, hash_contents=False).verdicts.eu_index.dimensions}
    assert idx["datasources_basemodel"].grade == "closed"
    assert idx["weights_basemodel"].grade == "partial"
    assert idx["datasources_endmodel"].grade == "open" and idx["weights_endmodel"].grade == "open"
    assert idx["weights_basemodel"].evidence[0].path == "README.md" and idx["weights_basemodel"].evidence[0].line == 3
    assert "org/base-7b" in idx["datasources_basemodel"].reasons[1]


# --- weights ---------------------------------------------------------------------------------------

def test_weights_open(release) -> None:
    assert _grade(release, "weights_endmodel") == "open"
    assert _grade(release, "weights_basemodel") == "open"


def test_weights_partial_under_restricted_licence(release) -> None:
    extra = {"LICENSE": corpus_text("llama3_1_LICENSE")}
    assert _grade(release, "weights_endmodel", extra=extra) == "partial"


def test_weights_closed_when_absent(release) -> None:
    assert _grade(release, "weights_endmodel", drop=("model.safetensors",)) == "closed"


# --- code ------------------------------------------------------------------------------------------

def test_training_code_grades(release) -> None:
    assert _grade(release, "trainingcode") == "open"
    assert _grade(release, "trainingcode", drop=("train.py", "preprocess.py")) == "partial"
    assert _grade(release, "trainingcode", drop=("train.py", "preprocess.py", "infer.py", "modeling.py")) == "closed"


def test_code_documentation_grades(release) -> None:
    both = "\n## How to reproduce\n\nRun `preprocess.py`, then `train.py`.\n"
    assert _grade(release, "code", card=both) == "open"
    assert _grade(release, "code", card="\n## Usage\n\nRun `infer.py`.\n") == "partial"
    assert _grade(release, "code") == "closed"


def test_config_json_is_not_source_code(release) -> None:
    extra = {"config.json": '{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}'}
    kw = dict(extra=extra, drop=("train.py", "preprocess.py", "infer.py", "modeling.py"))
    assert _grade(release, "trainingcode", **kw) == "closed"


# --- documentation ---------------------------------------------------------------------------------

def test_hardware_architecture_grades(release) -> None:
    card = "\n## Training procedure\n\nTrained on 8 x A100 GPUs.\n\nThe learning rate was 3e-4 with batch size 256.\n"
    assert _grade(release, "hardware_architecture", card=card) == "open"
    assert _grade(release, "hardware_architecture") == "partial"  # modeling.py only
    assert _grade(release, "hardware_architecture", drop=("modeling.py",)) == "closed"


REPORT = ("# Report\n\n## 1. Data\n\nThe training data was collected from the archive and filtered.\n\n"
          "## 2. Model architecture\n\nTwo layers, 16 attention heads.\n\n## 3. Training\n\nLearning rate 0.1.\n")


def test_preprint_grades(release) -> None:
    assert _grade(release, "preprint", extra={"docs/technical-report.md": REPORT}) == "open"
    assert _grade(release, "preprint", extra={"docs/technical-report.md": "# Report\n\n## Training\n\nWe trained it.\n"}) == "partial"
    assert _grade(release, "preprint", card="\nSee https://arxiv.org/abs/2401.12345 for details.\n") == "partial"
    assert _grade(release, "preprint") == "closed"


def test_paper_grades(release) -> None:
    cite = "\n```bibtex\n@inproceedings{m2025,\n  booktitle = {Proceedings of ACL},\n}\n```\n"
    assert _grade(release, "paper", card=cite) == "partial"
    assert _grade(release, "paper") == "closed"


def test_model_card_grades(release) -> None:
    card = ("\n## Model architecture\n\nA decoder.\n\n## Training\n\nThe learning rate was 3e-4 with batch size 256.\n\n"
            "## Evaluation\n\n| task | score |\n|---|---|\n| qa | 71.2 |\n")
    assert _grade(release, "modelcard", card=card) == "open"
    assert _grade(release, "modelcard", card="\n## Training\n\nWe trained it on our data.\n") == "partial"
    files_kw = dict(drop=("README.md",))
    assert _grade(release, "modelcard", **files_kw) == "closed"


def test_datasheet_grades(release) -> None:
    sheet = "".join(f"## {s}\n\nText.\n\n" for s in ("Motivation", "Composition", "Collection process",
                                                      "Preprocessing, cleaning, labelling", "Uses"))
    assert _grade(release, "datasheet", extra={"DATASHEET.md": "# Datasheet\n\n" + sheet}) == "open"
    assert _grade(release, "datasheet", card=DATA) == "partial"
    assert _grade(release, "datasheet") == "closed"


# --- licences --------------------------------------------------------------------------------------

def test_licenses_open_when_everything_present_is_open(release) -> None:
    assert _grade(release, "licenses") == "open"


def test_licenses_partial_when_some_component_is_not_open(release) -> None:
    extra = {"train.py": "# SPDX-License-Identifier: CC-BY-NC-4.0\n" + TRAIN}
    assert _grade(release, "licenses", extra=extra) == "partial"


def test_licenses_partial_when_data_is_only_referenced(release) -> None:
    rel = release(_files())
    readme = (rel / "README.md").read_text().replace("license: apache-2.0\n", "license: apache-2.0\ndatasets:\n- org/data\n")
    (rel / "README.md").write_text(readme)
    d = {x.id: x for x in audit(rel, hash_contents=False).verdicts.eu_index.dimensions}["licenses"]
    assert d.grade == "partial"


def test_licenses_closed_under_restricted_licence(release) -> None:
    assert _grade(release, "licenses", extra={"LICENSE": corpus_text("llama3_1_LICENSE")}) == "closed"


def test_licenses_without_weights(release) -> None:
    assert _grade(release, "licenses", drop=("model.safetensors",)) == "closed"


def test_no_inputs_gives_a_closed_index() -> None:
    from trueopen.record import Component, ComponentLicense
    from trueopen.assessors.mof import components as defs

    none = ComponentLicense(source="none")
    by_id = {d.id: Component(id=d.id, name=d.name, content_type=d.content_type, present=False, open=False, license=none)
             for d in defs()}
    idx = assess_eu_index(by_id)
    assert idx.score == 0 and {d.grade for d in idx.dimensions} == {"closed"}


@pytest.mark.parametrize("name,score", [("fully-open", 11.0), ("open-weights", 4.0), ("openwashed", 3.0)])
def test_examples(name, score) -> None:
    idx = audit(EXAMPLES / name, hash_contents=False).verdicts.eu_index
    assert idx.score == score
