"""MOF assessor: unit tests for each rule, and MOT parity on the upstream fixtures and model records."""

from __future__ import annotations

import csv
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from trueopen.assessors.mof import (
    MOT_LABELS,
    ComponentDef,
    ComponentStatus,
    MofResult,
    classify,
    components,
    source_commit,
)
from trueopen.mot.records import evaluate_file

MOT_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference" / "mot"
needs_mot = pytest.mark.skipif(not MOT_DIR.is_dir(), reason=f"MOT reference data not found at {MOT_DIR}")

OPEN = ComponentStatus(present=True, open=True)
NOT_OPEN = ComponentStatus(present=True, open=False)
UNLICENSED = ComponentStatus(present=True, open=False, licensed=False)

CLASS_III = (
    "model-architecture",
    "model-parameters-final",
    "model-card",
    "data-card",
    "technical-report",
    "evaluation-results",
)
CLASS_II = ("training-code", "inference-code", "evaluation-code", "evaluation-data")
CLASS_I = ("datasets", "data-preprocessing-code", "model-parameters-intermediate", "research-paper")


def _all_open(*ids: str, **overrides: ComponentStatus) -> dict[str, ComponentStatus]:
    statuses = {i: OPEN for i in ids}
    statuses.update({k.replace("_", "-"): v for k, v in overrides.items()})
    return statuses


# --- the component table -----------------------------------------------------------------


def test_components_table_order_and_shape() -> None:
    defs = components()
    assert len(defs) == 17
    assert all(isinstance(d, ComponentDef) for d in defs)
    assert [d.id for d in defs] == [
        *CLASS_III,
        "sample-model-outputs",
        *CLASS_II,
        "supporting-libraries-and-tools",
        *CLASS_I,
        "model-metadata",
    ]
    assert {d.mof_class for d in defs if d.required and d.id in CLASS_III} == {3}
    assert sum(d.required for d in defs) == 14
    by_id = {d.id: d for d in defs}
    assert by_id["model-parameters-final"].mot_id == 10
    assert by_id["model-parameters-final"].name == "Model parameters (Final)"
    assert by_id["model-parameters-final"].content_type == "data"
    assert by_id["research-paper"].mof_class == 1
    assert not by_id["model-metadata"].required
    assert re.fullmatch(r"[0-9a-f]{40}", source_commit())
    assert components() is components()  # loaded once


@needs_mot
def test_components_match_mot_settings() -> None:
    settings = yaml.safe_load((MOT_DIR / "license-data" / "mof.settings.yml").read_text(encoding="utf-8"))
    upstream = {c["id"]: c for c in settings["components"]}
    assert {d.mot_id for d in components()} == set(upstream)
    for d in components():
        row = upstream[d.mot_id]
        assert (d.name, d.content_type, d.mof_class, d.required) == (
            row["name"],
            row["content_type"],
            row["class"],
            row["required"],
        )


# --- rules ---------------------------------------------------------------------------------


def test_empty_release_is_unclassified() -> None:
    r = classify({})
    assert isinstance(r, MofResult)
    assert (r.mof_class, r.class_number) == ("Unclassified", 0)
    assert r.progress == {"Class III": 0.0, "Class II": 0.0, "Class I": 0.0}
    # technical-report is excused by nothing here, so all 14 required are missing
    assert r.missing == (*CLASS_III, *CLASS_II, *CLASS_I)
    assert r.not_open == () and r.warnings == ()
    assert r.next_class == "Class III"
    assert r.next_needs[0] == "model-architecture: missing"
    assert "technical-report: missing (an open research-paper can stand in)" in r.next_needs
    assert len(r.next_needs) == 6


def test_class_iii() -> None:
    r = classify(_all_open(*CLASS_III))
    assert (r.mof_class, r.class_number) == ("Class III", 3)
    assert r.progress == {"Class III": 100.0, "Class II": 60.0, "Class I": 0.0}
    assert r.missing == (*CLASS_II, *CLASS_I)
    assert r.next_class == "Class II"
    assert r.next_needs == tuple(f"{i}: missing" for i in CLASS_II)


def test_cumulative_classes() -> None:
    r2 = classify(_all_open(*CLASS_III, *CLASS_II))
    assert (r2.mof_class, r2.class_number) == ("Class II", 2)
    assert r2.progress == {"Class III": 100.0, "Class II": 100.0, "Class I": 71.43}  # 10 / 14
    r1 = classify(_all_open(*CLASS_III, *CLASS_II, *CLASS_I))
    assert (r1.mof_class, r1.class_number) == ("Class I", 1)
    assert r1.progress == {"Class III": 100.0, "Class II": 100.0, "Class I": 100.0}
    assert r1.missing == () and r1.next_class is None and r1.next_needs == ()
    # Class I components alone do not make a class: the classes are cumulative.
    r0 = classify(_all_open(*CLASS_I, *CLASS_II))
    assert r0.mof_class == "Unclassified"
    # MOT reports 0 for a class whose lower class is not met.
    assert r0.progress["Class II"] == 0.0 and r0.progress["Class I"] == 0.0
    assert r0.progress["Class III"] == 16.67  # the research paper stands in for the report


def test_missing_component_blocks_class() -> None:
    ids = [i for i in CLASS_III if i != "model-card"]
    r = classify(_all_open(*ids))
    assert r.mof_class == "Unclassified"
    assert r.progress["Class III"] == 83.33
    assert r.missing[0] == "model-card"
    assert r.next_needs == ("model-card: missing",)


def test_absent_and_not_present_are_the_same() -> None:
    a = classify(_all_open(*CLASS_III[:-1]))
    b = classify({**_all_open(*CLASS_III[:-1]), CLASS_III[-1]: ComponentStatus(present=False, open=False)})
    assert a == b


def test_not_open_component_blocks_class() -> None:
    r = classify(_all_open(*CLASS_III, model_parameters_final=NOT_OPEN))
    assert r.mof_class == "Unclassified"
    assert r.progress["Class III"] == 83.33
    assert r.not_open == ("model-parameters-final",)
    assert "model-parameters-final" not in r.missing
    assert r.next_needs == ("model-parameters-final: present but its licence is not open",)


def test_unlicensed_component_blocks_class() -> None:
    r = classify(_all_open(*CLASS_III, data_card=UNLICENSED))
    assert r.mof_class == "Unclassified"
    assert r.not_open == ("data-card",)
    assert r.next_needs == ("data-card: present but unlicensed",)
    with pytest.raises(ValueError):
        ComponentStatus(present=True, open=True, licensed=False)


def test_optional_components_do_not_count_but_are_reported() -> None:
    r = classify(
        _all_open(
            *CLASS_III,
            sample_model_outputs=NOT_OPEN,
            model_metadata=UNLICENSED,
            supporting_libraries_and_tools=OPEN,
        )
    )
    assert r.mof_class == "Class III"
    assert r.progress["Class III"] == 100.0
    assert r.not_open == ("sample-model-outputs", "model-metadata")


def test_type_appropriate_warning_is_a_conditional_pass() -> None:
    weights = ComponentStatus(present=True, open=True, type_appropriate=False, license="Apache-2.0")
    card = ComponentStatus(present=True, open=True, type_appropriate=False)
    r = classify(_all_open(*CLASS_III, model_parameters_final=weights, model_card=card))
    assert r.mof_class == "Class III"
    assert r.warnings == (
        "model-parameters-final: Apache-2.0 is open but not a data licence (conditional pass)",
        "model-card: its licence is open but not a document licence (conditional pass)",
    )
    # Not open means no warning: the component fails instead.
    r2 = classify(_all_open(*CLASS_III, model_parameters_final=ComponentStatus(True, False, False)))
    assert r2.warnings == ()


def test_research_paper_stands_in_for_technical_report() -> None:
    without_report = [i for i in CLASS_III if i != "technical-report"]
    r = classify(_all_open(*without_report, "research-paper"))
    assert r.mof_class == "Class III"
    assert r.progress == {"Class III": 100.0, "Class II": 60.0, "Class I": 0.0}
    assert "technical-report" not in r.missing
    # At Class I the denominator drops to 13 when the paper replaces the report.
    r1 = classify(_all_open(*without_report, *CLASS_II, *CLASS_I))
    assert r1.mof_class == "Class I"
    r2 = classify(_all_open(*without_report, *CLASS_II, "research-paper"))
    assert r2.mof_class == "Class II"
    assert r2.progress["Class I"] == 76.92  # 10 / 13
    # A paper that is present but not open excuses the report from `missing`, not from the class.
    r3 = classify(_all_open(*without_report, research_paper=NOT_OPEN))
    assert r3.mof_class == "Unclassified"
    assert "technical-report" not in r3.missing
    assert r3.not_open == ("research-paper",)
    assert r3.next_needs == ("technical-report: missing (an open research-paper can stand in)",)
    # Without any paper the report is missing.
    r4 = classify(_all_open(*without_report))
    assert "technical-report" in r4.missing and "research-paper" in r4.missing


def test_mot_quirk_report_and_paper_both_counted() -> None:
    # MOT's `!array_search(...)` treats index 0 as "not found": when the report is the first
    # open class III component, an open paper is counted as well (2 of 6, not 1 of 6).
    r = classify(_all_open("technical-report", "research-paper"))
    assert r.progress["Class III"] == 33.33
    assert r.mof_class == "Unclassified"
    r2 = classify(_all_open("model-architecture", "technical-report", "research-paper"))
    assert r2.progress["Class III"] == 33.33


def test_next_needs_for_class_i() -> None:
    r = classify(
        _all_open(*CLASS_III, *CLASS_II, "datasets", data_preprocessing_code=UNLICENSED, research_paper=NOT_OPEN)
    )
    assert r.mof_class == "Class II" and r.next_class == "Class I"
    assert r.next_needs == (
        "data-preprocessing-code: present but unlicensed",
        "model-parameters-intermediate: missing",
        "research-paper: present but its licence is not open",
    )
    assert r.missing == ("model-parameters-intermediate",)


def test_unknown_component_id_is_rejected() -> None:
    with pytest.raises(ValueError, match="weights"):
        classify({"weights": OPEN})


def test_deterministic() -> None:
    statuses = _all_open(*CLASS_III, *CLASS_II, model_card=NOT_OPEN)
    assert classify(statuses) == classify(dict(reversed(list(statuses.items()))))


# --- MOT parity, through the real MOT record loader (trueopen.mot.records) -------------------
#
# Records are evaluated MOT-exact (strict): licence ids matched literally against MOT's own lists
# (research/openness-frameworks.md §1.4), then classified by `classify` above.


def _statuses_from_mot_file(path: Path) -> tuple[str, dict[str, ComponentStatus]]:
    """The release name and the component statuses of one MOT model file, resolved as MOT does."""
    ev = evaluate_file(path)
    return str(ev.release.get("name")), ev.statuses


@cache
def _expected_fixture_results() -> dict[str, dict[str, Any]]:
    text = (MOT_DIR / "test-data" / "expected_results.json").read_text(encoding="utf-8")
    text = re.sub(r",\s*([}\]])", r"\1", text)  # the upstream file has trailing commas
    return {m["release"]["name"]: m["classification"] for m in json.loads(text)["models"]}


_FIXTURES = sorted((MOT_DIR / "test-data").glob("*.yml")) if MOT_DIR.is_dir() else []
_CLASS_BY_NUMBER = {0: "Unclassified", 1: "Class I", 2: "Class II", 3: "Class III"}


@needs_mot
def test_fixture_count() -> None:
    assert len(_FIXTURES) == 27
    assert len(_expected_fixture_results()) == 27


@needs_mot
@pytest.mark.parametrize("fixture", _FIXTURES, ids=[p.stem for p in _FIXTURES])
def test_mot_fixture(fixture: Path) -> None:
    name, statuses = _statuses_from_mot_file(fixture)
    expected = _expected_fixture_results()[name]
    result = classify(statuses)
    assert result.class_number == expected["class"]
    assert result.mof_class == _CLASS_BY_NUMBER[expected["class"]]
    assert MOT_LABELS[result.class_number] == expected["label"]
    # MOT's API returns unrounded floats; we keep two decimals.
    assert result.progress == {
        "Class III": round(float(expected["progress"]["3"]), 2),
        "Class II": round(float(expected["progress"]["2"]), 2),
        "Class I": round(float(expected["progress"]["1"]), 2),
    }


@needs_mot
def test_mot_models_agree_with_derived_classes() -> None:
    """All 273 MOT model records: our class against derived/mot_models_computed_class.csv."""
    with (MOT_DIR / "derived" / "mot_models_computed_class.csv").open(encoding="utf-8", newline="") as fh:
        expected = {row["file"]: int(row["computed_mof_class"]) for row in csv.DictReader(fh)}
    models = sorted((MOT_DIR / "models").glob("*.yml"))
    assert len(models) == len(expected) == 273
    disagree = []
    for path in models:
        _, statuses = _statuses_from_mot_file(path)
        got = classify(statuses).class_number
        if got != expected[path.name]:
            disagree.append((path.name, got, expected[path.name]))
    assert disagree == []
