"""`trueopen license`: the licences of files or folders, and one licence's terms.

The JSON is a list of records shaped like the audit's `licenses[]` (record.LicenseFinding).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path, PurePosixPath

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from trueopen.errors import InputError
from trueopen.record import LicenseFinding
from trueopen.release import Release
from trueopen.sources.pathcheck import check_input_path

MAX_FILES = 20_000
MAX_READ = 1 << 20
HEADER_READ = 8 * 1024
POINTER_MAX_BYTES = 600
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox"}
# Files read whole: licence-ish names and the card. Other text files: the first 8 KiB (headers).
LICENSE_NAME = re.compile(r"^(?:licen[cs]e|copying|notice|unlicense|use[-_ ]?policy|usage[-_ ]?policy|model[-_ ]?licen[cs]e|readme)"
                          r"|licen[cs]e|acceptable[-_ ]?use", re.IGNORECASE)
SOURCE_EXT = {".py", ".c", ".h", ".cc", ".cpp", ".hpp", ".cu", ".rs", ".go", ".js", ".ts", ".java", ".sh",
              ".toml", ".cfg", ".yaml", ".yml", ".json", ".jl", ".r", ".swift", ".kt", ".scala", ".rb", ".pl"}
SKIP_EXT = {".safetensors", ".bin", ".gguf", ".pt", ".pth", ".ckpt", ".onnx", ".h5", ".msgpack", ".npz", ".npy",
            ".zip", ".gz", ".tar", ".png", ".jpg", ".jpeg", ".gif", ".pdf", ".parquet", ".arrow"}


def _candidates(target: Path) -> list[tuple[Path, str, bool]]:
    """(file, shown path, read whole?) for one argument."""
    check_input_path(target)
    if target.is_file():
        return [(target, target.as_posix(), True)]
    out: list[tuple[Path, str, bool]] = []
    for root, dirs, files in os.walk(target):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            p = Path(root) / name
            ext = p.suffix.lower()
            if ext in SKIP_EXT or not p.is_file():  # a FIFO or device in the folder would block
                continue
            if LICENSE_NAME.search(name):
                out.append((p, p.as_posix(), True))
            elif ext in SOURCE_EXT:
                out.append((p, p.as_posix(), False))
            if len(out) >= MAX_FILES:
                raise InputError(f"{target}: more than {MAX_FILES} candidate files; name a smaller folder")
    return out


def _read(path: Path, whole: bool) -> str | None:
    with path.open("rb") as f:
        raw = f.read(MAX_READ if whole else HEADER_READ)
    if b"\x00" in raw[:8192]:
        return None
    return raw.decode("utf-8", errors="replace")


def identify_paths(paths: list[Path]) -> list[LicenseFinding]:
    """Every licence found in the files or folders, as audit `licenses[]` records, sorted by path.

    A licence-named file whose text is not identified is reported with id
    LicenseRef-trueopen-unknown and the restrictive clause markers it contains. Cost: one read
    per candidate file (whole up to 1 MiB for licence files and cards, 8 KiB of source files for
    SPDX headers) plus about a millisecond of matching each.
    """
    out: list[LicenseFinding] = []
    for target in paths:
        for file, shown, whole in _candidates(Path(target)):
            try:
                text = _read(file, whole)
            except OSError as e:
                raise InputError(f"{file}: {e.strerror or e}") from e
            _identify(text, shown, file.name, whole, out)
    out.sort(key=lambda f: (f.path, f.evidence[0].line or 0 if f.evidence else 0, f.id))
    return out


def identify_release(release: Release, prefix: str = "") -> list[LicenseFinding]:
    """identify_paths for an opened release (a Hub repo, a cached one): the same candidate files,
    read through the release (on the Hub: licence files whole, 8 KiB of source files by range)."""
    out: list[LicenseFinding] = []
    for f in release.files:
        name = PurePosixPath(f.path).name
        ext = PurePosixPath(f.path).suffix.lower()
        if ext in SKIP_EXT:
            continue
        whole = bool(LICENSE_NAME.search(name))
        if not whole and ext not in SOURCE_EXT:
            continue
        read = release.read_text(f.path, MAX_READ if whole else HEADER_READ)
        _identify(read.text, f"{prefix}{f.path}", name, whole, out)
    out.sort(key=lambda f: (f.path, f.evidence[0].line or 0 if f.evidence else 0, f.id))
    return out


def _identify(text: str | None, shown: str, name: str, whole: bool, out: list[LicenseFinding]) -> None:
    from trueopen import licenses as lic
    from trueopen.inspectors.licenses import UNKNOWN_ID, to_finding

    if text is None or not text.strip():
        return
    governs = PurePosixPath(shown).parent.as_posix()
    if whole:
        matches = lic.identify_text(text)
    else:
        matches = [m for m in lic.identify_text(text[:HEADER_READ]) if m.kind == "header"]
    markers = [mk for _, mk in lic.restrictive_markers(text)] if whole else []
    if matches:
        for m in matches:
            out.append(to_finding(shown, governs, m, markers if m.kind in ("text", "policy") else None))
    elif whole and LICENSE_NAME.search(name) and not name.lower().startswith("readme"):
        detail = ("restrictive clauses: " + ", ".join(sorted(set(markers)))) if markers else "no restrictive clause markers found"
        url = re.search(r"https?://\S+", text)
        if url and len(text.encode("utf-8", "replace")) <= POINTER_MAX_BYTES:
            detail = f"the file only points to {url.group().rstrip(').,')}; the licence text is not here"
        unknown = lic.LicenseMatch(id=UNKNOWN_ID, name="Unidentified licence text", confidence=0.0, line=None,
                                   detail=detail, kind="text")
        out.append(to_finding(shown, governs, unknown, markers))


def render_json(findings: list[LicenseFinding]) -> str:
    return json.dumps([f.model_dump(mode="json", by_alias=True) for f in findings], indent=2, sort_keys=True) + "\n"


def _short(i: str) -> str:
    return i.replace("LicenseRef-trueopen-", "")


def render_table(findings: list[LicenseFinding], console: Console) -> None:
    if not findings:
        console.print("No licence found.")
        return
    t = Table(box=box.SIMPLE_HEAD)
    for col in ("File", "Licence", "Kind", "Conf.", "Open", "Category", "Commercial", "How it was told"):
        t.add_column(col, overflow="fold")
    for f in findings:
        ev = f.evidence[0] if f.evidence else None
        where = f"{f.path}:{ev.line}" if ev and ev.line else f.path
        if f.end_line and ev and ev.line and f.end_line != ev.line:
            where += f"-{f.end_line}"
        how = f.decided_by or (ev.detail if ev else "")
        if f.markers and f.id.endswith("-unknown"):
            how = "markers: " + ", ".join(f.markers)
        commercial = f.terms.commercial if f.terms else "-"
        t.add_row(where, _short(f.id), f.kind, f"{f.confidence:.2f}", Text("yes", style="green") if f.open else Text("no", style="red"),
                  f.category, commercial, how)
    console.print(t)


def _lookup(license_id: str):
    """The record and terms of a licence named by any id or alias; InputError when unknown."""
    from trueopen import licenses as lic
    from trueopen.inspectors.licenses import terms_model

    match = lic.identify_name(license_id)
    rec = lic.get_record(match.id if match else license_id)
    if rec is None:
        raise InputError(f"unknown licence id: {license_id}")
    return rec, terms_model(rec.id)


def terms_json(license_id: str) -> str:
    """One licence's record and terms as JSON; InputError when the id is unknown."""
    rec, terms = _lookup(license_id)
    doc = {"id": rec.id, "name": rec.name, "category": rec.category, "open": rec.open, "aliases": list(rec.aliases),
           "terms": terms.model_dump(mode="json") if terms else None}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_terms(license_id: str, console: Console) -> None:
    """One licence's record and terms as a table; InputError when the id is unknown."""
    rec, terms = _lookup(license_id)
    g = Table.grid(padding=(0, 2))
    g.add_column(style="bold", no_wrap=True)
    g.add_column(overflow="fold")
    g.add_row("Licence", f"{rec.name} ({rec.id})")
    g.add_row("Category", rec.category)
    g.add_row("Open (MOF rule)", "yes" if rec.open else "no")
    if rec.aliases:
        g.add_row("Also known as", ", ".join(rec.aliases))
    if terms:
        g.add_row("OSI / FSF", f"{'OSI-approved' if terms.osi_approved else 'not OSI-approved'}, {'FSF-libre' if terms.fsf_libre else 'not FSF-libre'}")
        g.add_row("MOF content types", ", ".join(terms.mof_content_types) or "-")
        fr = terms.freedoms
        g.add_row("Freedoms", f"use {fr.use}, study {fr.study}, modify {fr.modify}, share {fr.share}, commercial {fr.commercial}")
        g.add_row("Commercial use", terms.commercial)
        aup = terms.acceptable_use_policy
        if aup.incorporated:
            change = {True: "the licensor may change it", False: "fixed", None: "not stated whether it can change"}[aup.licensor_may_change]
            g.add_row("Use policy", f"incorporated{' (' + aup.url + ')' if aup.url else ''}; {change}")
        for label, value in (("Threshold", terms.threshold), ("Outputs", terms.outputs), ("Naming", terms.naming),
                             ("Geographic", terms.geographic), ("Redistribution", terms.redistribution),
                             ("Derivatives inherit", None if terms.derivatives_inherit is None else ("yes" if terms.derivatives_inherit else "no")),
                             ("Termination", terms.termination), ("Governing law", terms.governing_law)):
            if value:
                g.add_row(label, value)
        g.add_row("Source", terms.source + (f" [{terms.verified}]" if terms.verified else "") + (" (derived from category)" if terms.derived else ""))
    console.print(g)
