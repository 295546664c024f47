"""Batch audits through the store: the LIST, parallel audits, error rows, resuming, history."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from builders import EXAMPLES, write_release
from trueopen.errors import InputError
from trueopen.index.build import BuildOptions, ListLine, build, parse_line, read_list


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trueopen.cli", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_a_list_line_is_audits_syntax(tmp_path) -> None:
    lst = tmp_path / "list.txt"
    lst.write_text("# releases\n\n./a\n'./b c' --with hf://org/w --with=./x  # the spread one\n"
                   "./d --id https://github.com/org/d\n")
    assert read_list(lst) == [ListLine(3, "./a"), ListLine(4, "./b c", ("hf://org/w", "./x")),
                              ListLine(5, "./d", (), "https://github.com/org/d")]


@pytest.mark.parametrize(("text", "message"), [
    ("./a --format json", "unknown option --format"),
    ("./a ./b", "two targets"),
    ("./a --with", "--with needs a value"),
    ("./a --id not-a-url", "--id must be a URL"),
    ("'./a", "No closing quotation"),
    ("--id https://x/y", "no target"),
])
def test_a_bad_line_is_named_with_its_number(tmp_path, text, message) -> None:
    lst = tmp_path / "list.txt"
    lst.write_text(f"./fine\n# comment\n{text}\n")
    with pytest.raises(InputError) as exc:
        read_list(lst)
    assert str(exc.value).startswith(f"{lst}:3: ") and message in str(exc.value)


def test_a_bad_line_stops_the_build_before_any_audit(tmp_path) -> None:
    canary_store = tmp_path / "store.sqlite"
    lst = tmp_path / "list.txt"
    lst.write_text(f"{EXAMPLES / 'fully-open'}\n{EXAMPLES / 'open-weights'} --bogus\n")
    proc = run_cli("index", "build", "--from", str(lst), "--out", str(tmp_path / "site"), "--store", str(canary_store))
    assert proc.returncode == 2 and f"{lst}:2: unknown option --bogus" in proc.stderr and "Traceback" not in proc.stderr
    assert not canary_store.exists() and not (tmp_path / "site").exists()


def copy_examples(tmp_path: Path) -> list[Path]:
    out = []
    for name in ("fully-open", "open-weights", "openwashed"):
        shutil.copytree(EXAMPLES / name, tmp_path / name)
        out.append(tmp_path / name)
    return out


def test_parallel_build_with_a_failure_then_a_rerun_reuses_everything(tmp_path) -> None:
    store = tmp_path / "store.sqlite"
    folders = copy_examples(tmp_path)
    lines = [ListLine(i + 1, str(p)) for i, p in enumerate(folders)] + [ListLine(9, str(tmp_path / "absent"))]
    seen = []
    first = build(lines, BuildOptions(store=store, jobs=2), lambda line, e: seen.append(line.number))
    assert sorted(seen) == [1, 2, 3, 9]
    assert [e.target for e in first] == [str(p) for p in folders] + [str(tmp_path / "absent")]
    assert [e.audit["verdicts"]["label"] for e in first[:3]] == ["open-source", "open-weights", "restricted-weights"]
    assert not any(e.reused for e in first)
    assert first[3].error and "absent" in first[3].error and first[3].audit is None
    again = build(lines, BuildOptions(store=store, jobs=2))
    assert [e.reused for e in again[:3]] == [True, True, True]
    assert [e.audit for e in again[:3]] == [e.audit for e in first[:3]]  # records equal, not re-audited
    assert again[3].error  # a failure is not stored: it is tried again
    refreshed = build(lines[:1], BuildOptions(store=store, jobs=1, refresh=True))
    assert not refreshed[0].reused


def test_an_interrupted_build_resumes_from_the_store(tmp_path) -> None:
    store = tmp_path / "store.sqlite"
    folders = copy_examples(tmp_path)
    lines = [ListLine(i + 1, str(p)) for i, p in enumerate(folders)]
    build(lines[:2], BuildOptions(store=store, jobs=1))  # "interrupted" after two releases
    resumed = build(lines, BuildOptions(store=store, jobs=1))
    assert [e.reused for e in resumed] == [True, True, False]


def test_history_says_what_changed_between_revisions(tmp_path) -> None:
    store = tmp_path / "store.sqlite"
    rel = tmp_path / "rel"
    shutil.copytree(EXAMPLES / "fully-open", rel)
    line = [ListLine(1, str(rel))]
    build(line, BuildOptions(store=store, jobs=1))
    (rel / "LICENSE").write_text("Copyright 2026 The authors. All rights reserved. No licence is granted.\n")
    (rel / "data" / "train.txt").unlink()
    entry = build(line, BuildOptions(store=store, jobs=1))[0]
    assert len(entry.history) == 2
    newest, oldest = entry.history
    assert oldest.changes == [] and newest.label == entry.audit["verdicts"]["label"]
    fields = {c.field: (c.before, c.after) for c in newest.changes}
    assert "file:data/train.txt" in fields and fields["file:data/train.txt"][1] is None
    assert any(f.startswith("license:") for f in fields)
    proc = run_cli("history", rel.resolve().as_uri(), "--store", str(store), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["id"] == rel.resolve().as_uri() and len(data["history"]) == 2
    text = run_cli("history", str(rel), "--store", str(store)).stdout
    assert text.count("file:data/train.txt") == 1
    assert "verdict:label: open-source -> " in text  # printed as written (no ":label:" emoji)


def test_history_errors_are_one_line(tmp_path) -> None:
    proc = run_cli("history", "https://x/none", "--store", str(tmp_path / "absent.sqlite"))
    assert proc.returncode == 2 and "no store yet" in proc.stderr
    store = tmp_path / "s.sqlite"
    run_cli("audit", str(EXAMPLES / "open-weights"), "--store", str(store))
    proc = run_cli("history", "https://x/none", "--store", str(store))
    assert proc.returncode == 2 and "not in the store" in proc.stderr and "Traceback" not in proc.stderr


def test_audit_uses_the_store_unless_told_not_to(tmp_path) -> None:
    store = tmp_path / "s.sqlite"
    rel = write_release(tmp_path / "rel", {"README.md": "# m\n\nA model.\n", "LICENSE": "MIT License\n"})
    first = run_cli("audit", str(rel), "--store", str(store), "--format", "json")
    second = run_cli("audit", str(rel), "--store", str(store), "--format", "json")
    assert first.returncode == second.returncode == 0
    assert "reused the stored audit" not in first.stderr and "reused the stored audit" in second.stderr
    assert first.stdout == second.stdout
    third = run_cli("audit", str(rel), "--store", str(store), "--refresh", "--format", "json")
    assert "reused" not in third.stderr
    other = tmp_path / "none.sqlite"
    run_cli("audit", str(rel), "--store", str(other), "--no-store")
    assert not other.exists()


def test_a_broken_store_stops_the_audit_with_one_line(tmp_path) -> None:
    store = tmp_path / "s.sqlite"
    store.write_text("precious notes, not a database\n")
    proc = run_cli("audit", str(EXAMPLES / "open-weights"), "--store", str(store))
    assert proc.returncode == 2 and "not a trueopen store" in proc.stderr and "Traceback" not in proc.stderr
    assert store.read_text() == "precious notes, not a database\n"


def test_check_goes_through_the_store(tmp_path) -> None:
    store = tmp_path / "s.sqlite"
    run_cli("check", str(EXAMPLES / "open-weights"), "--policy", "open-source", "--store", str(store))
    from trueopen.index.store import Store

    with Store.open(store) as db:
        assert db.releases() == [(EXAMPLES / "open-weights").resolve().as_uri()]


def test_parse_line_directly() -> None:
    assert parse_line("hf://org/m@v1 --id=https://huggingface.co/org/m", "x") == \
        ListLine(0, "hf://org/m@v1", (), "https://huggingface.co/org/m")


def test_a_hash_inside_a_word_is_not_a_comment_and_a_bom_is_dropped(tmp_path) -> None:
    lst = tmp_path / "list.txt"
    lst.write_bytes("\ufeff./a --id https://x/m#a  # the first\n./b --id https://x/m#b\n".encode())
    assert [(l.target, l.id) for l in read_list(lst)] == [("./a", "https://x/m#a"), ("./b", "https://x/m#b")]


def test_offline_and_download_limit_are_part_of_the_key() -> None:
    from trueopen.index.stored import options_key
    from trueopen.sources.options import SourceOptions

    keys = {options_key((), True, SourceOptions()), options_key((), True, SourceOptions(offline=True)),
            options_key((), True, SourceOptions(max_download=1 << 20)), options_key((), False, SourceOptions())}
    assert len(keys) == 4


def test_a_default_store_that_cannot_be_made_does_not_stop_the_audit(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TRUEOPEN_STORE"}
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder would be")
    env["XDG_CACHE_HOME"] = str(blocker)
    proc = subprocess.run([sys.executable, "-m", "trueopen.cli", "audit", str(EXAMPLES / "open-weights")],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0 and "no audit store" in proc.stderr and "open-weights" in proc.stdout
    named = subprocess.run([sys.executable, "-m", "trueopen.cli", "audit", str(EXAMPLES / "open-weights"), "--store",
                            str(blocker / "s.sqlite")], capture_output=True, text=True, timeout=120, env=env)
    assert named.returncode == 2 and "Traceback" not in named.stderr  # a store the user named must work


def test_two_releases_under_one_id_are_refused(tmp_path) -> None:
    lst = tmp_path / "list.txt"
    lst.write_text("./a --id https://example.org/same\n# c\n./b --id https://example.org/same\n")
    with pytest.raises(InputError, match=r"list.txt:3: --id https://example.org/same is already line 1's"):
        read_list(lst)


def test_history_without_a_store_folder_is_one_line(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TRUEOPEN_STORE"}
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder would be")
    env["XDG_CACHE_HOME"] = str(blocker)
    proc = subprocess.run([sys.executable, "-m", "trueopen.cli", "history", "https://x/y"], capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.returncode == 2 and "no store yet" in proc.stderr and "internal error" not in proc.stderr
