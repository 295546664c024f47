"""Readiness to be rebuilt, judged without running anything (verdicts.reproducibility)."""

from __future__ import annotations

import json

import pytest

from builders import EXAMPLES, safetensors_bytes
from trueopen.audit import audit

TRAIN = "import numpy as np\nnp.random.seed(7)\nlearning_rate = 0.1\nshuffle_seed = 3\n"
CARD = """---
license: mit
---
# m

Trained on 1 CPU core.

## How to reproduce

```bash
pip install -r requirements.txt
python train.py --out model.safetensors   # writes the weights
```
"""


def facts(a) -> dict[str, str]:
    return {f.id: f.status for f in a.verdicts.reproducibility.facts}


def base(**over) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {"README.md": CARD, "train.py": TRAIN, "requirements.txt": "numpy==2.4.6\n",
                                     "data/train.txt": "hello world\n", "model.safetensors": safetensors_bytes(),
                                     "LICENSE": "MIT License\n"}
    files.update(over)
    return {k: v for k, v in files.items() if v is not None}


def test_the_fully_open_example_is_replayable_with_a_plan() -> None:
    r = audit(EXAMPLES / "fully-open").verdicts.reproducibility
    assert r.grade == "replayable" and r.missing == []
    assert all(f.evidence for f in r.facts)
    plan = r.plan
    assert plan.commands[:2] == ["python preprocess.py", "python train.py"]
    assert plan.commands_from.path == "README.md" and plan.commands_from.line
    assert plan.requirements == ["numpy==2.4.6", "safetensors==0.8.0"] and plan.python == "3.11"
    outputs = {o.path: o.sha256 for o in plan.outputs}
    assert set(outputs) == {"model.safetensors", *(f"checkpoints/step-000{n}00/model.safetensors" for n in (1, 2, 3))}
    assert outputs["model.safetensors"] == "db3c15ff3ff08e56fe16f983456371e16d1f44be2e352a643a9febad7b19655a"


def test_an_unpinned_requirement_and_no_seed_are_not_replayable_and_named(release) -> None:
    a = audit(release(base(**{"requirements.txt": "numpy\nsafetensors==0.8.0\n",
                              "train.py": "learning_rate = 0.1\nshuffle_seed_order = 1\n"})))
    r = a.verdicts.reproducibility
    assert r.grade == "not-replayable"
    assert {"framework_versions", "seeds"} <= set(r.missing)
    versions = next(f for f in r.facts if f.id == "framework_versions")
    assert "numpy" in versions.detail and versions.evidence[0].where() == "requirements.txt:1"
    assert r.plan.requirements == ["safetensors==0.8.0"] and r.plan.skipped_requirements == ["numpy"]


def test_ranges_are_partial_not_missing(release) -> None:
    r = audit(release(base(**{"requirements.txt": "numpy>=1.26\n"}))).verdicts.reproducibility
    assert next(f for f in r.facts if f.id == "framework_versions").status == "partial"
    assert r.grade == "partial"


def test_a_lock_file_states_the_versions(release) -> None:
    r = audit(release(base(**{"requirements.txt": None, "uv.lock": "version = 1\n"}))).verdicts.reproducibility
    assert next(f for f in r.facts if f.id == "framework_versions").status == "stated"
    assert r.plan.skipped_requirements == ["uv.lock: a lock file, installed with its own tool, not by the replay"]


def test_a_documented_script_that_is_not_shipped_is_partial(release) -> None:
    a = audit(release(base(**{"train.py": None, "run.py": TRAIN})))
    command = next(f for f in a.verdicts.reproducibility.facts if f.id == "command")
    assert command.status == "partial" and "train.py" in command.detail


def test_a_makefile_target_is_a_command(release) -> None:
    card = "# m\n\nNo instructions.\n"
    a = audit(release(base(**{"README.md": card, "Makefile": "all:\n\techo hi\n\ntrain:\n\tpython train.py\n"})))
    r = a.verdicts.reproducibility
    command = next(f for f in r.facts if f.id == "command")
    assert command.status == "stated" and r.plan.commands == ["make train"]
    assert command.evidence[0].where() == "Makefile:4"


def test_a_training_script_alone_is_a_partial_command(release) -> None:
    a = audit(release(base(**{"README.md": "# m\n"})))
    r = a.verdicts.reproducibility
    assert facts(a)["command"] == "partial" and r.plan.commands == ["python train.py"]


def test_nothing_to_run_is_not_replayable(release) -> None:
    a = audit(release({"README.md": "# m\n", "model.safetensors": safetensors_bytes()}))
    r = a.verdicts.reproducibility
    assert r.grade == "not-replayable" and r.plan.commands == []
    assert set(r.missing) == {"command", "framework_versions", "seeds", "data", "hyperparameters", "data_order", "hardware"}


@pytest.mark.parametrize(("ref", "status"), [
    ("hf://datasets/org/corpus@0123456789abcdef0123456789abcdef01234567", "stated"),
    ("https://huggingface.co/datasets/org/corpus", "partial"),
])
def test_referenced_data_needs_an_immutable_revision(release, ref, status) -> None:
    card = CARD.replace("Trained on", f"Training data: [{ref}]({ref.replace('hf://', 'https://huggingface.co/')}).\n\nTrained on")
    a = audit(release(base(**{"README.md": card, "data/train.txt": None})))
    data = next(f for f in a.verdicts.reproducibility.facts if f.id == "data")
    assert data.status == status, data


def test_a_recipe_manifest_is_first_class_evidence(release) -> None:
    from trueopen.reproduce.manifest import describe_environment

    man = describe_environment(env={"PYTHONHASHSEED": "0", "TRAIN_SEED": "42"})
    data = json.loads(man.to_json())
    data["command"] = {"argv": ["python", "train.py", "--seed", "42"], "exit_code": 0, "seconds": 1.0}
    a = audit(release(base(**{"requirements.txt": None, "train.py": "print('train')\n",
                              "trueopen-recipe.json": json.dumps(data)})))
    r = a.verdicts.reproducibility
    assert facts(a)["framework_versions"] == "stated" and facts(a)["seeds"] == "stated"
    assert r.plan.commands == ["python train.py --seed 42"] and r.plan.commands_from.path == "trueopen-recipe.json"
    assert "pydantic==" + next(p.version for p in man.packages if p.name == "pydantic") in r.plan.requirements
    assert not any(p.startswith(("pip==", "trueopen==")) for p in r.plan.requirements)
    assert any(e.path == "trueopen-recipe.json" and "TRAIN_SEED=42" in e.detail for e in a.recipe.seeds)


def test_a_broken_manifest_is_a_finding_and_not_counted(release) -> None:
    a = audit(release(base(**{"trueopen-recipe.json": '{"manifest_version": 1, "tool": 3}'})))
    found = [f for f in a.findings if f.rule == "recipe-manifest-invalid"]
    assert found and "trueopen-recipe.json" in found[0].message
    assert not any(e.path == "trueopen-recipe.json" for e in a.recipe.framework_versions)


def test_readiness_is_deterministic(release) -> None:
    folder = release(base())
    assert audit(folder).to_json() == audit(folder).to_json()


def test_a_command_with_parts_to_fill_in_is_partial(release) -> None:
    card = CARD.replace("python train.py --out model.safetensors", "torchrun --nproc_per_node=8 train.py \\\n    {path_to_config}")
    r = audit(release(base(**{"README.md": card}))).verdicts.reproducibility
    command = next(f for f in r.facts if f.id == "command")
    assert r.plan.commands == ["torchrun --nproc_per_node=8 train.py {path_to_config}"]  # continued lines joined
    assert command.status == "partial" and "{path_to_config}" in command.detail


def test_an_inference_example_under_pretrained_models_is_not_the_recipe(release) -> None:
    card = "# m\n\n### Pretrained Models\n\n```\ntorchrun --nproc_per_node 1 example_text_completion.py --ckpt_dir x\n```\n"
    r = audit(release(base(**{"README.md": card, "train.py": None}))).verdicts.reproducibility
    assert next(f for f in r.facts if f.id == "command").status == "missing" and r.plan.commands == []


def test_docs_and_sub_folder_requirements_are_not_the_environment(release) -> None:
    files = base(**{"docs/requirements.txt": "sphinx\n", "tools/requirements.txt": "black\n"})
    r = audit(release(files)).verdicts.reproducibility
    versions = next(f for f in r.facts if f.id == "framework_versions")
    assert versions.status == "stated" and [e.path for e in versions.evidence] == ["requirements.txt"]
    assert r.plan.requirements == ["numpy==2.4.6"] and r.plan.skipped_requirements == []
    files = base(**{"requirements.txt": None, "docs/requirements.txt": "sphinx\n", "tools/requirements.txt": "black==24.1.0\n"})
    versions = next(f for f in audit(release(files, name="rel2")).verdicts.reproducibility.facts if f.id == "framework_versions")
    assert versions.status == "stated" and [e.path for e in versions.evidence] == ["tools/requirements.txt"]


def test_shell_setup_lines_stay_in_the_plan(release) -> None:
    card = CARD.replace("python train.py --out model.safetensors   # writes the weights",
                        "export DATA_DIR=data\ncd .\nSEED=1 python train.py --out model.safetensors")
    r = audit(release(base(**{"README.md": card}))).verdicts.reproducibility
    assert r.plan.commands == ["export DATA_DIR=data", "cd .", "SEED=1 python train.py --out model.safetensors"]


def test_a_command_with_the_authors_paths_is_partial(release) -> None:
    card = CARD.replace("python train.py --out model.safetensors", "python train.py --data /data/shared/corpus --out m")
    command = next(f for f in audit(release(base(**{"README.md": card}))).verdicts.reproducibility.facts if f.id == "command")
    assert command.status == "partial" and "/data/shared/corpus" in command.detail


def test_seeds_only_in_tests_are_not_the_training_runs(release) -> None:
    files = base(**{"train.py": "learning_rate = 0.1\n", "tests/test_model.py": "import random\nrandom.seed(3)\n"})
    seeds = next(f for f in audit(release(files)).verdicts.reproducibility.facts if f.id == "seeds")
    assert seeds.status == "partial" and "only in tests" in seeds.detail
