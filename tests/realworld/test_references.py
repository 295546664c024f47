"""A release seen in part: referenced components (issue 8, item 1)."""

from __future__ import annotations

from builders import safetensors_bytes
from trueopen.audit import audit
from trueopen.formats.explain import explain
from trueopen.licenses.fulltext import spdx_texts

APACHE = spdx_texts()["Apache-2.0"][1]
MIT = spdx_texts()["MIT"][1]
TRAIN = "import torch\nopt = torch.optim.AdamW(params, lr=1e-3)\nfor b in data:\n    loss(b).backward()\n    opt.step()\n"
INFER = "out = model.generate(ids)\nprint(out)\n"
PREP = "def clean_text(s):\n    return s.strip()\n"
ARCH = "class Net(nn.Module):\n    def forward(self, x):\n        return x\n"
CODE = {"train.py": TRAIN, "infer.py": INFER, "preprocess.py": PREP, "modeling.py": ARCH}


def _c(a, cid):
    return next(c for c in a.components if c.id == cid)


def _olmo_like() -> dict:
    readme = ("# Acme: Open Language Model\n\nAcme is a fully open language model. Weights: "
              "[7B](https://huggingface.co/acme/acme-7b) and [13B](https://huggingface.co/acme/acme-13b).\n"
              "Trained on [acme/corpus](https://huggingface.co/datasets/acme/corpus); checkpoints every 1000 steps are kept.\n")
    return {"README.md": readme, "LICENSE": APACHE, **CODE}


def test_weights_on_the_hub_are_referenced_not_missing(release) -> None:
    a = audit(release(_olmo_like()), hash_contents=False)
    params = _c(a, "model-parameters-final")
    assert params.status == "referenced" and not params.present and not params.verified
    assert {r.target for r in params.references} == {"acme/acme-7b", "acme/acme-13b"}
    assert {r.add_with for r in params.references} == {"hf://acme/acme-7b", "hf://acme/acme-13b"}
    # The release states no licence for its weights: its own licence is assumed (and said so).
    assert params.license.expression == "Apache-2.0" and params.license.source == "release" and params.open
    assert _c(a, "model-parameters-intermediate").status == "referenced"
    assert _c(a, "datasets").status == "referenced" and _c(a, "data-card").status == "referenced"
    v = a.verdicts
    assert v.label != "closed" and "model-parameters-final" in v.unverified
    assert "model-parameters-final" not in v.mof.missing and "model-parameters-final" in v.mof.unverified


def test_a_code_release_with_referenced_weights_and_data_is_open_source_unverified(release) -> None:
    a = audit(release(_olmo_like()), hash_contents=False)
    v = a.verdicts
    assert v.osaid.conformant and v.label == "open-source"
    assert not v.openwashing.flagged  # its claim holds, counting what it references
    assert set(v.unverified) >= {"model-parameters-final", "data-card"}
    verify = next(f for f in explain(a) if f.id == "verify")
    assert any("--with hf://acme/acme-7b" in p.text for p in verify.points)


def test_download_urls_in_code_and_magnet_links_reference_weights(release) -> None:
    code = '_MODELS = {\n    "tiny": "https://cdn.example.com/models/abc123/tiny.pt",\n}\n'
    a = audit(release({"README.md": "# W\n\nWeights and code are released under the MIT License.\n", "LICENSE": MIT,
                       "w/__init__.py": code}), hash_contents=False)
    params = _c(a, "model-parameters-final")
    assert params.status == "referenced" and [r.kind for r in params.references] == ["url"]
    assert params.license.source == "statement" and params.license.expression == "MIT"
    b = audit(release({"README.md": "# G\n\nmagnet:?xt=urn:btih:5f96d43576e3d386c9ba65b883210a393b68210e\n"}, name="g"),
              hash_contents=False)
    assert [r.kind for r in _c(b, "model-parameters-final").references] == ["magnet"]


def test_other_orgs_models_and_the_base_model_are_not_this_releases_weights(release) -> None:
    readme = ("---\nbase_model: other/base\n---\n# Mine\n\n[a](https://huggingface.co/me/a) [b](https://huggingface.co/me/b) "
              "[c](https://huggingface.co/me/c)\nCompare with [x](https://huggingface.co/rival/x) and "
              "[base](https://huggingface.co/other/base).\n")
    refs = {r.target for r in _c(audit(release({"README.md": readme}), hash_contents=False), "model-parameters-final").references}
    assert refs == {"me/a", "me/b", "me/c"}


def test_evaluation_datasets_are_evaluation_data(release) -> None:
    readme = "# M\n\nWe evaluate on [acme/bench](https://huggingface.co/datasets/acme/bench), our benchmark.\n"
    a = audit(release({"README.md": readme}), hash_contents=False)
    assert _c(a, "evaluation-data").status == "referenced" and _c(a, "datasets").status == "missing"


def test_someone_elses_dataset_gets_no_assumed_licence(release) -> None:
    readme = "# M\n\nWeights: [m](https://huggingface.co/me/m). Trained on [pile](https://huggingface.co/datasets/they/pile).\n"
    a = audit(release({"README.md": readme, "LICENSE": APACHE}), hash_contents=False)
    ds = _c(a, "datasets")
    assert ds.status == "referenced" and ds.license.expression is None and not ds.open
    assert not ds.references[0].own and _c(a, "model-parameters-final").references[0].own


def test_nothing_referenced_nothing_present_is_closed(release) -> None:
    a = audit(release({"README.md": "# Tool\n\nA small library.\n", "LICENSE": MIT}), hash_contents=False)
    assert a.verdicts.label == "closed" and _c(a, "model-parameters-final").status == "missing"
