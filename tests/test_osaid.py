"""OSAID 1.0 elements: data information (each gap by name), code, parameters."""

from __future__ import annotations

import pytest

from builders import corpus_text, safetensors_bytes
from trueopen.assessors.osaid import assess_osaid, osi_approved
from trueopen.audit import audit

WORDS = "This card documents the model, its intended uses and its limits in some detail. " * 3
ITEMS = {
    "provenance": "- Provenance: books collected from a national library's archive.\n",
    "scope and characteristics": "- Composition: 1,200 documents (2 million tokens) of English prose.\n",
    "selection": "- Selection: books selected by year of publication.\n",
    "labelling": "- Labelling: none; no labels or annotations.\n",
    "processing and filtering": "- Processing: filtered for length and deduplicated.\n",
    "list of public sources": "- Where to obtain it: downloaded from https://archive.example/books.\n",
    "list of third-party sources": "- Third-party data: none; nothing was licensed from third parties.\n",
}
TRAIN = "import torch\nopt = torch.optim.AdamW(params, lr=1e-3)\nfor b in data:\n    loss(b).backward()\n    opt.step()\n"
INFER = "out = model.generate(ids)\nprint(out)\n"
PREP = "def clean_text(s):\n    return s.strip()\n"
ARCH = "class Net(nn.Module):\n    def forward(self, x):\n        return x\n"


def _files(drop_items: tuple[str, ...] = (), extra: dict | None = None) -> dict:
    section = "\n## Training data\n\n" + "".join(v for k, v in ITEMS.items() if k not in drop_items)
    files = {
        "README.md": "---\nlicense: apache-2.0\n---\n# M\n\n" + WORDS + section,
        "LICENSE": corpus_text("starcoder_repo_LICENSE"),
        "model.safetensors": safetensors_bytes(),
        "train.py": TRAIN, "infer.py": INFER, "preprocess.py": PREP, "modeling.py": ARCH,
    }
    files.update(extra or {})
    return files


def _osaid(release, files):
    return audit(release(files), hash_contents=False).verdicts.osaid


def test_all_three_elements_met(release) -> None:
    o = _osaid(release, _files())
    assert o.conformant and o.data_information.met and o.code.met and o.parameters.met
    assert o.data_information_gaps == [] and o.reasons == []
    assert all(e.path and e.line for e in o.data_information.evidence if e.path == "README.md")


@pytest.mark.parametrize("gap", list(ITEMS))
def test_each_data_information_gap_is_named(release, gap) -> None:
    o = _osaid(release, _files(drop_items=(gap,)))
    assert not o.conformant and not o.data_information.met
    assert o.data_information_gaps == [gap]
    assert any(r.startswith(f"data information: {gap} not described") and "README.md section 'Training data'" in r
               for r in o.reasons)
    assert o.code.met and o.parameters.met


def test_statement_that_there_is_no_third_party_data_fills_the_list(release) -> None:
    o = _osaid(release, _files())
    assert "list of third-party sources" not in o.data_information_gaps


def test_hub_dataset_ids_are_a_list_of_public_sources(release) -> None:
    files = _files(drop_items=("list of public sources",))
    files["README.md"] = files["README.md"].replace("license: apache-2.0\n", "license: apache-2.0\ndatasets:\n- org/books\n")
    o = _osaid(release, files)
    assert "list of public sources" not in o.data_information_gaps
    assert any("org/books" in e.detail for e in o.data_information.evidence)


def test_data_card_file_counts_as_data_information(release) -> None:
    files = _files(drop_items=tuple(ITEMS))
    files["README.md"] = "---\nlicense: apache-2.0\n---\n# M\n\n" + WORDS
    files["DATASHEET.md"] = "# Datasheet\n\n" + "".join(ITEMS.values())
    o = _osaid(release, files)
    assert o.data_information.met, o.reasons
    assert any(e.path == "DATASHEET.md" and e.line for e in o.data_information.evidence)


def test_no_data_card_names_every_gap_in_one_reason(release) -> None:
    files = _files()
    files["README.md"] = "---\nlicense: apache-2.0\n---\n# M\n\n" + WORDS
    o = _osaid(release, files)
    assert o.data_information_gaps == list(ITEMS)
    assert "data information: data-card is missing" in o.reasons
    assert any(r.startswith("data information: none of provenance") for r in o.reasons)


def test_data_section_outside_a_data_heading_does_not_count(release) -> None:
    files = _files()
    files["README.md"] = files["README.md"].replace("## Training data", "## Training")
    o = _osaid(release, files)
    assert not o.data_information.met


def test_code_licence_not_osi_approved(release) -> None:
    o = _osaid(release, _files(extra={"train.py": "# SPDX-License-Identifier: CC-BY-4.0\n" + TRAIN}))
    assert not o.code.met and o.parameters.met
    assert "code: training-code is under CC-BY-4.0, which is not OSI-approved" in o.reasons
    assert not osi_approved("CC-BY-4.0") and osi_approved("Apache-2.0") and not osi_approved(None)


@pytest.mark.parametrize("drop", ["train.py", "preprocess.py", "infer.py", "modeling.py"])
def test_code_missing(release, drop) -> None:
    files = _files()
    files.pop(drop)
    o = _osaid(release, files)
    assert not o.code.met and any(r.startswith("code:") and "is missing" in r for r in o.code.reasons)


def test_supporting_libraries_are_optional(release) -> None:
    o = _osaid(release, _files())
    assert o.code.met
    assert any(r.startswith("optional: supporting-libraries-and-tools") for r in o.code.reasons)
    assert not any(r.startswith("optional") for r in o.reasons)


def test_parameters_not_open(release) -> None:
    files = _files(extra={"LICENSE": corpus_text("llama3_1_LICENSE")})
    files["README.md"] = files["README.md"].replace("apache-2.0", "llama3.1")
    o = _osaid(release, files)
    assert not o.parameters.met
    assert o.parameters.reasons[0].startswith("parameters: model-parameters-final is under LicenseRef-trueopen-llama-3.1")
    assert o.reasons[0] == o.parameters.reasons[0]


def test_parameters_missing(release) -> None:
    files = _files()
    files.pop("model.safetensors")
    o = _osaid(release, files)
    assert "parameters: model-parameters-final is missing" in o.reasons


def test_without_datainfo_only_the_data_card_is_checked(release) -> None:
    a = audit(release(_files(drop_items=("labelling",))), hash_contents=False)
    o = assess_osaid({c.id: c for c in a.components})
    assert o.data_information.met and o.data_information_gaps == []
    assert any("not checked" in r for r in o.data_information.reasons)
