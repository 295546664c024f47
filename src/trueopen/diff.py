"""Two audits of one release compared: licence changes per component (a relicensing is the
headline), components added or removed, claims added or withdrawn, verdict and safety changes,
files added, removed or changed by sha256. The records are compared, never re-judged."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from trueopen.errors import InputError
from trueopen.record import Audit
from trueopen.sources.options import SourceOptions

LABEL_RANK = {"closed": 0, "restricted-weights": 1, "open-weights": 2, "open-source": 3}
MOF_RANK = {"Unclassified": 0, "Class III": 1, "Class II": 2, "Class I": 3}
SAFETY_RANK = {"clean": 0, "review": 1, "incomplete": 2, "unsafe": 3}
STATUS_RANK = {"missing": 0, "referenced": 1, "present": 2}
FAIL_ON = {
    "license-change": "a component's licence changed",
    "label-down": "the label got less open",
    "mof-down": "the MOF class went down",
    "osaid-lost": "OSAID conformance was lost",
    "openwashing": "openwashing is newly flagged",
    "safety-down": "the safety status got worse",
    "component-removed": "a component is no longer present or referenced",
    "files-changed": "a file was added, removed or changed",
    "any": "anything changed",
}


class Change(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: str  # license | component | claim | verdict | safety | file
    subject: str
    old: str | None
    new: str | None
    direction: str = "changed"  # up | down | added | removed | changed


class Diff(BaseModel):
    model_config = ConfigDict(frozen=True)
    old: str
    new: str
    changes: list[Change]
    triggered: list[str] = []  # --fail-on rules that hold

    @property
    def relicensed(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "license"]


def _rank_dir(ranks: dict[str, int], old: str, new: str) -> str:
    return "up" if ranks[new] > ranks[old] else "down" if ranks[new] < ranks[old] else "changed"


def compare(old: Audit, new: Audit) -> list[Change]:
    """Every difference that matters between two audits, in a fixed order."""
    out: list[Change] = []
    oc, nc = {c.id: c for c in old.components}, {c.id: c for c in new.components}
    for cid in sorted(set(oc) | set(nc)):
        a, b = oc.get(cid), nc.get(cid)
        if a is None or b is None:
            continue
        if a.license.expression != b.license.expression and a.status != "missing" and b.status != "missing":
            out.append(Change(kind="license", subject=cid, old=a.license.expression, new=b.license.expression))
        if a.status != b.status:
            d = "added" if a.status == "missing" else "removed" if b.status == "missing" else _rank_dir(STATUS_RANK, a.status, b.status)
            out.append(Change(kind="component", subject=cid, old=a.status, new=b.status, direction=d))
        elif a.open != b.open and b.status != "missing":
            out.append(Change(kind="component", subject=f"{cid} open", old=str(a.open).lower(), new=str(b.open).lower(),
                              direction="up" if b.open else "down"))
    okeys = {(c.kind, " ".join(c.text.split())): c for c in old.claims}
    nkeys = {(c.kind, " ".join(c.text.split())): c for c in new.claims}
    for k in sorted(set(nkeys) - set(okeys)):
        out.append(Change(kind="claim", subject=f"{k[0]} claim at {nkeys[k].path}:{nkeys[k].line}", old=None, new=k[1], direction="added"))
    for k in sorted(set(okeys) - set(nkeys)):
        out.append(Change(kind="claim", subject=f"{k[0]} claim at {okeys[k].path}:{okeys[k].line}", old=k[1], new=None, direction="removed"))
    ov, nv = old.verdicts, new.verdicts
    if ov.label != nv.label:
        out.append(Change(kind="verdict", subject="label", old=ov.label, new=nv.label, direction=_rank_dir(LABEL_RANK, ov.label, nv.label)))
    if ov.osaid.conformant != nv.osaid.conformant:
        out.append(Change(kind="verdict", subject="osaid", old=_c(ov.osaid.conformant), new=_c(nv.osaid.conformant),
                          direction="up" if nv.osaid.conformant else "down"))
    if ov.mof.class_ != nv.mof.class_:
        out.append(Change(kind="verdict", subject="mof", old=ov.mof.class_, new=nv.mof.class_, direction=_rank_dir(MOF_RANK, ov.mof.class_, nv.mof.class_)))
    ow, nw = _ow(ov.openwashing), _ow(nv.openwashing)
    if ow != nw:
        out.append(Change(kind="verdict", subject="openwashing", old=ow, new=nw,
                          direction="down" if nv.openwashing.flagged and not ov.openwashing.flagged else
                          "up" if ov.openwashing.flagged and not nv.openwashing.flagged else "changed"))
    if ov.eu_ai_act.exempt != nv.eu_ai_act.exempt:
        out.append(Change(kind="verdict", subject="eu_ai_act", old=_e(ov.eu_ai_act.exempt), new=_e(nv.eu_ai_act.exempt),
                          direction="up" if nv.eu_ai_act.exempt else "down"))
    if ov.eu_index.score != nv.eu_index.score:
        out.append(Change(kind="verdict", subject="eu_index", old=f"{ov.eu_index.score:g}", new=f"{nv.eu_index.score:g}",
                          direction="up" if nv.eu_index.score > ov.eu_index.score else "down"))
    if old.safety.status != new.safety.status:
        out.append(Change(kind="safety", subject="safety", old=old.safety.status, new=new.safety.status,
                          direction="up" if SAFETY_RANK[new.safety.status] < SAFETY_RANK[old.safety.status] else "down"))
    osf, nsf = {f.path: f.status for f in old.safety.files}, {f.path: f.status for f in new.safety.files}
    for p in sorted(set(osf) & set(nsf)):
        if osf[p] != nsf[p]:
            out.append(Change(kind="safety", subject=p, old=osf[p], new=nsf[p],
                              direction="up" if SAFETY_RANK[nsf[p]] < SAFETY_RANK[osf[p]] else "down"))
    of, nf = {f.path: f for f in old.files}, {f.path: f for f in new.files}
    for p in sorted(set(of) | set(nf)):
        a, b = of.get(p), nf.get(p)
        if a is None and b is not None:
            out.append(Change(kind="file", subject=p, old=None, new=b.sha256 or f"{b.size} bytes", direction="added"))
        elif b is None and a is not None:
            out.append(Change(kind="file", subject=p, old=a.sha256 or f"{a.size} bytes", new=None, direction="removed"))
        elif a is not None and b is not None and (a.size != b.size or (a.sha256 and b.sha256 and a.sha256 != b.sha256)):
            out.append(Change(kind="file", subject=p, old=a.sha256 or f"{a.size} bytes", new=b.sha256 or f"{b.size} bytes"))
    return out


def _c(flag: bool) -> str:
    return "conformant" if flag else "not conformant"


def _e(flag: bool) -> str:
    return "exemption can apply" if flag else "no exemption"


def _ow(ow) -> str:
    return f"flagged ({ow.severity})" if ow.flagged else "not flagged"


def parse_fail_on(spec: str | Sequence[str] | None) -> list[str]:
    """`licence-change,label-down` (licence/license both spelled) -> rule names; InputError on an unknown rule."""
    if not spec:
        return []
    parts = spec.split(",") if isinstance(spec, str) else [p for s in spec for p in s.split(",")]
    rules = []
    for raw in parts:
        name = raw.strip().lower().replace("licence", "license")
        if not name:
            continue
        if name not in FAIL_ON:
            raise InputError(f"--fail-on: unknown rule {raw.strip()!r} (rules: {', '.join(FAIL_ON)})")
        rules.append(name)
    return sorted(set(rules), key=list(FAIL_ON).index)


def triggered(changes: list[Change], rules: Sequence[str]) -> list[str]:
    """The --fail-on rules the changes set off."""
    hit = {
        "license-change": any(c.kind == "license" for c in changes),
        "label-down": any(c.kind == "verdict" and c.subject == "label" and c.direction == "down" for c in changes),
        "mof-down": any(c.kind == "verdict" and c.subject == "mof" and c.direction == "down" for c in changes),
        "osaid-lost": any(c.kind == "verdict" and c.subject == "osaid" and c.direction == "down" for c in changes),
        "openwashing": any(c.kind == "verdict" and c.subject == "openwashing" and c.direction == "down" for c in changes),
        "safety-down": any(c.kind == "safety" and c.direction == "down" for c in changes),
        "component-removed": any(c.kind == "component" and c.direction in ("removed", "down") and not c.subject.endswith(" open") for c in changes),
        "files-changed": any(c.kind == "file" for c in changes),
        "any": bool(changes),
    }
    return [r for r in rules if hit[r]]


def diff(old: str | Path | Audit, new: str | Path | Audit, *, fail_on: str | Sequence[str] | None = None,
         hash_contents: bool = True, source: SourceOptions | None = None) -> Diff:
    """Compare two audits (Audit objects, saved audit .json files or targets to audit; Hub and
    HF-cache targets opened with `source`, each at the revision its own name gives)."""
    from trueopen.saved import audit_or_load

    if source is not None and source.revision:
        raise InputError("diff compares two revisions: give each its own (hf://ORG/NAME@REV), not one --revision")
    rules = parse_fail_on(fail_on)
    a = old if isinstance(old, Audit) else audit_or_load(old, hash_contents=hash_contents, source=source)
    b = new if isinstance(new, Audit) else audit_or_load(new, hash_contents=hash_contents, source=source)
    changes = compare(a, b)
    return Diff(old=a.target.ref, new=b.target.ref, changes=changes, triggered=triggered(changes, rules))


def render_json(d: Diff) -> str:
    return json.dumps(d.model_dump(), indent=2, ensure_ascii=False) + "\n"


def _short(digest: str | None) -> str:
    """A sha256 cut to 12 hex for the table (the JSON keeps it whole)."""
    if not digest:
        return "-"
    return digest[:12] if len(digest) == 64 else digest


STYLE = {"up": "green", "added": "green", "down": "bold red", "removed": "bold red", "changed": "yellow"}


def render_table(d: Diff, console: Console) -> None:
    console.print(Text.assemble("Old ", (d.old, "bold"), "  →  new ", (d.new, "bold")))
    if not d.changes:
        console.print("No differences.")
    for c in d.relicensed:
        console.print(Text.assemble(("RELICENSED ", "bold red"), (c.subject, "bold"), f": {c.old or 'none'} → {c.new or 'none'}"))
    if d.changes:
        t = Table(box=box.SIMPLE_HEAD)
        for col in ("Kind", "What", "Old", "New", "Change"):
            t.add_column(col, overflow="fold")
        for c in d.changes:
            old, new = (_short(c.old), _short(c.new)) if c.kind == "file" else (c.old or "-", c.new or "-")
            t.add_row(c.kind, c.subject, old, new, Text(c.direction, style=STYLE.get(c.direction, "")))
        console.print(t)
    for rule in d.triggered:
        console.print(Text.assemble(("fail-on ", "bold red"), (rule, "bold"), f": {FAIL_ON[rule]}"))
