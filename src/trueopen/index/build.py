"""`trueopen index build`: audit many releases (in parallel, through the store) and write the site.

A LIST holds one release per line in `trueopen audit`'s syntax (`TARGET [--with OTHER]... [--id URL]`),
with `#` comments and blank lines. Every line is parsed before any audit starts. A release that
fails becomes an error entry with its one-line reason; the batch goes on and the site is written.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from trueopen import __version__
from trueopen.errors import InputError
from trueopen.index.entry import Change, HistoryStep, IndexEntry

MAX_LINES = 100_000
MAX_LINE_CHARS = 4096


@dataclass(frozen=True)
class ListLine:
    """One release of a LIST: where it is, its other locations, its identity if given."""

    number: int
    target: str
    with_: tuple[str, ...] = ()
    id: str | None = None


@dataclass(frozen=True)
class BuildOptions:
    """The options of `trueopen index build` (see its --help)."""

    store: Path | None
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    refresh: bool = False
    hash_contents: bool = True
    offline: bool = False
    engine: str = "local"

    def source(self, **more):
        """The Hub options every audit of the batch takes."""
        from trueopen.sources.options import SourceOptions

        return SourceOptions(offline=True if self.offline else None, **more)


def read_list(path: Path) -> list[ListLine]:
    """Parse a LIST; InputError naming the first bad line (nothing has run yet)."""
    try:
        raw = path.read_text(encoding="utf-8-sig")  # a byte-order mark is not part of the first target
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    out: list[ListLine] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise InputError(f"{path}:{number}: longer than {MAX_LINE_CHARS} characters")
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        out.append(parse_line(text, f"{path}:{number}", number))
        if len(out) > MAX_LINES:
            raise InputError(f"{path}: more than {MAX_LINES} releases")
    if not out:
        raise InputError(f"{path}: no releases in it")
    first: dict[str, int] = {}
    for line in out:
        if line.id is not None:
            if line.id in first:  # two releases under one identity would read as one release that changed
                raise InputError(f"{path}:{line.number}: --id {line.id} is already line {first[line.id]}'s")
            first[line.id] = line.number
    return out


def parse_line(text: str, where: str, number: int = 0) -> ListLine:
    """One LIST line: TARGET [--with OTHER]... [--id URL] (shell quoting, `#` starts a comment)."""
    try:
        # A comment starts with a word that starts with '#'; a '#' inside a word (a URL's fragment) stays.
        words = shlex.split(text)
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None
    words = words[:next((i for i, w in enumerate(words) if w.startswith("#")), len(words))]
    target, with_, ident = None, [], None
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("--with", "--id") or w.startswith(("--with=", "--id=")):
            name, _, value = w.partition("=")
            if not value:
                if i + 1 >= len(words):
                    raise InputError(f"{where}: {name} needs a value")
                i += 1
                value = words[i]
            if name == "--with":
                with_.append(value)
            elif ident is not None:
                raise InputError(f"{where}: --id given twice")
            else:
                ident = value
        elif w.startswith("-"):
            raise InputError(f"{where}: unknown option {w} (a line takes TARGET, --with OTHER, --id URL)")
        elif target is None:
            target = w
        else:
            raise InputError(f"{where}: two targets ({target!r}, {w!r}); put one release per line")
        i += 1
    if target is None:
        raise InputError(f"{where}: no target")
    if ident is not None and not ident.startswith(("https://", "http://", "file://")):
        raise InputError(f"{where}: --id must be a URL (https://...), got {ident!r}")
    return ListLine(number, target, tuple(with_), ident)


def build(lines: Sequence[ListLine], options: BuildOptions,
          progress: Callable[[ListLine, IndexEntry], None] | None = None, *, read_audits: bool = True) -> list[IndexEntry]:
    """Audit every line (through the store) and return the entries, in LIST order, with history.
    With read_audits=False a reused entry's audit is left in the store (`load_audits` reads it)."""
    if options.engine == "spark":
        from trueopen.index.spark import build_on_spark

        entries = build_on_spark(lines, options, progress)
    else:
        entries = _build_local(lines, options, progress)
    entries = with_history(entries, options.store)
    return load_audits(entries, options.store) if read_audits else entries


def reuse_from_store(lines: Sequence[ListLine], options: BuildOptions,
                     progress: Callable[[ListLine, IndexEntry], None] | None) -> tuple[dict[int, IndexEntry], list[ListLine]]:
    """The lines the store already has (each release opened only far enough to know its revision;
    Hub lookups run a few at a time), and the lines left to audit."""
    if options.store is None or options.refresh:
        return {}, list(lines)
    from concurrent.futures import ThreadPoolExecutor

    from trueopen.index.store import Store
    from trueopen.index.stored import lookup_record

    found: dict[int, IndexEntry] = {}
    with Store.open(options.store) as db:
        def one(line: ListLine):
            try:
                return line, lookup_record(db, line.target, with_=line.with_, hash_contents=options.hash_contents,
                                           source=options.source(prefetch=False), release_id=line.id)
            except (InputError, OSError):
                return line, None  # the audit will say why, as it does for any failure

        # Hub lookups wait on the network: a few at a time. Local ones are CPU work: threads only
        # contend for the GIL (100 folders: 0.25 s in turn, 0.5 s on 8 threads). The sqlite3
        # connection is shared by the threads; the store's lock serialises its use.
        remote = any("://" in line.target or line.with_ for line in lines)
        with ThreadPoolExecutor(max_workers=8) as pool:
            for line, hit in (pool.map(one, lines) if remote else map(one, lines)):
                if hit is None:
                    continue
                ident, meta = hit
                entry = IndexEntry(id=ident.id, target=line.target, revision=ident.revision,
                                   revision_date=ident.revision_date, audited_at=meta.audited_at,
                                   trueopen_version=meta.trueopen_version, reused=True)
                entry._stored_seq, entry._label = meta.seq, meta.label  # the record is read when needed
                found[line.number] = entry
                if progress:
                    progress(line, found[line.number])
    return found, [line for line in lines if line.number not in found]


def _build_local(lines: Sequence[ListLine], options: BuildOptions,
                 progress: Callable[[ListLine, IndexEntry], None] | None) -> list[IndexEntry]:
    results, todo = reuse_from_store(lines, options, progress)
    if not todo:
        return [results[line.number] for line in lines]
    if options.store is not None:
        # Every line was just looked up in the store: the misses are audited without looking again.
        options = dataclasses.replace(options, refresh=True)
    all_lines, lines = lines, todo
    jobs = max(1, min(options.jobs, len(lines)))
    if jobs == 1:
        for line in lines:
            results[line.number] = audit_line(line, options)
            if progress:
                progress(line, results[line.number])
    else:
        # Processes, not threads: an audit is CPU-bound Python. Spawned, so no lock held by a
        # thread of this process (the progress bar's) is copied into a worker.
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(audit_line, line, options): line for line in lines}
            for fut in as_completed(futures):
                line = futures[fut]
                try:
                    entry = fut.result()
                except Exception as exc:  # noqa: BLE001 - a worker that died is one failed release
                    entry = error_entry(line, failure(line, exc))
                results[line.number] = entry
                if progress:
                    progress(line, entry)
    return [results[line.number] for line in all_lines]


def audit_line(line: ListLine, options: BuildOptions) -> IndexEntry:
    """Audit one release through the store; an error entry instead of an exception."""
    from trueopen.index.stored import audit_with_store

    try:
        done = audit_with_store(line.target, store=options.store, with_=line.with_, hash_contents=options.hash_contents,
                                source=options.source(), refresh=options.refresh, release_id=line.id)
    except Exception as exc:  # noqa: BLE001 - one release's failure (or bug) must not stop the batch
        return error_entry(line, failure(line, exc))
    return entry_of(line, done)


def failure(line: ListLine, exc: BaseException) -> str:
    """The one-line reason an audit failed, as the CLI would say it."""
    if isinstance(exc, InputError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.filename or line.target}: {exc.strerror or exc}"
    return f"internal error: {type(exc).__name__}: {exc}"


def entry_of(line: ListLine, done) -> IndexEntry:
    """The index entry of a (stored or fresh) audit of a LIST line."""
    ident = done.identity
    return IndexEntry(id=ident.id, target=line.target, revision=ident.revision, revision_date=ident.revision_date,
                      audited_at=done.audited_at, trueopen_version=__version__,
                      audit=done.audit.model_dump(mode="json", by_alias=True), reused=done.reused)


def error_entry(line: ListLine, reason: str) -> IndexEntry:
    """A release that could not be audited: its line's identity (or target) and the reason."""
    return IndexEntry(id=line.id or line.target, target=line.target, audited_at="", trueopen_version=__version__,
                      error=" ".join(reason.split())[:500])


def load_audits(entries: Sequence[IndexEntry], store: Path | None) -> list[IndexEntry]:
    """The entries with every reused audit read from the store (they are left unread until a page
    needs them: an unchanged rebuild never does)."""
    if store is None or all(e._stored_seq is None or e.audit is not None for e in entries):
        return list(entries)
    from trueopen.index.store import Store

    out = []
    with Store.open(store) as db:
        for e in entries:
            if e._stored_seq is not None and e.audit is None:
                e = e.model_copy(update={"audit": db.record(e._stored_seq)})
            out.append(e)
    return out


def label_of(entry: IndexEntry) -> str | None:
    """An entry's label, whether its audit was read or not."""
    if entry.audit is not None:
        return (entry.audit.get("verdicts") or {}).get("label")
    return entry._label


def with_history(entries: Sequence[IndexEntry], store: Path | None) -> list[IndexEntry]:
    """The entries with their stored audits, newest first, and what changed between consecutive ones."""
    if store is None:
        return list(entries)
    from trueopen.index.store import Store

    out = []
    with Store.open(store) as db:
        for entry in entries:
            if entry.error is not None:
                out.append(entry)
                continue
            out.append(entry.model_copy(update={"history": stored_history(db, entry.id)}))
    return out


def stored_history(db, release_id: str) -> list[HistoryStep]:
    """A release's stored audits as history steps, newest first; records are read (and validated)
    only where there is an older audit to compare with."""
    from trueopen.diff import compare
    from trueopen.record import Audit

    metas = db.history_meta(release_id)
    audits: dict[int, Audit] = {}

    def audit(seq: int) -> Audit:
        if seq not in audits:
            audits[seq] = Audit.model_validate(db.record(seq))
        return audits[seq]

    steps = []
    for i, m in enumerate(metas):
        older = metas[i + 1] if i + 1 < len(metas) else None
        changes: list[Change] = []
        if older is not None:
            kept = db.changes(m.seq, older.seq)  # computed once, when first shown
            if kept is None:
                kept = [Change(field=f"{c.kind}:{c.subject}", before=c.old, after=c.new).model_dump()
                        for c in compare(audit(older.seq), audit(m.seq))]
                db.keep_changes(m.seq, older.seq, kept)
            changes = [Change.model_validate(c) for c in kept]
        steps.append(HistoryStep(revision=m.revision, revision_date=m.revision_date, audited_at=m.audited_at,
                                 trueopen_version=m.trueopen_version, label=m.label, changes=changes))
    return steps
