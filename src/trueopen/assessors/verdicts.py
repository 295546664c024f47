"""Verdicts (DESIGN.md §3): label, OSAID 1.0, MOF class, openwashing, the EU AI Act exemption and
the European Open Source AI Index, each with reasons that name what is missing or not open.

The frameworks have their own modules (osaid, eu_ai_act, eu_index, mof); this one wires them and
keeps the label and openwashing rules."""

from __future__ import annotations

from collections.abc import Sequence

from trueopen import licenses as lic
from trueopen.assessors.eu_ai_act import assess_eu_ai_act
from trueopen.assessors.eu_ai_act import rules as eu_ai_act_rules
from trueopen.assessors.eu_index import assess_eu_index
from trueopen.assessors.mof import ComponentStatus, classify
from trueopen.assessors.osaid import assess_osaid
from trueopen.assessors.osaid import rules as osaid_rules
from trueopen.inspectors.datainfo import DataInfo
from trueopen.record import Card, Claim, Component, Mof, Openwashing, Osaid, Recipe, Verdicts

# Kept for importers of the old names; the rules themselves are data in data/frameworks/.
OSAID_CODE = osaid_rules().code_required
OSAID_DATA_INFO = ("data-card",)
STILL_OWED = eu_ai_act_rules().still_owed
FOSS_CATEGORIES = eu_ai_act_rules().foss_categories


def assess(components: Sequence[Component], claims: Sequence[Claim], datainfo: DataInfo | None = None,
           card: Card | None = None, recipe: Recipe | None = None) -> Verdicts:
    """All verdicts from the components and the claims, plus (when given) the document signals of
    inspectors.datainfo, the card and the recipe. Without `datainfo` the OSAID data-information
    items, the stated compute and monetisation are not checked."""
    by_id = {c.id: c for c in components}
    osaid = assess_osaid(by_id, datainfo)
    label = _label(by_id, osaid)
    return Verdicts(label=label, osaid=osaid, mof=_mof(by_id), openwashing=_openwashing(label, osaid, claims),
                    eu_ai_act=assess_eu_ai_act(by_id, datainfo),
                    eu_index=assess_eu_index(by_id, datainfo, card, recipe))


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
