"""The GitHub Action and the pre-commit hooks run the gate as documented: their shell steps are
run here with the runner's environment faked (no network: trueopen is already installed)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from builders import EXAMPLES
from reports.validators import sarif_errors

REPO = Path(__file__).resolve().parents[2]
BIN = str(Path(sys.executable).parent)


def _run_action(tmp_path: Path, target: Path, policy: str) -> tuple[int, dict[str, str], Path]:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    inputs = {k: v.get("default", "") for k, v in action["inputs"].items()}
    inputs.update(target=str(target), policy=policy, hash="false")
    runner = tmp_path / "runner"
    runner.mkdir()
    files = {"GITHUB_STEP_SUMMARY": runner / "summary.md", "GITHUB_OUTPUT": runner / "output.txt"}
    code = 0
    for step in action["runs"]["steps"]:
        if step.get("name") not in ("Audit", "Check the policy"):
            continue  # setup-python and pip install: done by make test
        env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"], "RUNNER_TEMP": str(runner),
               **{k: str(v) for k, v in files.items()}}
        for key, value in step.get("env", {}).items():  # `${{ inputs.NAME }}` as the runner expands it
            name = value.strip().removeprefix("${{ inputs.").removesuffix("}}").strip()
            env[key] = str(inputs[name])
        proc = subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)
        code = proc.returncode
        if code and step["name"] == "Audit":
            pytest.fail(proc.stderr)
    outputs = dict(line.split("=", 1) for line in files["GITHUB_OUTPUT"].read_text().splitlines() if "=" in line)
    return code, outputs, files["GITHUB_STEP_SUMMARY"]


def test_action_fails_the_job_on_a_failing_policy(tmp_path) -> None:
    code, outputs, summary = _run_action(tmp_path, EXAMPLES / "openwashed", "open-source")
    assert code == 1 and outputs["passed"] == "false"
    text = summary.read_text()
    assert "## trueopen audit: Llama-3.1-Meridian-Tiny" in text and "| `no_openwashing` | **fail** |" in text
    sarif = (tmp_path / "trueopen.sarif").read_text()
    assert sarif_errors(sarif) == [] and "trueopen/openwashing" in sarif


def test_action_passes_a_passing_policy(tmp_path) -> None:
    code, outputs, _ = _run_action(tmp_path, EXAMPLES / "open-weights", "commercial-use")
    assert code == 0 and outputs["passed"] == "true"


@pytest.mark.parametrize("example,code", [("fully-open", 0), ("openwashed", 1)])
def test_pre_commit_hook_gates_the_repository(tmp_path, example, code) -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    hook = hooks["trueopen-check"]
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES / example, repo)
    cmd = shlex.split(hook["entry"]) + hook["args"]
    proc = subprocess.run(cmd, cwd=repo, env={**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"]},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == code, proc.stderr
    assert ("PASS" if code == 0 else "FAIL") in proc.stdout
