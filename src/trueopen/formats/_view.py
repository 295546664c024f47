"""The audit arranged for the page-like reports (Markdown, HTML): rows and sections read from the
record, in a fixed order. Nothing here decides anything: every value is a record field or a
sentence about one."""

from __future__ import annotations

from typing import Any

from trueopen.formats.explain import explain
from trueopen.formats.sarif_audit import all_findings
from trueopen.record import Audit, Evidence, LicenseTerms

LABEL_TONE = {"open-source": "good", "open-weights": "warn", "restricted-weights": "bad", "closed": "bad"}
SAFETY_TONE = {"clean": "good", "review": "warn", "incomplete": "warn", "unsafe": "bad"}
MOF_TONE = {"Class I": "good", "Class II": "good", "Class III": "warn", "Unclassified": "bad"}
STATE_TEXT = {"present-open": "present, open", "present-not-open": "present, not open", "referenced-open": "referenced, open",
              "referenced-not-open": "referenced, not open", "missing": "missing"}


def short(expression: str | None) -> str:
    return (expression or "").replace("LicenseRef-trueopen-", "")


def cites(evidence: list[Evidence], limit: int = 4) -> list[str]:
    out: list[str] = []
    for e in evidence:
        w = e.where()
        if w not in out:
            out.append(w)
        if len(out) >= limit:
            break
    return out


def _terms(t: LicenseTerms | None) -> list[tuple[str, str]]:
    if t is None:
        return []
    rows = [("Commercial use", t.commercial)]
    fr = t.freedoms
    rows.append(("Freedoms", f"use {fr.use}, study {fr.study}, modify {fr.modify}, share {fr.share}, commercial {fr.commercial}"))
    if t.acceptable_use_policy.incorporated:
        rows.append(("Acceptable-use policy", "incorporated" + (f" ({t.acceptable_use_policy.url})" if t.acceptable_use_policy.url else "")
                     + ("; the licensor may change it" if t.acceptable_use_policy.licensor_may_change else "")))
    for label, value in (("User or revenue threshold", t.threshold), ("Outputs", t.outputs), ("Naming", t.naming),
                         ("Geographic", t.geographic), ("Redistribution", t.redistribution), ("Termination", t.termination),
                         ("Governing law", t.governing_law)):
        if value:
            rows.append((label, value))
    rows.append(("OSI-approved", "yes" if t.osi_approved else "no"))
    return rows


def view(audit: Audit) -> dict[str, Any]:
    """Everything the Markdown and HTML reports show, as plain data."""
    v, s = audit.verdicts, audit.safety
    components = []
    for c in audit.components:
        state = "missing" if c.status == "missing" else f"{c.status}-{'open' if c.open else 'not-open'}"
        lic = short(c.license.expression) or "-"
        if c.status == "referenced" and c.license.expression:
            lic += " (assumed)" if c.license.source == "release" else " (stated)"
        components.append({"id": c.id, "name": c.name, "content_type": c.content_type, "state": state,
                           "state_text": STATE_TEXT[state], "license": lic,
                           "evidence": cites(c.evidence, 3) + [r.target for r in c.references][:2]})
    licenses = []
    for lf in audit.licenses:
        licenses.append({"where": lf.evidence[0].where() if lf.evidence else lf.path, "id": short(lf.id), "name": lf.name,
                         "kind": lf.kind, "open": lf.open, "category": lf.category, "governs": (lf.governs or ".") + "/",
                         "terms": _terms(lf.terms)})
    ow = v.openwashing
    verdicts = [
        {"name": "Label", "result": v.label + (f" (unverified: {', '.join(v.unverified)})" if v.unverified else ""),
         "tone": LABEL_TONE[v.label], "reasons": [], "evidence": []},
        {"name": "OSI Open Source AI Definition 1.0", "result": "conformant" if v.osaid.conformant else "not conformant",
         "tone": "good" if v.osaid.conformant else "bad", "reasons": list(v.osaid.reasons),
         "evidence": cites([*v.osaid.data_information.evidence, *v.osaid.code.evidence, *v.osaid.parameters.evidence], 6)},
        {"name": "Model Openness Framework", "result": v.mof.class_, "tone": MOF_TONE[v.mof.class_],
         "reasons": [f"{k}: {val:g}%" for k, val in v.mof.progress.items()] + [f"not open: {n}" for n in v.mof.not_open]
         + [f"{v.mof.next_class} needs {n}" for n in v.mof.next_needs] + list(v.mof.warnings), "evidence": []},
        {"name": "Openwashing", "result": f"flagged ({ow.severity})" if ow.flagged else "not flagged",
         "tone": "bad" if ow.flagged else "good", "reasons": list(ow.reasons), "evidence": cites(ow.claims, 6)},
        {"name": "EU AI Act, Art. 53(2)", "result": "exemption can apply" if v.eu_ai_act.exempt else "no exemption",
         "tone": "good" if v.eu_ai_act.exempt else "warn", "reasons": list(v.eu_ai_act.reasons) + [f"still owed: {x}" for x in v.eu_ai_act.still_owed],
         "evidence": cites([*v.eu_ai_act.evidence, *v.eu_ai_act.monetisation], 6)},
        {"name": "European Open Source AI Index", "result": f"{v.eu_index.score:g} / {v.eu_index.max_score}",
         "tone": "good" if v.eu_index.score >= v.eu_index.max_score * 0.75 else ("warn" if v.eu_index.score >= v.eu_index.max_score / 2 else "bad"),
         "reasons": [f"{d.name}: {d.grade}" for d in v.eu_index.dimensions], "evidence": []},
    ]
    verdicts += _reproducibility(audit)
    safety_files = [{"path": f.path, "format": f.format, "status": f.status, "tone": SAFETY_TONE[f.status],
                     "globals": ", ".join(f.globals[:8]) + (" …" if len(f.globals) > 8 else ""),
                     "weights_only": "-" if f.weights_only_ok is None else ("loads" if f.weights_only_ok else "refused"),
                     "stopped_by": f.stopped_by or ""} for f in s.files]
    findings = [{"severity": f.severity, "rule": f.rule, "message": f.message, "evidence": cites(f.evidence, 4)}
                for f in all_findings(audit)]
    return {
        "target": audit.target.ref, "kind": audit.target.kind, "revision": audit.target.revision, "files": len(audit.files),
        "tool": f"trueopen {audit.tool.version}", "model": audit.model.name or audit.target.ref,
        "header": [
            {"name": "Label", "value": v.label, "tone": LABEL_TONE[v.label]},
            {"name": "OSAID 1.0", "value": "conformant" if v.osaid.conformant else "not conformant",
             "tone": "good" if v.osaid.conformant else "bad"},
            {"name": "MOF class", "value": v.mof.class_, "tone": MOF_TONE[v.mof.class_]},
            {"name": "Openwashing", "value": f"flagged ({ow.severity})" if ow.flagged else "no", "tone": "bad" if ow.flagged else "good"},
            {"name": "Safety", "value": s.status, "tone": SAFETY_TONE[s.status]},
            *([{"name": "Reproducible", "value": v.reproducibility.grade, "tone": READY_TONE[v.reproducibility.grade]}]
              if v.reproducibility else []),
            *([{"name": "Replay", "value": audit.reproduction.grade, "tone": REPLAY_TONE[audit.reproduction.grade]}]
              if audit.reproduction else []),
        ],
        "components": components, "licenses": licenses, "verdicts": verdicts,
        "explain": [f.model_dump() for f in explain(audit)], "findings": findings, "safety_files": safety_files,
        "safety": s.status, "unverified": list(v.unverified),
    }


READY_TONE = {"replayable": "good", "partial": "warn", "not-replayable": "bad"}
REPLAY_TONE = {"bitwise": "good", "within-tolerance": "good", "differs": "bad", "could-not-run": "bad"}


def _reproducibility(audit: Audit) -> list[dict[str, Any]]:
    """The readiness verdict and, after `trueopen reproduce`, the replay's grade."""
    out = []
    r = audit.verdicts.reproducibility
    if r is not None:
        reasons = [f"{f.id.replace('_', ' ')}: {f.status}, {f.detail}" for f in r.facts]
        if r.plan.commands:
            reasons.append(f"replay plan: {' && '.join(r.plan.commands)}; Python {r.plan.python or 'not stated'}; "
                           f"{len(r.plan.requirements)} exact pins; compares {len(r.plan.outputs)} weights files")
        out.append({"name": "Reproducibility (readiness)", "result": r.grade, "tone": READY_TONE[r.grade],
                    "reasons": reasons, "evidence": cites([e for f in r.facts for e in f.evidence[:1]], 7)})
    rep = audit.reproduction
    if rep is not None:
        from trueopen.sources.options import format_size

        reasons = [rep.reason, f"sandbox: {rep.sandbox}, network {rep.network}, limits {rep.limits.timeout_seconds} s, "
                   f"{format_size(rep.limits.memory_bytes)} memory, {format_size(rep.limits.disk_bytes)} disk; "
                   f"rtol {rep.rtol:g}, atol {rep.atol:g}"]
        if rep.environment.get("python"):
            reasons.append(f"environment: Python {rep.environment['python'].get('version')}, "
                           + ", ".join(f"{p['name']}=={p['version']}" for p in rep.environment.get("packages", [])[:12]))
        for f in rep.files:
            reasons.append(f"{f.path}: {f.grade}" + (f", {f.detail}" if f.detail else ""))
            reasons += [f"  {t.name}: {t.grade}, max abs diff {_num(t.max_abs_diff)}, max rel diff {_num(t.max_rel_diff)}, "
                        f"cosine {_num(t.cosine)}" for t in f.worst]
        reasons += [f"log: {line}" for line in rep.log_tail[-3:]] if rep.grade == "could-not-run" else []
        out.append({"name": "Reproduction (replay)", "result": rep.grade, "tone": REPLAY_TONE[rep.grade],
                    "reasons": reasons, "evidence": []})
    return out


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3g}"
