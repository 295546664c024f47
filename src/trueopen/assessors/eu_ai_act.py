"""EU AI Act (Regulation (EU) 2024/1689): whether the Art. 53(2) open-source exemption for
general-purpose AI models can apply, and what stays owed (rules in data/frameworks/eu_ai_act.yml).

The exemption needs all of:
- a free and open-source licence on the weights: access, use, modification and distribution with
  no field-of-use or user restrictions (recital 102: attribution and share-alike are allowed).
  Licence categories permissive, copyleft, open-data and open-content pass; restricted-model,
  non-commercial, research-only, proprietary and unknown fail;
- the weights, information on the architecture and on usage (a model card) public;
- no monetisation (recital 103): pricing, paid API or support, "contact sales", an enterprise or
  commercial licence, a revenue threshold in the licence are signs of it;
- no systemic risk (Art. 51(2)): training compute above 10^25 FLOP, when the documents state it.

Even when exempt, the copyright policy (Art. 53(1)(c)) and the training-content summary
(Art. 53(1)(d)) stay owed; statements about them found in the release are kept as evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from trueopen import licenses as lic
from trueopen.data import load_yaml
from trueopen.inspectors.datainfo import DataInfo
from trueopen.record import Component, EuAiAct, Evidence

MAX_EVIDENCE = 10


@dataclass(frozen=True)
class EuAiActRules:
    foss_categories: frozenset[str]
    systemic_risk_flop: float
    monetisation_markers: frozenset[str]
    still_owed: tuple[str, ...]


@cache
def rules() -> EuAiActRules:
    raw = load_yaml("frameworks/eu_ai_act.yml")
    return EuAiActRules(frozenset(raw["foss_categories"]), float(raw["systemic_risk_flop"]),
                        frozenset(raw["monetisation_markers"]), tuple(raw["still_owed"]))


def systemic_risk(flop: float | None) -> bool | None:
    """Art. 51(2): presumed when training compute is greater than 10^25 FLOP; None when unknown."""
    if flop is None:
        return None
    return flop > rules().systemic_risk_flop


def assess_eu_ai_act(by_id: Mapping[str, Component], datainfo: DataInfo | None = None) -> EuAiAct:
    """The Art. 53(2) verdict from the components and, when given, the document signals."""
    r = rules()
    reasons: list[str] = []
    evidence: list[Evidence] = []
    params = by_id["model-parameters-final"]
    if not params.available:
        reasons.append("weights are not public in this release")
    elif not params.license.expression:
        reasons.append("the weights have no licence")
        evidence.extend(params.evidence[:1])
    else:
        ids = lic.expression_ids(params.license.expression)
        bad = [i for i in ids if (rec := lic.get_record(i)) is None or rec.category not in r.foss_categories]
        evidence.extend(params.evidence[:1])
        if params.license.path:
            evidence.append(Evidence(path=params.license.path, detail=f"weights licence: {params.license.expression}"))
        if bad:
            cats = ", ".join(f"{i} ({rec.category if (rec := lic.get_record(i)) else 'unknown'})" for i in bad)
            reasons.append(f"the weights' licence {params.license.expression} is not a free and open-source licence "
                           f"(restricts use, users or fields of use: {cats}; recital 102)")
    arch = by_id["model-architecture"]
    if not arch.available:
        reasons.append("no information on the model architecture")
    else:
        evidence.extend(arch.evidence[:1])
    card = by_id["model-card"]
    if not card.available:
        reasons.append("no information on model usage (no model card)")
    else:
        evidence.extend(card.evidence[:1])

    flop = datainfo.training_compute_flop if datainfo else None
    risk = systemic_risk(flop)
    compute_evidence = [c.evidence for c in datainfo.compute][:MAX_EVIDENCE] if datainfo else []
    if risk:
        reasons.append(f"stated training compute {flop:.3g} FLOP is above 10^25 FLOP: presumed systemic risk "
                       f"(Art. 51(2)), and the exemption is not available to models with systemic risk "
                       f"({compute_evidence[0].where()})")
    monetisation = _monetisation(datainfo, r)
    if monetisation:
        shown = ", ".join(f"{e.where()} ({e.detail})" for e in monetisation[:3])
        reasons.append(f"signs of monetisation (recital 103: a model provided against a price or otherwise monetised "
                       f"gets no exemption): {shown}")
    exempt = not reasons
    if exempt:
        reasons.append("free and open-source licence, public weights, architecture and usage information "
                       "(Art. 53(2)); not available to models with systemic risk")
        if risk is None:
            reasons.append("the documents state no training compute: systemic risk (above 10^25 FLOP, Art. 51(2)) "
                           "cannot be ruled out from the files")
        else:
            reasons.append(f"stated training compute {flop:.3g} FLOP is not above 10^25 FLOP ({compute_evidence[0].where()})")
    return EuAiAct(
        exempt=exempt, reasons=reasons, still_owed=list(r.still_owed), evidence=evidence[:MAX_EVIDENCE],
        systemic_risk=risk, training_compute_flop=flop, compute_evidence=compute_evidence,
        monetisation=monetisation,
        copyright_policy=list(datainfo.hits("copyright-policy"))[:MAX_EVIDENCE] if datainfo else [],
        training_content_summary=list(datainfo.hits("training-content-summary"))[:MAX_EVIDENCE] if datainfo else [],
    )


def _monetisation(datainfo: DataInfo | None, r: EuAiActRules) -> list[Evidence]:
    if datainfo is None:
        return []
    out = list(datainfo.hits("monetisation"))
    out += [e for marker, e in datainfo.licence_markers if marker in r.monetisation_markers]
    return out[:MAX_EVIDENCE]


