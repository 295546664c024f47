"""The policy gate: presets against the examples, rules as data, failures with rule, observed value
and evidence; bad policy files are one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from builders import EXAMPLES, run_cli
from reports.validators import sarif_errors
from trueopen.audit import audit
from trueopen.errors import InputError
from trueopen.policy import check, evaluate, json_schema, load_policy, parse_policy, presets

REPO = Path(__file__).resolve().parents[2]
EXPECTED = {  # (example, preset) -> passes
    ("fully-open", "open-source"): True, ("fully-open", "commercial-use"): True, ("fully-open", "safe-to-load"): True,
    ("open-weights", "open-source"): False, ("open-weights", "commercial-use"): True, ("open-weights", "safe-to-load"): True,
    ("openwashed", "open-source"): False, ("openwashed", "commercial-use"): False, ("openwashed", "safe-to-load"): True,
}


@pytest.fixture(scope="module")
def records():
    return {n: audit(EXAMPLES / n, hash_contents=False) for n in ("fully-open", "open-weights", "openwashed")}


@pytest.mark.parametrize("example,preset", sorted(EXPECTED))
def test_presets_on_the_examples(records, example, preset) -> None:
    result = check(records[example], preset)
    assert result.passed is EXPECTED[(example, preset)]
    assert result.results  # every preset has rules


def test_failures_say_rule_observed_and_evidence(records) -> None:
    washed = check(records["openwashed"], "open-source")
    fails = {f.rule: f for f in washed.failures}
    assert set(fails) == {"osaid", "no_openwashing"}
    assert fails["no_openwashing"].observed == "flagged (strong)"
    assert fails["no_openwashing"].evidence == ["README.md:14", "README.md:24", "README.md:26"]
    commercial = check(records["openwashed"], "commercial-use")
    (fail,) = commercial.failures
    assert fail.rule == "terms.no_threshold" and "700 million monthly active users" in fail.observed
    assert fail.evidence == ["LICENSE"]


def test_every_rule_kind(records) -> None:
    pol = parse_policy("""
version: 1
name: everything
rules:
  labels: [open-source, open-weights]
  required_components: [training-code, model-card]
  licenses: {allow: ["Apache-2.0 OR MIT"], deny: [CC-BY-NC-4.0]}
  terms: {commercial_use: true, no_threshold: true, no_acceptable_use_policy: true, no_output_restriction: true, redistribution: true}
  max_safety: review
  min_mof_class: Class III
  osaid: true
  no_openwashing: true
  verified: true
""")
    ow = {r.rule: r for r in evaluate(records["open-weights"], pol).results}
    assert ow["labels"].passed and not ow["required_components.training-code"].passed
    assert ow["required_components.model-card"].passed
    assert ow["licenses.allow"].passed and ow["licenses.deny"].passed
    assert all(ow[f"terms.{t}"].passed for t in ("commercial_use", "no_threshold", "no_acceptable_use_policy",
                                                 "no_output_restriction", "redistribution"))
    assert ow["max_safety"].passed and not ow["min_mof_class"].passed and ow["verified"].passed
    washed = {r.rule: r for r in evaluate(records["openwashed"], pol).results}
    assert not washed["labels"].passed and washed["labels"].observed == "restricted-weights"
    assert not washed["licenses.allow"].passed and "LicenseRef-trueopen-llama-3.1" in washed["licenses.allow"].observed
    assert not washed["terms.no_acceptable_use_policy"].passed and not washed["terms.no_output_restriction"].passed
    full = {r.rule: r for r in evaluate(records["fully-open"], pol).results}
    # CC0-1.0 and CC-BY-4.0 govern the data and the report: not in the allow-list.
    assert not full["licenses.allow"].passed and "CC0-1.0" in full["licenses.allow"].observed


def test_deny_list_and_unverified(records) -> None:
    pol = parse_policy("rules: {licenses: {deny: [LicenseRef-trueopen-llama-3.1]}}")
    (r,) = evaluate(records["openwashed"], pol).results
    assert not r.passed and r.observed == "LicenseRef-trueopen-llama-3.1" and "LICENSE" in r.evidence
    spread = audit(EXAMPLES / "_spread" / "code", hash_contents=False)
    (v,) = evaluate(spread, parse_policy("rules: {verified: true}")).results
    assert not v.passed and v.observed == "model-parameters-final" and v.evidence == ["README.md:6"]


def test_unknown_terms_fail_closed(records) -> None:
    record = records["open-weights"]
    stripped = record.model_copy(update={"licenses": [lf.model_copy(update={"terms": None}) for lf in record.licenses]})
    (r,) = evaluate(stripped, parse_policy("rules: {terms: {commercial_use: true}}")).results
    assert not r.passed and "terms unknown" in r.observed


BAD = {
    "unknown-rule.yml": ("rules:\n  osaid: true\n  open_weights: true\n", "unknown rule 'rules.open_weights'"),
    "wrong-type.yml": ("rules:\n  osaid: 'yes please'\n", "rules.osaid"),
    "bad-enum.yml": ("rules:\n  max_safety: spotless\n", "rules.max_safety"),
    "bad-component.yml": ("rules:\n  required_components: [weights]\n", "rules.required_components.0"),
    "no-rules.yml": ("name: x\n", "rules: required"),
    "not-mapping.yml": ("- osaid\n", "a policy is a YAML mapping"),
    "bad-yaml.yml": ("rules: {osaid: true\n", "invalid YAML"),
    "version.yml": ("version: 2\nrules: {}\n", "version"),
    "bomb.yml": ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nrules: {}\n",
                 "anchors and aliases are not allowed"),
    "deep.yml": ("rules: " + "[" * 40 + "]" * 40 + "\n", "nested more than"),
    "huge.yml": ("rules: {}\n" + "# padding\n" * 10_000, "is larger than 65536"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_policy_files_are_one_line_errors(tmp_path, name) -> None:
    text, message = BAD[name]
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_policy(path)
    assert message in str(err.value) and "\n" not in str(err.value)
    proc = run_cli("check", str(EXAMPLES / "open-weights"), "--policy", str(path), "--no-hash")
    assert proc.returncode == 2, proc.stdout
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr


def test_policy_not_utf8_and_missing(tmp_path) -> None:
    (tmp_path / "p.yml").write_bytes(b"rules: {}\n\xff\xfe")
    with pytest.raises(InputError, match="not UTF-8"):
        load_policy(tmp_path / "p.yml")
    with pytest.raises(InputError, match="no such policy file or preset"):
        load_policy(tmp_path / "none.yml")


def test_committed_policy_schema_is_in_sync_and_presets_validate() -> None:
    committed = json.loads((REPO / "schema" / "policy.schema.json").read_text())
    assert committed == json_schema(), "run: trueopen schema --policy -o schema/policy.schema.json"
    for name in presets():
        text = (REPO / "src" / "trueopen" / "data" / "policies" / f"{name}.yml").read_text()
        jsonschema.validate(yaml.safe_load(text), committed)
        assert load_policy(name).name == name
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"rules": {"bogus": 1}}, committed)


def test_check_cli_exit_codes_and_formats(tmp_path) -> None:
    proc = run_cli("check", str(EXAMPLES / "fully-open"), "--policy", "open-source", "--no-hash")
    assert proc.returncode == 0 and "PASS" in proc.stdout
    proc = run_cli("check", str(EXAMPLES / "fully-open"), str(EXAMPLES / "openwashed"), "--policy", "open-source", "--no-hash")
    assert proc.returncode == 1
    assert "FAIL  no_openwashing: flagged (strong)" in proc.stdout and "README.md:14" in proc.stdout
    proc = run_cli("check", str(EXAMPLES / "openwashed"), "-p", "commercial-use", "--no-hash", "-f", "json")
    data = json.loads(proc.stdout)
    assert proc.returncode == 1 and data["passed"] is False
    assert [r["rule"] for r in data["checks"][0]["results"] if not r["passed"]] == ["terms.no_threshold"]
    proc = run_cli("check", str(EXAMPLES / "openwashed"), "-p", "open-source", "--no-hash", "-f", "sarif")
    assert proc.returncode == 1 and sarif_errors(proc.stdout) == []
    assert {r["ruleId"] for r in json.loads(proc.stdout)["runs"][0]["results"]} == {"trueopen-policy/osaid", "trueopen-policy/no_openwashing"}
    proc = run_cli("check", str(EXAMPLES / "openwashed"), "-p", "open-source", "--no-hash", "-f", "markdown")
    assert proc.returncode == 1 and "| `no_openwashing` | **fail** | flagged (strong) |" in proc.stdout


def test_check_on_a_saved_audit(tmp_path) -> None:
    saved = tmp_path / "audit.json"
    assert run_cli("audit", str(EXAMPLES / "openwashed"), "-f", "json", "-o", str(saved)).returncode == 0
    proc = run_cli("check", str(saved), "--policy", "safe-to-load")
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("check", str(saved), "--policy", "open-source")
    assert proc.returncode == 1 and "no_openwashing" in proc.stdout


@pytest.mark.parametrize("content,message", [
    ("{not json", "not JSON"),
    ('{"hello": 1}', "not a trueopen audit record"),
    ('{"schema_version": 99, "verdicts": {}}', "schema_version 99"),
    ('{"schema_version": 1, "verdicts": {"label": "great"}}', "not a valid audit record"),
])
def test_check_on_a_bad_saved_audit(tmp_path, content, message) -> None:
    path = tmp_path / "audit.json"
    path.write_text(content)
    proc = run_cli("check", str(path), "--policy", "open-source")
    assert proc.returncode == 2 and message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_check_help_has_examples() -> None:
    for cmd in ("check", "diff", "badge"):
        proc = run_cli(cmd, "--help")
        assert proc.returncode == 0 and "Examples" in proc.stdout and "--format" in proc.stdout and "--output" in proc.stdout
