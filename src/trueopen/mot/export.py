"""An audit as a Model Openness Tool model record (``trueopen audit --format mot``).

The record validates against MOT's ``schema/mof_schema.json`` (bundled as
``data/mot/mof_schema.json``) and is ready to submit as ``models/<name>.yml`` after the fields
trueopen cannot know are filled in: they carry the placeholder :data:`FILL_IN`.

Licences are written the way MOT reads them: one licence per component (MOT has no
expressions), SPDX ids as they are, trueopen's ``LicenseRef-trueopen-*`` ids by their full name
(MOT judges both literally, and neither name is on its open list). Components that inherit the
release licence (or the licence for their content type) carry no ``license`` of their own, as
MOT's own Hugging Face scraper writes them; the others carry theirs, or ``unlicensed``.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import yaml

from trueopen.assessors.mof import components as mof_components
from trueopen.licenses import get_record, identify_name, is_open, is_type_appropriate
from trueopen.licenses.names import parse_expression
from trueopen.mot.records import UNLICENSED, mot_description
from trueopen.record import Audit, Component

__all__ = ["FILL_IN", "FRAMEWORK", "audit_to_mot", "schema", "to_yaml"]

FILL_IN = "(unknown: fill in)"
"""Placeholder for a required field trueopen cannot know (the schema accepts any string)."""

FRAMEWORK: dict[str, str] = {"name": "Model Openness Framework", "version": "1.0", "date": "2024-12-15"}

# Hugging Face pipeline tags -> MOT release.type (schema enum); anything else stays "".
_PIPELINE_TYPES = {
    "text-generation": "language",
    "text2text-generation": "language",
    "fill-mask": "language",
    "translation": "language",
    "summarization": "language",
    "question-answering": "language",
    "image-classification": "vision",
    "object-detection": "vision",
    "image-segmentation": "vision",
    "text-to-image": "image",
    "image-to-image": "image",
    "automatic-speech-recognition": "audio",
    "text-to-speech": "audio",
    "text-to-audio": "audio",
    "text-to-video": "video",
    "image-text-to-text": "multimodal",
    "visual-question-answering": "multimodal",
}
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
# How restrictive a licence category is, most restrictive first (for MOT's one-licence field);
# permissive code, open-data and open-content licences rank alike.
_RESTRICTIVE = {"proprietary": 0, "unknown": 0, "research-only": 1, "non-commercial": 2, "restricted-model": 3,
                "copyleft": 4, "open-data": 5, "open-content": 5, "permissive": 5}


def schema() -> dict[str, Any]:
    """MOT's JSON Schema for model records (upstream ``schema/mof_schema.json``)."""
    import json
    from importlib import resources

    return json.loads(resources.files("trueopen.data").joinpath("mot/mof_schema.json").read_text(encoding="utf-8"))


def _mot_name(license_id: str) -> str:
    # MOT knows SPDX ids only; our own records go by their full name, which reads back.
    if license_id.startswith("LicenseRef-trueopen-"):
        rec = get_record(license_id)
        return rec.name if rec else license_id
    return license_id


def _members(expression: str) -> tuple[str, list[str]]:
    """("and" | "or" | "one", licence keys) of an expression, exceptions left out."""
    tree = parse_expression(expression)
    if tree is None:
        return "one", [expression]
    from trueopen.licenses.names import _licensing

    licensing = _licensing()
    op = "and" if isinstance(tree, licensing.AND) else "or" if isinstance(tree, licensing.OR) else "one"
    keys: list[str] = []
    for sym in licensing.license_symbols(tree, decompose=False):
        sym = getattr(sym, "license_symbol", sym)
        keys.append(sym.key)
    return op, list(dict.fromkeys(keys))


def _one_licence(expression: str, content_type: str) -> str:
    """The single licence id MOT should record for an expression.

    MOT takes one licence per component; its maintainers advise recording the most restrictive
    one (lfai/model_openness_tool #90). For an OR, any side will do, so the most open is taken.
    """
    op, keys = _members(expression)
    if len(keys) == 1:
        return keys[0]

    def rank(key: str) -> tuple[int, int, int]:
        rec = get_record(key)
        category = rec.category if rec else "unknown"
        cat_rank = _RESTRICTIVE.get(category, 0)
        return (int(is_open(key)), cat_rank, int(is_type_appropriate(key, content_type)))

    order = {k: i for i, k in enumerate(keys)}
    if op == "or":
        return max(keys, key=lambda k: (*rank(k), -order[k]))
    return min(keys, key=lambda k: (rank(k)[0], rank(k)[1], -rank(k)[2], order[k]))


def _release_name(audit: Audit) -> str:
    ref = audit.target.ref.rstrip("/\\")
    if audit.target.kind in ("hf-hub", "hf-cache") and "/" in ref:
        return ref.split("/")[-1]
    name = PurePosixPath(ref.replace("\\", "/")).name or ref
    for suffix in _ARCHIVE_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name or FILL_IN


def _producer(audit: Audit) -> str:
    if audit.target.kind in ("hf-hub", "hf-cache") and "/" in audit.target.ref:
        return audit.target.ref.split("/")[0]
    return FILL_IN


def _release_type(audit: Audit) -> str:
    for tag in audit.card.tags:
        if tag in _PIPELINE_TYPES:
            return _PIPELINE_TYPES[tag]
    return ""


def _globals(audit: Audit) -> dict[str, dict[str, str]]:
    """MOT's release.license: distribution from the release licence, one per content type."""
    out: dict[str, dict[str, str]] = {}
    for comp in audit.components:
        lic = comp.license
        if not comp.present or not lic.expression:
            continue
        if lic.source == "release":
            out.setdefault("distribution", {"name": _mot_name(_one_licence(lic.expression, "code")),
                                             "path": lic.path or ""})
        elif lic.source == "content-type":
            out.setdefault(comp.content_type, {"name": _mot_name(_one_licence(lic.expression, comp.content_type)),
                                               "path": lic.path or ""})
    if "distribution" not in out and audit.card.license:
        match = identify_name(audit.card.license)
        if match is not None:
            out["distribution"] = {"name": _mot_name(match.id), "path": audit.card.path or ""}
    return {k: out[k] for k in ("distribution", "code", "data", "document") if k in out}


def _component_licence(comp: Component) -> str:
    lic = comp.license
    if not lic.expression or lic.source in ("none", "external"):
        return UNLICENSED  # an external reference proves existence, not an open licence
    return _mot_name(_one_licence(lic.expression, comp.content_type))


def _component(comp: Component, mot_name: str, globals_: dict[str, dict[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {"name": mot_name}
    description = mot_description(mot_name)
    if comp.license.expression and len(_members(comp.license.expression)[1]) > 1:
        # MOT holds one licence per component: keep the full expression where a reader sees it.
        description = f"{description} (licence expression: {comp.license.expression})".strip()
    if description:
        out["description"] = description
    own = _component_licence(comp)
    inherited = (globals_.get(comp.content_type) or globals_.get("distribution") or {}).get("name")
    if own != inherited:
        out["license"] = own
        if comp.license.path and own != UNLICENSED:
            out["license_path"] = comp.license.path
    if comp.evidence:
        out["component_path"] = comp.evidence[0].path
    return out


def audit_to_mot(audit: Audit) -> dict[str, Any]:
    """A MOT model record for an audit: present components only, licences as MOT reads them.

    Fields trueopen cannot know (producer of a local folder) hold :data:`FILL_IN`; unknown
    optional fields are "" or left out (release date, treatment). Deterministic: same audit,
    same record.
    """
    defs = {d.id: d for d in mof_components()}
    globals_ = _globals(audit)
    comps = [
        _component(c, defs[c.id].name, globals_)
        for c in sorted(audit.components, key=lambda c: list(defs).index(c.id) if c.id in defs else len(defs))
        if c.present and c.id in defs
    ]
    release: dict[str, Any] = {
        "name": _release_name(audit),
        "version": audit.target.revision or "",
        "type": _release_type(audit),
        "architecture": "",
        "origin": audit.card.base_model[0] if audit.card.base_model else "",
        "producer": _producer(audit),
        "contact": "",
        "repository": "",
        "huggingface": f"https://huggingface.co/{audit.target.ref}" if audit.target.kind in ("hf-hub", "hf-cache") else "",
        "license": globals_,
        "components": comps,
    }
    return {"framework": dict(FRAMEWORK), "release": release}


def to_yaml(record: dict[str, Any]) -> str:
    """The record as YAML in MOT's key order (safe_dump, no sorting, block style)."""
    return yaml.safe_dump(record, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
