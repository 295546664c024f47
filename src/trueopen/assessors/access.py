"""Access conditions that only the Hub knows: gated weights are not freely obtainable.

A gated repo (`gated: auto | manual` in the Hub's API) hands its files out only to logged-in users
who accepted its conditions (and, when manual, were approved). The files may be identical to an
ungated copy, so the inspectors see nothing; this step corrects the verdicts that depend on how
the weights can be obtained:
- OSAID 1.0: the parameters must be *made available* under OSI-approved terms; behind an access
  request they are not, so the parameters element is not met (and the label falls from
  open-source to open-weights, which in turn may flag an open-source claim as openwashing);
- the European Open Source AI Index: its weights criterion grades a download behind a request
  or registration as "partial" (eu_index.py notes this could not be seen in local files).
The MOF class and the EU AI Act exemption are left as the licences make them.
"""

from __future__ import annotations

from collections.abc import Sequence

from trueopen.record import Claim, Component, EuIndex, EuIndexDimension, Verdicts

WEIGHT_DIMENSIONS = ("weights_endmodel", "weights_basemodel")  # ids in data/frameworks/eu_index.yml


def gated_weights(verdicts: Verdicts, gated: str, claims: Sequence[Claim], components: Sequence[Component]) -> Verdicts:
    """The verdicts of a release whose Hub repo is gated (`gated` is 'auto' or 'manual')."""
    from trueopen.assessors.eu_index import dimensions
    from trueopen.assessors.verdicts import _openwashing

    why = (f"the weights are gated on the Hub ({gated} approval): they are obtainable only after accepting the "
           "repository's conditions while logged in, not freely")
    osaid = verdicts.osaid
    params = osaid.parameters
    if params.met:
        params = params.model_copy(update={"met": False, "reasons": [*params.reasons, f"parameters: {why}"]})
        osaid = osaid.model_copy(update={"conformant": False, "parameters": params,
                                         "reasons": [*osaid.reasons, f"parameters: {why}"]})
    label = verdicts.label
    if label == "open-source" and not osaid.conformant:
        label = "open-weights"
    points = dimensions()[1]
    dims: list[EuIndexDimension] = []
    for d in verdicts.eu_index.dimensions:
        if d.grade == "open" and d.id in WEIGHT_DIMENSIONS:
            d = d.model_copy(update={"grade": "partial", "points": points["partial"], "reasons": [*d.reasons, why]})
        dims.append(d)
    notes = [n for n in verdicts.eu_index.notes if "gated download would make" not in n]
    notes.append(f"the Hub repo is gated ({gated}): weights graded as a download behind a request")
    index = EuIndex(score=sum(d.points for d in dims), max_score=verdicts.eu_index.max_score, dimensions=dims,
                    notes=notes, unverified=verdicts.eu_index.unverified)
    by_id = {c.id: c for c in components}
    return verdicts.model_copy(update={"label": label, "osaid": osaid, "eu_index": index,
                                       "openwashing": _openwashing(label, osaid, claims, by_id, verdicts.unverified)})
