"""What the index publishes per release besides its pages: the `records.jsonl` line (the audit JSON
with the release's identity) and the flat `records.csv` row (the table's columns), both documented
by one JSON Schema (schema/index-record.schema.json)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from trueopen.index.entry import IndexEntry

COMPONENT_COUNT = 17
LABEL_ORDER = ("open-source", "open-weights", "restricted-weights", "closed")
MOF_ORDER = ("Class I", "Class II", "Class III", "Unclassified")
SAFETY_ORDER = ("clean", "review", "incomplete", "unsafe")
WEIGHTS = "model-parameters-final"
AUDIT_SCHEMA_ID = "https://trueopen.dev/schema/audit.schema.json"


class IndexRow(BaseModel):
    """One release as a row of the index table and of records.csv (text only; "-" when not known)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The release's identity URL.")
    target: str = Field(description="The target as the user wrote it.")
    publisher: str = Field(description="The owner part of the identity (Hub owner, git host owner), or '-'.")
    revision: str = Field(description="The audited revision (Hub commit, git HEAD or folder fingerprint), or '-'.")
    revision_date: str = Field(description="Date of the revision (ISO 8601) when known, or '-'.")
    audited_at: str
    trueopen_version: str
    label: str = Field(description="open-source, open-weights, restricted-weights, closed, or 'error'.")
    mof_class: str = Field(description="Model Openness Framework class (Class I..III, Unclassified), or '-'.")
    osaid: str = Field(description="OSI Open Source AI Definition 1.0: yes (conformant), no, or '-'.")
    eu_exempt: str = Field(description="EU AI Act Art. 53(2) open-source exemption: yes (can apply), no, or '-'.")
    license: str = Field(description="Licence of the final weights (else of the release), SPDX-like, or '-'.")
    commercial: str = Field(description="Commercial use under that licence's terms: yes, conditional, no, unknown, or '-'.")
    safety: str = Field(description="clean, review, incomplete, unsafe, or '-'.")
    openwashing: str = Field(description="Openwashing severity: strong, mild, none, or '-'.")
    components: int | None = Field(description="Components present in the files, out of 17; null on error.")
    reproducibility: str = Field(description="Readiness to be rebuilt (replayable, partial, not-replayable), or '-'.")
    error: str = Field(default="", description="One-line reason the audit failed; empty when it did not.")
    mot_class: str = Field(default="-", description="The class the Model Openness Tool's self-report claims, or '-'.")
    disagreements: int = Field(default=0, description="How many differences between the external records (Model "
                               "Openness Tool, European Open Source AI Index) and the audit are spelled out.")


class IndexRecord(BaseModel):
    """One line of records.jsonl: a release's identity, its latest audit (or the error) and what
    other indexes say of it. The columns of records.csv are `$defs/IndexRow`."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The release's identity URL (https://huggingface.co/OWNER/NAME, a git remote, or --id).")
    target: str
    revision: str | None = None
    audited_at: str
    trueopen_version: str
    audit: dict[str, Any] | None = Field(default=None, description="The audit record (schema/audit.schema.json); null on error.")
    external: dict[str, Any] | None = Field(default=None, description="Self-reported and hand-graded records of the same "
                                            "release (Model Openness Tool, European Open Source AI Index) and the "
                                            "disagreements with the audit; null when none matched.")
    error: str | None = Field(default=None, description="One-line reason the audit failed; null when it did not.")


def json_schema() -> dict:
    """The JSON Schema of records.jsonl lines, with the CSV row under $defs, as committed in
    schema/index-record.schema.json."""
    schema = IndexRecord.model_json_schema()
    row = IndexRow.model_json_schema()
    schema.setdefault("$defs", {})["IndexRow"] = row
    schema["properties"]["audit"]["anyOf"] = [{"$ref": AUDIT_SCHEMA_ID}, {"type": "null"}]
    from trueopen.index.external import External  # the shape external.py returns, so records validate against it

    ext = External.model_json_schema()
    schema["$defs"].update(ext.pop("$defs", {}))
    schema["$defs"]["External"] = ext
    schema["properties"]["external"] = {"anyOf": [{"$ref": "#/$defs/External"}, {"type": "null"}], "default": None,
                                        "description": schema["properties"]["external"].get("description", "")}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://trueopen.dev/schema/index-record.schema.json"
    return schema


def canonical_audit(audit: dict[str, Any] | None) -> dict[str, Any] | None:
    """The audit JSON as schema/audit.schema.json spells it: `Audit.model_dump(mode="json")`
    without by_alias writes the MOF class as `class_`; renamed to `class` (the one alias)."""
    mof = ((audit or {}).get("verdicts") or {}).get("mof")
    if not isinstance(mof, dict) or "class_" not in mof:
        return audit
    fixed = {("class" if k == "class_" else k): v for k, v in mof.items()}
    return {**audit, "verdicts": {**audit["verdicts"], "mof": fixed}}


def record_line(entry: IndexEntry) -> dict[str, Any]:
    """The records.jsonl line of an entry: IndexRecord's fields, in its order."""
    return {"id": entry.id, "target": entry.target, "revision": entry.revision, "audited_at": entry.audited_at,
            "trueopen_version": entry.trueopen_version, "audit": canonical_audit(entry.audit), "external": entry.external,
            "error": entry.error}


_OWNER = re.compile(r"^(?:[a-z][a-z0-9+.-]*://(?:[^/@]*@)?[^/]+/|[^/@\s]+@[^:/\s]+:)([^/\s]+)/[^/\s]+", re.I)


def publisher(release_id: str) -> str:
    """OWNER in https://host/OWNER/NAME or git@host:OWNER/NAME.git; '-' for any other identity."""
    m = _OWNER.match(release_id.strip())
    return m.group(1) if m else "-"


def _short(expression: str | None) -> str:
    return (expression or "").replace("LicenseRef-trueopen-", "") or "-"


def _commercial(audit: dict[str, Any], weights_expr: str | None) -> str:
    """Commercial use read from the terms the audit carries for the weights' licence (most
    restrictive of an AND, as formats/freedoms.py does), else the first licence with terms."""
    from trueopen.formats.freedoms import RANK
    from trueopen.licenses import expression_ids

    terms = {}
    for lf in audit.get("licenses") or []:
        t = lf.get("terms")
        if t and lf.get("id") not in terms:
            terms[lf["id"]] = t
    if weights_expr:
        values = [terms[i]["freedoms"]["commercial"] if i in terms else None for i in (expression_ids(weights_expr) or [weights_expr])]
        if values and None not in values:
            return min(values, key=lambda v: RANK.get(v, -1))
        return "unknown"
    first = next(iter(terms.values()), None)
    return first["commercial"] if first else "unknown"


def row_of(entry: IndexEntry) -> IndexRow:
    """The table row of an entry, read from its audit JSON (nothing is recomputed)."""
    base = {"id": entry.id, "target": entry.target, "publisher": publisher(entry.id), "audited_at": entry.audited_at,
            "trueopen_version": entry.trueopen_version}
    ext = entry.external if isinstance(entry.external, dict) else {}
    mot = ext.get("mot") if isinstance(ext.get("mot"), dict) else {}
    dis = ext.get("disagreements")
    base["mot_class"] = str(mot.get("class") or "-")
    base["disagreements"] = len(dis) if isinstance(dis, list) else 0
    a = canonical_audit(entry.audit)
    if a is None or entry.error:
        return IndexRow(**base, revision=entry.revision or "-", revision_date=entry.revision_date or "-", label="error",
                        mof_class="-", osaid="-", eu_exempt="-", license="-", commercial="-", safety="-", openwashing="-",
                        components=None, reproducibility="-", error=entry.error or "no audit record")
    target = a.get("target") or {}
    v = a["verdicts"]
    comps = a.get("components") or []
    weights = next((c for c in comps if c.get("id") == WEIGHTS and c.get("status", "missing") != "missing"), None)
    weights_expr = (weights or {}).get("license", {}).get("expression")
    if weights_expr:
        lic = _short(weights_expr)
    else:
        card_lic = (a.get("card") or {}).get("license")
        first = next((lf.get("id") for lf in a.get("licenses") or [] if lf.get("id")), None)
        lic = _short(first) if first else (card_lic or "-")
    ow = v["openwashing"]
    rep = v.get("reproducibility")
    return IndexRow(
        **base, revision=entry.revision or target.get("revision") or "-",
        revision_date=entry.revision_date or target.get("commit_date") or "-", label=v["label"], mof_class=v["mof"]["class"],
        osaid="yes" if v["osaid"]["conformant"] else "no", eu_exempt="yes" if v["eu_ai_act"]["exempt"] else "no", license=lic,
        commercial=_commercial(a, weights_expr), safety=(a.get("safety") or {}).get("status", "-"),
        openwashing=(ow.get("severity") or "mild") if ow.get("flagged") else "none",
        components=sum(1 for c in comps if c.get("status", "present" if c.get("present") else "missing") == "present"),
        reproducibility=(rep or {}).get("grade") or "-")
