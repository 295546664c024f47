"""MOF openness and type-appropriateness of licences (openness-frameworks.md §1.4)."""

from __future__ import annotations

from typing import Any

from trueopen.licenses.names import MAX_NAME_CHARS, _licensing, normalise_id, parse_expression
from trueopen.licenses.records import CONTENT_TYPES, get_record


def _id_open(key: str) -> bool:
    rec = get_record(normalise_id(key))
    return bool(rec and rec.open)


def _tree_open(node: Any) -> bool:
    licensing = _licensing()
    if isinstance(node, licensing.AND):
        return all(_tree_open(a) for a in node.args)
    if isinstance(node, licensing.OR):
        return any(_tree_open(a) for a in node.args)
    symbol = getattr(node, "license_symbol", None)  # "X WITH exception": an exception adds rights
    if symbol is not None:
        return _id_open(symbol.key)
    key = getattr(node, "key", None)
    return _id_open(key) if isinstance(key, str) else False


def is_open(id_or_expression: str) -> bool:
    """Open under the MOF rule: every licence of an AND is open, or any side of an OR is.

    Unknown ids, empty values and expressions that do not parse are not open.
    """
    if not isinstance(id_or_expression, str) or not id_or_expression.strip():
        return False
    value = id_or_expression.strip()[:MAX_NAME_CHARS * 8]
    rec = get_record(normalise_id(value))
    if rec is not None:
        return rec.open
    tree = parse_expression(value)
    return _tree_open(tree) if tree is not None else False


def is_type_appropriate(id: str, content_type: str) -> bool:  # noqa: A002 - public API name
    """Whether MOT lists this licence for this content type ("code", "data" or "document")."""
    if content_type not in CONTENT_TYPES or not isinstance(id, str):
        return False
    rec = get_record(normalise_id(id.strip()))
    return bool(rec and content_type in rec.content_types)
