"""The whole audit as SARIF 2.1.0: every finding (licences, openwashing, safety, integrity, card)
as a result with rule metadata and file locations, so code scanning shows them on the release's
files. Openwashing is a verdict, not a finding: when flagged it becomes one result per claim."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from trueopen import __version__
from trueopen.data import load_yaml
from trueopen.record import Audit, Evidence, Finding

LEVEL = {"block": "error", "warn": "warning", "info": "note"}


@cache
def _rules() -> dict[str, dict[str, str]]:
    return load_yaml("formats/rules.yml")["rules"]


def rule_text(rule: str) -> str:
    """What a finding rule means, from data/formats/rules.yml (safety-* rules: from the name)."""
    known = _rules().get(rule)
    if known:
        return known["text"]
    if rule.startswith("safety-"):
        return f"Model-file safety: {rule.removeprefix('safety-').replace('-', ' ')} (the scan engine's rule)."
    return rule.replace("-", " ").capitalize() + "."


def rule_category(rule: str) -> str:
    known = _rules().get(rule)
    return known["category"] if known else ("safety" if rule.startswith("safety-") else "other")


def _location(ev: Evidence) -> dict[str, Any]:
    # Paths are relative to the release root, which is the repository root on a model repo: code
    # scanning resolves them there without a uriBaseId.
    phys: dict[str, Any] = {"artifactLocation": {"uri": ev.path or "."}}
    if ev.line:
        phys["region"] = {"startLine": ev.line}
    elif ev.offset is not None:
        phys["region"] = {"byteOffset": ev.offset}
    return {"physicalLocation": phys, "message": {"text": ev.detail[:500]}}


def all_findings(audit: Audit) -> list[Finding]:
    """The audit's findings, the safety findings and, when flagged, openwashing, most severe first."""
    out = list(audit.findings) + list(audit.safety.findings)
    ow = audit.verdicts.openwashing
    if ow.flagged:
        reason = "; ".join(ow.reasons[:3])
        out.append(Finding(rule="openwashing", severity="block" if ow.severity == "strong" else "warn",
                           message=f"The release calls itself open source but is {audit.verdicts.label} "
                                   f"(openwashing, {ow.severity}): {reason}", evidence=list(ow.claims)))
    order = {"block": 0, "warn": 1, "info": 2}
    return sorted(out, key=lambda f: (order[f.severity], f.rule, f.message))


def build(audit: Audit) -> dict[str, Any]:
    findings = all_findings(audit)
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in findings:
        rid = f"trueopen/{f.rule}"
        if rid not in rules:
            rules[rid] = {"id": rid, "name": "".join(w.capitalize() for w in f.rule.split("-")),
                          "shortDescription": {"text": f.rule.replace("-", " ")},
                          "fullDescription": {"text": rule_text(f.rule)},
                          "defaultConfiguration": {"level": LEVEL[f.severity]},
                          "help": {"text": rule_text(f.rule)},
                          "properties": {"category": rule_category(f.rule)}}
        locations = [_location(e) for e in f.evidence[:10]] or [_location(Evidence(path=audit.card.path or ".", detail="release"))]
        results.append({"ruleId": rid, "level": LEVEL[f.severity], "message": {"text": f.message},
                        "locations": locations,
                        "partialFingerprints": {"trueopenFinding/v1": f"{f.rule}:{f.message}"[:200]},
                        "properties": {"severity": f.severity, "category": rule_category(f.rule)}})
    ordered = sorted(rules)
    index = {rid: i for i, rid in enumerate(ordered)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    v = audit.verdicts
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "trueopen", "version": __version__, "rules": [rules[k] for k in ordered]}},
            "results": results,
            "properties": {"label": v.label, "osaid": v.osaid.conformant, "mofClass": v.mof.class_,
                           "openwashing": v.openwashing.flagged, "safety": audit.safety.status,
                           "target": audit.target.ref},
        }],
    }


def render(audit: Audit) -> str:
    """SARIF 2.1.0 JSON: same audit, same bytes."""
    return json.dumps(build(audit), indent=2, ensure_ascii=False) + "\n"
