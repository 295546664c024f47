"""The audit store: every audit's record, keyed by the release, its revision, the trueopen version
and the rules, so an unchanged release is not audited twice and its history can be shown.

SQLite (the standard library's), in WAL mode: several processes may audit at once (a batch's
workers, two terminals); each record is one INSERT in its own transaction, so a killed audit
leaves nothing behind. DuckDB was measured for the same job (benchmarks/index.py): it allows one
writing process at a time, which a parallel batch cannot live with.

A store written by a newer trueopen, or a file that is not a store, is refused with a one-line
error naming it, and never written to.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pydantic_core

from trueopen.errors import InputError

STORE_VERSION = 2
BUSY_TIMEOUT_MS = 60_000
MAX_RECORD_BYTES = 256 * 2**20  # a decompressed record; larger is refused, not read

# Version 1: the audits. A new store is made at version 1 and brought up to STORE_VERSION by the
# same steps an older store takes, so every step is exercised by every new store.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audits (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id TEXT NOT NULL,
    target TEXT NOT NULL,
    revision TEXT,
    revision_kind TEXT NOT NULL,
    revision_date TEXT,
    content TEXT NOT NULL,
    options TEXT NOT NULL,
    trueopen_version TEXT NOT NULL,
    rules_digest TEXT NOT NULL,
    audited_at TEXT NOT NULL,
    label TEXT,
    record BLOB NOT NULL,
    UNIQUE (release_id, content, options, trueopen_version, rules_digest)
);
CREATE INDEX IF NOT EXISTS audits_by_release ON audits (release_id, seq);
"""


def _v2_changes(conn: sqlite3.Connection) -> None:
    """Version 2: the changes between consecutive audits, kept once computed (history, site)."""
    conn.execute("CREATE TABLE changes (newer INTEGER NOT NULL, older INTEGER NOT NULL, data TEXT NOT NULL, "
                 "PRIMARY KEY (newer, older))")


# Each step upgrades a store from the version before it (N-1 -> N); a store is migrated in one
# transaction, step by step, when an older trueopen wrote it.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {2: _v2_changes}


@dataclass(frozen=True)
class StoredRecord:
    """One stored audit."""

    seq: int
    release_id: str
    target: str
    revision: str | None
    revision_kind: str
    revision_date: str | None
    trueopen_version: str
    audited_at: str
    record: dict


@dataclass(frozen=True)
class StoredMeta:
    """What a history line needs of a stored audit, without its record."""

    seq: int
    revision: str | None
    revision_date: str | None
    trueopen_version: str
    audited_at: str
    label: str | None


def _label(record: dict) -> str | None:
    verdicts = record.get("verdicts") if isinstance(record, dict) else None
    label = verdicts.get("label") if isinstance(verdicts, dict) else None
    return label if isinstance(label, str) else None


def default_path() -> Path:
    """--store, else TRUEOPEN_STORE, else $XDG_CACHE_HOME/trueopen/store.sqlite (~/.cache by default)."""
    env = os.environ.get("TRUEOPEN_STORE")
    if env:
        return Path(env).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "trueopen" / "store.sqlite"


# Data files that shape renderings or the index, not audits: changing them keeps stored audits.
NOT_RULES = ("templates", "external", "schemas")


@cache
def rules_digest() -> str:
    """sha256 of every rules file trueopen ships (src/trueopen/data, but for templates, the
    external indexes' data and vendored schemas): new rules, new audits."""
    root = Path(__file__).resolve().parents[1] / "data"
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).parts
        if p.is_file() and "__pycache__" not in rel and rel[0] not in NOT_RULES:
            h.update(p.relative_to(root).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def _guarded(method):
    """A damaged store met after opening (a corrupt page, a full disk) is a one-line InputError."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{self.path}: the store cannot be used ({exc}); it was left as it was") from None

    return call


class Store:
    """A handle on one store file; open with `Store.open(path)`."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.RLock()  # one connection, used by one thread at a time

    @classmethod
    def open(cls, path: Path | None = None) -> Store:
        """Open (creating when absent) a store. Raises InputError when the file is not a store or
        was written by a newer trueopen."""
        path = (path or default_path()).expanduser()
        existed = path.exists()
        if existed and not path.is_file():
            raise InputError(f"{path}: the store must be a file")
        if not existed:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError(f"{path}: cannot create the store ({exc.strerror or exc})") from None
        elif path.stat().st_size and not _looks_like_sqlite(path):
            raise InputError(f"{path}: not a trueopen store (not an SQLite database); it was left untouched")
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise InputError(f"{path}: cannot open the store ({exc})") from None
        store = cls(path, conn)
        try:
            store._prepare(existed)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise InputError(f"{path}: not a usable trueopen store ({exc}); it was left untouched") from None
        except BaseException:
            conn.close()
            raise
        return store

    def _prepare(self, existed: bool) -> None:
        c = self._conn
        c.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if existed and tables and not self._is_store(tables):
            raise InputError(f"{self.path}: an SQLite database that is not a trueopen store; it was left untouched")
        version = self._version() if "meta" in tables else None
        if version is not None and version > STORE_VERSION:
            raise InputError(f"{self.path}: store version {version} was written by a newer trueopen (this one reads "
                             f"up to {STORE_VERSION}); it was left untouched")
        c.execute("PRAGMA journal_mode = WAL")
        c.execute("PRAGMA synchronous = NORMAL")
        with self._transaction():
            # Read again under the write lock: another process may have made the store meanwhile.
            tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = self._version() if "meta" in tables else None
            if version is not None and version > STORE_VERSION:
                raise InputError(f"{self.path}: store version {version} was written by a newer trueopen (this one "
                                 f"reads up to {STORE_VERSION}); it was left untouched")
            if version is None:
                for statement in _statements(_SCHEMA):
                    c.execute(statement)
                c.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('store_version', '1')")
                version = 1
            for step in range(version + 1, STORE_VERSION + 1):
                MIGRATIONS[step](c)
            if version != STORE_VERSION:
                c.execute("UPDATE meta SET value = ? WHERE key = 'store_version'", (str(STORE_VERSION),))

    def _is_store(self, tables: set[str]) -> bool:
        """A trueopen store: a meta table naming the store version, and the audits table."""
        if not {"meta", "audits"} <= tables:
            return False
        try:
            return self._conn.execute("SELECT 1 FROM meta WHERE key = 'store_version'").fetchone() is not None
        except sqlite3.DatabaseError:
            return False

    def _version(self) -> int | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'store_version'").fetchone()
        if row is None:
            return None
        try:
            version = int(row[0])
        except ValueError:
            version = 0
        if version < 1:
            raise InputError(f"{self.path}: store version {row[0]!r} is not one trueopen wrote; it was left untouched")
        return version

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @_guarded
    def find(self, release_id: str, content: str, options: str, trueopen_version: str, rules: str) -> StoredRecord | None:
        """The stored audit of exactly this state of the release, or None."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM audits WHERE release_id = ? AND content = ? AND options = ? AND "
                "trueopen_version = ? AND rules_digest = ?", (release_id, content, options, trueopen_version, rules)).fetchone()
        return self._row(row) if row else None

    @_guarded
    def find_meta(self, release_id: str, content: str, options: str, trueopen_version: str, rules: str) -> StoredMeta | None:
        """As `find`, without reading the record (cheap: a rebuild that changes nothing never needs it)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT seq, revision, revision_date, trueopen_version, audited_at, label FROM audits WHERE release_id = ? "
                "AND content = ? AND options = ? AND trueopen_version = ? AND rules_digest = ?",
                (release_id, content, options, trueopen_version, rules)).fetchone()
        return StoredMeta(*row) if row else None

    @_guarded
    def put(self, *, release_id: str, target: str, revision: str | None, revision_kind: str, revision_date: str | None,
            content: str, options: str, trueopen_version: str, rules: str, audited_at: str, record: dict) -> StoredRecord:
        """Store one audit (replacing the same key's earlier record, as --refresh does); atomic."""
        blob = zlib.compress(json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode(), 6)
        with self._transaction():
            key = (release_id, content, options, trueopen_version, rules)
            where = "release_id = ? AND content = ? AND options = ? AND trueopen_version = ? AND rules_digest = ?"
            self._conn.execute(f"DELETE FROM changes WHERE newer IN (SELECT seq FROM audits WHERE {where}) "
                               f"OR older IN (SELECT seq FROM audits WHERE {where})", key + key)
            self._conn.execute(f"DELETE FROM audits WHERE {where}", key)
            cur = self._conn.execute(
                "INSERT INTO audits (release_id, target, revision, revision_kind, revision_date, content, options, "
                "trueopen_version, rules_digest, audited_at, label, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (release_id, target, revision, revision_kind, revision_date, content, options, trueopen_version, rules,
                 audited_at, _label(record), blob))
        return StoredRecord(int(cur.lastrowid or 0), release_id, target, revision, revision_kind, revision_date,
                            trueopen_version, audited_at, record)

    @_guarded
    def history(self, release_id: str) -> list[StoredRecord]:
        """Every stored audit of a release, newest first."""
        with self._lock:
            rows = self._conn.execute(f"SELECT {_COLUMNS} FROM audits WHERE release_id = ? ORDER BY seq DESC",
                                      (release_id,)).fetchall()
        return [self._row(r) for r in rows]

    @_guarded
    def history_meta(self, release_id: str) -> list[StoredMeta]:
        """The stored audits of a release without their records (cheap), newest first."""
        with self._lock:
            rows = self._conn.execute("SELECT seq, revision, revision_date, trueopen_version, audited_at, label FROM audits "
                                      "WHERE release_id = ? ORDER BY seq DESC", (release_id,)).fetchall()
        return [StoredMeta(*r) for r in rows]

    @_guarded
    def record(self, seq: int) -> dict:
        """One stored record by its number."""
        with self._lock:
            row = self._conn.execute(f"SELECT {_COLUMNS} FROM audits WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            raise InputError(f"{self.path}: no stored record {seq}")
        return self._row(row).record

    @_guarded
    def changes(self, newer: int, older: int) -> list | None:
        """The changes between two stored audits, as kept by `keep_changes`, or None."""
        with self._lock:
            row = self._conn.execute("SELECT data FROM changes WHERE newer = ? AND older = ?", (newer, older)).fetchone()
        return json.loads(row[0]) if row else None

    def keep_changes(self, newer: int, older: int, changes: list) -> None:
        """Keep the changes between two stored audits (records never change, so neither do these).
        Best effort: a store that cannot be written (read-only, busy) is still read."""
        try:
            with self._transaction():
                self._conn.execute("INSERT OR REPLACE INTO changes (newer, older, data) VALUES (?, ?, ?)",
                                   (newer, older, json.dumps(changes, separators=(",", ":"))))
        except sqlite3.OperationalError:
            pass

    @_guarded
    def releases(self) -> list[str]:
        """The identities of every release in the store, sorted."""
        return [r[0] for r in self._conn.execute("SELECT DISTINCT release_id FROM audits ORDER BY release_id")]

    def _row(self, row: tuple) -> StoredRecord:
        seq, release_id, target, revision, kind, date, version, audited_at, blob = row
        try:
            d = zlib.decompressobj()
            raw = d.decompress(blob, MAX_RECORD_BYTES + 1)
            if len(raw) > MAX_RECORD_BYTES or d.unconsumed_tail:
                raise InputError(f"{self.path}: stored record {seq} is larger than {MAX_RECORD_BYTES} bytes")
            # pydantic_core's JSON parser: 0.46 ms a 57 KB record against json's 0.72 ms (100 records, measured).
            record = pydantic_core.from_json(raw)
        except (zlib.error, ValueError) as exc:
            raise InputError(f"{self.path}: stored record {seq} is corrupt ({type(exc).__name__})") from None
        return StoredRecord(seq, release_id, target, revision, kind, date, version, audited_at, record)


_COLUMNS = "seq, release_id, target, revision, revision_kind, revision_date, trueopen_version, audited_at, record"


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _looks_like_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False
