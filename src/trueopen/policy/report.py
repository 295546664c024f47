"""Check results as a table, JSON, SARIF 2.1.0 or Markdown. Each failure shows its rule, the value
observed and the evidence."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from trueopen import __version__
from trueopen.policy.evaluate import CheckResult


def render_table(results: Sequence[CheckResult], console: Console) -> None:
    for res in results:
        head = Text.assemble((res.target, "bold"), f"  policy {res.policy}: ",
                             ("PASS", "bold green") if res.passed else ("FAIL", "bold red"))
        console.print(head)
        for r in res.results:
            mark = ("  ok    ", "green") if r.passed else ("  FAIL  ", "bold red")
            line = Text.assemble(mark, (r.rule, "bold"), f": {r.observed}")
            if not r.passed:
                line.append(f" (expected {r.expected})", style="dim")
                if r.evidence:
                    line.append(f" [{', '.join(r.evidence)}]", style="cyan")
            console.print(line)
        if not res.results:
            console.print("  (the policy has no rules)")


def render_json(results: Sequence[CheckResult]) -> str:
    data = {"passed": all(r.passed for r in results), "checks": [r.model_dump() for r in results]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_markdown(results: Sequence[CheckResult]) -> str:
    lines = []
    for res in results:
        lines += [f"### trueopen check: `{res.target}`, policy `{res.policy}`: {'✅ pass' if res.passed else '❌ fail'}", "",
                  "| Rule | Result | Observed | Expected | Evidence |", "|---|---|---|---|---|"]
        for r in res.results:
            cell = " ".join(r.observed.split()).replace("|", "\\|")
            ev = ", ".join(f"`{e}`" for e in r.evidence) or "-"
            lines.append(f"| `{r.rule}` | {'pass' if r.passed else '**fail**'} | {cell} | {r.expected.replace('|', '/')} | {ev} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def render_sarif(results: Sequence[CheckResult]) -> str:
    rules: dict[str, dict] = {}
    out = []
    for res in results:
        for r in res.failures:
            rid = f"trueopen-policy/{r.rule}"
            rules.setdefault(rid, {"id": rid, "shortDescription": {"text": f"policy rule {r.rule}"},
                                   "fullDescription": {"text": f"Expected: {r.expected}"},
                                   "defaultConfiguration": {"level": "error"}})
            locs = []
            for e in r.evidence or ["."]:
                path, _, line = e.partition(":")
                phys: dict = {"artifactLocation": {"uri": path}}
                if line.isdigit():
                    phys["region"] = {"startLine": int(line)}
                locs.append({"physicalLocation": phys})
            out.append({"ruleId": rid, "level": "error", "locations": locs,
                        "message": {"text": f"{res.target}: policy {res.policy}: {r.rule}: {r.observed} (expected {r.expected})"}})
    ordered = sorted(rules)
    for x in out:
        x["ruleIndex"] = ordered.index(x["ruleId"])
    log = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "trueopen", "version": __version__, "rules": [rules[k] for k in ordered]}},
                     "results": out, "properties": {"passed": all(r.passed for r in results)}}]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
