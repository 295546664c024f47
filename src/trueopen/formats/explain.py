"""Explain an audit in plain language: for each framework (label and openwashing, MOF, OSAID 1.0,
EU AI Act, European Open Source AI Index) and for the release's readiness to be rebuilt a few sentences on the result and on what would change
it, each point citing its evidence (path:line).

A format: it reads the verdicts of one Audit and never recomputes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.text import Text

from trueopen.record import Audit, Component, Evidence

MAX_CITES = 4
PREFIXES = ("data information: ", "code: ", "parameters: ")


class Point(BaseModel):
    """One sentence: what the result is (`result`) or what would change it (`change`)."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["result", "change"]
    text: str
    evidence: list[str] = []  # path:line (or path@offset, or path)


class FrameworkExplanation(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    result: str
    points: list[Point]


def explain(audit: Audit) -> list[FrameworkExplanation]:
    """Plain-language explanation of every framework's result, in a fixed order."""
    by_id = {c.id: c for c in audit.components}
    out = [_label(audit, by_id), _mof(audit, by_id), _osaid(audit), _eu_ai_act(audit), _eu_index(audit)]
    ready = _reproducibility(audit)
    out += [ready] if ready else []
    verify = _verify(audit)
    return out + ([verify] if verify else [])


def to_json(audit: Audit) -> str:
    """The explanation as JSON: {target, frameworks[]}; same audit, same bytes."""
    data = {"target": audit.target.ref, "frameworks": [f.model_dump() for f in explain(audit)]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render(audit: Audit, console: Console) -> None:
    """Print the explanation for a terminal or a text file."""
    console.print(Text(f"Why {audit.target.ref} gets these results", style="bold"))
    for f in explain(audit):
        console.print()
        console.print(Text.assemble((f.name, "bold"), "  ", (f.result, "cyan")))
        for p in f.points:
            mark = "•" if p.kind == "result" else "→"
            cites = f"  [{', '.join(p.evidence)}]" if p.evidence else ""
            console.print(Text.assemble(f"  {mark} ", p.text, (cites, "dim")))


# --- helpers ---------------------------------------------------------------------------------------



def _cites(items: Iterable[Evidence], limit: int = MAX_CITES) -> list[str]:
    out: list[str] = []
    for e in items:
        w = e.where()
        if w and w not in out:
            out.append(w)
        if len(out) >= limit:
            break
    return out


def _component_cites(c: Component) -> list[str]:
    cites = _cites(c.evidence[:2])
    if c.license.path and c.license.path not in cites:
        cites.append(c.license.path)
    return cites[:MAX_CITES]


def _absent_cite(audit: Audit) -> list[str]:
    """Where an absence was looked for: the card (or the release root when there is none)."""
    return [audit.card.path] if audit.card.path else ["."]


def _join(items: Sequence[str], limit: int = 4) -> str:
    items = list(items)
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    if len(items) > 1:
        return ", ".join(items[:-1]) + " and " + items[-1]
    return items[0] if items else ""


# --- frameworks ------------------------------------------------------------------------------------


def _label(audit: Audit, by_id: dict[str, Component]) -> FrameworkExplanation:
    v = audit.verdicts
    params = by_id["model-parameters-final"]
    points: list[Point] = []
    where = "here" if params.present else "referenced (not in the files audited, not verified)"
    if not params.available:
        points.append(Point(kind="result", text="The release holds no final weights and points to none, so it is closed.",
                            evidence=_absent_cite(audit)))
    elif not params.open:
        terms = params.license.expression or "no licence at all"
        points.append(Point(kind="result", text=f"The final weights are {where}, under {terms}, which is not an open licence: "
                            "restricted weights.", evidence=_component_cites(params)))
    elif v.label == "open-weights":
        points.append(Point(kind="result", text=f"The final weights are {where}, under {params.license.expression}, an open "
                            "licence, but the rest of the system does not meet OSAID 1.0: open weights, not open source.",
                            evidence=_component_cites(params)))
    else:
        points.append(Point(kind="result", text="Weights, code and data information are all available under open terms: open "
                            "source by OSAID 1.0.", evidence=_component_cites(params)))
    if params.status == "referenced" and params.license.expression:
        how = ("the release states no licence for them; its own licence is assumed to reach them" if params.license.source == "release"
               else "that is the licence the release states for them")
        points.append(Point(kind="result", text=f"The weights' licence is {params.license.expression}: {how}.",
                            evidence=[f"{params.license.path}:{params.license.line}" if params.license.line else params.license.path or "."]))
    explicit = [c for c in audit.claims if c.kind == "explicit"]
    implied = [c for c in audit.claims if c.kind == "implied"]
    cites = [f"{c.path}:{c.line}" for c in explicit]
    if v.openwashing.flagged:
        points.append(Point(kind="result", text=f"The release calls itself open (\"{explicit[0].text}\") while it is "
                            f"{v.label}: openwashing ({v.openwashing.severity}).", evidence=cites[:MAX_CITES]))
        points.append(Point(kind="change", text="The flag goes away when the claim is withdrawn or the release meets OSAID 1.0.",
                            evidence=cites[:MAX_CITES]))
    elif explicit:
        points.append(Point(kind="result", text="Its open-source claim holds" + (" (counting what it references, not verified)."
                            if v.unverified else "."), evidence=cites[:MAX_CITES]))
    elif implied:
        points.append(Point(kind="result", text=f"It only implies openness (\"{implied[0].phrase}\": a comparison with other open "
                            "models or talk of openness), which is not a claim to be open source: no openwashing.",
                            evidence=[f"{c.path}:{c.line}" for c in implied][:MAX_CITES]))
    else:
        points.append(Point(kind="result", text="It makes no open-source claim, so there is no openwashing.",
                            evidence=_absent_cite(audit)))
    if v.label != "open-source" and v.osaid.reasons:
        first = v.osaid.reasons[0]
        points.append(Point(kind="change", text=f"To become open source it must meet OSAID 1.0; first, {first}.",
                            evidence=_component_cites(params) if first.startswith("parameters") else _absent_cite(audit)))
    result = v.label + (f" (unverified: {', '.join(v.unverified)})" if v.unverified else "")
    if v.openwashing.flagged:
        result += f", openwashing flagged ({v.openwashing.severity})"
    return FrameworkExplanation(id="label", name="Label and openwashing", result=result, points=points)


def _verify(audit: Audit) -> FrameworkExplanation | None:
    """What to add with --with to verify what the release only references."""
    referenced = [c for c in audit.components if c.status == "referenced"]
    if not referenced:
        return None
    points: list[Point] = []
    for c in referenced:
        adds = sorted({r.add_with for r in c.references if r.add_with})
        elsewhere = [r for r in c.references if not r.add_with]
        if all(r.kind == "paper" for r in c.references) and c.references:
            text = (f"{c.id}: {_join(sorted({r.target[:80] for r in c.references}), 2)} is referenced; a paper's licence is "
                    "on its page, not in the release")
        elif adds:
            text = f"{c.id}: add {_join([f'--with {a}' for a in adds], 3)} to check its files and licence"
        elif elsewhere:
            text = f"{c.id}: download it ({_join(sorted({r.target[:80] for r in elsewhere}), 2)}) and add the folder with --with"
        else:
            continue
        points.append(Point(kind="change", text=text + ".", evidence=_cites(c.evidence[:2])))
    if not points:
        return None
    return FrameworkExplanation(id="verify", name="Referenced, not verified", result=f"{len(referenced)} component(s)",
                                points=points[:8])


def _mof(audit: Audit, by_id: dict[str, Component]) -> FrameworkExplanation:
    m = audit.verdicts.mof
    progress = ", ".join(f"{k} {val:g}%" for k, val in m.progress.items())
    points = [Point(kind="result", text=f"By the Model Openness Framework the release is {m.class_} ({progress}).",
                    evidence=_cites(e for c in audit.components if c.present and c.open for e in c.evidence[:1])
                    or _cites(e for c in audit.components if c.present for e in c.evidence[:1]) or _absent_cite(audit))]
    if m.not_open:
        ids = [n.split(":")[0] for n in m.not_open]
        cites = [x for cid in ids if cid in by_id for x in _component_cites(by_id[cid])]
        points.append(Point(kind="result", text=f"Present but not openly licensed: {_join(ids)}.", evidence=cites[:MAX_CITES]))
    if m.next_class and m.next_needs:
        need_ids = [n.split(":")[0] for n in m.next_needs]
        cites = [x for cid in need_ids if cid in by_id for x in _component_cites(by_id[cid])] or _absent_cite(audit)
        points.append(Point(kind="change", text=f"{m.next_class} needs {_join(m.next_needs, 3)}.", evidence=cites[:MAX_CITES]))
    elif not m.next_class:
        points.append(Point(kind="change", text="Class I is the highest class; keeping every component openly licensed keeps it.",
                            evidence=[]))
    return FrameworkExplanation(id="mof", name="Model Openness Framework (MOF 1.0)", result=m.class_, points=points)


def _osaid(audit: Audit) -> FrameworkExplanation:
    o = audit.verdicts.osaid
    points: list[Point] = []
    for name, el in (("Data information", o.data_information), ("Code", o.code), ("Parameters", o.parameters)):
        main = [r.split(": ", 1)[1] if r.startswith(PREFIXES) else r for r in el.reasons if not r.startswith("optional:")]
        text = f"{name}: {'met' if el.met else 'not met'} — {main[0] if main else ''}".rstrip(" —")
        if not el.met and len(main) > 1:
            text += f" (and {len(main) - 1} more)"
        points.append(Point(kind="result", text=text + ".", evidence=_cites(el.evidence) or _absent_cite(audit)))
    if o.data_information_gaps:
        points.append(Point(kind="change", text="The data information needs a description of: "
                            f"{_join(o.data_information_gaps, 7)} (a data card or a data section in the model card).",
                            evidence=_cites(o.data_information.evidence) or _absent_cite(audit)))
    missing_code = [r.split(": ", 1)[1] for r in o.reasons if r.startswith("code:")]
    if missing_code:
        points.append(Point(kind="change", text=f"The code needs: {_join(missing_code, 3)}.",
                            evidence=_cites(o.code.evidence) or _absent_cite(audit)))
    if not o.parameters.met:
        points.append(Point(kind="change", text="The weights need OSI-approved or open-data terms (Apache-2.0, MIT, CC-BY-4.0, "
                            "CDLA-Permissive-2.0, OpenMDW ...).", evidence=_cites(o.parameters.evidence)))
    return FrameworkExplanation(id="osaid", name="OSI Open Source AI Definition 1.0",
                                result="conformant" if o.conformant else "not conformant", points=points[:5])


def _eu_ai_act(audit: Audit) -> FrameworkExplanation:
    e = audit.verdicts.eu_ai_act
    points: list[Point] = []
    if e.exempt:
        points.append(Point(kind="result", text="The Art. 53(2) open-source exemption can apply: free and open-source licence, "
                            "public weights, architecture and usage information.", evidence=_cites(e.evidence)))
    else:
        points.append(Point(kind="result", text=f"No Art. 53(2) exemption: {e.reasons[0]}.", evidence=_cites(e.evidence) or _absent_cite(audit)))
        if len(e.reasons) > 1:
            points.append(Point(kind="change", text=f"For the exemption, fix: {_join(e.reasons, 3)}.",
                                evidence=_cites([*e.monetisation, *e.compute_evidence, *e.evidence])))
    if e.training_compute_flop is not None:
        risk = "above" if e.systemic_risk else "not above"
        points.append(Point(kind="result", text=f"The documents state {e.training_compute_flop:.3g} FLOP of training compute, "
                            f"{risk} the 10^25 FLOP systemic-risk presumption (Art. 51(2)).", evidence=_cites(e.compute_evidence)))
    else:
        points.append(Point(kind="change", text="No training compute is stated; above 10^25 FLOP the model would be presumed to "
                            "have systemic risk and get no exemption.", evidence=_absent_cite(audit)))
    if e.monetisation:
        points.append(Point(kind="result", text="There are signs of monetisation (recital 103), which remove the exemption.",
                            evidence=_cites(e.monetisation)))
    found = _cites([*e.copyright_policy, *e.training_content_summary])
    points.append(Point(kind="result", text="Still owed either way: a copyright policy with TDM opt-outs (Art. 53(1)(c)) and a "
                        "public training-content summary (Art. 53(1)(d))"
                        + ("; the release mentions them." if found else "; the release does not mention them."),
                        evidence=found or _absent_cite(audit)))
    return FrameworkExplanation(id="eu_ai_act", name="EU AI Act, Art. 53(2)",
                                result="exemption can apply" if e.exempt else "no exemption", points=points[:5])


def _eu_index(audit: Audit) -> FrameworkExplanation:
    idx = audit.verdicts.eu_index
    counts = {g: [d for d in idx.dimensions if d.grade == g] for g in ("open", "partial", "closed")}
    points = [Point(kind="result", text=f"European Open Source AI Index: {idx.score:g} of {idx.max_score} "
                    f"({len(counts['open'])} open, {len(counts['partial'])} partial, {len(counts['closed'])} closed).",
                    evidence=_cites(e for d in counts["open"] + counts["partial"] for e in d.evidence[:1]) or _absent_cite(audit))]
    for grade in ("closed", "partial"):
        dims = counts[grade]
        if not dims:
            continue
        detail = "; ".join(f"{d.name}: {d.reasons[1] if len(d.reasons) > 1 else d.reasons[0]}" for d in dims[:2])
        more = f" (and {len(dims) - 2} more)" if len(dims) > 2 else ""
        points.append(Point(kind="change" if grade == "closed" else "result",
                            text=f"{grade.capitalize()}: {_join([d.name for d in dims], 6)}. {detail}{more}.",
                            evidence=_cites(e for d in dims for e in d.evidence[:1]) or _absent_cite(audit)))
    gain = len(counts["closed"]) + 0.5 * len(counts["partial"])
    if gain:
        points.append(Point(kind="change", text=f"Making every partial and closed dimension open would add {gain:g} point{'s' if gain != 1 else ''}; "
                            "shared training data, training code and a datasheet weigh most.", evidence=_absent_cite(audit)))
    return FrameworkExplanation(id="eu_index", name="European Open Source AI Index",
                                result=f"{idx.score:g} / {idx.max_score}", points=points[:5])


# What a publisher adds to state each missing fact (reproduce/readiness.py).
_ADD = {"command": "document the command that trains it (a 'How to reproduce' code block in the card, a Makefile "
                   "target, or `trueopen recipe capture -- COMMAND`)",
        "framework_versions": "pin every requirement exactly (name==version) or ship a lock file",
        "seeds": "state the random seeds (in a config, the code or the card)",
        "data": "ship the training data, or reference it by an immutable revision (a Hub commit, a sha256)",
        "hyperparameters": "state the hyperparameters (a training config or the card)",
        "data_order": "state the data order (a shuffle seed or the sample order)",
        "hardware": "state the hardware it was trained on"}


def _reproducibility(audit: Audit) -> FrameworkExplanation | None:
    """At most five points: the grade (and the replay), then the facts to add, essential ones first."""
    r = audit.verdicts.reproducibility
    if r is None:
        return None
    stated = [f for f in r.facts if f.status == "stated"]
    points = [Point(kind="result", text=f"Readiness to be rebuilt from its recipe: {r.grade}, {len(stated)} of "
                    f"{len(r.facts)} facts stated (checked without running anything).",
                    evidence=_cites(e for f in stated for e in f.evidence[:1]) or _absent_cite(audit))]
    rep = audit.reproduction
    if rep is not None:
        points.append(Point(kind="result", text=f"Replayed: {rep.grade}. {rep.reason}.",
                            evidence=[f.path for f in rep.files][:MAX_CITES] or _absent_cite(audit)))
    elif r.plan.commands and r.plan.commands_from:
        points.append(Point(kind="result", text=f"`trueopen reproduce` would run {' && '.join(r.plan.commands)} with "
                            f"{len(r.plan.requirements)} exact pins and compare {len(r.plan.outputs)} weights files.",
                            evidence=[r.plan.commands_from.where()]))
    todo = [f for f in r.facts if f.status != "stated"]  # facts are in order: essential first
    room = 5 - len(points)
    for i, f in enumerate(todo[:room]):
        text = f"{f.id.replace('_', ' ').capitalize()}: {f.status}, {f.detail}. To fix: {_ADD[f.id]}."
        if i == room - 1 and len(todo) > room:
            text += f" Also not stated: {', '.join(g.id.replace('_', ' ') for g in todo[room:])}."
        points.append(Point(kind="change", text=text, evidence=_cites(f.evidence) or _absent_cite(audit)))
    return FrameworkExplanation(id="reproducibility", name="Reproducibility", result=r.grade, points=points)
