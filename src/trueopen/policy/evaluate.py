"""Evaluating a policy against an audit record: each rule given gives one result with the value
it observed and the evidence for it. The record's verdicts are read, never recomputed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from trueopen.policy.model import Policy
from trueopen.record import Audit, Component, Evidence

SAFETY_RANK = {"clean": 0, "review": 1, "incomplete": 2, "unsafe": 3}
MOF_RANK = {"Unclassified": 0, "Class III": 1, "Class II": 2, "Class I": 3}


class RuleResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    rule: str
    passed: bool
    expected: str
    observed: str
    evidence: list[str] = []  # path:line


class CheckResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    target: str
    policy: str
    passed: bool
    results: list[RuleResult]

    @property
    def failures(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed]


def _where(evidence: list[Evidence], limit: int = 4) -> list[str]:
    out: list[str] = []
    for e in evidence:
        if (w := e.where()) not in out:
            out.append(w)
    return out[:limit]


def _available(audit: Audit) -> list[Component]:
    return [c for c in audit.components if c.status != "missing"]


def _license_ids(audit: Audit) -> dict[str, list[Component]]:
    """Licence id -> the available components it governs."""
    from trueopen.licenses.names import expression_ids

    out: dict[str, list[Component]] = {}
    for c in _available(audit):
        for lid in expression_ids(c.license.expression or ""):
            out.setdefault(lid, []).append(c)
    return out


def _component_cites(components: list[Component]) -> list[str]:
    cites: list[str] = []
    for c in components:
        if c.license.path:
            w = f"{c.license.path}:{c.license.line}" if c.license.line else c.license.path
            if w not in cites:
                cites.append(w)
    return cites[:4]


def _ids(specs: list[str]) -> set[str]:
    from trueopen.licenses.names import expression_ids

    return {i for s in specs for i in (expression_ids(s) or [s])}


def evaluate(audit: Audit, policy: Policy) -> CheckResult:
    """Every rule the policy gives, in a fixed order, against one audit."""
    r, v = policy.rules, audit.verdicts
    out: list[RuleResult] = []
    if r.labels is not None:
        out.append(RuleResult(rule="labels", passed=v.label in r.labels, expected=" or ".join(r.labels), observed=v.label,
                              evidence=_component_cites([c for c in audit.components if c.id == "model-parameters-final"])))
    for cid in r.required_components:
        c = next(c for c in audit.components if c.id == cid)
        out.append(RuleResult(rule=f"required_components.{cid}", passed=c.status != "missing", expected="present or referenced",
                              observed=c.status, evidence=_where(c.evidence) or ([audit.card.path] if audit.card.path else ["."])))
    governed = _license_ids(audit)
    if r.licenses is not None:
        if r.licenses.allow is not None:
            allowed = _ids(r.licenses.allow)
            bad = sorted(i for i in governed if i not in allowed)
            out.append(RuleResult(rule="licenses.allow", passed=not bad and bool(governed), expected="only " + ", ".join(sorted(allowed)),
                                  observed=", ".join(bad) if bad else (", ".join(sorted(governed)) or "no licence"),
                                  evidence=_component_cites([c for i in bad for c in governed[i]])))
        if r.licenses.deny:
            denied = _ids(r.licenses.deny)
            hit = sorted(i for i in governed if i in denied)
            out.append(RuleResult(rule="licenses.deny", passed=not hit, expected="none of " + ", ".join(sorted(denied)),
                                  observed=", ".join(hit) or "none of them",
                                  evidence=_component_cites([c for i in hit for c in governed[i]])))
    if r.terms is not None:
        out += _terms(audit, r.terms, governed)
    if r.max_safety is not None:
        s = audit.safety
        worst = [f.path for f in s.files if SAFETY_RANK[f.status] > SAFETY_RANK[r.max_safety]]
        out.append(RuleResult(rule="max_safety", passed=SAFETY_RANK[s.status] <= SAFETY_RANK[r.max_safety], expected=f"{r.max_safety} or better",
                              observed=s.status, evidence=(_where([e for f in s.findings for e in f.evidence]) or worst)[:4]))
    if r.min_mof_class is not None:
        m = v.mof
        out.append(RuleResult(rule="min_mof_class", passed=MOF_RANK[m.class_] >= MOF_RANK[r.min_mof_class],
                              expected=f"{r.min_mof_class} or higher", observed=m.class_ + (f" (needs: {'; '.join(m.next_needs[:3])})" if m.next_needs else ""),
                              evidence=[]))
    if r.osaid:
        o = v.osaid
        out.append(RuleResult(rule="osaid", passed=o.conformant, expected="conformant",
                              observed="conformant" if o.conformant else "not conformant: " + "; ".join(o.reasons[:3]),
                              evidence=_where([*o.parameters.evidence, *o.code.evidence, *o.data_information.evidence])))
    if r.no_openwashing:
        ow = v.openwashing
        out.append(RuleResult(rule="no_openwashing", passed=not ow.flagged, expected="not flagged",
                              observed=f"flagged ({ow.severity})" if ow.flagged else "not flagged", evidence=_where(ow.claims)))
    if r.verified:
        out.append(RuleResult(rule="verified", passed=not v.unverified, expected="nothing unverified",
                              observed=", ".join(v.unverified) or "nothing unverified",
                              evidence=[f"{ref.path}:{ref.line}" if ref.line else ref.path
                                        for c in audit.components if c.id in v.unverified for ref in c.references][:4]))
    return CheckResult(target=audit.target.ref, policy=policy.name, passed=all(x.passed for x in out), results=out)


def _terms(audit: Audit, t, governed: dict[str, list[Component]]) -> list[RuleResult]:
    """Each term rule over every licence governing an available component; a licence whose terms
    trueopen does not know fails (fail closed)."""
    terms = {}
    for lf in audit.licenses:
        if lf.terms is not None:
            terms.setdefault(lf.id, lf.terms)
    checks = [
        ("commercial_use", t.commercial_use, "commercial use allowed",
         lambda x: (x.commercial in ("yes", "conditional"), f"commercial {x.commercial}")),
        ("no_threshold", t.no_threshold, "no user or revenue threshold",
         lambda x: (not x.threshold, f"threshold: {x.threshold}" if x.threshold else "no threshold")),
        ("no_acceptable_use_policy", t.no_acceptable_use_policy, "no acceptable-use policy",
         lambda x: (not x.acceptable_use_policy.incorporated, "acceptable-use policy incorporated" if x.acceptable_use_policy.incorporated else "none")),
        ("no_output_restriction", t.no_output_restriction, "no restriction on outputs",
         lambda x: (not x.outputs or x.outputs.strip().lower() == "none", f"outputs: {x.outputs}" if x.outputs else "none")),
        ("redistribution", t.redistribution, "redistribution allowed",
         lambda x: (x.freedoms.share in ("yes", "conditional"), f"share {x.freedoms.share}")),
    ]
    out = []
    for name, wanted, expected, test in checks:
        if not wanted:
            continue
        failing: list[str] = []
        cites: list[str] = []
        if not governed:
            failing.append("no licence governs the release")
        for lid in sorted(governed):
            if lid not in terms:
                failing.append(f"{lid}: terms unknown")
            else:
                ok, observed = test(terms[lid])
                if not ok:
                    failing.append(f"{lid}: {observed}")
            if failing and (not cites or len(cites) < 4):
                cites += [c for c in _component_cites(governed[lid]) if c not in cites]
        out.append(RuleResult(rule=f"terms.{name}", passed=not failing, expected=expected,
                              observed="; ".join(failing)[:400] if failing else f"holds for {', '.join(sorted(governed))}",
                              evidence=cites[:4] if failing else []))
    return out
