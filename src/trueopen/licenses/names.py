"""Licences named in metadata: SPDX ids and expressions, Hugging Face card ids, free names."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from trueopen.data import load_yaml
from trueopen.licenses.records import (
    LicenseMatch,
    catalog_records,
    get_record,
    scancode_index,
    spdx_by_fold,
    spdx_licenses,
)

MAX_NAME_CHARS = 512
_WS = re.compile(r"[\s_]+")
_SCANCODE_PREFIX = "licenseref-scancode-"


def _fold(value: str) -> str:
    return _WS.sub(" ", value.strip().casefold()).strip(" .;,")


@cache
def _names() -> dict[str, Any]:
    return load_yaml("licenses/names.yml")


@cache
def _hf_map() -> dict[str, str]:
    return {k.casefold(): v for k, v in _names()["hf"]["map"].items()}


@cache
def _hf_none() -> frozenset[str]:
    return frozenset(v.casefold() for v in _names()["hf"]["none"])


def hf_ids_for(license_id: str) -> tuple[str, ...]:
    """Hugging Face card ids that name this licence id (explicit map entries only)."""
    return tuple(sorted(k for k, v in _hf_map().items() if v == license_id))


@cache
def _index() -> dict[str, tuple[str, float, str]]:
    """Folded name -> (licence id, confidence, how it was named). Later layers never override."""
    idx: dict[str, tuple[str, float, str]] = {}

    def put(name: str, lid: str, conf: float, how: str) -> None:
        idx.setdefault(_fold(name), (lid, conf, how))

    for rec in catalog_records():
        put(rec.id, rec.id, 1.0, "trueopen id")
        # Family records stand for several licences: say so through a lower confidence.
        conf = 0.6 if rec.id.endswith("-family") else 0.95
        for alias in rec.aliases:
            put(alias, rec.id, conf, "alias")
    for key, lid in _hf_map().items():
        put(key, lid, 0.6 if lid.endswith("-family") else 0.95, "Hugging Face card id")
    # Deprecated ids first, so "GPL-2.0+" resolves to GPL-2.0-or-later, not to itself.
    for key, lid in _names()["deprecated"].items():
        put(key, lid, 0.95, "deprecated SPDX id")
    for fold, spdx in spdx_by_fold().items():
        put(fold, spdx, 1.0, "SPDX id")
    for key, lid in _names()["free"].items():
        put(key, lid, 0.9, "common name")
    for spdx, lic in spdx_licenses().items():
        if not lic.deprecated_id:
            put(lic.name, spdx, 0.9, "SPDX licence name")
    key_to_spdx = scancode_index()[0]
    for key, spdx in sorted(key_to_spdx.items()):
        if spdx and not spdx.startswith("LicenseRef-"):
            put(key, spdx, 0.9, "ScanCode key")
    return idx


def identify_name(value: str) -> LicenseMatch | None:
    """The licence a metadata value names (SPDX id, HF card id or license_name slug, free name).

    Returns a match of kind "metadata", or None when the value names no licence we know
    ("other", "unknown", an expression with several licences, or an unknown name).
    """
    if not isinstance(value, str):
        return None
    raw = value.strip()[:MAX_NAME_CHARS]
    folded = _fold(raw)
    if not folded or folded in _hf_none():
        return None
    idx = _index()
    hit = idx.get(folded)
    if hit is None and folded.startswith(_SCANCODE_PREFIX):
        hit = idx.get(folded[len(_SCANCODE_PREFIX):])
    if hit is None:
        for suffix in (" license", " licence", " license agreement"):
            if folded.endswith(suffix) and (hit := idx.get(folded[: -len(suffix)])):
                break
    if hit is None:
        return None
    lid, conf, how = hit
    rec = get_record(lid)
    name = rec.name if rec else lid
    return LicenseMatch(id=lid, name=name, confidence=conf, line=None,
                        detail=f'{how} "{raw}"', kind="metadata")


@cache
def _licensing() -> Any:
    from license_expression import Licensing  # lazy: keeps `import trueopen.licenses` cheap

    return Licensing()


def _symbols(expression: str) -> list[str]:
    """Licence keys of an expression in order of appearance; exceptions left out."""
    licensing = _licensing()
    parsed = licensing.parse(expression, validate=False, simple=False)
    if parsed is None:
        return []
    keys = []
    for sym in licensing.license_symbols(parsed, decompose=False):
        # "X WITH exception": the exception grants extra rights; the licence is X.
        sym = getattr(sym, "license_symbol", sym)
        keys.append(sym.key)
    return keys


def normalise_id(key: str) -> str:
    """The trueopen id for one expression member; the key itself when unknown."""
    match = identify_name(key)
    return match.id if match else key


def expression_ids(expression: str) -> list[str]:
    """Licence ids inside an SPDX expression, normalised to trueopen ids, first-seen order.

    An expression that does not parse is treated as one licence name.
    """
    if not isinstance(expression, str) or not expression.strip():
        return []
    expression = expression.strip()[:MAX_NAME_CHARS * 8]
    try:
        keys = _symbols(expression)
    except Exception:  # license-expression raises several error types on bad input
        keys = [expression]
    return list(dict.fromkeys(normalise_id(k) for k in keys))


def parse_expression(expression: str) -> Any | None:
    """The parsed expression tree (license-expression objects), or None if it does not parse."""
    try:
        return _licensing().parse(expression, validate=False, simple=False)
    except Exception:
        return None
