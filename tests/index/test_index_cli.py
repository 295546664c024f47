"""`trueopen index build` and `trueopen index serve` as a user runs them."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from builders import EXAMPLES


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trueopen.cli", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_the_examples_index_with_a_failing_release(tmp_path) -> None:
    for name in ("fully-open", "openwashed"):
        shutil.copytree(EXAMPLES / name, tmp_path / name)
    lst = tmp_path / "list.txt"
    lst.write_text("fully-open --id https://example.org/a\nopenwashed\nmissing-folder\n")
    site, store = tmp_path / "site", tmp_path / "s.sqlite"
    proc = run_cli("index", "build", "--from", str(lst), "--out", str(site), "--store", str(store), "--jobs", "2", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "3 releases, 0 reused from the store, 1 failed" in proc.stderr
    assert "missing-folder" in proc.stderr and "Traceback" not in proc.stderr
    records = [json.loads(line) for line in (site / "records.jsonl").read_text().splitlines()]
    by_target = {r["target"]: r for r in records}
    assert set(by_target) == {"fully-open", "openwashed", "missing-folder"}
    assert by_target["fully-open"]["id"] == "https://example.org/a"
    assert by_target["openwashed"]["id"] == (tmp_path / "openwashed").resolve().as_uri()
    assert by_target["missing-folder"]["error"] and by_target["missing-folder"]["audit"] is None
    assert by_target["fully-open"]["audit"]["verdicts"]["label"] == "open-source"
    index = (site / "index.html").read_text()
    assert "missing-folder" in index and "example.org/a" in index
    again = run_cli("index", "build", "--from", str(lst), "--out", str(site), "--store", str(store), "--format", "json",
                    cwd=tmp_path)
    assert "3 releases, 2 reused from the store, 1 failed" in again.stderr
    summary = {r["target"]: r for r in json.loads(again.stdout)["releases"]}
    assert summary["fully-open"]["reused"] is True and summary["fully-open"]["label"] == "open-source"
    assert summary["missing-folder"]["reused"] is False and summary["missing-folder"]["error"]


def test_an_output_that_is_a_file_is_refused(tmp_path) -> None:
    lst = tmp_path / "list.txt"
    lst.write_text(f"{EXAMPLES / 'open-weights'}\n")
    out = tmp_path / "site"
    out.write_text("mine")
    proc = run_cli("index", "build", "--from", str(lst), "--out", str(out))
    assert proc.returncode == 2 and "not a folder" in proc.stderr and out.read_text() == "mine"


def test_serve_answers_on_loopback_only(tmp_path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>t</title><p>hello index</p>")
    proc = subprocess.Popen([sys.executable, "-m", "trueopen.cli", "index", "serve", str(site)],
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = proc.stderr.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, line
        body = urllib.request.urlopen(m.group(0) + "index.html", timeout=10).read().decode()
        assert "hello index" in body
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # SIGINT may be ignored under a test runner
        proc.wait(timeout=10)


def test_serve_refuses_a_folder_without_a_site(tmp_path) -> None:
    proc = run_cli("index", "serve", str(tmp_path))
    assert proc.returncode == 2 and "no index.html" in proc.stderr


def test_help_has_examples() -> None:
    for args in (("index", "build", "--help"), ("index", "serve", "--help"), ("history", "--help")):
        proc = run_cli(*args)
        assert proc.returncode == 0 and "Examples" in proc.stdout, args
