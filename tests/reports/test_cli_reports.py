"""`audit --format` for the report formats, from the command line as a user runs it."""

from __future__ import annotations

import json

import pytest

from builders import EXAMPLES, run_cli
from reports.validators import cyclonedx_errors, sarif_errors


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx", "markdown", "html", "sarif"])
def test_audit_format_to_file(tmp_path, fmt) -> None:
    out = tmp_path / f"report.{fmt}"
    proc = run_cli("audit", str(EXAMPLES / "openwashed"), "--format", fmt, "--output", str(out))
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == "", proc.stderr
    text = out.read_text()
    check = {"cyclonedx": cyclonedx_errors, "sarif": sarif_errors}.get(fmt)
    if check:
        assert check(text) == []
    if fmt == "spdx":  # the same document the API writes, which test_aibom validates (schema and SHACL)
        from trueopen.audit import audit
        from trueopen.formats import spdx

        assert text == spdx.render(audit(EXAMPLES / "openwashed"))
    if fmt == "html":
        assert text.startswith("<!DOCTYPE html>") and "restricted-weights" in text
    if fmt == "markdown":
        assert text.startswith("## trueopen audit: Llama-3.1-Meridian-Tiny")
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_audit_format_is_the_same_on_stdout(tmp_path) -> None:
    out = tmp_path / "bom.json"
    run_cli("audit", str(EXAMPLES / "open-weights"), "-f", "cyclonedx", "-o", str(out))
    proc = run_cli("audit", str(EXAMPLES / "open-weights"), "-f", "cyclonedx")
    assert proc.stdout == out.read_text() and json.loads(proc.stdout)["bomFormat"] == "CycloneDX"


def test_audit_report_format_on_bad_input(tmp_path) -> None:
    proc = run_cli("audit", str(tmp_path / "missing"), "--format", "spdx")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    proc = run_cli("audit", str(EXAMPLES / "open-weights"), "--format", "html", "-o", str(tmp_path / "no" / "such" / "x.html"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr


def test_audit_help_lists_the_formats() -> None:
    proc = run_cli("audit", "--help")
    for fmt in ("cyclonedx", "spdx", "markdown", "html", "sarif"):
        assert fmt in proc.stdout


def test_schema_policy_option() -> None:
    proc = run_cli("schema", "--policy")
    assert proc.returncode == 0 and json.loads(proc.stdout)["title"] == "Policy"
