"""The audit record as JSON (DESIGN.md §4)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from trueopen.record import Audit


def render(audit: Audit) -> str:
    """One audit as the JSON record: same input, same bytes."""
    return audit.to_json()


def render_many(audits: Sequence[Audit]) -> str:
    """Several audits as a JSON list of records."""
    items = [json.loads(a.to_json()) for a in audits]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
