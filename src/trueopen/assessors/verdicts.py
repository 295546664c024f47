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
from trueopen.record import Card, Claim, Component, Evidence, Mof, Openwashing, Osaid, Recipe, Verdicts

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
    osaid = osaid.model_copy(update={"unverified": unverified(by_id, OSAID_COUNTED)})
    mof = _mof(by_id)
    eu = assess_eu_ai_act(by_id, datainfo)
    eu = eu.model_copy(update={"unverified": unverified(by_id, ("model-parameters-final", "model-architecture", "model-card"))})
    index = assess_eu_index(by_id, datainfo, card, recipe)
    index = index.model_copy(update={"unverified": unverified(by_id, [c.id for c in components])})
    label_unverified = unverified(by_id, OSAID_COUNTED if label == "open-source" else ("model-parameters-final",))
    return Verdicts(label=label, osaid=osaid, mof=mof, openwashing=_openwashing(label, osaid, claims, by_id, label_unverified),
                    eu_ai_act=eu, eu_index=index, unverified=label_unverified)


# The components the OSAID verdict (and so an open-source label) rests on.
OSAID_COUNTED = ("model-parameters-final", *osaid_rules().code_required, "data-card")


def unverified(by_id: dict[str, Component], counted: Sequence[str]) -> list[str]:
    """The referenced components among `counted`: counted by the licence the release states
    for them, never seen."""
    return [cid for cid in counted if cid in by_id and by_id[cid].status == "referenced"]


def _label(by_id: dict[str, Component], osaid: Osaid) -> str:
    params = by_id["model-parameters-final"]
    if not params.available:
        return "closed"
    if not params.open:
        return "restricted-weights"
    return "open-source" if osaid.conformant else "open-weights"


def _mof(by_id: dict[str, Component]) -> Mof:
    statuses = {}
    for cid, c in by_id.items():
        ids = lic.expression_ids(c.license.expression) if c.license.expression else []
        statuses[cid] = ComponentStatus(
            present=c.available, open=c.open,
            type_appropriate=all(lic.is_type_appropriate(i, c.content_type) for i in ids) if ids else True,
            licensed=bool(c.license.expression),
            license=c.license.expression,
        )
    result = classify(statuses)
    counted = [d for d in by_id if by_id[d].status == "referenced"]
    return Mof.model_validate({"class": result.mof_class, "progress": dict(result.progress),
                               "missing": list(result.missing), "not_open": list(result.not_open),
                               "warnings": list(result.warnings), "next_class": result.next_class,
                               "next_needs": list(result.next_needs), "unverified": counted})


# Licence-term markers (data/licenses/markers.yml) that restrict use: a release under such terms
# called open source is strongly openwashed.
RESTRICTING_TERMS = ("conditional", "no")


def _openwashing(label: str, osaid: Osaid, claims: Sequence[Claim], by_id: dict[str, Component],
                 label_unverified: list[str]) -> Openwashing:
    """Flagged when the release explicitly calls itself open source and, counting what it holds
    and what it references, does not meet OSAID 1.0. Implied claims never flag. Strong when the
    terms seen restrict use or no weights are available; mild when open-licensed weights alone
    are called open source."""
    explicit = [c for c in claims if c.kind == "explicit"]
    if not explicit or label == "open-source":
        reasons = []
        if label == "open-source" and explicit:
            reasons.append("the release calls itself open and meets OSAID 1.0" +
                           (f" (counting referenced {', '.join(label_unverified)}, not verified)" if label_unverified else ""))
        elif claims and not explicit:
            reasons.append(f"only implied claims ({len(claims)}), e.g. {claims[0].path}:{claims[0].line} {claims[0].phrase!r}; "
                           "they do not flag")
        return Openwashing(flagged=False, reasons=reasons, unverified=label_unverified)
    severity = "mild" if label == "open-weights" else "strong"
    params = by_id["model-parameters-final"]
    why = {"open-weights": f"only the weights are open ({params.license.expression})",
           "restricted-weights": f"the weights' terms restrict use ({params.license.expression or 'no licence'})",
           "closed": "no weights are available"}[label]
    reasons = [f"{c.path}:{c.line} claims {c.phrase or c.text!r} ({c.language}), but the release is {label}: {why}"
               for c in explicit]
    reasons += [f"OSAID 1.0 not met: {r}" for r in osaid.reasons]
    evidence = [Evidence(path=c.path, line=c.line, detail=f"explicit claim: {c.text}") for c in explicit]
    return Openwashing(flagged=True, reasons=reasons, severity=severity, claims=evidence, unverified=label_unverified)
