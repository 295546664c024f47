"""The audit store: reuse, history, concurrent writers, killed writers, refusal of what it cannot read."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from trueopen.errors import InputError
from trueopen.index import store as store_mod
from trueopen.index.store import Store

KEY = dict(content="c1", options="{}", trueopen_version="0.1.0", rules="r1")


def put(db: Store, release: str = "https://x/a", content: str = "c1", label: str = "open-source", at: str = "2026-01-01T00:00:00Z"):
    return db.put(release_id=release, target="./a", revision="fp:1", revision_kind="fingerprint", revision_date=None,
                  content=content, options="{}", trueopen_version="0.1.0", rules="r1", audited_at=at,
                  record={"label": label})


def test_put_find_and_history_newest_first(tmp_path) -> None:
    with Store.open(tmp_path / "s.sqlite") as db:
        assert db.find("https://x/a", **KEY) is None
        put(db, content="c1", label="closed", at="2026-01-01T00:00:00Z")
        put(db, content="c2", label="open-source", at="2026-02-01T00:00:00Z")
        hit = db.find("https://x/a", **KEY)
        assert hit is not None and hit.record == {"label": "closed"}
        assert [r.record["label"] for r in db.history("https://x/a")] == ["open-source", "closed"]
        assert db.releases() == ["https://x/a"]
        # the same key again replaces the record (what --refresh does), it does not duplicate it
        put(db, content="c1", label="open-weights", at="2026-03-01T00:00:00Z")
        assert [r.record["label"] for r in db.history("https://x/a")] == ["open-weights", "open-source"]
        assert db.find("https://x/a", **{**KEY, "rules": "r2"}) is None  # new rules, new audit


def test_the_default_location_follows_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TRUEOPEN_STORE", str(tmp_path / "env.sqlite"))
    assert store_mod.default_path() == tmp_path / "env.sqlite"
    monkeypatch.delenv("TRUEOPEN_STORE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert store_mod.default_path() == tmp_path / "cache" / "trueopen" / "store.sqlite"


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from trueopen.index.store import Store
    path, name, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    for i in range(n):
        with Store.open(path) as db:
            db.put(release_id=f"https://x/{name}", target=name, revision=str(i), revision_kind="fingerprint",
                   revision_date=None, content=str(i), options="{}", trueopen_version="v", rules="r",
                   audited_at="t", record={"i": i, "pad": "x" * 2000})
""")


def test_two_processes_writing_at_once_corrupt_nothing(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    Store.open(path).close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, "60"]) for name in ("a", "b", "c")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    with Store.open(path) as db:
        assert sorted(r.record["i"] for r in db.history("https://x/a")) == list(range(60))
        assert len(db.history("https://x/b")) == len(db.history("https://x/c")) == 60
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


KILLED = textwrap.dedent("""
    import sqlite3, sys, time
    c = sqlite3.connect(sys.argv[1], isolation_level=None)
    c.execute("BEGIN IMMEDIATE")
    c.execute("INSERT INTO audits (release_id, target, revision, revision_kind, revision_date, content, options, "
              "trueopen_version, rules_digest, audited_at, record) VALUES ('https://x/k', 'k', NULL, 'fingerprint', "
              "NULL, 'c', '{}', 'v', 'r', 't', x'00')")
    print("inserted", flush=True)
    time.sleep(60)
""")


def test_a_killed_writer_leaves_no_partial_record(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    Store.open(path).close()
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "inserted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Store.open(path) as db:
        assert db.history("https://x/k") == []
        put(db)  # and the store takes writes again
        assert len(db.history("https://x/a")) == 1


@pytest.mark.parametrize("content", [b"not a database at all\n", b"SQLite format 3\x00" + b"\xff" * 5000])
def test_a_file_that_is_not_a_store_is_refused_untouched(tmp_path, content) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"s\.sqlite") as exc:
        Store.open(path)
    assert "\n" not in str(exc.value)
    assert path.read_bytes() == content


@pytest.mark.parametrize("statements", [
    ["CREATE TABLE notes (t TEXT)"],
    ["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)", "INSERT INTO meta VALUES ('version', '7')"],  # a browser's
])
def test_another_applications_database_is_refused_untouched(tmp_path, statements) -> None:
    path = tmp_path / "other.sqlite"
    c = sqlite3.connect(path)
    for statement in statements:
        c.execute(statement)
    c.commit()
    c.close()
    before = path.read_bytes()
    with pytest.raises(InputError, match="not a trueopen store"):
        Store.open(path)
    assert path.read_bytes() == before


def set_version(path: Path, value: str) -> None:
    c = sqlite3.connect(path)
    c.execute("UPDATE meta SET value = ? WHERE key = 'store_version'", (value,))
    c.commit()
    c.close()


def test_a_store_from_a_newer_trueopen_is_refused_untouched(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    with Store.open(path) as db:
        put(db)
    set_version(path, "99")
    before = path.read_bytes()
    with pytest.raises(InputError, match="newer trueopen"):
        Store.open(path)
    assert path.read_bytes() == before


def v1_store(path: Path) -> None:
    """A store as trueopen wrote it at store version 1 (audits only)."""
    c = sqlite3.connect(path)
    for statement in store_mod._statements(store_mod._SCHEMA):
        c.execute(statement)
    c.execute("INSERT INTO meta (key, value) VALUES ('store_version', '1')")
    import json
    import zlib

    c.execute("INSERT INTO audits (release_id, target, revision, revision_kind, revision_date, content, options, "
              "trueopen_version, rules_digest, audited_at, label, record) VALUES ('https://x/a', './a', 'fp:1', "
              "'fingerprint', NULL, 'c1', '{}', '0.1.0', 'r1', 't', 'open-source', ?)",
              (zlib.compress(json.dumps({"label": "open-source"}).encode()),))
    c.commit()
    c.close()


def test_a_version_1_store_is_migrated(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    v1_store(path)
    with Store.open(path) as db:
        old = db.find("https://x/a", **KEY)
        assert old is not None and old.record == {"label": "open-source"}
        new = put(db, content="c2")
        db.keep_changes(new.seq, old.seq, [])  # the table version 2 added
        assert db.changes(new.seq, old.seq) == []
    c = sqlite3.connect(path)
    assert c.execute("SELECT value FROM meta WHERE key = 'store_version'").fetchone()[0] == str(store_mod.STORE_VERSION)
    c.close()


def test_a_new_store_takes_every_migration_step(tmp_path, monkeypatch) -> None:
    ran = []
    monkeypatch.setitem(store_mod.MIGRATIONS, 2, lambda conn: (ran.append(2), store_mod._v2_changes(conn)))
    Store.open(tmp_path / "s.sqlite").close()
    assert ran == [2]


def test_a_future_step_runs_once_on_an_existing_store(tmp_path, monkeypatch) -> None:
    path = tmp_path / "s.sqlite"
    with Store.open(path) as db:
        put(db)
    ran = []

    def step(conn: sqlite3.Connection) -> None:
        ran.append(store_mod.STORE_VERSION)
        conn.execute("ALTER TABLE audits ADD COLUMN note TEXT")

    nxt = store_mod.STORE_VERSION + 1
    monkeypatch.setattr(store_mod, "STORE_VERSION", nxt)
    monkeypatch.setitem(store_mod.MIGRATIONS, nxt, step)
    with Store.open(path) as db:
        assert [r.record for r in db.history("https://x/a")] == [{"label": "open-source"}]
    with Store.open(path):
        pass
    assert ran == [nxt]  # migrated once
    c = sqlite3.connect(path)
    assert "note" in [r[1] for r in c.execute("PRAGMA table_info(audits)")]
    c.close()


def test_a_failing_migration_changes_nothing(tmp_path, monkeypatch) -> None:
    path = tmp_path / "s.sqlite"
    with Store.open(path) as db:
        put(db)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE audits ADD COLUMN half TEXT")
        raise RuntimeError("boom")

    nxt = store_mod.STORE_VERSION + 1
    monkeypatch.setattr(store_mod, "STORE_VERSION", nxt)
    monkeypatch.setitem(store_mod.MIGRATIONS, nxt, broken)
    with pytest.raises(RuntimeError):
        Store.open(path)
    c = sqlite3.connect(path)
    assert c.execute("SELECT value FROM meta WHERE key = 'store_version'").fetchone()[0] == str(nxt - 1)
    assert "half" not in [r[1] for r in c.execute("PRAGMA table_info(audits)")]
    c.close()


def test_a_corrupt_record_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    with Store.open(path) as db:
        put(db)
    c = sqlite3.connect(path)
    c.execute("UPDATE audits SET record = x'0102030405'")
    c.commit()
    c.close()
    with Store.open(path) as db, pytest.raises(InputError, match="corrupt"):
        db.history("https://x/a")


def test_rules_digest_is_stable_and_depends_on_the_rules() -> None:
    assert store_mod.rules_digest() == store_mod.rules_digest()
    assert len(store_mod.rules_digest()) == 64


def test_changes_are_kept_once_and_dropped_with_a_replaced_record(tmp_path) -> None:
    with Store.open(tmp_path / "s.sqlite") as db:
        a = put(db, content="c1")
        b = put(db, content="c2")
        assert db.changes(b.seq, a.seq) is None
        db.keep_changes(b.seq, a.seq, [{"field": "verdict:label", "before": "x", "after": "y"}])
        assert db.changes(b.seq, a.seq) == [{"field": "verdict:label", "before": "x", "after": "y"}]
        put(db, content="c1")  # --refresh of the older state: its cached changes go with it
        assert db.changes(b.seq, a.seq) is None


def test_processes_creating_the_same_store_at_once(tmp_path) -> None:
    path = tmp_path / "new.sqlite"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, "5"], stderr=subprocess.PIPE, text=True)
             for name in ("a", "b", "c", "d")]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    with Store.open(path) as db:
        assert db.releases() == [f"https://x/{n}" for n in "abcd"]


def test_a_store_version_trueopen_never_wrote_is_refused(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    Store.open(path).close()
    set_version(path, "0")
    with pytest.raises(InputError, match="not one trueopen wrote"):
        Store.open(path)


def test_a_damaged_store_met_later_is_one_line(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    with Store.open(path) as db:
        put(db)
        db._conn.execute("DROP TABLE audits")
        with pytest.raises(InputError, match="cannot be used"):
            db.history("https://x/a")
