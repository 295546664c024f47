"""Disagreements between a self-report / an index grading and a real audit of the bundled examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import EXAMPLES
from trueopen.assessors.eu_index import dimensions
from trueopen.assessors.mof import components
from trueopen.audit import audit
from trueopen.index.external import match_external
from trueopen.index.external_build import dump

SOURCE = {"project": "P", "repository": "https://github.com/o/r", "license": "MIT", "commit": "0" * 40,
          "date": "2026-01-01"}


def _bundle(tmp: Path, mot: list[dict], osai: list[dict]) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "mot.json").write_bytes(dump(SOURCE, mot))
    (tmp / "osai_index.json").write_bytes(dump(SOURCE, osai))
    return tmp


def _mot(key: str, cls: str, comps: dict[str, tuple[str | None, bool]]) -> dict:
    return {"file": "X.yml", "name": "X", "producer": "Acme", "keys": [key], "class": cls, "class_read": cls,
            "components": {c: {"license": lic, "open": op} for c, (lic, op) in comps.items()}}


def _eu(key: str, grade: str) -> dict:
    return {"file": "X.yaml", "name": "X", "org": "Acme", "keys": [key],
            "grades": {d.id: grade for d in dimensions()[0]}}


@pytest.fixture(scope="module")
def openwashed() -> dict:
    return audit(EXAMPLES / "openwashed").model_dump(mode="json", by_alias=True)


@pytest.fixture(scope="module")
def fully_open() -> dict:
    return audit(EXAMPLES / "fully-open").model_dump(mode="json", by_alias=True)


def test_a_self_report_claiming_class_i_against_the_openwashed_example(tmp_path: Path, openwashed: dict) -> None:
    everything = {d.id: ("Apache-2.0", True) for d in components()} | {"evaluation-data": (None, False)}
    data = _bundle(tmp_path, [_mot("hf:acme/openwashed", "Class I", everything)], [_eu("hf:acme/openwashed", "open")])
    ext = match_external("https://huggingface.co/acme/openwashed", openwashed, data_dir=data)
    said = ext["disagreements"]
    assert openwashed["verdicts"]["mof"]["class"] == "Unclassified"
    assert said[0].startswith("MOT self-report: Class I; the files measure Unclassified: the files show no data card")
    assert "not open: model architecture, model parameters (final), model card" in said[0]
    assert "MOT self-report lists Datasets under Apache-2.0; the files show no datasets." in said
    assert "MOT self-report lists Evaluation data with no licence; the files show no evaluation data." in said
    assert ("MOT self-report lists Model parameters (Final) under Apache-2.0 (open); the files license it "
            "LicenseRef-trueopen-llama-3.1, not open (model-00001-of-00002.safetensors).") in said
    assert "EU Open Source AI Index grades Base Model Data open; from the files trueopen grades it closed (README.md)." in said
    assert "EU Open Source AI Index grades Paper open; from the files trueopen grades it closed." in said
    assert any(s.startswith("EU Open Source AI Index grades Licenses open; from the files trueopen grades it closed")
               for s in said)
    # Fixed order: the class, then components in MOF order, then the index's dimensions in order.
    comp_order = [d.name for d in components()]
    listed = [next(n for n in comp_order if f" lists {n} " in s) for s in said if " lists " in s]
    assert listed == sorted(listed, key=comp_order.index)
    assert [s.startswith("EU ") for s in said] == sorted(s.startswith("EU ") for s in said)
    # Same inputs, same bytes.
    again = match_external("https://huggingface.co/acme/openwashed", openwashed, data_dir=data)
    assert json.dumps(again, sort_keys=True) == json.dumps(ext, sort_keys=True)


def test_a_self_report_claiming_less_than_the_files_show(tmp_path: Path, fully_open: dict) -> None:
    few = {"model-architecture": ("Apache-2.0", True), "model-parameters-final": ("Llama 3.1 Community", False),
           "model-card": ("Apache-2.0", True)}
    data = _bundle(tmp_path, [_mot("gh:acme/fully-open", "Unclassified", few)], [_eu("gh:acme/fully-open", "closed")])
    ext = match_external("https://github.com/acme/fully-open.git", fully_open, data_dir=data)
    said = ext["disagreements"]
    assert said[0] == "MOT self-report: Unclassified; the files measure Class I."
    assert ("MOT self-report lists Model parameters (Final) under Llama 3.1 Community (not open); the files license "
            "it Apache-2.0, open (model.safetensors).") in said
    assert "MOT self-report does not list training code; the files include it (train.py)." in said
    assert "EU Open Source AI Index grades Training Code closed; from the files trueopen grades it open (train.py)." in said


def test_agreement_gives_no_sentence(tmp_path: Path, fully_open: dict) -> None:
    comps = {c["id"]: (c["license"]["expression"], c["open"]) for c in fully_open["components"] if c["present"]}
    grades = {d["id"]: d["grade"] for d in fully_open["verdicts"]["eu_index"]["dimensions"]}
    eu = _eu("hf:acme/x", "open") | {"grades": grades}
    data = _bundle(tmp_path, [_mot("hf:acme/x", "Class I", comps)], [eu])
    ext = match_external("https://huggingface.co/acme/x", fully_open, data_dir=data)
    assert ext["mot"]["class"] == "Class I" and ext["eu_index"]["score"] == fully_open["verdicts"]["eu_index"]["score"]
    assert ext["disagreements"] == []


def test_a_failed_audit_still_shows_the_records_and_compares_nothing(tmp_path: Path) -> None:
    data = _bundle(tmp_path, [_mot("hf:acme/x", "Class I", {"datasets": ("MIT", True)})], [_eu("hf:acme/x", "open")])
    ext = match_external("https://huggingface.co/acme/x", None, data_dir=data)
    assert ext["mot"]["components"] == [{"id": "datasets", "name": "Datasets", "license": "MIT", "open": True}]
    assert ext["eu_index"]["score"] == 12 and ext["disagreements"] == []
    assert ext["eu_index"]["grades"]["licenses"] == "open" and len(ext["eu_index"]["dimensions"]) == 12
    # An audit missing the parts compared (an older or partial record) compares nothing either.
    assert match_external("https://huggingface.co/acme/x", {"verdicts": {}}, data_dir=data)["disagreements"] == []


def test_real_records_against_the_open_weights_example() -> None:
    # The bundled Amber record (self-reported Class I) against a release that has only weights.
    ow = audit(EXAMPLES / "open-weights").model_dump(mode="json", by_alias=True)
    ext = match_external("https://huggingface.co/LLM360/Amber", ow)
    assert ext["disagreements"][0].startswith("MOT self-report: Class I; the files measure Unclassified: the files show no ")
    assert "MOT self-report lists Training code under Apache-2.0; the files show no training code." in ext["disagreements"]
