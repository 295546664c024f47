"""Components: the inventory's evidence and the licence map combined into the 17 MOF
components, each with `present`, `open`, its licence and the evidence for both."""

from __future__ import annotations

from trueopen import licenses as lic
from trueopen.assessors.mof import components as component_defs
from trueopen.inspectors.inventory import Inventory
from trueopen.inspectors.licenses import LicenseMap, join_expressions
from trueopen.record import Component, ComponentLicense, Evidence, Finding

MAX_EVIDENCE = 50  # per component; the count of the rest is stated
SOURCE_RANK = {"component": 0, "content-type": 1, "statement": 2, "release": 3, "none": 4}


def build_components(inv: Inventory, lm: LicenseMap) -> tuple[list[Component], list[Finding]]:
    """One Component per MOF component, in the vocabulary's order, and licence-type findings."""
    out: list[Component] = []
    findings: list[Finding] = []
    for d in component_defs():
        hits = inv.hits.get(d.id, [])
        strong = [h for h in hits if not h.weak]
        internal = [h for h in strong if not h.external]
        status = "present" if internal else ("referenced" if strong else "missing")
        if internal:
            files = sorted({f for h in internal for f in h.files})
            governing = [lm.governing(f, d.id, d.content_type) for f in files]
            expressions = sorted({g.expression for g in governing if g.expression})
            unlicensed = [f for f, g in zip(files, governing) if g.expression is None]
            best = min(governing, key=lambda g: SOURCE_RANK[g.source])
            expression = join_expressions(expressions) if expressions else None
            is_open = bool(expression) and not unlicensed and lic.is_open(expression)
            license = ComponentLicense(expression=expression, source=best.source if expression else "none",
                                       path=best.path if expression else None, line=best.line if expression else None)
            if unlicensed and expressions:
                findings.append(Finding(rule="component-partly-unlicensed", severity="warn",
                                        message=f"{d.id}: {len(unlicensed)} file(s) are governed by no licence",
                                        evidence=[Evidence(path=f, detail="no licence governs this file") for f in unlicensed[:10]]))
            if is_open:
                findings.extend(_type_warnings(d.id, d.content_type, expression, license.path))
        elif strong:
            # Only referenced: judged by the licence the release states for it (never verified).
            ref = strong[0].evidence.path
            own = any(h.reference is not None and h.reference.own for h in strong) or d.id in ("model-parameters-final", "model-parameters-intermediate")
            g = lm.stated(ref, d.id, d.content_type, own)
            license = ComponentLicense(expression=g.expression, source=g.source, path=g.path, line=g.line)
            is_open = bool(g.expression) and lic.is_open(g.expression)
        else:
            license = ComponentLicense(expression=None, source="none", path=None)
            is_open = False
        # Evidence that shows the component is here comes first; references and support after.
        ranked = sorted(hits, key=lambda h: (h.weak, h.external, h.evidence.path, h.evidence.line or 0, h.evidence.detail))
        evidence = [h.evidence for h in ranked]
        if len(evidence) > MAX_EVIDENCE:
            extra = len(evidence) - MAX_EVIDENCE
            evidence = evidence[:MAX_EVIDENCE] + [Evidence(path=evidence[MAX_EVIDENCE].path, detail=f"and {extra} more")]
        references = list({(h.reference.kind, h.reference.target): h.reference for h in hits if h.reference is not None}.values())
        references.sort(key=lambda r: (r.path, r.line or 0, r.kind, r.target))
        out.append(Component(id=d.id, name=d.name, content_type=d.content_type, present=status == "present", open=is_open,
                             license=license, evidence=evidence, status=status, verified=status == "present",
                             references=references[:MAX_EVIDENCE]))
    return out, findings


def _type_warnings(component: str, content_type: str, expression: str, path: str | None) -> list[Finding]:
    """MOF passes an open licence of the wrong kind (Apache-2.0 on weights) with a warning."""
    wrong = [i for i in lic.expression_ids(expression) if not lic.is_type_appropriate(i, content_type)]
    if not wrong:
        return []
    names = ", ".join(wrong)
    return [Finding(rule="license-wrong-type", severity="info",
                    message=f"{component}: {names} is open but not a {content_type} licence (MOF conditional pass)",
                    evidence=[Evidence(path=path or "", detail=f"{names} on {content_type}")])]

