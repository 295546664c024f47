"""Licences: identify every licence file, header, card field and prose statement, then resolve
which licence governs each file with the precedence of DESIGN.md §2.

For a file: its own SPDX header; a licence file in its folder or a folder above it (inside its
scope); then, scope by scope from the innermost (a nested model folder, a `--with` location, the
release root): the scope's licence file for the file's content type (LICENSE-MODEL, a
`model_licenses/` folder), a statement about that content type ("the model weights are subject
to ..."), the scope's general licence file, the card's `license`, a statement about the whole
repository; then none. Licence files in distribution folders (`*.dist-info/licenses/`, REUSE's
`LICENSES/`, `model_licenses/`) govern the folder that holds the distribution folder.
A referenced component (weights on the Hub) takes the licence the release states for its kind:
a typed licence file or statement, else the scope's general licence (marked as assumed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from trueopen import licenses as lic
from trueopen.inspectors.card import ParsedCard
from trueopen.inspectors.inventory import Inventory
from trueopen.inspectors.scopes import Scopes
from trueopen.inspectors.statements import Statement, find_statements, is_statement_document
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
# Folders that hold the licences of the folder around them, not of themselves. A folder named
# for model licences licenses that folder's parameters.
DISTRIBUTION_DIRS = re.compile(r"^(?:licen[cs]es|[^/]+\.dist-info|[^/]+\.egg-info|(?:model|weights?)[-_ ]?licen[cs]es)$", re.IGNORECASE)
PARAMETER_DIRS = re.compile(r"^(?:model|weights?)[-_ ]?licen[cs]es$", re.IGNORECASE)
STATEMENT_KIND = {"code": "code", "parameters": "parameters", "data": "data", "document": "document"}


@dataclass
class ScopeLicences:
    """The licences one scope (the release root, a nested model folder, a location) declares."""

    root: str
    types: dict[str, tuple[str, str]] = field(default_factory=dict)  # kind -> (expression, path)
    general: tuple[str, str] | None = None  # (expression, path) of LICENSE / COPYING / NOTICE
    card: tuple[str, str] | None = None  # (expression, card path)
    statements: dict[str, list[Statement]] = field(default_factory=dict)  # subject -> statements

    def statement(self, subject: str) -> Governing | None:
        found = self.statements.get(subject)
        if not found:
            return None
        ids = sorted({i for st in found for i in st.ids})
        return Governing(join_expressions(ids), "statement", found[0].path, found[0].line)

    def release(self) -> Governing | None:
        """The scope's own licence: its general licence file, else its card, else a statement
        about the whole repository."""
        if self.general:
            return Governing(self.general[0], "release", self.general[1])
        if self.card:
            return Governing(self.card[0], "release", self.card[1])
        return self.statement("release")

    def for_kind(self, kind: str, assume_general: bool = True) -> Governing | None:
        """The licence of one kind of content in this scope (precedence in the module docstring)."""
        if kind in self.types:
            expr, src = self.types[kind]
            return Governing(expr, "content-type", src)
        if kind == "parameters" and "data" in self.types:
            expr, src = self.types["data"]
            return Governing(expr, "content-type", src)
        stated = self.statement(kind)
        if stated is not None:
            return stated
        return self.release() if assume_general else None


@dataclass(frozen=True)
class Governing:
    expression: str | None
    source: str  # component | content-type | statement | release | none
    path: str | None
    line: int | None = None


@dataclass
class LicenseMap:
    """Every licence seen, and which one governs each folder, content type and the release."""

    found: list[LicenseFinding] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    folders: dict[str, tuple[str, str]] = field(default_factory=dict)  # folder -> (expression, path)
    headers: dict[str, tuple[str, int]] = field(default_factory=dict)  # file -> (expression, line)
    scopes: dict[str, ScopeLicences] = field(default_factory=lambda: {"": ScopeLicences("")})
    statements: list[Statement] = field(default_factory=list)

    @property
    def types(self) -> dict[str, tuple[str, str]]:
        """The release root's licences per content type."""
        return self.scopes[""].types

    @property
    def release(self) -> tuple[str, str] | None:
        """(expression, path) of the release root's licence."""
        g = self.scopes[""].release()
        return (g.expression, g.path) if g and g.expression and g.path else None

    def _chain(self, path: str) -> list[ScopeLicences]:
        chain = [s for root, s in self.scopes.items() if not root or path == root or path.startswith(root + "/")]
        return sorted(chain, key=lambda s: -len(s.root))

    def governing(self, path: str, component: str, content_type: str) -> Governing:
        """The licence that governs one file of a component."""
        if path in self.headers:
            expr, line = self.headers[path]
            return Governing(expr, "component", path, line)
        chain = self._chain(path)
        roots = {s.root for s in chain}
        folder = str(PurePosixPath(path).parent)
        while folder not in (".", "") and folder not in roots:
            if folder in self.folders:
                expr, src = self.folders[folder]
                return Governing(expr, "component", src)
            folder = str(PurePosixPath(folder).parent)
        kind = "parameters" if component in PARAMETER_COMPONENTS else content_type
        for scope in chain:
            if scope.root and scope.root in self.folders:
                expr, src = self.folders[scope.root]
                return Governing(expr, "component", src)
            g = scope.for_kind(kind)
            if g is not None and g.expression:
                return g
        return Governing(None, "none", None)

    def stated(self, path: str, component: str, content_type: str, own: bool = True) -> Governing:
        """The licence the release states for a component it only references (by evidence in
        `path`): a licence file or statement for its kind; for what the release publishes itself
        (`own`: its model repos and downloads, its org's datasets and code), else the scope's
        general licence (then `source` is 'release': assumed, not stated)."""
        kind = "parameters" if component in PARAMETER_COMPONENTS else content_type
        for scope in self._chain(path):
            g = scope.for_kind(kind, assume_general=own)
            if g is not None and g.expression:
                return g
        return Governing(None, "none", None)


def map_licenses(release: Release, inv: Inventory, card: ParsedCard, scopes: Scopes | None = None) -> LicenseMap:
    """Identify licences in licence files, SPDX headers, cards and prose statements, and build the map."""
    lm = LicenseMap()
    scope_roots = [""] if scopes is None else [s.root for s in scopes.items]
    for root in scope_roots:
        lm.scopes.setdefault(root, ScopeLicences(root))
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
    # Folder licences, scope licences per content type and the scopes' general licences.
    general: dict[str, list[tuple[int, str, list[lic.LicenseMatch]]]] = {}
    for path, matches in by_file.items():
        terms = [m for m in matches if m.kind in ("text", "custom", "notice")]
        if not terms:
            continue
        owner, typed = owner_of(path)
        expression = join_expressions(m.id for m in terms)
        name = PurePosixPath(path).name
        if owner not in lm.scopes:
            if typed is None:
                lm.folders.setdefault(owner, (expression, path))
            continue
        kind = typed or next((k for k, pattern in TYPE_FILES if pattern.search(name)), None)
        if kind is not None:
            prev = lm.scopes[owner].types.get(kind)
            if prev is None:
                lm.scopes[owner].types[kind] = (expression, path)
            elif typed is not None:  # a folder of model licences: every one of them applies
                lm.scopes[owner].types[kind] = (join_expressions([*_ids(prev[0]), *(m.id for m in terms)]), prev[1])
            continue
        rank = next((r for pat, r in GENERAL_RANK if pat.search(name)), 3)
        if PurePosixPath(path).parent.as_posix() not in (owner or ".", "."):
            rank = max(rank, 1)  # a distribution folder's licence ranks below a LICENSE beside the files
        general.setdefault(owner, []).append((rank, path, terms))
    for owner, items in general.items():
        items.sort(key=lambda t: (t[0], t[1]))
        best = items[0][0]
        chosen = [t for t in items if t[0] == best]
        lm.scopes[owner].general = (join_expressions(m.id for _, _, ms in chosen for m in ms), chosen[0][1])
    _check_conflicts(by_file, lm)
    cards = [(s.root, s.card) for s in scopes.items] if scopes is not None else [("", card)]
    for root, scard in cards:
        card_release = _card_license(release, scard, lm)
        sl = lm.scopes[root]
        sl.card = card_release
        if sl.general and card_release:
            _check_mismatch(card_release, sl.general, by_file, lm, root)
    _statements(release, lm, by_file)
    _check_nested(lm)
    lm.found.sort(key=lambda f: (f.path, f.kind, f.id, f.evidence[0].line or 0 if f.evidence else 0))
    return lm


def owner_of(path: str) -> tuple[str, str | None]:
    """(the folder a licence file governs, the content type it is for when its folder says so).
    A licence in `pkg.dist-info/licenses/` governs the folder holding `pkg.dist-info`; one in
    `model_licenses/` governs its parent's parameters."""
    folder = PurePosixPath(path).parent
    typed = None
    while folder.name and DISTRIBUTION_DIRS.match(folder.name):
        if PARAMETER_DIRS.match(folder.name):
            typed = "parameters"
        folder = folder.parent
    owner = folder.as_posix()
    return ("" if owner == "." else owner), typed


def _statements(release: Release, lm: LicenseMap, by_file: dict[str, list[lic.LicenseMatch]]) -> None:
    """Statements in the READMEs and cards of each scope root, kept per scope and subject."""
    ids_of = {p: [m.id for m in ms if m.kind in ("text", "custom", "policy")] for p, ms in by_file.items()}
    ids_of = {p: ids for p, ids in ids_of.items() if ids}
    docs = []
    for f in release.files:
        parent = PurePosixPath(f.path).parent.as_posix()
        parent = "" if parent == "." else parent
        if parent in lm.scopes and is_statement_document(f.path):
            docs.append(f.path)
    for st in find_statements(release, docs, ids_of):
        lm.statements.append(st)
        owner = PurePosixPath(st.path).parent.as_posix()
        scope = lm.scopes["" if owner == "." else owner]
        for subject in st.subjects:
            scope.statements.setdefault(subject, []).append(st)
        for i in st.ids:
            rec = lic.get_record(i)
            m = lic.LicenseMatch(id=i, name=rec.name if rec else i, confidence=0.7, line=st.line,
                                 detail=f"statement ({', '.join(st.subjects)}): {st.text}" + (f" [links to {st.via}]" if st.via else ""),
                                 kind="statement")
            lm.found.append(to_finding(st.path, scope.root, m, applies_to=list(st.subjects)))


def _check_nested(lm: LicenseMap) -> None:
    """A nested scope (a model folder in a package) whose licence differs from the one around it."""
    for root, scope in sorted(lm.scopes.items()):
        if not root:
            continue
        inner = scope.release()
        outer_scopes = [s for r, s in lm.scopes.items() if r != root and (not r or root.startswith(r + "/"))]
        outer = next((g for s in sorted(outer_scopes, key=lambda s: -len(s.root)) if (g := s.release())), None)
        if inner is None or outer is None or not inner.expression or not outer.expression:
            continue
        if set(_ids(inner.expression)) & set(_ids(outer.expression)):
            continue
        lm.findings.append(Finding(
            rule="license-scope-mismatch", severity="warn",
            message=f"{root}/ declares {inner.expression} ({inner.path}) while the release around it is {outer.expression} "
                    f"({outer.path}); files in {root}/ are read as {inner.expression}",
            evidence=[Evidence(path=inner.path or root, line=inner.line, detail=f"{root}/: {inner.expression}"),
                      Evidence(path=outer.path or "", line=outer.line, detail=f"release: {outer.expression}")]))


def _license_file(release: Release, path: str, lm: LicenseMap) -> list[lic.LicenseMatch]:
    governs = owner_of(path)[0]
    read = release.read_text(path)
    if read.text is None:
        detail = "binary content" if read.error == "binary" else (read.error or "unreadable")
        lm.findings.append(Finding(rule="unreadable-license", severity="warn", message=f"{path}: licence file cannot be read as text ({detail})",
                                   evidence=[Evidence(path=path, detail=detail)]))
        return []
    if read.not_utf8:
        lm.findings.append(Finding(rule="license-not-utf8", severity="warn", message=f"{path}: licence file is not valid UTF-8; read with replacement characters",
                                   evidence=[Evidence(path=path, detail="invalid UTF-8 bytes")]))
    matches = lic.identify_file(read.text, path)
    size = len(read.text.encode("utf-8", "replace"))
    for m in matches:
        lm.found.append(_finding(path, governs, m))
        if m.kind == "custom":
            borrowed = f"; it borrows {', '.join(m.borrowed)}, but is not that licence" if m.borrowed else ""
            lm.findings.append(Finding(
                rule="license-custom", severity="warn",
                message=f"{path}: a custom licence ({m.name}){borrowed}; not open",
                evidence=[Evidence(path=path, line=m.line, detail=m.detail),
                          *(Evidence(path=path, line=ln, detail=f"restriction: {mk}") for ln, mk in m.restrictions[:8])]))
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


def _check_mismatch(card_release: tuple[str, str], text_release: tuple[str, str], by_file: dict[str, list[lic.LicenseMatch]],
                    lm: LicenseMap, root: str = "") -> None:
    """Card says one licence, the licence text another: warn, and believe the text."""
    card_ids = set(_ids(card_release[0]))
    text_ids = {m.id for path, ms in by_file.items() if owner_of(path)[0] == root for m in ms if m.kind in ("text", "custom", "notice")}
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


def to_finding(path: str, governs: str, m: lic.LicenseMatch, markers: list[str] | None = None,
               applies_to: list[str] | None = None) -> LicenseFinding:
    """One licence match as the audit's `licenses[]` entry, with its terms record."""
    ids = _ids(m.id) or [m.id]
    rec = lic.get_record(ids[0]) if len(ids) == 1 else None
    evidence = [Evidence(path=path, line=m.line, detail=m.detail)]
    if m.decided_by and m.line is not None:
        evidence.append(Evidence(path=path, line=_line_number(m.decided_by) or m.line, detail=f"told apart by {m.decided_by}"))
    for line, marker in m.restrictions[:20]:
        evidence.append(Evidence(path=path, line=line, detail=f"restriction: {marker}"))
    if m.kind == "custom":
        category = "custom"
        terms = _terms_from(m.terms) if m.terms is not None else None
        markers = [mk for _, mk in m.restrictions]
    else:
        category = rec.category if rec else ("unknown" if len(ids) == 1 else "expression")
        terms = terms_model(rec.id) if rec else None
    return LicenseFinding(
        path=path, id=m.id, name=m.name, confidence=round(m.confidence, 3),
        open=lic.is_open(m.id), category=category,
        kind=m.kind, governs="" if governs == "." else governs,
        evidence=evidence, end_line=m.end_line, decided_by=m.decided_by, same_text=list(m.same_text),
        aliases=list(rec.aliases) if rec else [], markers=sorted(set(markers or [])),
        terms=terms, borrowed=list(m.borrowed), applies_to=list(applies_to or []),
    )


def terms_model(license_id: str) -> LicenseTerms | None:
    """The audit record's terms block for one licence id (None when the id is unknown)."""
    t = lic.get_terms(license_id)
    if t is None:
        return None
    return _terms_from(t)


def _terms_from(t: lic.LicenseTerms) -> LicenseTerms:
    """The record's terms block from the licence layer's terms."""
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
