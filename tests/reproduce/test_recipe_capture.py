"""`trueopen recipe capture`: the manifest publishers ship (trueopen-recipe.json)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import jsonschema
import pytest

from builders import REPO
from trueopen.errors import InputError
from trueopen.reproduce.manifest import capture, json_schema, parse_manifest


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trueopen.cli", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env=env)


def test_the_committed_schema_is_current() -> None:
    committed = json.loads((REPO / "schema" / "recipe.schema.json").read_text())
    assert committed == json_schema(), "run: trueopen schema --recipe -o schema/recipe.schema.json"
    proc = run_cli("schema", "--recipe")
    assert json.loads(proc.stdout) == committed


def test_the_environment_alone(tmp_path) -> None:
    man = capture(None, folder=tmp_path)
    versions = {p.name.lower(): p.version for p in man.packages}
    assert versions["pydantic"] == metadata.version("pydantic") and versions["numpy"] == metadata.version("numpy")
    assert man.python.version == ".".join(map(str, sys.version_info[:3]))
    assert man.platform.machine and man.platform.cpu_count == os.cpu_count()
    assert man.command is None and man.inputs == [] and man.outputs == []
    assert [p.name.lower() for p in man.packages] == sorted(p.name.lower() for p in man.packages)


def test_a_command_with_its_inputs_outputs_and_seeds(tmp_path) -> None:
    (tmp_path / "data.txt").write_text("input\n")
    (tmp_path / "old.bin").write_bytes(b"old")
    script = "open('model.bin', 'wb').write(open('data.txt', 'rb').read() * 2); open('old.bin', 'wb').write(b'new')"
    env_seed = {**os.environ, "PYTHONHASHSEED": "0", "DATA_SEED": "9"}
    proc = run_cli("recipe", "capture", "-C", str(tmp_path), "--", sys.executable, "-c", script, "--seed", "1234",
                   env=env_seed)
    assert proc.returncode == 0, proc.stderr
    man = parse_manifest((tmp_path / "trueopen-recipe.json").read_text())
    jsonschema.validate(json.loads((tmp_path / "trueopen-recipe.json").read_text()), json_schema())
    assert man.command.argv[-2:] == ["--seed", "1234"] and man.command.exit_code == 0
    assert [f.path for f in man.inputs] == ["data.txt"]
    outputs = {f.path: f.sha256 for f in man.outputs}
    assert set(outputs) == {"model.bin", "old.bin"}
    import hashlib

    assert outputs["model.bin"] == hashlib.sha256(b"input\ninput\n").hexdigest()
    seeds = {(s.name, s.value, s.source) for s in man.seeds}
    assert ("seed", "1234", "command") in seeds and ("DATA_SEED", "9", "environment") in seeds
    assert man.settings["PYTHONHASHSEED"] == "0"
    assert "wrote" in proc.stderr


def test_a_failing_command_still_writes_the_manifest_and_exits_1(tmp_path) -> None:
    proc = run_cli("recipe", "capture", "-C", str(tmp_path), "--", sys.executable, "-c", "raise SystemExit(3)")
    assert proc.returncode == 1 and "exit status 3" in proc.stderr
    assert parse_manifest((tmp_path / "trueopen-recipe.json").read_text()).command.exit_code == 3


def test_a_second_capture_does_not_count_the_first_manifest(tmp_path) -> None:
    (tmp_path / "a.txt").write_text("a")
    for _ in range(2):
        man = capture([sys.executable, "-c", "pass"], folder=tmp_path)
        (tmp_path / "trueopen-recipe.json").write_text(man.to_json())
    assert [f.path for f in man.inputs] == ["a.txt"] and man.outputs == []


def test_to_standard_output(tmp_path) -> None:
    proc = run_cli("recipe", "capture", "-C", str(tmp_path), "-o", "-")
    assert proc.returncode == 0
    assert parse_manifest(proc.stdout).command is None
    assert not (tmp_path / "trueopen-recipe.json").exists()


@pytest.mark.parametrize("args, message", [
    (["-C", "/no/such/folder"], "no such folder"),
    (["--python", "/no/such/python"], "cannot describe this Python"),
    (["--", "/no/such/command"], "/no/such/command"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message) -> None:
    proc = run_cli("recipe", "capture", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("text", ["", "[]", '{"manifest_version": 1}', "x" * 10])
def test_a_bad_manifest_is_a_one_line_reason(text) -> None:
    with pytest.raises(ValueError) as exc:
        parse_manifest(text)
    assert "\n" not in str(exc.value)


def test_capture_refuses_a_missing_folder(tmp_path) -> None:
    with pytest.raises(InputError):
        capture(None, folder=tmp_path / "absent")


def test_the_commands_own_python_is_described(tmp_path) -> None:
    # `python train.py` runs the python on PATH: its packages are the recipe's, not trueopen's.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    script = tmp_path / "s.py"
    script.write_text("print('ran')\n")
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    proc = run_cli("recipe", "capture", "-C", str(tmp_path), "-o", "-", "--", "python", str(script), env=env)
    assert proc.returncode == 0, proc.stderr
    man = parse_manifest(proc.stdout)
    assert man.command.exit_code == 0
    assert not any(p.name.lower() == "pydantic" for p in man.packages)  # the bare venv's, not trueopen's
    own = capture(None, folder=tmp_path)
    assert any(p.name.lower() == "pydantic" for p in own.packages)


def test_torch_determinism_flags_and_seed_are_read_from_the_commands_processes(tmp_path) -> None:
    # A stand-in for torch with the functions the hook reads (torch itself is not installed here).
    fake = tmp_path / "lib" / "torch"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "import types\n_det = False\n_seed = 0\n"
        "def use_deterministic_algorithms(on): global _det; _det = on\n"
        "def are_deterministic_algorithms_enabled(): return _det\n"
        "def manual_seed(s): global _seed; _seed = s\n"
        "def initial_seed(): return _seed\n"
        "def get_num_threads(): return 3\n"
        "backends = types.SimpleNamespace(cudnn=types.SimpleNamespace(deterministic=True, benchmark=False))\n")
    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "sitecustomize.py").write_text("import os\nopen(os.environ['OWN_MARK'], 'w').write('chained')\n")
    script = "import torch\ntorch.use_deterministic_algorithms(True)\ntorch.manual_seed(1234)\n"
    env = {**os.environ, "PYTHONPATH": f"{tmp_path / 'lib'}{os.pathsep}{tmp_path / 'own'}",
           "OWN_MARK": str(tmp_path / "mark.txt")}
    proc = run_cli("recipe", "capture", "-C", str(tmp_path), "-o", "-", "--", sys.executable, "-c", script, env=env)
    assert proc.returncode == 0, proc.stderr
    man = parse_manifest(proc.stdout)
    assert man.settings["torch.deterministic_algorithms"] == "True"
    assert man.settings["torch.backends.cudnn.benchmark"] == "False" and man.settings["torch.num_threads"] == "3"
    assert "torch.backends.cuda.matmul.allow_tf32" not in man.settings  # not readable: left out, not guessed
    assert ("torch.initial_seed", "1234", "runtime") in {(s.name, s.value, s.source) for s in man.seeds}
    assert (tmp_path / "mark.txt").read_text() == "chained"  # the environment's own sitecustomize still ran


def test_without_torch_no_runtime_flags(tmp_path) -> None:
    man = capture([sys.executable, "-c", "print(1)"], folder=tmp_path)
    assert not any(k.startswith("torch.") for k in man.settings)
