"""The audit as a readable report on a terminal: verdicts, components, licences, recipe, findings."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from trueopen.record import Audit

LABEL_STYLE = {"open-source": "bold green", "open-weights": "bold yellow", "restricted-weights": "bold red", "closed": "bold red"}
SAFETY_STYLE = {"clean": "green", "review": "yellow", "unsafe": "bold red", "incomplete": "yellow"}
SEVERITY_STYLE = {"block": "bold red", "warn": "yellow", "info": "dim"}



def short_id(expression: str) -> str:
    """A licence expression with trueopen's LicenseRef prefix dropped, for narrow tables."""
    return expression.replace("LicenseRef-trueopen-", "")


def _yes(flag: bool) -> Text:
    return Text("yes", style="green") if flag else Text("no", style="red")


READY_STYLE = {"replayable": "green", "partial": "yellow", "not-replayable": "red"}
REPLAY_STYLE = {"bitwise": "green", "within-tolerance": "green", "differs": "bold red", "could-not-run": "red"}


def render(audit: Audit, console: Console) -> None:
    """Print one audit."""
    v = audit.verdicts
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("Release", f"{audit.target.ref} ({audit.target.kind}, {len(audit.files)} files)")
    from trueopen.formats.hub_rows import add_rows  # revision, Hub access, bytes fetched, the Hub's scan

    add_rows(head, audit)
    label = Text(v.label, style=LABEL_STYLE[v.label])
    if v.unverified:
        label.append(f"  (unverified: {', '.join(v.unverified)})", style="yellow")
    head.add_row("Label", label)
    head.add_row("OSAID 1.0", Text("conformant", style="green") if v.osaid.conformant else Text("not conformant", style="red"))
    progress = ", ".join(f"{k} {val:g}%" for k, val in v.mof.progress.items())
    head.add_row("MOF", f"{v.mof.class_}  ({progress})")
    head.add_row("Openwashing", Text(f"FLAGGED ({v.openwashing.severity})", style="bold red") if v.openwashing.flagged
                 else Text("no", style="green"))
    head.add_row("EU AI Act 53(2)", Text("exemption can apply", style="green") if v.eu_ai_act.exempt else Text("no exemption", style="red"))
    grades = " ".join(f"{g}:{sum(1 for d in v.eu_index.dimensions if d.grade == g)}" for g in ("open", "partial", "closed"))
    head.add_row("EU OSAI index", f"{v.eu_index.score:g} / {v.eu_index.max_score}  ({grades})")
    head.add_row("Safety", Text(audit.safety.status, style=SAFETY_STYLE[audit.safety.status]))
    if v.reproducibility is not None:
        r = v.reproducibility
        ready = Text(r.grade, style=READY_STYLE[r.grade])
        if r.missing:
            ready.append(f"  (missing: {', '.join(m.replace('_', ' ') for m in r.missing)})")
        head.add_row("Reproducible", ready)
    if audit.reproduction is not None:
        head.add_row("Replay", Text(f"{audit.reproduction.grade}: {audit.reproduction.reason}",
                                    style=REPLAY_STYLE[audit.reproduction.grade]))
    console.print(head)
    console.print()

    comps = Table(title="Components", box=box.SIMPLE_HEAD, title_justify="left")
    comps.add_column("Component", no_wrap=True)
    comps.add_column("Present")
    comps.add_column("Open")
    comps.add_column("Licence", overflow="fold")
    comps.add_column("Evidence", overflow="fold")
    for c in audit.components:
        lic = short_id(c.license.expression) if c.license.expression else "-"
        if c.license.expression and c.status == "referenced":
            lic += " (assumed)" if c.license.source == "release" else " (stated)"
        first = c.evidence[0] if c.evidence else None
        ev = first.where() if first else ""
        if len(c.evidence) > 1:
            ev += f" +{len(c.evidence) - 1}"
        present = Text("referenced", style="yellow") if c.status == "referenced" else _yes(c.present)
        comps.add_row(c.id, present, _yes(c.open), lic, ev)
    console.print(comps)
    from trueopen.formats import freedoms  # the freedoms matrix, after the Components table

    freedoms.render(audit, console)

    if audit.licenses:
        lt = Table(title="Licences", box=box.SIMPLE_HEAD, title_justify="left")
        for col in ("File", "Licence", "Kind", "Open", "Category", "Governs"):
            lt.add_column(col)
        for l in audit.licenses:
            lt.add_row(l.evidence[0].where() if l.evidence else l.path, short_id(l.id), l.kind, _yes(l.open), l.category, (l.governs or ".") + "/")
        console.print(lt)

    rt = Table(title="Recipe", box=box.SIMPLE_HEAD, title_justify="left")
    rt.add_column("Element")
    rt.add_column("Found")
    rt.add_column("First evidence", overflow="fold")
    for name, items in (("hyperparameters", audit.recipe.hyperparameters), ("seeds", audit.recipe.seeds),
                        ("framework versions", audit.recipe.framework_versions), ("data order", audit.recipe.data_order),
                        ("hardware", audit.recipe.hardware)):
        rt.add_row(name, str(len(items)), items[0].where() if items else "-")
    console.print(rt)
    from trueopen.formats import reproducibility  # readiness facts, and the replay after `trueopen reproduce`

    reproducibility.render(audit, console)

    reasons: list[Text] = []
    for r in v.osaid.reasons:
        reasons.append(Text(f"  OSAID: {r}"))
    for r in v.mof.next_needs:
        reasons.append(Text(f"  {v.mof.next_class or 'MOF'}: {r}"))
    if v.openwashing.flagged:
        for r in v.openwashing.reasons:
            if not r.startswith("OSAID"):
                reasons.append(Text(f"  Openwashing: {r}", style="red"))
    if reasons:
        console.print(Text("Why", style="bold"))
        console.print(Group(*reasons))
        console.print()

    order = {"block": 0, "warn": 1, "info": 2}
    findings = sorted(audit.findings + audit.safety.findings, key=lambda f: (order[f.severity], f.rule, f.message))
    if findings:
        console.print(Text(f"Findings ({len(findings)})", style="bold"))
        for f in findings:
            console.print(Text.assemble(("  " + f.severity.ljust(5), SEVERITY_STYLE[f.severity]), f"  {f.rule}: ", f.message))


def render_comparison(audits: Sequence[Audit], console: Console) -> None:
    """One row per release: label, OSAID, MOF class, openwashing, safety."""
    t = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, show_edge=False)  # fits 80 columns
    for col in ("Release", "Label", "OSAID", "MOF class", "Openwashing", "Safety"):
        t.add_column(col, no_wrap=True)
    for a in audits:
        v = a.verdicts
        t.add_row(
            a.target.ref.rsplit("/", 1)[-1],
            Text(v.label, style=LABEL_STYLE[v.label]),
            Text("yes", style="green") if v.osaid.conformant else Text("no", style="red"),
            v.mof.class_,
            Text(f"{v.openwashing.severity}", style="bold red") if v.openwashing.flagged else Text("no", style="green"),
            Text(a.safety.status, style=SAFETY_STYLE[a.safety.status]),
        )
    console.print(t)
