"""CycloneDX 1.6 and SPDX 3.0.1 documents: valid (library validator, vendored schema and SHACL,
offline), carrying what the record says, deterministic, and free of invented licence ids."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from builders import EXAMPLES
from reports.validators import SCHEMAS, cyclonedx_errors, spdx_schema_errors, spdx_shacl_errors
from trueopen.audit import audit
from trueopen.formats import cyclonedx, spdx

CASES = {"fully-open": ("fully-open", ()), "open-weights": ("open-weights", ()), "openwashed": ("openwashed", ()),
         "spread": ("_spread/code", ("_spread/weights",))}


@pytest.fixture(scope="module")
def records():
    return {k: audit(EXAMPLES / t, with_=[EXAMPLES / w for w in ws]) for k, (t, ws) in CASES.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_cyclonedx_validates_and_carries_the_record(records, name) -> None:
    record = records[name]
    text = cyclonedx.render(record)
    assert cyclonedx_errors(text) == []
    doc = json.loads(text)
    assert doc["specVersion"] == "1.6" and "timestamp" not in doc["metadata"]
    model = doc["metadata"]["component"]
    assert model["type"] == "machine-learning-model"
    props = {p["name"]: p["value"] for p in model["properties"] if not p["name"].startswith("trueopen:component:")}
    assert props["trueopen:label"] == record.verdicts.label
    assert props["trueopen:mof:class"] == record.verdicts.mof.class_
    assert props["trueopen:safety:status"] == record.safety.status
    files = {c["name"]: c for c in doc["components"] if c["type"] == "file"}
    assert sorted(files) == sorted(f.path for f in record.files)
    for f in record.files:
        hashes = files[f.path].get("hashes", [])
        assert hashes == ([{"alg": "SHA-256", "content": f.sha256}] if f.sha256 else [])
    # Datasets named by the model card resolve to data components by bom-ref.
    refs = {c["bom-ref"] for c in doc["components"]}
    for ds in model["modelCard"].get("modelParameters", {}).get("datasets", []):
        assert ds["ref"] in refs
        data = next(c for c in doc["components"] if c["bom-ref"] == ds["ref"])
        assert data["type"] == "data" and data["data"][0]["type"] == "dataset"


def test_cyclonedx_never_puts_an_ai_licence_in_license_id(records) -> None:
    doc = cyclonedx.build(records["openwashed"])
    lic = doc["metadata"]["component"]["licenses"][0]["license"]
    assert "id" not in lic and lic["name"] == "Llama 3.1 Community License Agreement"
    props = {p["name"]: p["value"] for p in lic["properties"]}
    assert props["trueopen:license-text"] == "LICENSE" and props["trueopen:license-id"] == "LicenseRef-trueopen-llama-3.1"
    full = cyclonedx.build(records["fully-open"])["metadata"]["component"]["licenses"]
    assert full == [{"license": {"acknowledgement": "declared", "id": "Apache-2.0"}}]


def test_cyclonedx_model_card_from_the_record(records) -> None:
    card = cyclonedx.build(records["fully-open"])["metadata"]["component"]["modelCard"]
    assert card["modelParameters"]["task"] == "text-generation"
    assert card["modelParameters"]["architectureFamily"] == "tiny-bigram"
    metrics = card["quantitativeAnalysis"]["performanceMetrics"]
    assert metrics == [{"type": "Character perplexity", "value": "9.65", "slice": "tiny-village-prose evaluation text (eval/eval.txt) / eval"}]
    assert card["considerations"]["technicalLimitations"][0].startswith("Limitations: - One character of context")


def test_cyclonedx_validator_rejects_what_the_schema_forbids(records) -> None:
    doc = cyclonedx.build(records["fully-open"])
    doc["metadata"]["component"]["modelCard"]["modelParameters"]["approach"] = {"type": "zero-shot"}
    assert any("zero-shot" in e for e in cyclonedx_errors(json.dumps(doc)))
    doc = cyclonedx.build(records["openwashed"])
    doc["metadata"]["component"]["licenses"] = [{"license": {"id": "llama3.1"}}]
    assert cyclonedx_errors(json.dumps(doc))


def test_serial_number_follows_the_content(tmp_path) -> None:
    shutil.copytree(EXAMPLES / "open-weights", tmp_path / "rel")
    first = json.loads(cyclonedx.render(audit(tmp_path / "rel")))
    again = json.loads(cyclonedx.render(audit(tmp_path / "rel")))
    assert first == again and first["serialNumber"].startswith("urn:uuid:")
    (tmp_path / "rel" / "config.json").write_text("{}\n")
    changed = json.loads(cyclonedx.render(audit(tmp_path / "rel")))
    assert changed["serialNumber"] != first["serialNumber"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_spdx_validates_against_schema_and_shacl(records, name) -> None:
    text = spdx.render(records[name])
    assert spdx_schema_errors(text) == []
    assert spdx_shacl_errors(text) == []


def _graph(text: str) -> dict[str, list[dict]]:
    by_type: dict[str, list[dict]] = {}
    for node in json.loads(text)["@graph"]:
        by_type.setdefault(node["type"], []).append(node)
    return by_type


@pytest.mark.parametrize("name", sorted(CASES))
def test_spdx_has_what_a_reader_needs(records, name) -> None:
    """The AI profile's required fields that neither the schema nor SHACL enforce (tested: a document
    without them validates): supplier, release time, version, download location, purpose."""
    g = _graph(spdx.render(records[name]))
    (model,) = g["ai_AIPackage"]
    for key in ("suppliedBy", "releaseTime", "software_packageVersion", "software_downloadLocation", "software_primaryPurpose"):
        assert model.get(key), key
    supplier = next(n for n in g["Organization"] if n["spdxId"] == model["suppliedBy"])
    assert supplier["name"]
    for ds in g.get("dataset_DatasetPackage", []):
        for key in ("dataset_datasetType", "releaseTime", "builtTime", "software_downloadLocation", "software_primaryPurpose"):
            assert ds.get(key), key
    (doc,) = g["SpdxDocument"]
    assert set(doc["profileConformance"]) >= {"core", "software", "ai", "dataset"}
    assert doc["rootElement"] == [model["spdxId"]]


def test_spdx_ai_profile_from_the_record(records) -> None:
    g = _graph(spdx.render(records["fully-open"]))
    (model,) = g["ai_AIPackage"]
    hyper = {e["key"]: e["value"] for e in model["ai_hyperparameter"]}
    assert hyper["learning_rate"] == "0.1" and hyper["batch_size"] == "256"
    assert model["ai_metric"] == [{"type": "DictionaryEntry", "key": "Character perplexity / tiny-village-prose evaluation text (eval/eval.txt) / eval", "value": "9.65"}]
    assert model["ai_limitation"].startswith("Limitations:")
    assert model["ai_modelDataPreprocessing"] == ["preprocess.py"]
    assert "label open-source" in model["comment"]
    kinds = {(r["relationshipType"], r["from"]) for r in g["Relationship"]}
    assert ("trainedOn", model["spdxId"]) in kinds and ("testedOn", model["spdxId"]) in kinds
    assert ("contains", model["spdxId"]) in kinds and ("hasDeclaredLicense", model["spdxId"]) in kinds
    files = {f["name"]: f for f in g["software_File"]}
    weights = files["model.safetensors"]
    assert weights["verifiedUsing"][0]["hashValue"] == next(f.sha256 for f in records["fully-open"].files if f.path == "model.safetensors")


def test_spdx_licence_refs_stay_licence_refs(records) -> None:
    g = _graph(spdx.render(records["openwashed"]))
    exprs = [n["simplelicensing_licenseExpression"] for n in g["simplelicensing_LicenseExpression"]]
    assert "LicenseRef-trueopen-llama-3.1" in exprs and "llama3.1" not in exprs


def test_spdx_validators_catch_broken_documents(records) -> None:
    good = json.loads(spdx.render(records["fully-open"]))
    bad = json.loads(json.dumps(good))
    for node in bad["@graph"]:
        if node["type"] == "ai_AIPackage":
            node["ai_limitation"] = ["one", "two"]  # at most one string
        if node["type"] == "dataset_DatasetPackage":
            node.pop("dataset_datasetType")  # at least one type
    assert spdx_shacl_errors(json.dumps(bad))
    # A small document: the 3.0.1 schema costs jsonschema about 0.6 s per element (measured: 31 s
    # for the 50 elements of fully-open), so the broken case is kept short.
    worse = {"@context": good["@context"], "@graph": [good["@graph"][0], {"type": "NoSuchClass", "spdxId": "urn:x"}]}
    assert spdx_schema_errors(json.dumps(worse))
    assert spdx_schema_errors(json.dumps({"@context": good["@context"], "@graph": [good["@graph"][0]]})) == []


def test_vendored_schemas_match_their_source_hashes() -> None:
    source = (SCHEMAS / "SOURCE").read_text(encoding="utf-8")
    for path in Path(str(SCHEMAS)).iterdir():
        if path.name == "SOURCE":
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"sha256: {digest}" in source, path.name


def test_documents_are_byte_identical_across_runs(records) -> None:
    a = audit(EXAMPLES / "openwashed")
    assert cyclonedx.render(a) == cyclonedx.render(records["openwashed"])
    assert spdx.render(a) == spdx.render(records["openwashed"])


def test_source_date_epoch_sets_the_creation_time(records, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    g = _graph(spdx.render(records["open-weights"]))
    assert g["CreationInfo"][0]["created"] == "2023-11-14T22:13:20Z"


def test_cyclonedx_base_model_is_a_pedigree_ancestor(records) -> None:
    model = cyclonedx.build(records["openwashed"])["metadata"]["component"]
    assert model["pedigree"]["ancestors"] == [{"bom-ref": "base:meta-llama/Llama-3.1-8B-Instruct", "name": "meta-llama/Llama-3.1-8B-Instruct",
                                               "purl": "pkg:huggingface/meta-llama/Llama-3.1-8B-Instruct", "type": "machine-learning-model"}]
    assert "pedigree" not in cyclonedx.build(records["open-weights"])["metadata"]["component"]


@pytest.mark.parametrize("ref,kind,url,purl", [
    ("org/tiny", "hf-hub", "https://huggingface.co/org/tiny", "pkg:huggingface/org/tiny@0123456789abcdef0123456789abcdef01234567"),
    ("datasets/org/prose", "hf-hub", "https://huggingface.co/datasets/org/prose", None),
    ("org/tiny", "hf-cache", "https://huggingface.co/org/tiny", "pkg:huggingface/org/tiny@0123456789abcdef0123456789abcdef01234567"),
])
def test_hub_targets_get_their_page_purl_and_supplier(records, ref, kind, url, purl) -> None:
    from trueopen.record import Target

    record = records["open-weights"].model_copy(update={"target": Target(kind=kind, ref=ref, revision="0123456789ABCDEF0123456789abcdef01234567")})
    text = cyclonedx.render(record)
    assert cyclonedx_errors(text) == []
    model = json.loads(text)["metadata"]["component"]
    assert model.get("purl") == purl and model["supplier"] == {"name": "org"}
    assert {"comment": "Hugging Face Hub page", "type": "website", "url": url} in model["externalReferences"]
    assert model["version"] == "0123456789ABCDEF0123456789abcdef01234567"
    g = _graph(spdx.render(record))
    assert g["ai_AIPackage"][0]["software_downloadLocation"] == url
    assert next(n for n in g["Organization"] if n["spdxId"] == g["ai_AIPackage"][0]["suppliedBy"])["name"] == "org"


def test_spdx_release_time_is_the_hub_commit_date(records) -> None:
    from trueopen.record import Target

    record = records["open-weights"].model_copy(update={"target": Target(kind="hf-hub", ref="org/tiny", revision="a" * 40,
                                                                          commit_date="2024-07-23T10:11:12.000Z")})
    (model,) = _graph(spdx.render(record))["ai_AIPackage"]
    assert model["releaseTime"] == "2024-07-23T10:11:12Z"
    (local,) = _graph(spdx.render(records["open-weights"]))["ai_AIPackage"]
    assert local["releaseTime"] == "1970-01-01T00:00:00Z"
