"""The command line decides whether stderr is a terminal as rich does, without importing rich
when it surely is not (a JSON audit into a pipe never loads rich)."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import threading

import pytest

from builders import EXAMPLES
from trueopen.terminal import may_be_terminal


@pytest.fixture
def plain_env(monkeypatch):
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def test_a_pipe_or_buffer_is_no_terminal(plain_env) -> None:
    assert may_be_terminal(io.StringIO()) is False
    closed = io.StringIO()
    closed.close()
    assert may_be_terminal(closed) is False
    assert may_be_terminal(object()) is False  # no isatty at all


def test_a_pty_may_be_a_terminal(plain_env) -> None:
    master, slave = pty.openpty()
    try:
        with os.fdopen(slave, "w", closefd=False) as stream:
            assert may_be_terminal(stream) is True
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize(("name", "value", "expected"), [("FORCE_COLOR", "1", True), ("FORCE_COLOR", "", False),
                                                         ("TTY_COMPATIBLE", "1", True), ("TTY_COMPATIBLE", "0", False)])
def test_rich_settings_are_honoured(plain_env, monkeypatch, name, value, expected) -> None:
    monkeypatch.setenv(name, value)
    assert may_be_terminal(io.StringIO()) is expected


def _audit(tmp_path, env: dict[str, str], stderr) -> subprocess.CompletedProcess[str]:
    mark = tmp_path / "rich-loaded"
    code = ("import atexit, sys\n"
            f"atexit.register(lambda: open({str(mark)!r}, 'w').write(str('rich.console' in sys.modules)))\n"
            "from trueopen.cli import main\n"
            f"sys.argv = ['trueopen', 'audit', {str(EXAMPLES / 'openwashed')!r}, '--format', 'json', '--no-store']\n"
            "main()\n")
    base = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    return subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=stderr, text=True,
                          timeout=120, env={**base, **env})


def test_a_json_audit_into_a_pipe_does_not_load_rich(tmp_path) -> None:
    proc = _audit(tmp_path, {}, subprocess.PIPE)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert (tmp_path / "rich-loaded").read_text() == "False"


def test_the_progress_bar_still_shows_on_a_terminal(tmp_path) -> None:
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:  # while the audit runs: a full pty buffer would block it
        while True:
            try:
                part = os.read(master, 65536)
            except OSError:  # EIO: the other end is closed and everything was read
                return
            if not part:
                return
            chunks.append(part)
    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = _audit(tmp_path, {}, slave)
        os.close(slave)
        reader.join(timeout=30)
    finally:
        os.close(master)
    drawn = b"".join(chunks)
    assert proc.returncode == 0
    assert b"hashing" in drawn
    assert (tmp_path / "rich-loaded").read_text() == "True"


def test_force_color_draws_the_bar_into_a_pipe(tmp_path) -> None:
    proc = _audit(tmp_path, {"FORCE_COLOR": "1"}, subprocess.PIPE)
    assert proc.returncode == 0
    assert "hashing" in proc.stderr


def test_stderr_terminal_is_none_on_a_pipe_and_a_console_when_forced(plain_env, monkeypatch) -> None:
    from trueopen.terminal import stderr_terminal

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert stderr_terminal() is None
    monkeypatch.setenv("FORCE_COLOR", "1")
    err = stderr_terminal()
    assert err is not None and err.is_terminal
    monkeypatch.setenv("TTY_COMPATIBLE", "0")  # rich's own answer wins: not a terminal
    assert stderr_terminal() is None
