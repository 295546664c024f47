"""Output of ``trueopen mof``: the JSON list and the table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from trueopen.mot.records import MotEvaluation

__all__ = ["render_json", "render_table"]


def render_json(evaluations: Sequence[MotEvaluation]) -> str:
    """One object per file, in the order given (MOT's API ``classification`` inside each)."""
    return json.dumps([e.to_dict() for e in evaluations], indent=2, ensure_ascii=False) + "\n"


def _pct(value: float) -> str:
    return f"{value:.0f}%" if float(value).is_integer() else f"{value:.2f}%"


def render_table(evaluations: Sequence[MotEvaluation], console: Console) -> None:
    """File, release, class, progress III/II/I and what the next class needs."""
    mode = "MOT-exact" if all(e.strict for e in evaluations) else "normalised licence names"
    table = Table(title=f"Model Openness Framework ({mode})", title_justify="left", show_lines=False)
    for name in ("File", "Release", "Class", "III", "II", "I", "Next class needs"):
        table.add_column(name, overflow="fold", justify="right" if name in ("III", "II", "I") else "left")
    for e in evaluations:
        p = e.result.progress
        needs = "\n".join(e.result.next_needs) if e.result.next_needs else "-"
        table.add_row(
            Path(e.file).name or e.file,  # the full path is in the JSON; the name keeps rows short
            str(e.release.get("name", "")),
            e.classification()["label"],
            _pct(p["Class III"]),
            _pct(p["Class II"]),
            _pct(p["Class I"]),
            needs,
        )
    console.print(table)
    warned = [(e.file, w) for e in evaluations for w in e.result.warnings]
    if warned:
        console.print("Warnings")
        for file, w in warned:
            console.print(f"  {file}: {w}", highlight=False, soft_wrap=True)
