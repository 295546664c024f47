"""The fully-open example's weights really come from its recipe.

Copies examples/fully-open to a temporary folder, deletes everything the recipe produces,
runs preprocess.py and train.py there, and checks that the rebuilt data, final weights and
checkpoints are byte-identical to the committed ones.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numpy")
pytest.importorskip("safetensors")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fully-open"
CHECKPOINTS = ["step-000100", "step-000200", "step-000300"]
PRODUCED = ["data/train.txt", "data/valid.txt", "model.safetensors", "training_log.jsonl",
            "training_args.json"] + [f"checkpoints/{c}/model.safetensors" for c in CHECKPOINTS]


def run(script: str, cwd: Path) -> None:
    result = subprocess.run([sys.executable, script], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def retrained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("fully-open") / "fully-open"
    shutil.copytree(EXAMPLE, work)
    shutil.rmtree(work / "checkpoints")
    for rel in PRODUCED:
        (work / rel).unlink(missing_ok=True)
    run("preprocess.py", work)
    run("train.py", work)
    return work


def test_committed_outputs_exist() -> None:
    for rel in PRODUCED:
        assert (EXAMPLE / rel).is_file(), rel


def test_preprocessing_reproduces_the_committed_data(retrained: Path) -> None:
    for rel in ("data/train.txt", "data/valid.txt"):
        assert (retrained / rel).read_bytes() == (EXAMPLE / rel).read_bytes(), rel


def test_training_reproduces_the_committed_weights(retrained: Path) -> None:
    assert (retrained / "model.safetensors").read_bytes() == (EXAMPLE / "model.safetensors").read_bytes()
    assert (retrained / "training_log.jsonl").read_bytes() == (EXAMPLE / "training_log.jsonl").read_bytes()


def test_training_writes_the_committed_checkpoints(retrained: Path) -> None:
    produced = sorted(p.name for p in (retrained / "checkpoints").iterdir())
    assert produced == CHECKPOINTS
    for step in CHECKPOINTS:
        rel = f"checkpoints/{step}/model.safetensors"
        assert (retrained / rel).is_file(), rel
        assert (retrained / rel).read_bytes() == (EXAMPLE / rel).read_bytes(), rel
