"""Verdict rules: label, OSAID 1.0, MOF, openwashing, EU AI Act, from releases built here."""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import corpus_text, safetensors_bytes
from trueopen.audit import audit

WORDS = "This card documents the model, its intended uses and its limits in some detail. " * 3
# A data section that gives every OSAID 1.0 data-information item (provenance, scope, selection,
# labelling, processing and filtering, public and third-party sources).
DATA_SECTION = ("\n## Training data\n\n"
                "- Provenance: public-domain books collected from the archive.\n"
                "- Composition: 1,200 documents (2 million tokens) of English prose.\n"
                "- Selection: books selected by year of publication.\n"
                "- Labelling: none; no labels or annotations.\n"
                "- Processing: filtered for length and deduplicated.\n"
                "- Where to obtain it: downloaded from https://archive.example/books.\n"
                "- Third-party data: none; nothing was licensed from third parties.\n")
TRAIN = "import torch\nopt = torch.optim.AdamW(params, lr=1e-3)\nfor b in data:\n    loss(b).backward()\n    opt.step()\n"
INFER = "out = model.generate(ids)\nprint(out)\n"
PREP = "def clean_text(s):\n    return s.strip()\n"
ARCH = "class Net(nn.Module):\n    def forward(self, x):\n        return x\n"


def _apache() -> str:
    return corpus_text("starcoder_repo_LICENSE")


def _open_release(extra: dict | None = None, drop: tuple[str, ...] = ()) -> dict:
    files = {
        "README.md": "---\nlicense: apache-2.0\n---\n# M\n\n" + WORDS + DATA_SECTION,
        "LICENSE": _apache(),
        "model.safetensors": safetensors_bytes(),
        "train.py": TRAIN, "infer.py": INFER, "preprocess.py": PREP, "modeling.py": ARCH,
    }
    for k in drop:
        files.pop(k)
    files.update(extra or {})
    return files


def _audit(release, files):
    return audit(release(files), hash_contents=False)


def test_open_source_release(release) -> None:
    a = _audit(release, _open_release())
    v = a.verdicts
    assert v.osaid.conformant and v.osaid.reasons == []
    assert v.label == "open-source"
    assert not v.openwashing.flagged
    assert v.eu_ai_act.exempt and len(v.eu_ai_act.still_owed) == 2


@pytest.mark.parametrize("drop,reason", [
    ("train.py", "code: training-code is missing"),
    ("preprocess.py", "code: data-preprocessing-code is missing"),
    ("infer.py", "code: inference-code is missing"),
    ("modeling.py", "code: model-architecture is missing"),
])
def test_osaid_needs_all_code(release, drop, reason) -> None:
    a = _audit(release, _open_release(drop=(drop,)))
    assert not a.verdicts.osaid.conformant
    assert reason in a.verdicts.osaid.reasons
    assert a.verdicts.label == "open-weights"


def test_osaid_needs_data_information(release) -> None:
    files = _open_release()
    files["README.md"] = "---\nlicense: apache-2.0\n---\n# M\n\n" + WORDS
    a = _audit(release, files)
    assert "data information: data-card is missing" in a.verdicts.osaid.reasons
    assert a.verdicts.label == "open-weights"


def test_osaid_code_must_be_osi_approved(release) -> None:
    # Code under CC-BY-4.0 is open for MOF purposes but not OSI-approved.
    a = _audit(release, _open_release({"train.py": "# SPDX-License-Identifier: CC-BY-4.0\n" + TRAIN}))
    assert any("training-code is under CC-BY-4.0, which is not OSI-approved" in r for r in a.verdicts.osaid.reasons)


def test_restricted_weights_and_openwashing(release) -> None:
    files = _open_release({"LICENSE": corpus_text("llama3_1_LICENSE")})
    files["README.md"] = "---\nlicense: llama3.1\n---\n# M\n\nThe best open source model.\n\n" + WORDS
    a = _audit(release, files)
    v = a.verdicts
    assert v.label == "restricted-weights"
    assert v.openwashing.flagged
    assert v.openwashing.reasons[0].startswith("README.md:6 claims")
    assert any(r.startswith("OSAID 1.0 not met: parameters") for r in v.openwashing.reasons)
    assert not v.eu_ai_act.exempt
    assert "is not a free and open-source licence" in v.eu_ai_act.reasons[0]


def test_open_weights_claim_is_openwashing(release) -> None:
    files = _open_release(drop=("train.py",))
    files["README.md"] += "\nA fully open model.\n"
    v = _audit(release, files).verdicts
    assert v.label == "open-weights" and v.openwashing.flagged


def test_negated_claim_is_not_openwashing(release) -> None:
    files = _open_release(drop=("train.py",))
    files["README.md"] += "\nThis is not an open source release.\n"
    v = _audit(release, files).verdicts
    assert not v.openwashing.flagged


def test_open_source_claim_on_open_source_release_is_fine(release) -> None:
    files = _open_release()
    files["README.md"] += "\nA fully open source model.\n"
    a = _audit(release, files)
    assert a.claims and not a.verdicts.openwashing.flagged


def test_closed_without_weights(release) -> None:
    a = _audit(release, _open_release(drop=("model.safetensors",)))
    assert a.verdicts.label == "closed"
    assert "weights are not public in this release" in a.verdicts.eu_ai_act.reasons


def test_no_licence_at_all(release) -> None:
    files = _open_release(drop=("LICENSE",))
    files["README.md"] = "# M\n\n" + WORDS + DATA_SECTION
    a = _audit(release, files)
    comp = {c.id: c for c in a.components}
    assert comp["model-parameters-final"].license.source == "none"
    assert a.verdicts.label == "restricted-weights"
    assert "the weights have no licence" in a.verdicts.eu_ai_act.reasons


def test_eu_ai_act_needs_architecture_and_usage_information(release) -> None:
    files = _open_release(drop=("modeling.py",))
    files["README.md"] = "---\nlicense: apache-2.0\n---\nshort\n"
    v = _audit(release, files).verdicts
    assert not v.eu_ai_act.exempt
    assert "no information on the model architecture" in v.eu_ai_act.reasons
    assert "no information on model usage (no model card)" in v.eu_ai_act.reasons


def test_mof_class_iii_and_next_needs(release) -> None:
    files = _open_release({"docs/technical-report.md": "# Report\n", "docs/LICENSE": corpus_text("spdx_CC-BY-4.0.txt"),
                           "DATA_CARD.md": "# Data\n", "eval_results.json": "{}"})
    mof = _audit(release, files).verdicts.mof
    # DATA_CARD.md and eval results at the root are under Apache-2.0: open, so Class III is met.
    assert mof.class_ == "Class III"
    assert mof.progress["Class III"] == 100.0
    assert mof.next_class == "Class II"
    assert any(n.startswith("evaluation-code") for n in mof.next_needs)


def test_mof_unclassified_lists_missing(release) -> None:
    mof = _audit(release, _open_release(drop=("modeling.py",))).verdicts.mof
    assert mof.class_ == "Unclassified"
    assert "model-architecture" in mof.missing and "technical-report" in mof.missing


def test_examples_have_the_expected_verdicts() -> None:
    root = Path(__file__).resolve().parents[1] / "examples"
    got = {p.name: audit(p, hash_contents=False) for p in sorted(root.iterdir()) if p.is_dir()}
    fo, ow, wash = got["fully-open"], got["open-weights"], got["openwashed"]
    assert (fo.verdicts.label, fo.verdicts.osaid.conformant, fo.verdicts.mof.class_) == ("open-source", True, "Class I")
    assert all(c.present and c.open for c in fo.components)
    assert fo.safety.status == "clean"
    assert (ow.verdicts.label, ow.verdicts.osaid.conformant, ow.verdicts.mof.class_) == ("open-weights", False, "Unclassified")
    assert not ow.verdicts.openwashing.flagged
    assert (wash.verdicts.label, wash.verdicts.mof.class_) == ("restricted-weights", "Unclassified")
    assert wash.verdicts.openwashing.flagged
    assert wash.safety.status == "clean"  # its legacy .pth is a plain OrderedDict
    (pth,) = [f for f in wash.safety.files if f.path == "original/consolidated.00.pth"]
    assert (pth.format, pth.globals, pth.weights_only_ok) == ("pickle", ["collections.OrderedDict"], True)
    assert [c.line for c in wash.claims if c.line > 20] == [24, 26]  # the negated line 91 is no claim


def test_verdicts_carry_all_four_frameworks_for_the_examples() -> None:
    root = Path(__file__).resolve().parents[1] / "examples"
    fo, ow, wash = (audit(root / n, hash_contents=False).verdicts for n in ("fully-open", "open-weights", "openwashed"))
    assert (fo.osaid.data_information.met, fo.osaid.code.met, fo.osaid.parameters.met) == (True, True, True)
    assert (ow.osaid.data_information.met, ow.osaid.code.met, ow.osaid.parameters.met) == (False, False, True)
    assert (wash.osaid.data_information.met, wash.osaid.code.met, wash.osaid.parameters.met) == (False, False, False)
    assert ow.osaid.data_information_gaps == ["provenance", "scope and characteristics", "selection", "labelling",
                                              "processing and filtering", "list of public sources",
                                              "list of third-party sources"]
    assert (fo.eu_index.score, ow.eu_index.score, wash.eu_index.score) == (11.0, 4.0, 3.0)
    assert (fo.eu_ai_act.exempt, ow.eu_ai_act.exempt, wash.eu_ai_act.exempt) == (True, True, False)
    assert fo.eu_ai_act.systemic_risk is None and fo.eu_ai_act.monetisation == []
