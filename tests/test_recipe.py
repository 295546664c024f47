"""The recipe: hyperparameters, seeds, framework versions, data order and hardware."""

from __future__ import annotations

from trueopen.audit import audit


def _recipe(release, files):
    return audit(release(files), hash_contents=False).recipe


def _details(items) -> list[tuple[str, int | None]]:
    return [(e.path, e.line) for e in items]


def test_training_config_yaml(release) -> None:
    r = _recipe(release, {"configs/train.yaml": "model: tiny\nlearning_rate: 3.0e-4\nbatch_size: 32\nmax_steps: 1000\n"
                          "lr_scheduler: cosine\nweight_decay: 0.1\nseed: 42\nshuffle_seed: 7\nhardware: 8x A100\n"})
    assert _details(r.hyperparameters) == [("configs/train.yaml", n) for n in (2, 3, 4, 5, 6)]
    assert ("configs/train.yaml", 7) in _details(r.seeds)
    assert ("configs/train.yaml", 8) in _details(r.data_order)
    assert ("configs/train.yaml", 9) in _details(r.hardware)


def test_argparse_defaults_and_seed_calls(release) -> None:
    code = ("import argparse, torch\np = argparse.ArgumentParser()\n"
            "p.add_argument('--lr', type=float, default=1e-3)\np.add_argument('--epochs', type=int, default=3)\n"
            "torch.manual_seed(1234)\n")
    r = _recipe(release, {"train.py": code})
    assert _details(r.hyperparameters) == [("train.py", 3), ("train.py", 4)]
    assert _details(r.seeds) == [("train.py", 5)]


def test_json_trainer_args(release) -> None:
    r = _recipe(release, {"training_args.json": '{\n  "learning_rate": 2e-05,\n  "num_train_epochs": 3,\n  "seed": 42,\n  "data_seed": 1\n}\n'})
    assert [e.line for e in r.hyperparameters] == [2, 3]
    assert [e.line for e in r.seeds] == [4, 5]


def test_framework_versions(release) -> None:
    r = _recipe(release, {
        "requirements.txt": "# deps\ntorch==2.3.1\ntransformers>=4.40\nnumpy\n-e .\n",
        "config.json": '{\n  "model_type": "llama",\n  "transformers_version": "4.44.0"\n}\n',
        "poetry.lock": "[[package]]\n",
    })
    details = {e.detail for e in r.framework_versions}
    assert "torch==2.3.1 (pinned)" in details
    assert "transformers>=4.40 (range)" in details
    assert "numpy (unpinned)" in details
    assert "transformers_version = 4.44.0 (pinned)" in details
    assert any(e.path == "poetry.lock" for e in r.framework_versions)


def test_environment_yml(release) -> None:
    r = _recipe(release, {"environment.yml": "dependencies:\n  - python=3.11\n  - pip:\n    - torch==2.1.0\n"})
    assert {e.detail for e in r.framework_versions} >= {"python=3.11 (pinned)", "torch==2.1.0 (pinned)"}


def test_card_prose(release) -> None:
    card = ("# M\n\n## Training\n\nWe trained with a learning rate of 3e-4 and a batch size of 256 on 64 H100 GPUs "
            "for 2,000 GPU hours with random seed 17.\nThe data order is fixed by a shuffled index.\n")
    r = _recipe(release, {"README.md": card})
    assert all(e.path == "README.md" and e.line == 5 for e in r.hyperparameters + r.seeds + r.hardware)
    assert r.hyperparameters and r.seeds and r.hardware
    assert [e.line for e in r.data_order] == [6]


def test_data_order_files(release) -> None:
    r = _recipe(release, {"data/global_indices.npy": b"\x93NUMPY", "README.md": "# M\n"})
    assert _details(r.data_order) == [("data/global_indices.npy", None)]


def test_empty_recipe(release) -> None:
    r = _recipe(release, {"README.md": "# M\n", "model.safetensors": b"x"})
    assert not (r.hyperparameters or r.seeds or r.framework_versions or r.data_order or r.hardware)
