"""`trueopen diff`: relicensing as the headline, components, claims, verdicts, safety and files by
sha256; --fail-on rules set the exit code."""

from __future__ import annotations

import json
import shutil

import pytest

from builders import EXAMPLES, run_cli
from scan.pickles import SHELL, call1_p4, p4, sbu
from trueopen.audit import audit
from trueopen.diff import FAIL_ON, compare, diff, parse_fail_on
from trueopen.errors import InputError

APACHE = (EXAMPLES / "open-weights" / "LICENSE").read_text()
LLAMA = (EXAMPLES / "openwashed" / "LICENSE").read_text()


@pytest.fixture()
def versions(tmp_path):
    """v1: open-weights under Apache-2.0; v2: the same files relicensed under Llama 3.1, a new claim, a changed tokenizer."""
    v1 = tmp_path / "v1"
    shutil.copytree(EXAMPLES / "open-weights", v1)
    v2 = tmp_path / "v2"
    shutil.copytree(v1, v2)
    (v2 / "LICENSE").write_text(LLAMA)
    card = (v2 / "README.md").read_text().replace("license: apache-2.0", "license: llama3.1")
    (v2 / "README.md").write_text(card + "\nKestrel-Tiny is a fully open source model.\n")
    (v2 / "tokenizer.json").write_text((v2 / "tokenizer.json").read_text().replace("}", " }", 1))
    return v1, v2


def test_relicensing_is_the_headline(versions) -> None:
    v1, v2 = versions
    d = diff(v1, v2, fail_on="licence-change,label-down,safety-down")
    relicensed = {c.subject: (c.old, c.new) for c in d.relicensed}
    assert relicensed["model-parameters-final"] == ("Apache-2.0", "LicenseRef-trueopen-llama-3.1")
    kinds = {(c.kind, c.subject, c.direction) for c in d.changes}
    assert ("verdict", "label", "down") in kinds and ("verdict", "openwashing", "down") in kinds
    assert ("file", "tokenizer.json", "changed") in kinds and ("file", "LICENSE", "changed") in kinds
    assert any(c.kind == "claim" and c.direction == "added" and "fully open source" in (c.new or "") for c in d.changes)
    assert d.triggered == ["license-change", "label-down"]


def test_identical_audits_have_no_differences() -> None:
    a = audit(EXAMPLES / "openwashed")
    assert compare(a, a) == []
    assert diff(a, a, fail_on="any").triggered == []


def test_safety_down_and_component_removed(tmp_path) -> None:
    v1 = tmp_path / "v1"
    shutil.copytree(EXAMPLES / "openwashed", v1)
    v2 = tmp_path / "v2"
    shutil.copytree(v1, v2)
    (v2 / "original" / "consolidated.00.pth").write_bytes(p4(call1_p4("os", "system", sbu(SHELL))))
    (v2 / "inference.py").unlink()
    d = diff(v1, v2, fail_on=["safety-down", "component-removed", "licence-change"])
    assert ("safety", "safety", "clean", "unsafe") in {(c.kind, c.subject, c.old, c.new) for c in d.changes}
    assert ("safety", "original/consolidated.00.pth", "clean", "unsafe") in {(c.kind, c.subject, c.old, c.new) for c in d.changes}
    assert ("component", "inference-code", "removed") in {(c.kind, c.subject, c.direction) for c in d.changes}
    assert d.triggered == ["safety-down", "component-removed"]  # in FAIL_ON order
    assert not (v2 / "canary").exists() and not (tmp_path / "canary").exists()


def test_fail_on_rules_are_checked() -> None:
    assert parse_fail_on("licence-change, LABEL-DOWN") == ["license-change", "label-down"]
    with pytest.raises(InputError, match="unknown rule 'stars'"):
        parse_fail_on("licence-change,stars")
    assert set(FAIL_ON) >= {"license-change", "label-down", "safety-down"}


def test_diff_cli_on_saved_audits(versions, tmp_path) -> None:
    v1, v2 = versions
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    for src, dst in ((v1, old), (v2, new)):
        assert run_cli("audit", str(src), "-f", "json", "-o", str(dst)).returncode == 0
    proc = run_cli("diff", str(old), str(new))
    assert proc.returncode == 0, proc.stderr
    assert "RELICENSED model-parameters-final: Apache-2.0 → LicenseRef-trueopen-llama-3.1" in proc.stdout
    proc = run_cli("diff", str(old), str(new), "--fail-on", "licence-change,label-down,safety-down", "-f", "json")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data["triggered"] == ["license-change", "label-down"]
    tok = next(c for c in data["changes"] if c["subject"] == "tokenizer.json")
    assert len(tok["old"]) == 64 and len(tok["new"]) == 64 and tok["old"] != tok["new"]
    proc = run_cli("diff", str(old), str(old), "--fail-on", "any")
    assert proc.returncode == 0 and "No differences." in proc.stdout


def test_diff_cli_bad_input(tmp_path) -> None:
    proc = run_cli("diff", str(EXAMPLES / "open-weights"), str(EXAMPLES / "openwashed"), "--fail-on", "stars")
    assert proc.returncode == 2 and "unknown rule 'stars'" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    proc = run_cli("diff", str(tmp_path / "none.json"), str(EXAMPLES / "openwashed"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
