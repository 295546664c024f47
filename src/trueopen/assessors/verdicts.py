"""Verdicts (DESIGN.md §3): label, OSAID 1.0, MOF class, openwashing and the EU AI Act
exemption, each with reasons that name what is missing or not open."""

from __future__ import annotations

from collections.abc import Sequence

from trueopen import licenses as lic
from trueopen.assessors.mof import ComponentStatus, classify
from trueopen.record import Claim, Component, EuAiAct, Mof, Openwashing, Osaid, Verdicts

# OSAID 1.0 "Code": the complete source to train and run the system.
OSAID_CODE = ("training-code", "data-preprocessing-code", "inference-code", "model-architecture")
# OSAID 1.0 "Data information": documentation detailed enough to rebuild a similar system.
OSAID_DATA_INFO = ("data-card",)
STILL_OWED = (
    "a policy to comply with EU copyright law, including TDM opt-outs (Art. 53(1)(c))",
    "a public summary of the content used for training (Art. 53(1)(d))",
)
# Licence categories that allow access, use, modification and distribution with no
# field-of-use or user restrictions (AI Act recital 102).
FOSS_CATEGORIES = frozenset({"permissive", "copyleft", "open-data", "open-content"})


def assess(components: Sequence[Component], claims: Sequence[Claim]) -> Verdicts:
    """All verdicts from the components and the claims."""
    by_id = {c.id: c for c in components}
    osaid = _osaid(by_id)
    label = _label(by_id, osaid)
    return Verdicts(label=label, osaid=osaid, mof=_mof(by_id), openwashing=_openwashing(label, osaid, claims),
                    eu_ai_act=_eu_ai_act(by_id))


def _osi_approved(expression: str | None) -> bool:
    if not expression:
        return False
    ids = lic.expression_ids(expression)
    return bool(ids) and all((rec := lic.get_record(i)) is not None and rec.osi_approved for i in ids)


def _describe(c: Component) -> str:
    if not c.present:
        return f"{c.id} is missing"
    if c.license.source == "external":
        return f"{c.id} is only referenced outside the release; its licence cannot be verified"
    if not c.license.expression:
        return f"{c.id} has no licence"
    return f"{c.id} is under {c.license.expression}, which is not open"


def _osaid(by_id: dict[str, Component]) -> Osaid:
    reasons: list[str] = []
    params = by_id["model-parameters-final"]
    if not (params.present and params.open):
        reasons.append(f"parameters: {_describe(params)}")
    for cid in OSAID_CODE:
        c = by_id[cid]
        if not c.present or c.license.source == "external" or not c.license.expression:
            reasons.append(f"code: {_describe(c)}")
        elif not _osi_approved(c.license.expression):
            reasons.append(f"code: {cid} is under {c.license.expression}, which is not OSI-approved")
    for cid in OSAID_DATA_INFO:
        c = by_id[cid]
        if not (c.present and c.open):
            reasons.append(f"data information: {_describe(c)}")
    return Osaid(conformant=not reasons, reasons=reasons)


def _label(by_id: dict[str, Component], osaid: Osaid) -> str:
    params = by_id["model-parameters-final"]
    if not params.present:
        return "closed"
    if not params.open:
        return "restricted-weights"
    return "open-source" if osaid.conformant else "open-weights"


def _mof(by_id: dict[str, Component]) -> Mof:
    statuses = {}
    for cid, c in by_id.items():
        ids = lic.expression_ids(c.license.expression) if c.license.expression else []
        statuses[cid] = ComponentStatus(
            present=c.present, open=c.open,
            type_appropriate=all(lic.is_type_appropriate(i, c.content_type) for i in ids) if ids else True,
            licensed=bool(c.license.expression),
            license=c.license.expression,
        )
    result = classify(statuses)
    return Mof.model_validate({"class": result.mof_class, "progress": dict(result.progress),
                               "missing": list(result.missing), "not_open": list(result.not_open),
                               "warnings": list(result.warnings), "next_class": result.next_class,
                               "next_needs": list(result.next_needs)})


def _openwashing(label: str, osaid: Osaid, claims: Sequence[Claim]) -> Openwashing:
    if not claims or label == "open-source":
        return Openwashing(flagged=False)
    reasons = [f"{c.path}:{c.line} claims {c.text!r}, but the release is {label}" for c in claims]
    reasons += [f"OSAID 1.0 not met: {r}" for r in osaid.reasons]
    return Openwashing(flagged=True, reasons=reasons)


def _eu_ai_act(by_id: dict[str, Component]) -> EuAiAct:
    reasons: list[str] = []
    params = by_id["model-parameters-final"]
    if not params.present:
        reasons.append("weights are not public in this release")
    elif not params.license.expression:
        reasons.append("the weights have no licence")
    else:
        ids = lic.expression_ids(params.license.expression)
        bad = [i for i in ids if (rec := lic.get_record(i)) is None or rec.category not in FOSS_CATEGORIES]
        if bad:
            reasons.append(f"the weights' licence {params.license.expression} is not a free and open-source licence "
                           f"(restricts use, users or fields of use: {', '.join(bad)})")
    if not by_id["model-architecture"].present:
        reasons.append("no information on the model architecture")
    if not by_id["model-card"].present:
        reasons.append("no information on model usage (no model card)")
    exempt = not reasons
    if exempt:
        reasons.append("free and open-source licence, public weights, architecture and usage information "
                       "(Art. 53(2)); not available to models with systemic risk")
    return EuAiAct(exempt=exempt, reasons=reasons, still_owed=list(STILL_OWED))
