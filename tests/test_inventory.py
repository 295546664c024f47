"""Component rules: every way a file or the card shows a component is present."""

from __future__ import annotations

import pytest

from builders import safetensors_bytes
from trueopen.audit import audit

APACHE_NOTICE = "Licensed under the Apache License, Version 2.0\n"
CARD = "---\nlicense: apache-2.0\n---\n# Model\n\n" + "This model card describes a small model for testing the inventory. " * 3 + "\n"


def _components(release, files: dict[str, str | bytes]) -> dict:
    files = {"README.md": CARD, **files}
    a = audit(release(files), hash_contents=False)
    return {c.id: c for c in a.components}


def _present(release, files, component: str) -> bool:
    return _components(release, files)[component].present


@pytest.mark.parametrize("path", [
    "model.safetensors", "pytorch_model.bin", "model.pt", "weights.pth", "last.ckpt", "model-q4.gguf",
    "model.onnx", "tf_model.h5", "model.keras", "flax_model.msgpack", "params.npz",
])
def test_final_weights_by_extension(release, path) -> None:
    c = _components(release, {path: safetensors_bytes() if path.endswith("safetensors") else b"\x80\x02}q\x00."})
    assert c["model-parameters-final"].present
    assert not c["model-parameters-intermediate"].present


@pytest.mark.parametrize("path", [
    "checkpoint-500/model.safetensors", "checkpoints/step-000100/model.safetensors", "step1000/model.safetensors",
    "global_step200/weights.pt", "intermediate/epoch-3.safetensors", "ckpts/model_step_2000.safetensors",
])
def test_intermediate_checkpoints(release, path) -> None:
    c = _components(release, {path: safetensors_bytes(), "model.safetensors": safetensors_bytes()})
    assert c["model-parameters-intermediate"].present
    assert any(e.path == path for e in c["model-parameters-intermediate"].evidence)
    assert all(e.path != path for e in c["model-parameters-final"].evidence)


def test_zero_byte_weights_are_not_parameters(release) -> None:
    a = audit(release({"README.md": CARD, "model.safetensors": b""}), hash_contents=False)
    comp = {c.id: c for c in a.components}
    assert not comp["model-parameters-final"].present
    assert "empty-weights" in {f.rule for f in a.findings}
    assert a.verdicts.label == "closed"


def test_sharded_weights_with_index(release) -> None:
    c = _components(release, {
        "model-00001-of-00002.safetensors": safetensors_bytes({"a": (2,)}),
        "model-00002-of-00002.safetensors": safetensors_bytes({"b": (2,)}),
        "model.safetensors.index.json": '{"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}',
    })
    paths = {e.path for e in c["model-parameters-final"].evidence}
    assert {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"} <= paths


def test_architecture_from_config_json(release) -> None:
    c = _components(release, {"config.json": '{\n  "architectures": ["LlamaForCausalLM"],\n  "model_type": "llama"\n}\n'})
    (ev,) = [e for e in c["model-architecture"].evidence if e.path == "config.json"]
    assert ev.line == 2 and "LlamaForCausalLM" in ev.detail
    assert c["model-metadata"].present


def test_config_without_architecture_is_only_metadata(release) -> None:
    c = _components(release, {"config.json": '{"hidden_size": 4}'})
    assert not c["model-architecture"].present and c["model-metadata"].present


def test_architecture_from_modelling_code(release) -> None:
    code = "import torch\n\nclass Tiny(nn.Module):\n    def forward(self, x):\n        return x\n"
    c = _components(release, {"src/net.py": code})
    assert c["model-architecture"].present
    assert c["model-architecture"].evidence[0].line == 3


TRAIN_TORCH = "import torch\nmodel = build()\nopt = torch.optim.AdamW(model.parameters(), lr=1e-3)\nfor batch in data:\n    loss = model(batch)\n    loss.backward()\n    opt.step()\n"
TRAIN_HF = "from transformers import Trainer\ntrainer = Trainer(model=model, args=args)\ntrainer.train()\n"
TRAIN_NUMPY = "import numpy as np\nfor step in range(100):\n    grad = compute(w)\n    w -= lr * grad\n"


@pytest.mark.parametrize("name,code", [("scripts/run.py", TRAIN_TORCH), ("run_hf.py", TRAIN_HF), ("fit.py", TRAIN_NUMPY)])
def test_training_code_by_content(release, name, code) -> None:
    assert _present(release, {name: code}, "training-code")


@pytest.mark.parametrize("name", ["finetune.py", "finetune/sft/main.py", "ptuning/main.py", "examples/lora.py",
                                  "cookbook/dpo_train.py", "scripts/sft.py"])
def test_fine_tuning_scripts_of_a_base_model_are_not_its_training_code(release, name) -> None:
    """Qwen's finetune.py, Yi's finetune/sft/main.py, ChatGLM-6B's ptuning/main.py, Gemma's
    examples/: in the release of a base model they adapt it, they did not make it (the Model
    Openness Tool lists no training code for those models). Shown as weak evidence; the file is a
    tool for users."""
    c = _components(release, {name: TRAIN_HF})
    assert not c["training-code"].present and c["training-code"].status == "missing"
    assert any(e.path == name and "fine-tuning code" in e.detail for e in c["training-code"].evidence)
    assert any(e.path == name for e in c["supporting-libraries-and-tools"].evidence)


def test_a_fine_tunes_own_fine_tuning_code_is_its_training_code(release) -> None:
    card = "---\nlicense: apache-2.0\nbase_model: org/base-7b\n---\n# A fine-tune\n\n" + "Tuned for chat. " * 10 + "\n"
    c = _components(release, {"README.md": card, "finetune.py": TRAIN_HF})
    assert c["training-code"].present


@pytest.mark.parametrize("name", ["tests/test_model.py", "gemma/nn/_modules_test.py", "test_train.py"])
def test_tests_are_not_training_code(release, name) -> None:
    c = _components(release, {name: TRAIN_TORCH})
    assert not c["training-code"].present
    assert any(e.path == name and "test code" in e.detail for e in c["training-code"].evidence)


def test_training_code_by_name_needs_some_code(release) -> None:
    assert _present(release, {"train.py": "import sys\nargs = parse()\nrun(args)\nsave()\n"}, "training-code")
    assert not _present(release, {"train.py": "# TODO\n"}, "training-code")


def test_training_config_alone_is_not_training_code(release) -> None:
    c = _components(release, {"configs/train.yaml": "learning_rate: 0.001\nmax_steps: 100\n"})
    assert not c["training-code"].present
    assert c["training-code"].evidence  # kept as supporting evidence
    assert c["model-metadata"].present


@pytest.mark.parametrize("name,code,component", [
    ("infer.py", "import x\nmodel = load()\nprint(run(model))\n", "inference-code"),
    ("chat_demo.py", "out = model.generate(ids, max_new_tokens=20)\n", "inference-code"),
    ("scripts/score.py", "ppl = perplexity(model, data)\n", "evaluation-code"),
    ("run_bench.py", "import evaluate\nm = evaluate.load('accuracy')\n", "evaluation-code"),
    ("prepare_data.py", "import json\nrows = read()\nwrite(rows)\n", "data-preprocessing-code"),
    ("tools/corpus.py", "def clean_text(s):\n    return s.strip()\n", "data-preprocessing-code"),
    ("tokenization_tiny.py", "class Tok:\n    pass\nVOCAB = {}\n", "supporting-libraries-and-tools"),
])
def test_code_roles(release, name, code, component) -> None:
    assert _present(release, {name: code}, component)


@pytest.mark.parametrize("name", ["requirements.txt", "environment.yml", "pyproject.toml"])
def test_supporting_manifests(release, name) -> None:
    assert _present(release, {name: "numpy==2.0.0\n"}, "supporting-libraries-and-tools")


@pytest.mark.parametrize("path,component", [
    ("data/train.parquet", "datasets"), ("corpus/shard-0001.jsonl", "datasets"), ("data/train.txt", "datasets"),
    ("data/rows.csv", "datasets"), ("train.arrow", "datasets"),
    ("eval/eval.txt", "evaluation-data"), ("benchmarks/qa.jsonl", "evaluation-data"), ("eval_set.jsonl", "evaluation-data"),
])
def test_data_files(release, path, component) -> None:
    c = _components(release, {path: "x\n"})
    assert c[component].present
    other = "evaluation-data" if component == "datasets" else "datasets"
    assert not c[other].present


EVAL_README = ("This directory supplements the paper with more details on how we prepared the data for evaluation, "
               "to help replicate our experiments.\n\n## FLEURS\n\nWe used the test split of "
               "[google/fleurs](https://huggingface.co/datasets/google/fleurs).\n")


def test_a_data_folder_said_to_be_for_evaluation_is_evaluation_data(release) -> None:
    """Whisper's data/ folder: its README opens by saying the data is for evaluation, so its files
    and the datasets the README names are evaluation data, and the README is no training-data card
    (it used to make training data present and OSAID's data information met)."""
    c = _components(release, {"data/README.md": EVAL_README, "data/meanwhile.json": '{"a": 1}\n'})
    assert not c["datasets"].present and c["datasets"].status != "referenced"
    assert not c["data-card"].present
    ev = c["evaluation-data"]
    assert ev.present
    by_path = {(e.path, e.line): e.detail for e in ev.evidence}
    assert by_path[("data/meanwhile.json", None)] == "evaluation data file"
    assert "describes evaluation data" in by_path[("data/README.md", 1)]
    assert any("google/fleurs" in d for d in by_path.values())


@pytest.mark.parametrize("opening", [
    "# Evaluation data\n\nThese sets are used for evaluation only; none of them were used for training the model.\n",
    "---\n" + "".join(f"- config_name: task{i}\n  data_files: task{i}/*.jsonl\n" for i in range(20)) + "---\n"
    "# Evaluation suite\n\nBenchmark data for evaluation of the model.\n",
    "This folder holds the benchmark data we report.\n",
])
def test_other_openings_that_say_evaluation_data(release, opening) -> None:
    c = _components(release, {"data/README.md": opening, "data/rows.json": '{"a": 1}\n'})
    assert c["evaluation-data"].present and not c["datasets"].present


@pytest.mark.parametrize("opening", [
    "# Training data\n\nThe corpus we used to pretrain the model, and the test split we held out for evaluation.\n",
    "This folder holds the data for training and for evaluation.\n",
    "# Data\n\nRows scraped from the web.\n",
    "# Data\n\n" + "Rows scraped from the web. " * 40 + "\nWe also keep test splits of two benchmarks for evaluation.\n",
    "## Training and evaluation data\n\nThe splits below come from the Common Voice release; see the table.\n",
    "# SFT mixture\n\nThe conversations we used for supervised fine-tuning. 1,000 are reserved for evaluation.\n",
    "# Dolma\n\nAn open corpus of web text, papers, code and books. A small sample is held out for evaluation.\n",
    "# Preference data\n\nPairs used for RLHF / DPO; a test split from the same pool is used for evaluation.\n",
    "# Data\n\nScraped forum posts, deduplicated. The quality of evaluation depends on this cleaning.\n",
    "# Corpus\n\nThe model has been trained on these shards. Evaluation sets are in eval/.\n",
])
def test_a_data_folder_not_said_to_be_only_for_evaluation_stays_training_data(release, opening) -> None:
    """Training spoken of in the opening in any way, no purpose at all, evaluation said only past
    the opening or only of a part: the folder stays training data and its README a data card."""
    c = _components(release, {"data/README.md": opening, "data/rows.json": '{"a": 1}\n'})
    assert c["datasets"].present and c["data-card"].present
    assert not c["evaluation-data"].present


def test_only_the_folders_own_readme_speaks_for_it(release) -> None:
    """A README_eval.md beside the folder's README speaks of a part, not the folder; a train/
    folder under an evaluation folder is training data (next test)."""
    c = _components(release, {"data/README.md": "# Corpus\n\nWeb text.\n", "data/README_eval.md": EVAL_README,
                              "data/rows.json": '{"a": 1}\n'})
    assert c["datasets"].present and not c["evaluation-data"].present

def test_a_training_subfolder_of_an_evaluation_folder_is_training_data(release) -> None:
    c = _components(release, {"data/README.md": EVAL_README, "data/meanwhile.json": '{"a": 1}\n',
                              "data/train/rows.json": '{"a": 1}\n'})
    assert {e.path for e in c["evaluation-data"].evidence if e.line is None} == {"data/meanwhile.json"}
    assert [e.path for e in c["datasets"].evidence] == ["data/train/rows.json"]


TRAINING_DATA = ("## Training Data\n\n" + "The models are trained on 680,000 hours of audio and the corresponding "
                 "transcripts collected from the internet, in 98 languages. " * 4 + "\n\n## Limitations\n\nSome.\n")


@pytest.mark.parametrize("name", ["model-card.md", "MODEL_CARD.md", "MODEL-CARD.md"])
def test_a_model_card_beside_the_readme_counts_as_the_card(release, name) -> None:
    """Whisper keeps its model card in model-card.md beside a project README: its sections are
    read as the card's (here a data section: the data card, MOT's shortcut)."""
    c = _components(release, {name: "# Model card\n\n" + TRAINING_DATA})
    assert {e.path for e in c["model-card"].evidence} == {"README.md", name}
    (ev,) = c["data-card"].evidence
    assert (ev.path, ev.line) == (name, 3) and "Training Data" in ev.detail


def test_a_model_card_beside_a_nested_scopes_card_or_in_a_with_location(release, tmp_path) -> None:
    """Every scope's model card by name counts: a model folder inside the release, and a location
    added with --with; a thin one beside a full card adds no thin-card finding."""
    from builders import write_release

    c = _components(release, {"pkg/model/README.md": CARD, "pkg/model/config.json": '{"model_type": "x"}',
                              "pkg/model/model-card.md": "# Model card\n\n" + TRAINING_DATA, "model_card.md": "See README.md.\n"})
    assert [e.path for e in c["data-card"].evidence] == ["pkg/model/model-card.md"]
    code = write_release(tmp_path / "code", {"README.md": CARD, "train.py": "import torch\n"})
    weights = write_release(tmp_path / "weights", {"README.md": CARD, "MODEL_CARD.md": "# Card\n\n" + TRAINING_DATA,
                                                   "model.safetensors": safetensors_bytes()})
    a = audit(code, with_=[weights], hash_contents=False)
    data_card = next(x for x in a.components if x.id == "data-card")
    assert [e.path for e in data_card.evidence] == ["weights/MODEL_CARD.md"]
    assert not [f for f in a.findings if f.rule == "thin-card"]


def test_a_model_card_below_the_root_is_not_the_card(release) -> None:
    c = _components(release, {"docs/model-card.md": "# Model card\n\n" + TRAINING_DATA})
    assert not c["data-card"].present
    assert [e.path for e in c["model-card"].evidence] == ["README.md"]


def test_the_readme_of_a_code_package_named_data_is_no_data_card(release) -> None:
    """Gemma's gemma/diffusion/hackable_diffusion_adapter/data/ holds data loaders (data.py) and a
    README about them: no data card of the model's training data."""
    readme = "# Data Pipelines\n\nThis package contains all data loading and preprocessing pipelines.\n"
    c = _components(release, {"pkg/adapter/data/README.md": readme, "pkg/adapter/data/data.py": "def load():\n    pass\n"})
    assert not c["data-card"].present
    c = _components(release, {"data/README.md": readme, "data/rows.json": '{"a": 1}\n'})
    assert c["data-card"].present


def test_txt_outside_data_folders_is_not_data(release) -> None:
    assert not _present(release, {"notes.txt": "hello\n"}, "datasets")


def test_dataset_referenced_in_card_is_referenced_not_present(release) -> None:
    card = "---\nlicense: apache-2.0\ndatasets:\n  - allenai/dolma\n---\n# M\n\n" + "word " * 30
    c = _components(release, {"README.md": card})
    ds = c["datasets"]
    # Someone else's dataset: referenced (never missing), and no licence is stated for it.
    assert ds.status == "referenced" and not ds.present and not ds.verified
    assert not ds.open and ds.license.expression is None
    assert ds.evidence[0].line == 3 and "allenai/dolma" in ds.evidence[0].detail
    assert [(r.kind, r.target, r.add_with) for r in ds.references] == [("hub-dataset", "allenai/dolma", "hf://datasets/allenai/dolma")]


@pytest.mark.parametrize("path,component", [
    ("eval_results.json", "evaluation-results"), ("results/all_results.json", "evaluation-results"),
    ("samples/outputs.jsonl", "sample-model-outputs"), ("generations.txt", "sample-model-outputs"),
    ("DATA_CARD.md", "data-card"), ("docs/datasheet.md", "data-card"), ("data/README.md", "data-card"),
    ("docs/technical-report.md", "technical-report"), ("tech_report.pdf", "technical-report"),
    ("paper.pdf", "research-paper"), ("docs/2403.13784.pdf", "research-paper"),
])
def test_documents_and_results_by_name(release, path, component) -> None:
    assert _present(release, {path: "content\n"}, component)


def test_model_card(release) -> None:
    assert _present(release, {}, "model-card")
    c = _components(release, {"README.md": "# M\nshort\n"})
    assert not c["model-card"].present


def test_model_index_results_in_card(release) -> None:
    card = ("---\nlicense: mit\nmodel-index:\n- name: m\n  results:\n  - task: {type: text-generation}\n"
            "    metrics:\n    - {type: accuracy, value: 0.5}\n---\n# M\n\n" + "word " * 30)
    ev = _components(release, {"README.md": card})["evaluation-results"].evidence
    assert ev[0].path == "README.md" and ev[0].line == 3


def test_results_table_in_card(release) -> None:
    card = CARD + "\n## Evaluation\n\n| task | score |\n|---|---|\n| hellaswag | 71.2 |\n"
    assert _present(release, {"README.md": card}, "evaluation-results")


def test_data_section_in_card_counts_as_data_card(release) -> None:
    card = CARD + "\n## Training data\n\n" + "The corpus was collected from public domain books and filtered. " * 8 + "\n"
    c = _components(release, {"README.md": card})
    assert c["data-card"].present
    assert "section" in c["data-card"].evidence[0].detail
    short = CARD + "\n## Training data\n\nWeb text.\n"
    assert not _components(release, {"README.md": short})["data-card"].present


def test_paper_link_is_referenced_but_not_open(release) -> None:
    card = CARD + "\nSee our paper: https://arxiv.org/abs/2402.00838\n"
    c = _components(release, {"README.md": card})["research-paper"]
    assert c.status == "referenced" and not c.present and not c.open and c.license.expression is None
    assert "arxiv.org/abs/2402.00838" in c.evidence[0].detail


def test_technical_report_link(release) -> None:
    card = CARD + "\nRead the technical report at https://arxiv.org/abs/2303.08774\n"
    c = _components(release, {"README.md": card})
    assert c["technical-report"].status == "referenced" and c["research-paper"].status == "missing"


def test_local_technical_report_stands_in_for_paper(release) -> None:
    c = _components(release, {"docs/technical-report.md": "# Report\n"})
    assert c["research-paper"].present and c["research-paper"].status == "present"


def test_metadata_files(release) -> None:
    for name in ("generation_config.json", "trainer_state.json", "training_args.bin", "optimizer.pt"):
        assert _present(release, {name: "{}"}, "model-metadata"), name


def test_a_dataset_named_in_a_training_subfolder_of_an_evaluation_folder_is_training_data(release) -> None:
    """The references follow the inventory's one rule: data/train/ under an evaluation data/ is
    training data, for the datasets its README names too."""
    c = _components(release, {"data/README.md": EVAL_README, "data/meanwhile.json": '{"a": 1}\n',
                              "data/train/README.md": "# Train\n\nRows from https://huggingface.co/datasets/org/corpus\n"})
    assert any("org/corpus" in e.detail for e in c["datasets"].evidence)
    assert not any("org/corpus" in e.detail for e in c["evaluation-data"].evidence)
