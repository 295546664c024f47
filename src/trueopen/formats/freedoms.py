"""The freedoms matrix: what each present component's licence lets everyone do.

Columns: use, study, modify, share, commercial; each yes, conditional or no, read from the
terms records the audit carries in `licenses[].terms` (a format never recomputes a verdict:
this only reads terms). Several licences on one component (an AND) give the most restrictive
value of each freedom.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from trueopen.record import Audit, Freedoms

COLUMNS = ("use", "study", "modify", "share", "commercial")
RANK = {"no": 0, "conditional": 1, "yes": 2}
STYLE = {"yes": "green", "conditional": "yellow", "no": "red"}


def _terms_by_id(audit: Audit) -> dict[str, Freedoms]:
    out: dict[str, Freedoms] = {}
    for f in audit.licenses:
        if f.terms is not None:
            out.setdefault(f.id, f.terms.freedoms)
    return out


def component_freedoms(audit: Audit) -> list[tuple[str, str, dict[str, str] | None]]:
    """(component id, licence expression, freedoms or None when unknown) for present components."""
    from trueopen.licenses import expression_ids

    known = _terms_by_id(audit)
    rows = []
    for c in audit.components:
        if not c.present:
            continue
        expr = c.license.expression
        if not expr:
            rows.append((c.id, "-", None))
            continue
        values: dict[str, str] | None = {}
        for lid in expression_ids(expr) or [expr]:
            fr = known.get(lid)
            if fr is None:
                values = None
                break
            for col in COLUMNS:
                v = getattr(fr, col)
                if col not in values or RANK[v] < RANK[values[col]]:
                    values[col] = v
        rows.append((c.id, expr, values or None))
    return rows


def render(audit: Audit, console: Console) -> None:
    rows = component_freedoms(audit)
    if not rows:
        return
    t = Table(title="Freedoms (from each licence's terms)", box=box.SIMPLE_HEAD, title_justify="left")
    t.add_column("Component", no_wrap=True)
    t.add_column("Licence", overflow="fold")
    for col in COLUMNS:
        t.add_column(col.capitalize())
    for cid, expr, values in rows:
        lic = expr.replace("LicenseRef-trueopen-", "")
        if values is None:
            t.add_row(cid, lic, *[Text("?", style="dim")] * len(COLUMNS))
        else:
            t.add_row(cid, lic, *[Text(values[c], style=STYLE[values[c]]) for c in COLUMNS])
    console.print(t)
