"""The audit record: schema kept in sync, JSON valid against it, byte-identical across runs and
independent of the order in which the file system lists files."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest

from builders import EXAMPLES, safetensors_bytes
from trueopen.audit import audit
from trueopen.record import SCHEMA_VERSION, json_schema
from trueopen.sources import local

REPO = Path(__file__).resolve().parents[1]


def test_committed_schema_is_in_sync() -> None:
    committed = json.loads((REPO / "schema" / "audit.schema.json").read_text())
    assert committed == json_schema(), "run: trueopen schema -o schema/audit.schema.json"


@pytest.mark.parametrize("name", ["fully-open", "open-weights", "openwashed"])
def test_example_records_validate(name) -> None:
    record = json.loads(audit(EXAMPLES / name).to_json())
    jsonschema.validate(record, json_schema())
    assert record["schema_version"] == SCHEMA_VERSION
    keys = ["schema_version", "tool", "target", "card", "files", "components", "recipe", "licenses", "claims", "safety", "findings", "verdicts", "hub", "transfer", "related", "locations", "model", "reproduction"]
    assert list(record) == keys
    assert set(record["verdicts"]) == {"label", "osaid", "mof", "openwashing", "eu_ai_act", "eu_index", "unverified", "reproducibility"}
    assert "class" in record["verdicts"]["mof"]


def test_json_is_byte_identical_across_runs() -> None:
    runs = {audit(EXAMPLES / "fully-open").to_json() for _ in range(3)}
    assert len(runs) == 1


def test_json_independent_of_listing_order(tmp_path, monkeypatch) -> None:
    src = EXAMPLES / "fully-open"
    a = tmp_path / "a" / "fully-open"
    shutil.copytree(src, a)
    first = audit(a).to_json()
    real_scandir = os.scandir

    def reversed_scandir(path):
        return iter(sorted(real_scandir(path), key=lambda e: e.name, reverse=True))

    monkeypatch.setattr(local.os, "scandir", reversed_scandir)
    assert audit(a).to_json() == first


def test_files_are_hashed_and_sized(release) -> None:
    data = safetensors_bytes()
    a = audit(release({"README.md": "# M\n", "model.safetensors": data}))
    f = {x.path: x for x in a.files}["model.safetensors"]
    assert f.size == len(data) and f.sha256 == hashlib.sha256(data).hexdigest() and f.kind == "weights"


def test_no_hash_leaves_sha256_empty(release) -> None:
    a = audit(release({"README.md": "# M\n", "model.safetensors": safetensors_bytes()}), hash_contents=False)
    assert all(f.sha256 is None for f in a.files)


def test_missing_shard_and_tensor_mapped_to_absent_file(release) -> None:
    index = {"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors",
                                            "c": "model-00001-of-00002.safetensors"}}
    a = audit(release({"README.md": "# M\n", "model-00001-of-00002.safetensors": safetensors_bytes({"a": (2,)}),
                       "model.safetensors.index.json": json.dumps(index)}), hash_contents=False)
    msgs = [f.message for f in a.findings if f.rule == "shard-index"]
    assert "model-00002-of-00002.safetensors: tensor 'b' mapped to absent file 'model-00002-of-00002.safetensors'" in msgs
    assert "model-00001-of-00002.safetensors: 1 tensor listed in the index but not in this shard: 'c'" in msgs


def test_safetensors_header_lies_about_offsets(release) -> None:
    header = json.dumps({"w": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}}).encode()
    bad = len(header).to_bytes(8, "little") + header + b"\x00" * 16
    a = audit(release({"README.md": "# M\n", "model.safetensors": bad}), hash_contents=False)
    (f,) = [f for f in a.findings if f.rule == "invalid-safetensors"]
    assert f.evidence[0].path == "model.safetensors" and f.evidence[0].offset is not None
