"""The Hub facts of an audit as rows of the table report: revision, access, what was fetched, and
the Hub's own security scan beside trueopen's."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from trueopen.record import Audit


def size(n: int) -> str:
    """Bytes for people: 1.5 GiB, 340 KiB."""
    f = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if f < 1024 or unit == "TiB":
            return f"{n} B" if unit == "B" else f"{f:.1f} {unit}"
        f /= 1024
    return f"{n} B"


def add_rows(head: Table, audit: Audit) -> None:
    """Rows for hf-hub and hf-cache targets; nothing for folders and archives."""
    t = audit.target
    if t.revision:
        asked = f" ({t.requested_revision})" if t.requested_revision and t.requested_revision != t.revision else ""
        date = f", {t.commit_date[:10]}" if t.commit_date else ""
        head.add_row("Revision", f"{t.revision}{asked}{date}")
    hub = audit.hub
    if hub is not None:
        if hub.gated:
            access = Text(f"gated ({hub.gated} approval)", style="yellow")
            if not hub.files_readable:
                access.append(f": files not readable: {hub.access}", style="red")
            head.add_row("Hub access", access)
        elif not hub.files_readable:
            head.add_row("Hub access", Text(f"files not readable: {hub.access}", style="red"))
        scan = hub.security_scan
        if scan is not None:
            flagged = ", ".join(f"{f.path} ({f.level})" for f in scan.files_with_issues[:3])
            head.add_row("Hub's own scan", f"{len(scan.files_with_issues)} file(s) flagged: {flagged}" if flagged
                         else ("no issue reported" if scan.scans_done else "not done"))
    tr = audit.transfer
    if tr is not None:
        pct = 100 * tr.bytes_fetched / tr.bytes_total if tr.bytes_total else 0.0
        head.add_row("Fetched", f"{size(tr.bytes_fetched)} of {size(tr.bytes_total)} ({pct:.3g} %), {tr.requests} HTTP requests")
