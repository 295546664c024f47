"""Licences: identify every licence file, header and card field, then resolve which licence
governs each file with the precedence of DESIGN.md §2 (own licence, then the release licence
for its content type, then the release licence, then none)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from trueopen import licenses as lic
from trueopen.inspectors.card import ParsedCard
from trueopen.inspectors.inventory import Inventory
from trueopen.record import AcceptableUsePolicy, Evidence, Finding, Freedoms, LicenseFinding, LicenseTerms
from trueopen.release import Release

UNKNOWN_ID = "LicenseRef-trueopen-unknown"
POINTER_MAX_BYTES = 600  # a licence "file" this short that names no full text is only a pointer

# Root files that license one content type (DeepSeek's LICENSE-CODE / LICENSE-MODEL, ...).
TYPE_FILES = (
    ("code", re.compile(r"^(?:licen[cs]e[-_. ]?code|code[-_ ]?licen[cs]e)", re.IGNORECASE)),
    ("parameters", re.compile(r"^(?:licen[cs]e[-_. ]?(?:model|weights?)|(?:model|weights?)[-_ ]?licen[cs]e)", re.IGNORECASE)),
    ("data", re.compile(r"^(?:licen[cs]e[-_. ]?data|data[-_ ]?licen[cs]e)", re.IGNORECASE)),
    ("document", re.compile(r"^(?:licen[cs]e[-_. ]?doc\w*|doc\w*[-_ ]?licen[cs]e)", re.IGNORECASE)),
)
# Rank of general licence files: a LICENSE beats a NOTICE (often third-party notices).
GENERAL_RANK = ((re.compile(r"^(?:licen[cs]e|licence|copying|unlicense)", re.IGNORECASE), 0),
                (re.compile(r"licen[cs]e", re.IGNORECASE), 1),
                (re.compile(r"^notice", re.IGNORECASE), 2))
PARAMETER_COMPONENTS = frozenset({"model-parameters-final", "model-parameters-intermediate", "model-metadata"})


@dataclass(frozen=True)
class Governing:
    expression: str | None
    source: str  # component | content-type | release | none
    path: str | None


@dataclass
class LicenseMap:
    """Every licence seen, and which one governs each folder, content type and the release."""

    found: list[LicenseFinding] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    folders: dict[str, tuple[str, str]] = field(default_factory=dict)  # folder -> (expression, path)
    types: dict[str, tuple[str, str]] = field(default_factory=dict)  # content type -> (expression, path)
    headers: dict[str, tuple[str, int]] = field(default_factory=dict)  # file -> (expression, line)
    release: tuple[str, str] | None = None  # (expression, path)

    def governing(self, path: str, component: str, content_type: str) -> Governing:
        """The licence that governs one file of a component."""
        if path in self.headers:
            return Governing(self.headers[path][0], "component", path)
        folder = str(PurePosixPath(path).parent)
        while folder not in (".", ""):
            if folder in self.folders:
                expr, src = self.folders[folder]
                return Governing(expr, "component", src)
            folder = str(PurePosixPath(folder).parent)
        kind = "parameters" if component in PARAMETER_COMPONENTS else content_type
        if kind in self.types:
            expr, src = self.types[kind]
            return Governing(expr, "content-type", src)
        if kind == "parameters" and "data" in self.types:
            expr, src = self.types["data"]
            return Governing(expr, "content-type", src)
        if self.release:
            return Governing(self.release[0], "release", self.release[1])
        return Governing(None, "none", None)


def map_licenses(release: Release, inv: Inventory, card: ParsedCard) -> LicenseMap:
    """Identify licences in licence files, SPDX headers and the card, and build the map."""
    lm = LicenseMap()
    by_file: dict[str, list[lic.LicenseMatch]] = {}
    for path in sorted(inv.license_files):
        by_file[path] = _license_file(release, path, lm)
    for path in sorted(inv.code_texts):
        for line, expression in lic.spdx_headers(inv.code_texts[path]):
            ids = _ids(expression)
            if not ids:
                continue
            lm.headers[path] = (expression, line)
            lm.found.append(_finding(path, path, lic.LicenseMatch(
                id=expression, name=expression, confidence=1.0, line=line, detail=f"SPDX-License-Identifier: {expression}", kind="header")))
    # Folder licences and content-type licences from the files' texts.
    root_general: list[tuple[int, str, list[lic.LicenseMatch]]] = []
    for path, matches in by_file.items():
        terms = [m for m in matches if m.kind in ("text", "notice")]
        if not terms:
            continue
        p = PurePosixPath(path)
        folder = p.parent.as_posix()
        expression = join_expressions(m.id for m in terms)
        if folder != ".":
            lm.folders.setdefault(folder, (expression, path))
            continue
        for kind, pattern in TYPE_FILES:
            if pattern.search(p.name):
                lm.types.setdefault(kind, (expression, path))
                break
        else:
            rank = next((r for pat, r in GENERAL_RANK if pat.search(p.name)), 3)
            root_general.append((rank, path, terms))
    root_general.sort(key=lambda t: (t[0], t[1]))
    text_release = None
    if root_general:
        best = root_general[0][0]
        chosen = [t for t in root_general if t[0] == best]
        text_release = (join_expressions(m.id for _, _, ms in chosen for m in ms), chosen[0][1])
    _check_conflicts(by_file, lm)
    card_release = _card_license(release, card, lm)
    if text_release and card_release:
        _check_mismatch(card_release, text_release, by_file, lm)
    lm.release = text_release or card_release
    if lm.release is None and lm.types:
        pass  # only typed licences: nothing governs the rest
    lm.found.sort(key=lambda f: (f.path, f.kind, f.id))
    return lm


def _license_file(release: Release, path: str, lm: LicenseMap) -> list[lic.LicenseMatch]:
    folder = PurePosixPath(path).parent.as_posix()
    governs = "" if folder == "." else folder
    read = release.read_text(path)
    if read.text is None:
        detail = "binary content" if read.error == "binary" else (read.error or "unreadable")
        lm.findings.append(Finding(rule="unreadable-license", severity="warn", message=f"{path}: licence file cannot be read as text ({detail})",
                                   evidence=[Evidence(path=path, detail=detail)]))
        return []
    if read.not_utf8:
        lm.findings.append(Finding(rule="license-not-utf8", severity="warn", message=f"{path}: licence file is not valid UTF-8; read with replacement characters",
                                   evidence=[Evidence(path=path, detail="invalid UTF-8 bytes")]))
    matches = lic.identify_text(read.text)
    size = len(read.text.encode("utf-8", "replace"))
    for m in matches:
        lm.found.append(_finding(path, governs, m))
    if not matches:
        markers = lic.restrictive_markers(read.text)
        marker_text = "; ".join(f"line {ln}: {mk}" for ln, mk in markers[:8])
        detail = f"restrictive clauses: {marker_text}" if markers else "no restrictive clause markers found"
        if size <= POINTER_MAX_BYTES and re.search(r"https?://", read.text):
            lm.findings.append(Finding(rule="license-pointer", severity="warn",
                                       message=f"{path}: the licence file only points to a URL; the licence text is not in the release",
                                       evidence=[Evidence(path=path, line=_first_url_line(read.text), detail="pointer to a URL")]))
        elif read.text.strip():
            lm.findings.append(Finding(rule="license-unidentified", severity="warn",
                                       message=f"{path}: licence text not identified; treated as not open ({detail})",
                                       evidence=[Evidence(path=path, line=ln, detail=mk) for ln, mk in markers[:8]] or [Evidence(path=path, detail=detail)]))
            unknown = lic.LicenseMatch(id=UNKNOWN_ID, name="Unidentified licence text", confidence=0.0, line=None, detail=detail, kind="text")
            lm.found.append(_finding(path, governs, unknown, [mk for _, mk in markers]))
            return [unknown]
    elif all(m.kind == "notice" for m in matches) and size <= POINTER_MAX_BYTES and not PurePosixPath(path).name.lower().startswith("notice"):
        # A NOTICE naming its licence is what licences ask for; a LICENSE that only names one is a pointer.
        names = ", ".join(sorted({m.name for m in matches}))
        lm.findings.append(Finding(rule="license-pointer", severity="info",
                                   message=f"{path}: names {names} but does not contain its text",
                                   evidence=[Evidence(path=path, line=matches[0].line, detail=matches[0].detail)]))
    return matches


def _slot(path: str) -> tuple[str, str] | None:
    """(folder, what the file licenses) for a LICENSE-like file; None for NOTICE and others."""
    p = PurePosixPath(path)
    for kind, pattern in TYPE_FILES:
        if pattern.search(p.name):
            return p.parent.as_posix(), kind
    if GENERAL_RANK[0][0].search(p.name):
        return p.parent.as_posix(), "general"
    return None


def _check_conflicts(by_file: dict[str, list[lic.LicenseMatch]], lm: LicenseMap) -> None:
    """Two licence files that license the same thing (same folder, same content type) with
    licence texts that share no licence. LICENSE-CODE beside LICENSE-MODEL is not a conflict:
    they license different things."""
    slots: dict[tuple[str, str], list[tuple[str, set[str], lic.LicenseMatch]]] = {}
    for path, matches in sorted(by_file.items()):
        texts = [m for m in matches if m.kind == "text" and m.id != UNKNOWN_ID]
        slot = _slot(path)
        if slot is None or not texts:
            continue
        slots.setdefault(slot, []).append((path, {m.id for m in texts} | {s for m in texts for s in m.same_text}, texts[0]))
    for (folder, kind), files in sorted(slots.items()):
        for n, (pa, ia, ma) in enumerate(files):
            for pb, ib, mb in files[n + 1:]:
                if ia & ib:
                    continue
                what = "the release" if folder == "." else f"{folder}/"
                if kind != "general":
                    what += f" ({kind})"
                lm.findings.append(Finding(
                    rule="license-conflict", severity="warn",
                    message=f"{pa} and {pb} both license {what} but name different licences: {join_expressions(ia)} vs {join_expressions(ib)}",
                    evidence=[Evidence(path=pa, line=ma.line, detail=f"{ma.id}: {ma.detail}"),
                              Evidence(path=pb, line=mb.line, detail=f"{mb.id}: {mb.detail}")]))


def _card_license(release: Release, card: ParsedCard, lm: LicenseMap) -> tuple[str, str] | None:
    """The release licence the card declares: `license`, or `license_name` when it is `other`."""
    c = card.card
    if c.path is None or not c.license:
        return None
    values = [v.strip() for v in c.license.split(" OR ") if v.strip()]
    matches = []
    for value in values:
        raw = c.license_name if value.lower() == "other" and c.license_name else value
        if raw.lower() in ("other", "unknown"):
            continue
        m = lic.identify_name(raw)
        if m is None:
            m = lic.LicenseMatch(id=UNKNOWN_ID, name=raw, confidence=0.0, line=None, detail=f"card licence {raw!r} is not a known licence id", kind="metadata")
        line = next((i for i, ln in enumerate(card.text.splitlines(), 1) if re.match(r"^\s*license(?:_name)?\s*:", ln) and raw in ln), None)
        m = lic.LicenseMatch(id=m.id, name=m.name, confidence=m.confidence, line=line, detail=f"card metadata: {raw}", kind="metadata")
        lm.found.append(_finding(c.path, "", m))
        matches.append(m)
    if not matches:
        return None
    return join_expressions(m.id for m in matches), c.path


def _check_mismatch(card_release: tuple[str, str], text_release: tuple[str, str], by_file: dict[str, list[lic.LicenseMatch]], lm: LicenseMap) -> None:
    """Card says one licence, the licence text another: warn, and believe the text."""
    card_ids = set(_ids(card_release[0]))
    text_ids = {m.id for path, ms in by_file.items() if "/" not in path for m in ms if m.kind in ("text", "notice")}
    if not card_ids or card_ids & text_ids or UNKNOWN_ID in card_ids:
        return
    text_path = text_release[1]
    lm.findings.append(Finding(
        rule="license-mismatch", severity="warn",
        message=f"the card declares {card_release[0]} but {text_path} is {text_release[0]}; the licence text is believed",
        evidence=[Evidence(path=card_release[1], detail=f"card licence: {card_release[0]}"),
                  Evidence(path=text_path, detail=f"licence text: {text_release[0]}")]))


def _finding(path: str, governs: str, m: lic.LicenseMatch, markers: list[str] | None = None) -> LicenseFinding:
    return to_finding(path, governs, m, markers)


def to_finding(path: str, governs: str, m: lic.LicenseMatch, markers: list[str] | None = None) -> LicenseFinding:
    """One licence match as the audit's `licenses[]` entry, with its terms record."""
    ids = _ids(m.id) or [m.id]
    rec = lic.get_record(ids[0]) if len(ids) == 1 else None
    evidence = [Evidence(path=path, line=m.line, detail=m.detail)]
    if m.decided_by and m.line is not None:
        evidence.append(Evidence(path=path, line=_line_number(m.decided_by) or m.line, detail=f"told apart by {m.decided_by}"))
    return LicenseFinding(
        path=path, id=m.id, name=m.name, confidence=round(m.confidence, 3),
        open=lic.is_open(m.id), category=rec.category if rec else ("unknown" if len(ids) == 1 else "expression"),
        kind=m.kind, governs="" if governs == "." else governs,
        evidence=evidence, end_line=m.end_line, decided_by=m.decided_by, same_text=list(m.same_text),
        aliases=list(rec.aliases) if rec else [], markers=sorted(set(markers or [])),
        terms=terms_model(rec.id) if rec else None,
    )


def terms_model(license_id: str) -> LicenseTerms | None:
    """The audit record's terms block for one licence id (None when the id is unknown)."""
    t = lic.get_terms(license_id)
    if t is None:
        return None
    return LicenseTerms(
        osi_approved=t.osi_approved, fsf_libre=t.fsf_libre, mof_content_types=list(t.mof_content_types),
        commercial=t.commercial, threshold=t.threshold,
        acceptable_use_policy=AcceptableUsePolicy(incorporated=t.aup_incorporated, url=t.aup_url,
                                                  licensor_may_change=t.aup_licensor_may_change),
        outputs=t.outputs, naming=t.naming, geographic=t.geographic, redistribution=t.redistribution,
        derivatives_inherit=t.derivatives_inherit, termination=t.termination, governing_law=t.governing_law,
        freedoms=Freedoms(**t.freedoms), verified=t.verified, derived=t.derived, source=t.source,
    )


def _line_number(decided_by: str) -> int | None:
    m = re.match(r"line (\d+):", decided_by)
    return int(m.group(1)) if m else None


def _ids(expression: str) -> list[str]:
    try:
        return lic.expression_ids(expression)
    except Exception:  # noqa: BLE001 - a malformed expression is data, not a crash
        return []


def join_expressions(ids) -> str:
    """Several licences that all apply, as one SPDX AND-expression (sorted, deduplicated)."""
    unique = sorted(set(ids))
    if len(unique) == 1:
        return unique[0]
    return " AND ".join(f"({i})" if " " in i else i for i in unique)


def _first_url_line(text: str) -> int | None:
    for i, line in enumerate(text.splitlines(), 1):
        if "http" in line:
            return i
    return None
