"""OSI Open Source AI Definition 1.0: the three elements (data information, code, parameters),
each met or not, with reasons and evidence (rules in data/frameworks/osaid.yml).

- Data information: the data card (or the card's data section) is present under open terms, and
  the release's texts describe each item of OSAID 1.0 "Data Information": provenance, scope and
  characteristics, selection, labelling, processing and filtering, a list of public sources and
  a list of third-party sources (inspectors/datainfo.py finds them). Each missing item is a gap,
  named exactly.
- Code: training, data preprocessing, inference and model architecture code, present and under
  OSI-approved licences. Supporting libraries (tokenizers) are optional: noted, never required.
- Parameters: the final weights present under open terms (the MOF openness rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from trueopen import licenses as lic
from trueopen.data import load_yaml
from trueopen.inspectors.datainfo import DataInfo
from trueopen.record import Component, Evidence, Osaid, OsaidElement

MAX_EVIDENCE = 10


@dataclass(frozen=True)
class DataItem:
    signal: str
    gap: str
    what: str


@dataclass(frozen=True)
class OsaidRules:
    data_information: tuple[DataItem, ...]
    code_required: tuple[str, ...]
    code_optional: tuple[str, ...]
    parameters: str


@cache
def rules() -> OsaidRules:
    raw = load_yaml("frameworks/osaid.yml")
    return OsaidRules(
        data_information=tuple(DataItem(d["signal"], d["gap"], d["what"]) for d in raw["data_information"]),
        code_required=tuple(raw["code_required"]),
        code_optional=tuple(raw["code_optional"]),
        parameters=raw["parameters"],
    )


def osi_approved(expression: str | None) -> bool:
    """Every licence of the expression is OSI-approved (an unknown id is not)."""
    if not expression:
        return False
    ids = lic.expression_ids(expression)
    return bool(ids) and all((rec := lic.get_record(i)) is not None and rec.osi_approved for i in ids)


def describe(c: Component) -> str:
    """Why a component does not count: missing, referenced without a stated licence, unlicensed or not open."""
    if not c.available:
        return f"{c.id} is missing"
    if c.status == "referenced" and not c.license.expression:
        return f"{c.id} is only referenced outside the release, and the release states no licence for it"
    if not c.license.expression:
        return f"{c.id} has no licence"
    where = " (referenced, not verified)" if c.status == "referenced" else ""
    return f"{c.id}{where} is under {c.license.expression}, which is not open"


def _counted(c: Component) -> str:
    """How a component counts: here, or referenced with the licence the release states (unverified)."""
    if c.status != "referenced":
        return "present"
    how = "assumed from the release licence" if c.license.source == "release" else "stated by the release"
    return f"referenced, not verified; licence {how}"


def assess_osaid(by_id: Mapping[str, Component], datainfo: DataInfo | None = None) -> Osaid:
    """The OSAID 1.0 verdict. Without `datainfo` only the data card itself is checked."""
    r = rules()
    params = _parameters(by_id[r.parameters])
    code = _code(by_id, r)
    data, gaps = _data_information(by_id, datainfo, r)
    reasons = [*(x for x in params.reasons if not params.met), *(x for x in code.reasons if x.startswith("code:")),
               *(x for x in data.reasons if x.startswith("data information:"))]
    return Osaid(conformant=params.met and code.met and data.met, reasons=reasons,
                 data_information=data, code=code, parameters=params, data_information_gaps=gaps)


def _licence_evidence(c: Component) -> list[Evidence]:
    out = list(c.evidence[:3])
    if c.license.path and c.license.expression:
        out.append(Evidence(path=c.license.path, detail=f"{c.id}: licence {c.license.expression} ({c.license.source})"))
    return out


def _parameters(params: Component) -> OsaidElement:
    if params.available and params.open:
        return OsaidElement(met=True, reasons=[f"{params.id} is {_counted(params)} under {params.license.expression}, which is open"],
                            evidence=_licence_evidence(params))
    return OsaidElement(met=False, reasons=[f"parameters: {describe(params)}"], evidence=_licence_evidence(params))


def _code(by_id: Mapping[str, Component], r: OsaidRules) -> OsaidElement:
    reasons: list[str] = []
    good: list[str] = []
    evidence: list[Evidence] = []
    for cid in r.code_required:
        c = by_id[cid]
        evidence.extend(_licence_evidence(c)[:2])
        if not c.available or not c.license.expression:
            reasons.append(f"code: {describe(c)}")
        elif not osi_approved(c.license.expression):
            reasons.append(f"code: {cid} is under {c.license.expression}, which is not OSI-approved")
        else:
            good.append(f"{cid} ({c.license.expression})")
    met = not reasons
    if met:
        reasons.append("training, data preprocessing, inference and architecture code are present under OSI-approved "
                       "licences: " + ", ".join(good))
    for cid in r.code_optional:
        c = by_id.get(cid)
        if c is None:
            continue
        if not c.available:
            reasons.append(f"optional: {cid} is not in the release (OSAID lists supporting libraries such as tokenizers as examples)")
        elif not osi_approved(c.license.expression):
            reasons.append(f"optional: {cid} is not under an OSI-approved licence ({c.license.expression or 'none'})")
    return OsaidElement(met=met, reasons=reasons, evidence=evidence[:MAX_EVIDENCE])


def _data_information(by_id: Mapping[str, Component], datainfo: DataInfo | None,
                      r: OsaidRules) -> tuple[OsaidElement, list[str]]:
    card = by_id["data-card"]
    reasons: list[str] = []
    evidence: list[Evidence] = list(card.evidence[:2])
    if not (card.available and card.open):
        reasons.append(f"data information: {describe(card)}")
    gaps: list[str] = []
    if datainfo is None:
        met = not reasons
        reasons.append("the data-information items were not checked (no document signals given)")
        return OsaidElement(met=met, reasons=reasons, evidence=evidence), gaps
    found: list[str] = []
    for item in r.data_information:
        hits = datainfo.hits(item.signal)
        if hits:
            found.append(item.gap)
            evidence.append(hits[0])
        else:
            gaps.append(item.gap)
    # Dataset cards the release references (a Hub dataset repo carries one) may hold what the
    # release's own texts leave out: those items are then unverified, not missing.
    ref_cards = sorted({r.target for r in card.references if r.kind == "hub-dataset"})
    if gaps and ref_cards and card.available and card.open:
        shown = ", ".join(ref_cards[:5]) + (f" and {len(ref_cards) - 5} more" if len(ref_cards) > 5 else "")
        reasons.append(f"not described in the release: {', '.join(gaps)}; the dataset cards it references ({shown}) may "
                       "describe them and were not checked (add them with --with to verify)")
        met = not any(r.startswith("data information:") for r in reasons)
        if met:
            reasons.append("data information counted from referenced dataset cards, not verified")
        return OsaidElement(met=met, reasons=reasons, evidence=evidence[:MAX_EVIDENCE]), gaps
    if gaps and not datainfo.data_scope:
        reasons.append(f"data information: none of {', '.join(gaps)} is described (no data card or data section "
                       "in the release)")
    elif gaps:
        where = "; ".join(datainfo.data_scope)
        for item in r.data_information:
            if item.gap in gaps:
                reasons.append(f"data information: {item.gap} not described ({item.what}); searched {where}")
    met = not reasons
    if met:
        reasons.append("the data card is open and describes " + ", ".join(found))
    return OsaidElement(met=met, reasons=reasons, evidence=evidence[:MAX_EVIDENCE]), gaps
