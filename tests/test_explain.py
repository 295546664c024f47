"""`trueopen explain`: every framework explained in a few sentences, each point citing evidence."""

from __future__ import annotations

import json
import re

import pytest

from builders import EXAMPLES, run_cli
from trueopen.audit import audit
from trueopen.formats.explain import explain, to_json

CITE = re.compile(r"^[^\s:@]+(?::\d+|@\d+)?$")


@pytest.fixture(scope="module")
def audits():
    return {name: audit(EXAMPLES / name, hash_contents=False) for name in ("fully-open", "open-weights", "openwashed")}


@pytest.mark.parametrize("name", ["fully-open", "open-weights", "openwashed"])
def test_every_framework_has_2_to_5_points_with_evidence(audits, name) -> None:
    out = explain(audits[name])
    assert [f.id for f in out] == ["label", "mof", "osaid", "eu_ai_act", "eu_index", "reproducibility"]
    for f in out:
        assert 2 <= len(f.points) <= 5, f.id
        assert any(p.kind == "result" for p in f.points)
        for p in f.points:
            assert p.text.strip()
            if not (f.id == "mof" and "highest class" in p.text):
                assert p.evidence, (f.id, p.text)
            assert all(CITE.match(c) for c in p.evidence), p.evidence


def test_what_would_change_it_is_said(audits) -> None:
    out = {f.id: f for f in explain(audits["openwashed"])}
    assert out["label"].result == "restricted-weights, openwashing flagged (strong)"
    assert any(p.kind == "change" and "README.md:24" in p.evidence for p in out["label"].points)
    osaid = " ".join(p.text for p in out["osaid"].points if p.kind == "change")
    assert "provenance" in osaid and "list of third-party sources" in osaid
    assert out["eu_index"].result == "3 / 12"
    assert out["eu_ai_act"].result == "no exemption"


def test_open_release_cites_line_evidence(audits) -> None:
    out = {f.id: f for f in explain(audits["fully-open"])}
    data = out["osaid"].points[0]
    assert data.text.startswith("Data information: met")
    assert any(re.match(r"README\.md:\d+$", c) for c in data.evidence)


def test_json_is_stable(audits) -> None:
    a = audits["open-weights"]
    assert to_json(a) == to_json(a)
    data = json.loads(to_json(a))
    assert data["target"].endswith("open-weights") and len(data["frameworks"]) == 6


def test_cli_explain_table_and_json(tmp_path) -> None:
    r = run_cli("explain", str(EXAMPLES / "openwashed"), "--no-hash")
    assert r.returncode == 0, r.stderr
    assert "European Open Source AI Index" in r.stdout and "README.md:24" in r.stdout
    out = tmp_path / "why.json"
    r = run_cli("explain", str(EXAMPLES / "fully-open"), "--format", "json", "--output", str(out), "--no-hash")
    assert r.returncode == 0 and json.loads(out.read_text())["frameworks"][2]["result"] == "conformant"


def test_cli_explain_help_and_bad_input(tmp_path) -> None:
    r = run_cli("explain", "--help")
    assert r.returncode == 0 and "trueopen explain ./my-model" in r.stdout
    r = run_cli("explain", str(tmp_path / "missing"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
