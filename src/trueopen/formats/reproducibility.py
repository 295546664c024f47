"""The reproducibility part of the terminal report: each fact a replay needs, the plan, and the
replay's per-file grades after `trueopen reproduce`."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from trueopen.record import Audit

STATUS_STYLE = {"stated": "green", "partial": "yellow", "missing": "red"}
GRADE_STYLE = {"bitwise": "green", "within-tolerance": "green", "differs": "bold red", "not-produced": "red"}


def render(audit: Audit, console: Console) -> None:
    """Print the readiness facts, the replay plan and, when present, the replay."""
    r = audit.verdicts.reproducibility
    if r is not None:
        t = Table(title=f"Reproducibility: {r.grade}", box=box.SIMPLE_HEAD, title_justify="left")
        t.add_column("Fact", no_wrap=True)
        t.add_column("Status")
        t.add_column("Detail", overflow="fold")
        t.add_column("Evidence", overflow="fold")
        for f in r.facts:
            ev = f.evidence[0].where() if f.evidence else "-"
            t.add_row(f.id.replace("_", " "), Text(f.status, style=STATUS_STYLE[f.status]), f.detail, ev)
        console.print(t)
        if r.plan.commands:
            where = f" ({r.plan.commands_from.where()})" if r.plan.commands_from else ""
            console.print(Text(f"Replay plan{where}: ", style="bold") + Text(" && ".join(r.plan.commands)))
            console.print(f"  Python {r.plan.python or 'not stated'}; {len(r.plan.requirements)} exact pins"
                          + (f", {len(r.plan.skipped_requirements)} lines not pins" if r.plan.skipped_requirements else "")
                          + f"; compares {len(r.plan.outputs)} weights files", highlight=False)
            console.print()
    rep = audit.reproduction
    if rep is None:
        return
    t = Table(title=f"Replay: {rep.grade}", box=box.SIMPLE_HEAD, title_justify="left")
    t.add_column("Weights file", overflow="fold")
    t.add_column("Grade")
    t.add_column("Tensors")
    t.add_column("Detail", overflow="fold")
    for f in rep.files:
        worst = "; ".join(f"{w.name} ({w.grade}, max abs {w.max_abs_diff if w.max_abs_diff is not None else '-'})"
                          for w in f.worst[:3])
        detail = f.detail + (f"; worst: {worst}" if worst else "")
        t.add_row(f.path, Text(f.grade, style=GRADE_STYLE[f.grade]),
                  f"{f.tensors_differing}/{f.tensors}" if f.tensors else "-", detail)
    if rep.files:
        console.print(t)
    else:
        console.print(Text(f"Replay: {rep.grade}", style="bold"))
    console.print(f"  {rep.reason}", highlight=False)
    env = rep.environment
    if env.get("python"):
        sources = sorted(set((env.get("installed_from") or {}).values()))
        console.print(f"  environment: Python {env['python'].get('version')}, {len(env.get('packages', []))} packages"
                      + (f" ({'; '.join(sources)})" if sources else ""), highlight=False)
    console.print(f"  sandbox {rep.sandbox}, network {rep.network}; exit status {rep.exit_code if rep.exit_code is not None else '-'}"
                  f"; {rep.seconds if rep.seconds is not None else '-'} s" + (f"; evidence in {rep.out}" if rep.out else ""),
                  highlight=False)
    if rep.grade == "could-not-run" and rep.log_tail:
        console.print("  log tail:", highlight=False)
        for line in rep.log_tail[-8:]:
            console.print(f"    {line}", highlight=False, markup=False)
    console.print()
