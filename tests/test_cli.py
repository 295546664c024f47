"""The command line as a user runs it: help with examples, formats, output files, exit codes."""

from __future__ import annotations

import json

from builders import EXAMPLES, run_cli


def test_help_has_examples() -> None:
    proc = run_cli("audit", "--help")
    assert proc.returncode == 0
    assert "Examples" in proc.stdout and "trueopen audit" in proc.stdout and "--format" in proc.stdout


def test_top_level_help_and_version() -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0 and "audit" in proc.stdout and "demo" in proc.stdout
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("trueopen ")


def test_table_output_names_the_verdicts() -> None:
    proc = run_cli("audit", str(EXAMPLES / "openwashed"), "--no-hash")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "restricted-weights" in out and "FLAGGED" in out and "Safety           clean" in out
    assert "\x1b[" not in out  # no colour codes when stdout is not a terminal
    assert proc.stderr == ""  # no progress bar when stderr is not a terminal


def test_json_output_and_output_file(tmp_path) -> None:
    out = tmp_path / "audit.json"
    proc = run_cli("audit", str(EXAMPLES / "open-weights"), "--format", "json", "--output", str(out))
    assert proc.returncode == 0 and proc.stdout == ""
    record = json.loads(out.read_text())
    assert record["verdicts"]["label"] == "open-weights"
    assert [p.name for p in tmp_path.iterdir()] == ["audit.json"]  # no temporary file left behind
    assert out.stat().st_mode & 0o644 == 0o644  # readable like any file the user writes


def test_table_to_output_file(tmp_path) -> None:
    out = tmp_path / "audit.txt"
    proc = run_cli("audit", str(EXAMPLES / "fully-open"), "-o", str(out))
    assert proc.returncode == 0
    assert "open-source" in out.read_text() and "\x1b[" not in out.read_text()


def test_demo_compares_the_examples() -> None:
    proc = run_cli("demo", str(EXAMPLES))
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line.split() for line in proc.stdout.splitlines() if line.split() and line.split()[0] in {"fully-open", "open-weights", "openwashed"}}
    assert rows["fully-open"][1:] == ["open-source", "yes", "Class", "I", "no", "clean"]
    assert rows["open-weights"][1:] == ["open-weights", "no", "Unclassified", "no", "clean"]
    assert rows["openwashed"][1:] == ["restricted-weights", "no", "Unclassified", "strong", "clean"]


def test_demo_json_is_a_list() -> None:
    proc = run_cli("demo", str(EXAMPLES), "--format", "json")
    records = json.loads(proc.stdout)
    assert [r["target"]["ref"].rsplit("/", 1)[-1] for r in records] == ["fully-open", "open-weights", "openwashed"]


def test_demo_of_missing_folder(tmp_path) -> None:
    proc = run_cli("demo", str(tmp_path / "none"))
    assert proc.returncode == 2 and "no such folder" in proc.stderr


def test_schema_command() -> None:
    proc = run_cli("schema")
    assert proc.returncode == 0 and json.loads(proc.stdout)["title"] == "Audit"


def test_bad_format_is_usage_error() -> None:
    proc = run_cli("audit", str(EXAMPLES / "fully-open"), "--format", "xml")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def _names() -> list[str]:
    from typer.main import get_command_name

    from trueopen.cli import app
    return ([c.name or get_command_name(c.callback.__name__) for c in app.registered_commands]
            + [g.name for g in app.registered_groups])


def test_only_the_named_command_is_built_and_it_reads_the_same() -> None:
    """main() gives typer only the command the arguments name; its help, its errors and its
    subcommands read exactly as with the whole app."""
    from typer.testing import CliRunner

    from trueopen.cli import _app_for, app
    runner = CliRunner()
    names = _names()
    assert len(names) >= 16 and "audit" in names and "data" in names
    for name in names:
        narrow = _app_for([name, "--help"])
        assert narrow is not app and len(narrow.registered_commands) + len(narrow.registered_groups) == 1
        for args in ([name, "--help"], [name, "--no-such-option"]):
            assert runner.invoke(narrow, args).output == runner.invoke(app, args).output, args
    assert runner.invoke(_app_for(["data", "audit", "--help"]), ["data", "audit", "--help"]).output == \
        runner.invoke(app, ["data", "audit", "--help"]).output


def test_anything_but_a_command_name_gets_the_whole_app() -> None:
    from trueopen.cli import _app_for, app
    for args in ([], ["--help"], ["--version"], ["-h"], ["no-such-command"], ["Audit"]):
        assert _app_for(args) is app
    proc = run_cli("no-such-command")
    assert proc.returncode == 2 and "No such command" in proc.stderr
