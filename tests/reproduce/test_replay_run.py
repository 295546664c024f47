"""`trueopen reproduce`: the replay runs only when asked, contained, and grades the weights.

Tests that run a replay need bubblewrap; they skip with the reason where it cannot create a
sandbox, unless TRUEOPEN_REQUIRE_BWRAP=1 (set by .ci/run, which installs it) makes that a failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from builders import EXAMPLES, safetensors_bytes, write_release
from trueopen.errors import InputError
from trueopen.reproduce.replay import ReplayOptions, reproduce
from trueopen.reproduce.sandbox import bubblewrap

_BWRAP, _WHY = bubblewrap()
if _BWRAP is None and os.environ.get("TRUEOPEN_REQUIRE_BWRAP"):
    raise RuntimeError(f"TRUEOPEN_REQUIRE_BWRAP is set but {_WHY}")
needs_bwrap = pytest.mark.skipif(_BWRAP is None, reason=_WHY or "bubblewrap unavailable")


def tree(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every file's size, mtime and sha256: what 'the release on disk is never modified' means."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            st = p.stat()
            out[p.relative_to(folder).as_posix()] = (st.st_size, st.st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def card(*commands: str) -> str:
    block = "\n".join(commands)
    return f"# m\n\nTrained with seed 1 on 1 CPU core.\n\n## How to reproduce\n\n```bash\n{block}\n```\n"


def small_release(root: Path, script: str, *commands: str) -> Path:
    """A release whose documented command runs `step.py`; it publishes a zero 2x2 weights file."""
    return write_release(root, {"README.md": card(*(commands or ("python step.py",))), "step.py": script,
                                "requirements.txt": "numpy==2.4.6\n", "model.safetensors": safetensors_bytes(),
                                "data/train.txt": "x\n"})


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trueopen.cli", *args], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, env=env, cwd=cwd)


@needs_bwrap
def test_the_fully_open_example_reproduces_bitwise(tmp_path) -> None:
    before = tree(EXAMPLES / "fully-open")
    out = tmp_path / "evidence"
    a = reproduce(EXAMPLES / "fully-open", ReplayOptions(yes=True, out=out))
    rep = a.reproduction
    assert rep.grade == "bitwise", (rep.reason, rep.log_tail)
    assert {f.path: f.grade for f in rep.files} == {p: "bitwise" for p in [
        "checkpoints/step-000100/model.safetensors", "checkpoints/step-000200/model.safetensors",
        "checkpoints/step-000300/model.safetensors", "model.safetensors"]}
    assert rep.sandbox == "bubblewrap" and rep.network == "blocked" and rep.exit_code == 0
    assert tree(EXAMPLES / "fully-open") == before
    assert sorted(p.name for p in out.iterdir()) == ["comparison.json", "environment.json", "replay.log", "reproduction.json"]
    env = json.loads((out / "environment.json").read_text())
    assert {(p["name"], p["version"]) for p in env["packages"]} == {("numpy", "2.4.6"), ("safetensors", "0.8.0")}
    assert "done: steps=400" in (out / "replay.log").read_text()
    assert json.loads((out / "reproduction.json").read_text())["grade"] == "bitwise"
    assert any(f.rule == "reproduce-bitwise" for f in a.findings)
    from trueopen.formats.reports import render

    md = render(a, "markdown")
    assert "| Reproducible | Replay |" in md and "**bitwise**" in md
    assert "Replayed: bitwise. all 4 weights files rebuilt byte for byte" in md


@needs_bwrap
def test_tampered_weights_differ_and_the_tensor_is_named(tmp_path) -> None:
    rel = tmp_path / "fully-open"
    shutil.copytree(EXAMPLES / "fully-open", rel)
    tensors = load_file(str(rel / "model.safetensors"))
    name = sorted(tensors)[0]
    tensors[name][3, 4] += np.float32(0.5)
    save_file(tensors, str(rel / "model.safetensors"))
    proc = run_cli("reproduce", str(rel), "--yes", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    rep = json.loads(proc.stdout)["reproduction"]
    assert rep["grade"] == "differs"
    files = {f["path"]: f for f in rep["files"]}
    final = files["model.safetensors"]
    assert final["grade"] == "differs" and final["worst"][0]["name"] == name == "bigram_logits.weight"
    assert final["worst"][0]["max_abs_diff"] == pytest.approx(0.5, rel=1e-3)
    assert files["checkpoints/step-000100/model.safetensors"]["grade"] == "bitwise"
    assert "model.safetensors (differs)" in rep["reason"]
    sarif = json.loads(run_cli("reproduce", str(rel), "--yes", "--format", "sarif").stdout)
    assert any(r["ruleId"] == "trueopen/reproduce-differs" for r in sarif["runs"][0]["results"])


@needs_bwrap
def test_the_network_is_unreachable_in_the_sandbox(tmp_path) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    connections: list[object] = []

    def accept() -> None:
        server.settimeout(15)
        try:
            connections.append(server.accept())
        except OSError:
            pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    script = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=5)\nprint('connected')\n"
    rel = small_release(tmp_path / "rel", script)
    rep = reproduce(rel, ReplayOptions(yes=True, timeout_seconds=60)).reproduction
    server.close()
    t.join()
    assert rep.grade == "could-not-run" and "inside the sandbox" in rep.reason
    assert any("ConnectionRefusedError" in line or "Network is unreachable" in line for line in rep.log_tail), rep.log_tail
    assert connections == []


@needs_bwrap
@pytest.mark.parametrize("where", ["host-tmp", "system"])
def test_writes_outside_the_scratch_copy_fail(tmp_path, where) -> None:
    canary = tmp_path / "canary" if where == "host-tmp" else Path("/usr/lib/trueopen-replay-canary")
    (tmp_path / "canary-dir").mkdir()
    script = f"from pathlib import Path\nPath({str(canary)!r}).write_text('x')\n"
    rel = small_release(tmp_path / "rel", script)
    rep = reproduce(rel, ReplayOptions(yes=True, timeout_seconds=60)).reproduction
    assert rep.grade == "could-not-run" and "inside the sandbox" in rep.reason
    assert any("Read-only file system" in line or "No such file or directory" in line for line in rep.log_tail), rep.log_tail
    assert not canary.exists()


def canary_release(tmp_path: Path) -> tuple[Path, Path]:
    canary = tmp_path / "canary.txt"
    script = f"open({str(canary)!r}, 'w').write('ran')\n"
    return small_release(tmp_path / "rel", script), canary


def test_without_yes_nothing_runs(tmp_path) -> None:
    rel, canary = canary_release(tmp_path)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    proc = run_cli("reproduce", str(rel), "--no-sandbox", env=env)
    assert proc.returncode == 2
    assert "nothing was run" in proc.stderr and "--yes" in proc.stderr and "Traceback" not in proc.stderr
    assert not canary.exists()
    assert list(scratch.iterdir()) == []  # no scratch copy was even made
    # The canary is real: with --yes (and no sandbox, so the host path is reachable) it is written.
    proc = run_cli("reproduce", str(rel), "--no-sandbox", "--yes", "--format", "json", env=env)
    assert canary.read_text() == "ran", proc.stderr
    rep = json.loads(proc.stdout)["reproduction"]
    assert rep["sandbox"] == "none" and rep["network"] == "allowed"
    assert list(scratch.iterdir()) == []  # the scratch copy is removed after the run


def test_without_bubblewrap_it_refuses_unless_no_sandbox(tmp_path) -> None:
    rel, canary = canary_release(tmp_path)
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # no bwrap on this PATH
    proc = run_cli("reproduce", str(rel), "--yes", env=env)
    assert proc.returncode == 2 and "no sandbox" in proc.stderr and "--no-sandbox" in proc.stderr
    assert not canary.exists()


@needs_bwrap
def test_the_time_limit_stops_the_commands(tmp_path) -> None:
    rel = small_release(tmp_path / "rel", "print('hi')\n")
    rep = reproduce(rel, ReplayOptions(yes=True, timeout_seconds=1, commands=("sleep 30",))).reproduction
    assert rep.grade == "could-not-run" and "time limit" in rep.reason
    assert rep.exit_code is None  # stopped, not finished (no wall-clock assertion: see issue 14)


@needs_bwrap
def test_the_disk_limit_stops_a_large_write(tmp_path) -> None:
    rel = small_release(tmp_path / "rel", "open('big.bin', 'wb').write(b'0' * 8_000_000)\n")
    rep = reproduce(rel, ReplayOptions(yes=True, disk_bytes=1_000_000, timeout_seconds=60)).reproduction
    assert rep.grade == "could-not-run", rep.reason
    assert any("File too large" in line or "disk" in line for line in [rep.reason, *rep.log_tail])


@needs_bwrap
def test_a_rebuilt_file_within_tolerance(tmp_path) -> None:
    script = ("import numpy as np\nfrom safetensors.numpy import save_file\n"
              "save_file({'w': np.full((2, 2), 1e-12, np.float32)}, 'model.safetensors')\n")
    rel = small_release(tmp_path / "rel", script)
    (rel / "requirements.txt").write_text("numpy==2.4.6\nsafetensors==0.8.0\n")
    rep = reproduce(rel, ReplayOptions(yes=True, timeout_seconds=60)).reproduction
    assert rep.grade == "within-tolerance", (rep.reason, rep.log_tail)
    strict = reproduce(rel, ReplayOptions(yes=True, timeout_seconds=60, atol=0.0, rtol=0.0)).reproduction
    assert strict.grade == "differs" and strict.files[0].worst[0].name == "w"


@needs_bwrap
def test_an_output_not_written_is_named(tmp_path) -> None:
    rel = small_release(tmp_path / "rel", "print('trained nothing')\n")
    rep = reproduce(rel, ReplayOptions(yes=True, timeout_seconds=60)).reproduction
    assert rep.grade == "differs" and rep.files[0].grade == "not-produced"


@needs_bwrap
def test_a_package_that_cannot_be_installed_is_could_not_run(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # no network in tests: pip fails at once
    rel = small_release(tmp_path / "rel", "print('x')\n")
    (rel / "requirements.txt").write_text("trueopen-no-such-package==1.0\n")
    rep = reproduce(rel, ReplayOptions(yes=True)).reproduction
    assert rep.grade == "could-not-run" and "environment could not be built" in rep.reason
    assert "trueopen-no-such-package==1.0" in rep.reason


def test_nothing_to_run_needs_no_agreement(tmp_path) -> None:
    rel = write_release(tmp_path / "rel", {"README.md": "# m\n", "model.safetensors": safetensors_bytes()})
    a = reproduce(rel, ReplayOptions(yes=False))
    assert a.reproduction.grade == "could-not-run" and "nothing to run" in a.reproduction.reason
    assert "--command" in a.reproduction.reason


def test_out_must_be_a_new_folder(tmp_path) -> None:
    rel, canary = canary_release(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="new or empty folder"):
        reproduce(rel, ReplayOptions(yes=True, sandbox=False, out=out))
    assert (out / "keep.txt").read_text() == "mine" and not canary.exists()


def test_help_has_examples_and_exit_codes() -> None:
    proc = run_cli("reproduce", "--help")
    assert proc.returncode == 0
    assert "trueopen reproduce ./my-model --yes" in proc.stdout and "Exit codes" in proc.stdout


def test_gpu_devices_are_bound_and_nothing_writable_but_the_copy(tmp_path, monkeypatch) -> None:
    from trueopen.reproduce import sandbox

    monkeypatch.setattr(sandbox, "gpu_devices", lambda: ["/dev/nvidia0", "/dev/nvidiactl"])
    argv = sandbox.sandbox_argv("bwrap", work=tmp_path / "w", home=tmp_path / "h", read_only=[Path("/opt/py")],
                                command="true")
    binds = [argv[i + 1] for i, a in enumerate(argv) if a == "--ro-bind"]
    assert "/" not in binds and "/usr" in binds and "/opt/py" in binds  # the system, not the machine
    assert not any(b.startswith(("/home", "/root", "/work", "/srv", "/mnt", "/run", "/tmp")) for b in binds)
    assert ["--dev-bind", "/dev/nvidia0", "/dev/nvidia0"] == argv[argv.index("/dev/nvidia0") - 1:argv.index("/dev/nvidia0") + 2]
    writable = [argv[i + 1] for i, a in enumerate(argv) if a == "--bind"]
    assert writable == [str(tmp_path / "h"), str(tmp_path / "w")]
    assert "--unshare-all" in argv and argv[-3:] == ["/bin/sh", "-ec", "true"]


@needs_bwrap
def test_the_published_weights_cannot_be_fetched_from_the_release_folder(tmp_path) -> None:
    rel = small_release(tmp_path / "rel", "")
    (rel / "step.py").write_text(f"import shutil\nshutil.copy({str(rel / 'model.safetensors')!r}, 'model.safetensors')\n")
    rep = reproduce(rel, ReplayOptions(yes=True, timeout_seconds=60)).reproduction
    assert rep.grade == "could-not-run" and any("No such file" in line for line in rep.log_tail), rep.log_tail


@needs_bwrap
def test_a_link_to_the_published_file_is_not_a_rebuilt_file(tmp_path) -> None:
    rel = small_release(tmp_path / "rel", "")
    (rel / "step.py").write_text(f"import os\nos.symlink({str(rel / 'model.safetensors')!r}, 'model.safetensors')\n")
    rep = reproduce(rel, ReplayOptions(yes=True, timeout_seconds=60)).reproduction
    assert rep.grade == "differs" and rep.files[0].grade == "not-produced" and "link" in rep.files[0].detail


@needs_bwrap
def test_in_memory_folders_count_against_a_limit(tmp_path) -> None:
    rel = small_release(tmp_path / "rel", "open('/dev/shm/big', 'wb').write(b'0' * 80_000_000)\n")
    rep = reproduce(rel, ReplayOptions(yes=True, disk_bytes=100_000_000, timeout_seconds=60)).reproduction
    assert rep.grade == "could-not-run" and any("No space left" in line for line in rep.log_tail), rep.log_tail


@needs_bwrap
def test_scripts_stay_executable(tmp_path) -> None:
    rel = small_release(tmp_path / "rel", "print('unused')\n", "./run.sh")
    (rel / "run.sh").write_text("#!/bin/sh\npython -c \"print('ran')\"\n")
    (rel / "run.sh").chmod(0o755)
    rep = reproduce(rel, ReplayOptions(yes=True, timeout_seconds=60)).reproduction
    assert rep.exit_code == 0 and "ran" in rep.log_tail, rep.log_tail


def test_a_packages_pth_file_never_runs_outside_the_sandbox(tmp_path, monkeypatch) -> None:
    """The replay describes its environment from metadata files; it never starts the venv's Python
    on the host after packages are in it (a .pth line runs at every interpreter start)."""
    from trueopen.reproduce import replay

    canary = tmp_path / "pth-canary"

    def fake_install(python, site, pins, local, log):
        (site / "evil.pth").write_text(f"import os; open({str(canary)!r}, 'w').write('ran')\n")
        return {}

    monkeypatch.setattr(replay, "_install", fake_install)
    rel = small_release(tmp_path / "rel", "print('ok')\n")
    rep = reproduce(rel, ReplayOptions(yes=True, sandbox=False, timeout_seconds=60,
                                       commands=("true",))).reproduction  # no Python started by the recipe
    assert rep.environment["python"]["version"]
    assert not canary.exists()


@pytest.mark.parametrize("bad", ["--index-url=https://evil.example/simple==1", "x/../../evil==1", "numpy==1 --log=/tmp/x"])
def test_manifest_packages_that_are_not_pins_are_left_out(bad) -> None:
    from trueopen.reproduce.manifest import Package, describe_environment

    man = describe_environment()
    name, _, version = bad.partition("==")
    evil = man.model_copy(update={"packages": [Package(name=name, version=version), Package(name="numpy", version="2.4.6")]})
    assert evil.pins() == ["numpy==2.4.6"]


def test_a_stated_python_version_is_never_a_path(tmp_path, monkeypatch) -> None:
    from trueopen.reproduce import replay

    asked = []
    monkeypatch.setattr(replay.shutil, "which", lambda name: asked.append(name))
    monkeypatch.setattr(replay, "_run_logged", lambda argv, log, what: (_ for _ in ()).throw(replay._EnvError("stop")))
    for stated in ("x/evil", "3.10/../../bin/sh", "3.9"):
        with pytest.raises(replay._EnvError):
            replay._make_venv(tmp_path / "v", None, stated, tmp_path / "log")
    assert asked == ["python3.9"]
