"""SARIF for the whole audit (valid against the vendored 2.1.0 schema), the Markdown report
(GitHub tables, no raw HTML) and the badges (readable, colours that mean something)."""

from __future__ import annotations

import json
import re

import pytest

from builders import EXAMPLES, run_cli, safetensors_bytes
from reports.validators import sarif_errors
from scan.pickles import SHELL, call1_p4, p4, sbu
from trueopen.audit import audit
from trueopen.formats import badge, markdown, sarif_audit


@pytest.fixture(scope="module")
def washed():
    return audit(EXAMPLES / "openwashed")


@pytest.fixture(scope="module")
def unsafe(tmp_path_factory):
    root = tmp_path_factory.mktemp("unsafe")
    (root / "README.md").write_text("---\nlicense: apache-2.0\n---\n# Evil | model\n\nThe <b>open source</b> model.\n")
    (root / "pytorch_model.bin").write_bytes(p4(call1_p4("os", "system", sbu(SHELL))))
    (root / "model.safetensors").write_bytes(safetensors_bytes())
    record = audit(root)
    assert not (root / "canary").exists()  # analysed, never loaded
    return record


@pytest.mark.parametrize("name", ["fully-open", "open-weights", "openwashed"])
def test_sarif_validates(name) -> None:
    assert sarif_errors(sarif_audit.render(audit(EXAMPLES / name))) == []


def test_sarif_openwashing_points_at_the_claims(washed) -> None:
    log = json.loads(sarif_audit.render(washed))
    run = log["runs"][0]
    (result,) = [r for r in run["results"] if r["ruleId"] == "trueopen/openwashing"]
    assert result["level"] == "error"
    lines = sorted((loc["physicalLocation"]["artifactLocation"]["uri"], loc["physicalLocation"]["region"]["startLine"])
                   for loc in result["locations"])
    assert lines == [("README.md", 14), ("README.md", 24), ("README.md", 26)]
    rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert rule["id"] == "trueopen/openwashing" and "OSI Open Source AI Definition" in rule["fullDescription"]["text"]
    assert run["properties"]["label"] == "restricted-weights"


def test_sarif_carries_safety_with_byte_offsets(unsafe) -> None:
    text = sarif_audit.render(unsafe)
    assert sarif_errors(text) == []
    results = json.loads(text)["runs"][0]["results"]
    blocked = [r for r in results if r["ruleId"].startswith("trueopen/safety-")]
    assert blocked and blocked[0]["level"] == "error"
    loc = blocked[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "pytorch_model.bin" and "byteOffset" in loc["region"]


def test_sarif_schema_check_can_fail(washed) -> None:
    log = json.loads(sarif_audit.render(washed))
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert sarif_errors(json.dumps(log))


def test_markdown_is_github_tables_without_html(washed, unsafe) -> None:
    for record in (washed, unsafe):
        text = markdown.render(record)
        assert not re.search(r"<(?!-)[a-zA-Z/]", text), "raw HTML in Markdown"
        for table in re.findall(r"((?:^\|.*\|\n)+)", text, re.M):
            rows = table.strip("\n").split("\n")
            widths = {len(re.findall(r"(?<!\\)\|", r)) for r in rows}
            assert len(widths) == 1, rows[:3]  # every row has as many cells as the header
            assert set(rows[1].replace("|", "")) == {"-"}


def test_markdown_cites_evidence_and_verdicts(washed) -> None:
    text = markdown.render(washed)
    assert "**restricted-weights**" in text and "**flagged (strong)**" in text
    assert "`README.md:24`" in text and "`inference.py:24`" in text
    assert "| model-parameters-final | 🟠 present, not open | llama-3.1 |" in text
    assert "more than 700 million monthly active users" in text


def test_markdown_escapes_release_text(unsafe) -> None:
    text = markdown.render(unsafe)
    assert text.startswith("## trueopen audit: Evil \\| model\n")
    assert "<b>" not in text and "🔴 **unsafe**" in text


def test_badge_svg_is_readable_and_coloured() -> None:
    washed = audit(EXAMPLES / "openwashed", hash_contents=False)
    full = audit(EXAMPLES / "fully-open", hash_contents=False)
    svg = badge.svg(washed, "label")
    assert svg.startswith("<svg") and 'aria-label="trueopen: restricted-weights (openwashing)"' in svg
    assert "#c0262d" in svg  # strong openwashing is red
    assert "#1a7f37" in badge.svg(full, "label") and "#1a7f37" in badge.svg(full, "safety")
    assert ">Class I<" in badge.svg(full, "mof")
    assert badge.endpoint(washed, "safety") == {"schemaVersion": 1, "label": "safety", "message": "clean", "color": "1a7f37"}


def test_badge_colours_have_readable_contrast() -> None:
    def lum(hexcolor: str) -> float:
        chans = [int(hexcolor[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in chans]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    for name, color in badge._conf()["colors"].items():
        assert (1.05) / (lum(color) + 0.05) >= 4.5, name  # white text


def test_badge_width_fits_the_text() -> None:
    assert badge.text_width("restricted-weights (openwashing)") > badge.text_width("clean") * 4


def test_badge_cli_writes_one_file_per_kind(tmp_path) -> None:
    out = tmp_path / "badges"
    out.mkdir()
    proc = run_cli("badge", str(EXAMPLES / "fully-open"), "--no-hash", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["trueopen-label.svg", "trueopen-mof.svg", "trueopen-safety.svg"]
    proc = run_cli("badge", str(EXAMPLES / "fully-open"), "--no-hash", "--kind", "mof", "--format", "shields-json")
    assert json.loads(proc.stdout) == {"color": "1a7f37", "label": "MOF", "message": "Class I", "schemaVersion": 1}


def test_badge_cli_bad_input(tmp_path) -> None:
    proc = run_cli("badge", str(tmp_path / "nope"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    proc = run_cli("badge", str(EXAMPLES / "fully-open"), "--kind", "stars")
    assert proc.returncode == 2
