"""Model Openness Tool records: loading, MOT-exact and normalised evaluation, export, licence names, CLI."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from builders import EXAMPLES, SHARED, run_cli
from trueopen.errors import InputError
from trueopen.licenses import is_open
from trueopen.mot.export import FILL_IN, audit_to_mot, schema, to_yaml
from trueopen.mot.normalize import no_license_kind, normalise_license_name, report
from trueopen.mot.records import MAX_RECORD_BYTES, evaluate_file, evaluate_record, load_record, mot_is_open

MOT_DIR = SHARED / "reference" / "mot"
EU_DIR = SHARED / "reference" / "osai-index" / "models"
needs_mot = pytest.mark.skipif(not MOT_DIR.is_dir(), reason=f"MOT reference data not found at {MOT_DIR}")
FIXTURES = sorted((MOT_DIR / "test-data").glob("*.yml")) if MOT_DIR.is_dir() else []
MODELS = sorted((MOT_DIR / "models").glob("*.yml")) if MOT_DIR.is_dir() else []


def _record(components: list[dict[str, Any]], license: dict[str, Any] | None = None, **release: Any) -> dict[str, Any]:
    return {
        "framework": {"name": "Model Openness Framework", "version": "1.0", "date": "2024-12-15"},
        "release": {"name": "Test", "producer": "Lab", "license": license or {}, "components": components, **release},
    }


def _write(tmp_path: Path, doc: Any, name: str = "m.yml") -> Path:
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return p


CLASS_III = ["Model architecture", "Model parameters (Final)", "Model card", "Data card", "Technical report",
             "Evaluation results"]


# --- MOT parity -----------------------------------------------------------------------------


@cache
def _expected() -> dict[str, dict[str, Any]]:
    text = (MOT_DIR / "test-data" / "expected_results.json").read_text(encoding="utf-8")
    text = re.sub(r",\s*([}\]])", r"\1", text)  # the upstream file has trailing commas
    return {m["release"]["name"]: m["classification"] for m in json.loads(text)["models"]}


@needs_mot
def test_fixture_count() -> None:
    assert len(FIXTURES) == 27 == len(_expected())


@needs_mot
@pytest.mark.parametrize("fixture", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_reproduced_exactly(fixture: Path) -> None:
    ev = evaluate_file(fixture)
    want = _expected()[ev.release["name"]]
    got = ev.classification()
    assert set(got) == {"class", "label", "progress"} and set(got["progress"]) == {"1", "2", "3"}
    assert got["class"] == want["class"]
    assert got["label"] == want["label"]
    # MOT's API prints unrounded floats (83.33333333333334); we keep two decimals.
    assert {k: got["progress"][k] for k in "123"} == {k: round(float(want["progress"][k]), 2) for k in "123"}


@needs_mot
def test_all_models_evaluate_and_match_derived_classes() -> None:
    with (MOT_DIR / "derived" / "mot_models_computed_class.csv").open(encoding="utf-8", newline="") as fh:
        derived = {row["file"]: row for row in csv.DictReader(fh)}
    assert len(MODELS) == len(derived) == 273
    counts: Counter[int] = Counter()
    progress_diff = []
    for path in MODELS:
        ev = evaluate_file(path)
        counts[ev.result.class_number] += 1
        assert ev.result.class_number == int(derived[path.name]["computed_mof_class"]), path.name
        pct = derived[path.name]["class3_progress_pct"]
        if pct and abs(round(ev.result.progress["Class III"], 1) - float(pct)) > 0.05:
            progress_diff.append(path.name)
        evaluate_file(path, strict=False)  # the normalised mode reads every record too
    assert counts == {0: 242, 1: 14, 2: 1, 3: 16}
    # BLOOM: MOT counts the open paper as well when the report is its first open Class III
    # component (PHP array_search index 0); the CSV's re-implementation does not.
    assert progress_diff == ["BLOOM.yml"]
    assert evaluate_file(MOT_DIR / "models" / "BLOOM.yml").result.progress["Class III"] == 33.33


@needs_mot
def test_bundled_schema_is_upstream() -> None:
    assert schema() == json.loads((MOT_DIR / "schema" / "mof_schema.json").read_text(encoding="utf-8"))


@needs_mot
def test_bundled_open_list_is_mots() -> None:
    data = json.loads((MOT_DIR / "license-data" / "licenses.json").read_text(encoding="utf-8"))
    for lic in data["licenses"]:
        expected = bool(lic.get("isOsiApproved") or lic.get("isFsfLibre"))
        if expected:
            assert mot_is_open(lic["licenseId"]), lic["licenseId"]
    assert mot_is_open("OpenMDW-1.0") and mot_is_open("CDLA-Permissive-2.0") and mot_is_open("ODC-PDDL-1.0")
    assert not mot_is_open("PDDL-1.0")  # open for trueopen (SPDX 3.29), not on MOT's lists


# --- evaluation rules -----------------------------------------------------------------------


def test_licence_precedence_component_type_distribution_none() -> None:
    doc = _record(
        [
            {"name": "Model architecture", "license": "MIT"},  # own licence wins
            {"name": "Model card"},  # document global
            {"name": "Model parameters (Final)"},  # no data global: distribution
            {"name": "Data card", "license": ""},  # set but empty: unlicensed
            {"name": "Technical report", "license": "unlicensed"},
        ],
        license={"distribution": {"name": "Apache-2.0"}, "document": {"name": "CC-BY-4.0", "path": "x"}},
    )
    ev = evaluate_record(doc)
    uses = {u.component: u for u in ev.licenses}
    assert (uses["model-architecture"].given, uses["model-architecture"].source) == ("MIT", "component")
    assert (uses["model-card"].given, uses["model-card"].source) == ("CC-BY-4.0", "content-type")
    assert (uses["model-parameters-final"].given, uses["model-parameters-final"].source) == ("Apache-2.0", "distribution")
    assert not uses["data-card"].licensed and not uses["data-card"].open
    assert not uses["technical-report"].licensed
    assert ev.result.not_open == ("data-card", "technical-report")
    # Apache-2.0 on weights is open but not a data licence: a warning, not a failure.
    assert any(w.startswith("model-parameters-final: Apache-2.0 is open but not a data licence") for w in ev.result.warnings)
    assert [u.component for u in ev.licenses] == ["model-architecture", "model-parameters-final", "model-card",
                                                  "data-card", "technical-report"]


def test_no_licence_anywhere_is_unlicensed() -> None:
    ev = evaluate_record(_record([{"name": "Model card"}]))
    (use,) = ev.licenses
    assert use.source == "none" and use.given is None and not use.licensed


def test_class_iii_and_next_needs() -> None:
    doc = _record([{"name": n} for n in CLASS_III], license={"distribution": {"name": "Apache-2.0"}})
    ev = evaluate_record(doc, file="x.yml")
    c = ev.classification()
    assert c == {"class": 3, "label": "Class III - Open Model", "progress": {"1": 0, "2": 60, "3": 100}}
    assert ev.result.next_class == "Class II"
    assert ev.result.next_needs == ("training-code: missing", "inference-code: missing", "evaluation-code: missing",
                                    "evaluation-data: missing")
    d = ev.to_dict()
    assert d["file"] == "x.yml" and d["release"] == {"name": "Test", "producer": "Lab"}
    assert list(d) == ["file", "mode", "release", "classification", "next_class", "next_needs", "missing",
                       "not_open", "warnings", "licenses"]
    json.dumps(d)  # JSON-ready


def test_strict_matches_literally_normalised_reads_spellings() -> None:
    doc = _record([{"name": n, "license": "Apache 2.0"} for n in CLASS_III])
    strict = evaluate_record(doc)
    assert strict.result.class_number == 0 and strict.result.progress["Class III"] == 0
    assert {u.resolved_id for u in strict.licenses} == {"Apache 2.0"}
    norm = evaluate_record(doc, strict=False)
    assert norm.result.class_number == 3
    assert {u.resolved_id for u in norm.licenses} == {"Apache-2.0"}
    assert norm.to_dict()["mode"] == "normalised"


def test_normalised_no_licence_markers_and_unknown_names() -> None:
    doc = _record([
        {"name": "Model card", "license": "Undisclosed"},
        {"name": "Data card", "license": "Gemma Terms of Use"},
        {"name": "Model architecture", "license": "Some Private Licence"},
    ])
    uses = {u.component: u for u in evaluate_record(doc, strict=False).licenses}
    assert not uses["model-card"].licensed  # undisclosed: no licence we can rely on
    assert uses["data-card"].resolved_id == "LicenseRef-trueopen-gemma" and not uses["data-card"].open
    assert uses["model-architecture"].licensed and uses["model-architecture"].resolved_id is None
    assert not uses["model-architecture"].open


def test_unquoted_date_is_reported_as_text() -> None:
    ev = evaluate_record(yaml.safe_load("release: {name: X, date: 2025-01-02, components: []}"))
    assert ev.release["date"] == "2025-01-02"


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("release: [unclosed\n", "not valid YAML"),
        ("- a\n- b\n", "not a mapping"),
        ("", "empty file"),
        ("framework: {name: x}\n", "no `release`"),
        ("release: {name: x, components: {a: 1}}\n", "components must be a list"),
        ("release: {name: x, license: MIT}\n", "release.license must be a mapping"),
        ("release: {name: x, components: [Model card]}\n", "components[0] is not a mapping"),
        ("release: {name: x, components: [{name: Weights}]}\n", "unknown MOF component name 'Weights'"),
    ],
)
def test_bad_records_give_input_error_naming_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = _write(tmp_path, content, "bad.yml")
    with pytest.raises(InputError, match=re.escape(message)) as err:
        evaluate_file(path)
    assert str(path) in str(err.value)


def test_oversized_and_binary_files_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yml"
    big.write_bytes(b"#" * (MAX_RECORD_BYTES + 1))
    with pytest.raises(InputError, match="larger than"):
        load_record(big)
    binary = tmp_path / "bin.yml"
    binary.write_bytes(b"\xff\xfe\x00release")
    with pytest.raises(InputError, match="not UTF-8"):
        load_record(binary)
    with pytest.raises(InputError, match="cannot read"):
        load_record(tmp_path / "missing.yml")


def test_yaml_tags_are_not_constructed(tmp_path: Path) -> None:
    path = _write(tmp_path, "release: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_record(path)


# --- licence names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Apache 2.0", "Apache-2.0"),
        ("apache-2.0", "Apache-2.0"),
        ("Apache license 2.0", "Apache-2.0"),
        ("MIT license", "MIT"),
        ("MIT License", "MIT"),
        ("BSD-3", "BSD-3-Clause"),
        ("CC BY-SA 4.0", "CC-BY-SA-4.0"),
        ("llama3.1", "LicenseRef-trueopen-llama-3.1"),
        ("Llama 3 Community License Agreement", "LicenseRef-trueopen-llama-3"),
        ("Meta Llama 3 Community License Agreement", "LicenseRef-trueopen-llama-3"),
        ("Gemma Terms of Use", "LicenseRef-trueopen-gemma"),
        ("gemma", "LicenseRef-trueopen-gemma"),
        ("tongyi-qianwen-license-agreement", "LicenseRef-trueopen-tongyi-qianwen"),
        ("Creative Commons Attribution Non Commercial 4.0", "CC-BY-NC-4.0"),
        ("GNU General Public License v3.0", "GPL-3.0-only"),
        (" Falcon-180B TII License", "LicenseRef-trueopen-falcon-180b-tii-1.0"),
        ("Apache-2.0 and BigScience RAIL License v1.0", "Apache-2.0 AND LicenseRef-trueopen-bigscience-rail-1.0"),
        ("Undisclosed", None),
        ("unlicensed", None),
        ("Component not include.", None),
        ("Apache-2.0 and CC-BY-NC-4.0 and additional terms", None),  # one part unknown: no guess
        ("arXiv.org perpetual non-exclusive license 1.0", "LicenseRef-trueopen-arxiv-nonexclusive-1.0"),
        ("", None),
        (None, None),
    ],
)
def test_normalise_license_name(text: str | None, expected: str | None) -> None:
    assert normalise_license_name(text) == expected


def test_normalised_expressions_are_judged_whole() -> None:
    assert not is_open(normalise_license_name("Apache-2.0 and BigScience RAIL License v1.0") or "")


def test_no_license_kind() -> None:
    assert no_license_kind("Undisclosed") == "undisclosed"
    assert no_license_kind("Unknown (Apache-2.0?)") == "undisclosed"
    assert no_license_kind("unlicensed") == "none"
    assert no_license_kind("") == "none"
    assert no_license_kind("Proprietary") == "proprietary"
    assert no_license_kind("MIT") is None


def test_report_on_a_small_corpus(tmp_path: Path) -> None:
    mot = _write(tmp_path, _record(
        [{"name": "Model card", "license": "Apache 2.0"}, {"name": "Data card", "license": "unlicensed"},
         {"name": "Datasets", "license": "Some Dataset Terms"}],
        license={"distribution": {"name": "MIT"}},
    ), "mot.yml")
    eu = _write(tmp_path, {"system": {"name": "X", "endmodellicense": "MIT License"},
                           "licenses": {"notes": "Weights: Apache-2.0. Code: not released. Data: CC-BY-4.0."}}, "eu.yaml")
    other = _write(tmp_path, {"something": 1}, "other.yml")
    r = report([eu, other, mot])
    assert r["mot"]["records"] == 1
    assert r["mot"]["occurrences"] == {"total": 4, "normalised": 2, "no_licence": 1, "unresolved": 1,
                                       "share_normalised": 50.0, "share_understood": 75.0,
                                       "share_of_licence_names": 66.7}
    assert r["eu_index"]["occurrences"]["normalised"] == 1
    assert r["eu_index_notes"]["occurrences"]["total"] == 3
    assert r["eu_index_notes"]["occurrences"]["no_licence"] == 1
    assert r["rest"] == [{"text": "Some Dataset Terms", "count": 1, "corpora": ["mot"]}]
    assert r["skipped"] == [str(other)]
    assert r["normalised"]["Apache 2.0"] == "Apache-2.0"
    assert report([mot, eu]) == report([eu, mot])  # deterministic


@needs_mot
def test_report_on_the_reference_data() -> None:
    eu = sorted(p for p in EU_DIR.glob("*.yaml") if not p.name.startswith("a_submission_template"))
    r = report([*MODELS, *eu])
    assert r["mot"]["records"] == 273 and r["eu_index"]["records"] == 193
    assert r["mot"]["occurrences"]["share_of_licence_names"] >= 90.0
    assert r["eu_index"]["occurrences"]["share_normalised"] >= 75.0
    rest = {e["text"] for e in r["rest"]}
    assert "Apache 2.0" not in rest and "MIT license" not in rest and "Gemma Terms of Use" not in rest


# --- export ---------------------------------------------------------------------------------


@cache
def _example_audit(name: str):
    from trueopen.audit import audit

    return audit(EXAMPLES / name, hash_contents=False)


@pytest.mark.parametrize("name", ["fully-open", "open-weights", "openwashed"])
def test_export_validates_against_mot_schema(name: str) -> None:
    a = _example_audit(name)
    record = audit_to_mot(a)
    jsonschema.validate(record, schema(), format_checker=jsonschema.FormatChecker())
    assert record["framework"] == {"name": "Model Openness Framework", "version": "1.0", "date": "2024-12-15"}
    rel = record["release"]
    assert rel["name"] == name and rel["producer"] == FILL_IN
    present = [c for c in a.components if c.present]
    assert len(rel["components"]) == len(present)
    # The YAML reads back to the same record, and is the same bytes every time.
    text = to_yaml(record)
    assert yaml.safe_load(text) == record and to_yaml(audit_to_mot(a)) == text
    # Evaluated as MOT would, the record gets the class the audit gave.
    ev = evaluate_record(yaml.safe_load(text))
    assert ev.result.mof_class == a.verdicts.mof.class_


def test_export_licences_as_mot_reads_them() -> None:
    fully = audit_to_mot(_example_audit("fully-open"))["release"]
    assert fully["license"]["distribution"] == {"name": "Apache-2.0", "path": "LICENSE"}
    comps = {c["name"]: c for c in fully["components"]}
    assert "license" not in comps["Model parameters (Final)"]  # inherits the distribution licence
    assert comps["Datasets"]["license"] == "CC0-1.0" and comps["Datasets"]["license_path"] == "data/LICENSE"
    # MOT takes one licence per component: the expression stays readable in the description.
    assert "licence expression: Apache-2.0 AND CC0-1.0" in comps["Data card"]["description"]
    washed = audit_to_mot(_example_audit("openwashed"))["release"]
    assert washed["license"]["distribution"]["name"] == "Llama 3.1 Community License Agreement"
    assert washed["origin"] == "meta-llama/Llama-3.1-8B-Instruct"


# --- CLI ------------------------------------------------------------------------------------


def test_cli_mof_json_shape(tmp_path: Path) -> None:
    a = _write(tmp_path, _record([{"name": n} for n in CLASS_III], license={"distribution": {"name": "Apache-2.0"}}), "a.yml")
    b = _write(tmp_path, _record([{"name": n, "license": "Apache 2.0"} for n in CLASS_III], name="B"), "b.yml")
    proc = run_cli("mof", str(a), str(b), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [o["file"] for o in out] == [str(a), str(b)]
    assert out[0]["release"]["name"] == "Test" and out[1]["release"]["name"] == "B"
    assert out[0]["classification"] == {"class": 3, "label": "Class III - Open Model",
                                        "progress": {"1": 0, "2": 60, "3": 100}}
    assert out[1]["classification"]["class"] == 0
    assert {"next_class", "next_needs", "warnings", "licenses"} <= set(out[0])
    assert set(out[0]["licenses"][0]) >= {"component", "given", "resolved_id", "open", "type_appropriate"}
    # --normalise reads "Apache 2.0" as Apache-2.0.
    proc = run_cli("mof", str(b), "--format", "json", "--normalise")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["classification"]["class"] == 3


def test_cli_mof_table_and_errors(tmp_path: Path) -> None:
    a = _write(tmp_path, _record([{"name": "Model card"}]), "a.yml")
    proc = run_cli("mof", str(a))
    assert proc.returncode == 0, proc.stderr
    assert "Unclassified" in proc.stdout and "model-architecture: missing" in proc.stdout
    bad = _write(tmp_path, "release: [", "bad.yml")
    proc = run_cli("mof", str(a), str(bad))
    assert proc.returncode == 2 and proc.stdout == ""
    assert "bad.yml" in proc.stderr and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    help_ = run_cli("mof", "--help")
    assert help_.returncode == 0 and "Examples" in help_.stdout and "--normalise" in help_.stdout


def test_cli_audit_format_mot(tmp_path: Path) -> None:
    out = tmp_path / "open-weights.yml"
    proc = run_cli("audit", str(EXAMPLES / "open-weights"), "--no-hash", "--format", "mot", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    record = yaml.safe_load(out.read_text(encoding="utf-8"))
    jsonschema.validate(record, schema())
    proc = run_cli("mof", str(out), "--format", "json")
    assert proc.returncode == 0 and json.loads(proc.stdout)[0]["release"]["name"] == "open-weights"
