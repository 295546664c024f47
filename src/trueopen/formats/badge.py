"""Badges of the verdicts: the label, the MOF class and the safety status, as shields-style SVG or
as shields.io "endpoint" JSON (https://shields.io/badges/endpoint-badge) for people who host their own.

Colours mean something (data/formats/badges.yml): open-source green, restricted orange, closed or
unsafe red. Text is real SVG text with a <title> and an aria-label, so screen readers read it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from html import escape

from trueopen.data import load_yaml
from trueopen.record import Audit

KINDS = ("label", "mof", "safety")
# Advance widths of Verdana 11px in tenths of a pixel for the characters badges use (shields.io
# measures text with the same font); anything else counts as a wide character.
_NARROW = {c: 35 for c in "ijl.,:;'|!"}
_NARROW.update({c: 45 for c in "frt() -/"})
_WIDE = {c: 95 for c in "mwMW"}
_DEFAULT = 70


@cache
def _conf() -> dict:
    return load_yaml("formats/badges.yml")


def text_width(text: str) -> int:
    """Approximate width in pixels of `text` in Verdana 11px."""
    return round(sum(_NARROW.get(c, _WIDE.get(c, 80 if c.isupper() or c.isdigit() else _DEFAULT)) for c in text) / 10)


def value(audit: Audit, kind: str) -> tuple[str, str, str]:
    """(title, message, hex colour) of one badge, read from the record."""
    conf = _conf()
    if kind == "label":
        v = audit.verdicts
        message = v.label + (" (openwashing)" if v.openwashing.flagged else "")
        color = "red" if v.openwashing.flagged and v.openwashing.severity == "strong" else conf["label"][v.label]
    elif kind == "mof":
        message, color = audit.verdicts.mof.class_, conf["mof"][audit.verdicts.mof.class_]
    elif kind == "safety":
        message, color = audit.safety.status, conf["safety"][audit.safety.status]
    else:
        raise ValueError(f"unknown badge kind {kind!r} (one of {', '.join(KINDS)})")
    return conf["titles"][kind], message, conf["colors"][color]


def svg(audit: Audit, kind: str) -> str:
    """One badge as SVG."""
    title, message, color = value(audit, kind)
    return _svg_row([(title, message, color)])


def _svg_row(badges: Sequence[tuple[str, str, str]]) -> str:
    parts, x, gap = [], 0, 4
    for title, message, color in badges:
        lw, mw = text_width(title) + 12, text_width(message) + 12
        t, m = escape(title), escape(message)
        parts.append(
            f'<g transform="translate({x},0)" role="img" aria-label="{t}: {m}"><title>{t}: {m}</title>'
            f'<rect width="{lw}" height="20" fill="#{_conf()["colors"]["label"]}"/>'
            f'<rect x="{lw}" width="{mw}" height="20" fill="#{color}"/>'
            f'<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
            f'<text x="{lw / 2:g}" y="14">{t}</text><text x="{lw + mw / 2:g}" y="14">{m}</text></g></g>')
        x += lw + mw + gap
    width = x - gap
    label = escape("; ".join(f"{t}: {m}" for t, m, _ in badges))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" viewBox="0 0 {width} 20" '
            f'role="img" aria-label="{label}">' + "".join(parts) + "</svg>\n")


def svg_row(audit: Audit, kinds: Sequence[str] = KINDS) -> str:
    """Several badges side by side in one SVG."""
    return _svg_row([value(audit, k) for k in kinds])


def endpoint(audit: Audit, kind: str) -> dict:
    """One badge as a shields.io endpoint object."""
    title, message, color = value(audit, kind)
    return {"schemaVersion": 1, "label": title, "message": message, "color": color}


def endpoint_json(audit: Audit, kinds: Sequence[str] = KINDS) -> str:
    """The endpoint JSON: one object for one kind, else an object keyed by kind."""
    data = endpoint(audit, kinds[0]) if len(kinds) == 1 else {k: endpoint(audit, k) for k in kinds}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
