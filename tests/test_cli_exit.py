"""How the console script leaves: at once once its output is out (no interpreter teardown), but
with the atexit functions run, every byte written and Python's own exit whenever that is not safe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from builders import EXAMPLES


def _run_main(tmp_path: Path, before: str, *args: str) -> subprocess.CompletedProcess[str]:
    """trueopen.cli.main() in a fresh interpreter, after `before` (Python code) has run."""
    code = textwrap.dedent(before) + textwrap.dedent(f"""
        import sys
        from trueopen.cli import main
        sys.argv = ["trueopen", *{list(args)!r}]
        main()
        open({str(tmp_path / "after-main")!r}, "w").close()  # main never returns
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as a pipe usually is
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)


def test_atexit_functions_run_and_main_does_not_return(tmp_path) -> None:
    mark = tmp_path / "atexit-ran"
    proc = _run_main(tmp_path, f"import atexit; atexit.register(lambda: open({str(mark)!r}, 'w').close())\n", "--version")
    assert proc.returncode == 0 and proc.stdout.startswith("trueopen ")
    assert mark.exists()
    assert not (tmp_path / "after-main").exists()


def test_exit_codes_are_kept(tmp_path) -> None:
    proc = _run_main(tmp_path, "", "audit", str(tmp_path / "missing"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "error" in proc.stderr
    proc = _run_main(tmp_path, "", "audit", "--format", "nonsense", str(EXAMPLES / "openwashed"))
    assert proc.returncode == 2


def test_large_output_reaches_a_pipe_whole(tmp_path) -> None:
    # What an atexit function writes is flushed too: it comes after main's output.
    before = "import atexit, sys; atexit.register(lambda: sys.stdout.write('END'))\n"
    proc = _run_main(tmp_path, before, "audit", str(EXAMPLES / "openwashed"), "--format", "json", "--no-hash", "--no-store")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith("END")
    record = json.loads(proc.stdout[:-3])  # all of it: a cut record would not parse
    assert record["files"] and len(proc.stdout) > 8192


def test_a_running_thread_takes_pythons_own_exit(tmp_path) -> None:
    """A non-daemon thread still at work when the command ends is waited for, as Python does."""
    mark = tmp_path / "thread-done"
    before = f"""
        import threading, time
        def work():
            time.sleep(0.5)
            open({str(mark)!r}, "w").close()
        threading.Thread(target=work).start()
    """
    proc = _run_main(tmp_path, before, "--version")
    assert proc.returncode == 0
    assert mark.exists()


def test_a_message_as_exit_code_is_printed(tmp_path) -> None:
    code = "from trueopen.cli import _exit\n_exit('trueopen: stopped')\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "trueopen: stopped" in proc.stderr


def test_a_profiler_still_gets_its_report(tmp_path) -> None:
    """cProfile writes its figures at teardown: with a profiler attached, Python's own exit."""
    out = tmp_path / "profile.out"
    proc = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "trueopen.cli", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("trueopen ")
    assert out.stat().st_size > 0


def test_closed_stdout_or_stderr_keeps_the_exit_code(tmp_path) -> None:
    """Started without a descriptor (cron, a daemon, `>&-`), Python has no sys.stdout or
    sys.stderr: the exit code is still the command's, the output file still written."""
    out = tmp_path / "record.json"
    args = ["audit", str(EXAMPLES / "openwashed"), "--format", "json", "--no-hash", "--no-store", "--output", str(out)]
    for fd in (1, 2):
        proc = subprocess.run([sys.executable, "-m", "trueopen.cli", *args], capture_output=True, text=True,
                              timeout=120, preexec_fn=lambda fd=fd: os.close(fd))
        assert proc.returncode == 0, (fd, proc.stderr)
        assert json.loads(out.read_text())["files"]
        out.unlink()
    proc = subprocess.run([sys.executable, "-m", "trueopen.cli", "audit", str(tmp_path / "missing")],
                          capture_output=True, text=True, timeout=120, preexec_fn=lambda: os.close(2))
    assert proc.returncode == 2
