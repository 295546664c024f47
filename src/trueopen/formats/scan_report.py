"""A scan as a table (one row per file that can carry code) or as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from trueopen.formats.table import SAFETY_STYLE
from trueopen.scan.engine import ScanReport
from trueopen.scan.result import worth_listing

VERDICT_STYLE = {"block": "bold red", "review": "yellow", "info": "dim"}
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(32), 127)}


def printable(name: str) -> str:
    """A file or member name with control characters escaped (a newline would break a row)."""
    return name.translate(_CONTROL)


def render_table(report: ScanReport, console: Console) -> None:
    """Files with something to say, their status and their issues; then the overall status."""
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("File", "Format", "Status", "torch weights_only"):
        t.add_column(col, overflow="fold")
    shown = [f for f in report.files if worth_listing(f.format, f.issues)]
    for f in shown:
        wo = "-" if f.weights_only_ok is None else ("loads" if f.weights_only_ok else "refused")
        t.add_row(printable(f.path), f.format, Text(f.status, style=SAFETY_STYLE[f.status]), wo)
    if shown:
        console.print(t)
    for f in shown:
        for i in f.issues:
            where = printable(f.path + (f"!{i.member}" if i.member else "")) \
                + (f"@{i.offset}" if i.offset is not None else "")
            trick = f" [trick: {i.trick}]" if i.trick else ""
            console.print(Text.assemble((f"  {i.verdict:<6}", VERDICT_STYLE.get(i.verdict, "")), f" {where}: {i.detail}{trick}"))
    for p in report.problems:
        console.print(Text(f"  note   {p}", style="dim"))
    inert = len(report.files) - len(shown)
    tail = f"; {inert} text or unrecognised files that no loader runs" if inert else ""
    console.print(Text.assemble("Status: ", (report.status, SAFETY_STYLE[report.status]),
                                f"  ({len(report.files)} files scanned, {len(shown)} that can carry code{tail})"))


def render_json(report: ScanReport) -> str:
    """{targets, status, exit_code, files[{path, format, status, globals, weights_only_ok, stopped_by, issues[]}], problems}."""
    data = {
        "targets": list(report.targets),
        "status": report.status,
        "exit_code": report.exit_code,
        "files": [asdict(f) for f in report.files],
        "problems": list(report.problems),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
