"""A scan as SARIF 2.1.0, for code-scanning dashboards (GitHub, GitLab, Azure DevOps)."""

from __future__ import annotations

import json

from trueopen import __version__
from trueopen.scan.engine import ScanReport

LEVEL = {"block": "error", "review": "warning", "info": "note"}


def render(report: ScanReport) -> str:
    """One SARIF log with one run; rules are the issue rules, results carry byte offsets."""
    rules: dict[str, dict] = {}
    results = []
    for scan in report.files:
        for issue in scan.issues:
            rule_id = f"trueopen/{issue.rule}"
            rules.setdefault(rule_id, {"id": rule_id, "name": issue.rule,
                                       "shortDescription": {"text": issue.rule.replace("-", " ")}})
            region = {"byteOffset": issue.offset} if issue.offset is not None else None
            location: dict = {"physicalLocation": {"artifactLocation": {"uri": scan.path}}}
            if region:
                location["physicalLocation"]["region"] = region
            message = issue.detail if not issue.member else f"{issue.member}: {issue.detail}"
            result = {"ruleId": rule_id, "level": LEVEL.get(issue.verdict, "note"),
                      "message": {"text": message}, "locations": [location],
                      "properties": {"verdict": issue.verdict, "format": scan.format, "fileStatus": scan.status}}
            if issue.trick:
                result["properties"]["trick"] = issue.trick
            results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "trueopen", "version": __version__,
                                "rules": [rules[k] for k in sorted(rules)]}},
            "results": results,
            "properties": {"status": report.status},
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
