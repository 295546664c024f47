"""`trueopen cache`: every repo revision in the HF cache with label, MOF class, safety and licence."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from trueopen.batch import CachedRevision
from trueopen.follow import weights_license
from trueopen.formats.table import LABEL_STYLE, SAFETY_STYLE, short_id


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)


def render(rows: Sequence[CachedRevision], warnings: Sequence[str], console: Console) -> None:
    """One row per cached revision: what is on the disk, and may it be used."""
    if not rows:
        console.print("The HF cache holds no model or dataset.")
    else:
        t = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, show_edge=False)
        for col in ("Repo", "Revision", "Size", "Label", "MOF class", "Safety", "Licence"):
            wraps = col in ("Repo", "Licence")  # names are folded on a narrow terminal, never cut
            t.add_column(col, no_wrap=not wraps, overflow="fold" if wraps else "ellipsis")
        for r in rows:
            rev = r.revision[:8] + (f" ({', '.join(r.refs)})" if r.refs else "")
            if r.audit is None:
                t.add_row(r.repo, rev, _size(r.size_on_disk), Text("error", style="bold red"), "-", "-",
                          Text(r.error or "", style="red"))
                continue
            a = r.audit
            expr, is_open = weights_license(a)
            lic = Text(short_id(expr), style="green" if is_open else "red") if expr else Text("none", style="red")
            t.add_row(r.repo, rev, _size(r.size_on_disk), Text(a.verdicts.label, style=LABEL_STYLE[a.verdicts.label]),
                      a.verdicts.mof.class_, Text(a.safety.status, style=SAFETY_STYLE[a.safety.status]), lic)
        console.print(t)
    for r in rows:  # a snapshot that lacks files of its commit was audited as it is on disk
        for f in r.audit.findings if r.audit is not None else ():
            if f.rule == "hf-cache-partial":
                console.print(Text(f"  {r.repo}@{r.revision[:8]}: {f.message}", style="yellow"))
    for w in warnings:
        console.print(Text(f"  warning: {w}", style="yellow"))


def render_json(rows: Sequence[CachedRevision], warnings: Sequence[str]) -> str:
    """The same as a JSON object: {revisions: [...], warnings: [...]}; deterministic."""
    items = []
    for r in rows:
        item: dict = {"repo": r.repo, "repo_type": r.repo_type, "revision": r.revision, "refs": list(r.refs),
                      "size_on_disk": r.size_on_disk, "files": r.files}
        if r.audit is None:
            item["error"] = r.error
        else:
            expr, is_open = weights_license(r.audit)
            v = r.audit.verdicts
            item.update({"label": v.label, "mof_class": v.mof.class_, "osaid_conformant": v.osaid.conformant,
                         "safety": r.audit.safety.status, "weights_license": expr, "weights_license_open": is_open,
                         "findings": len(r.audit.findings)})
        items.append(item)
    return json.dumps({"revisions": items, "warnings": list(warnings)}, indent=2) + "\n"
