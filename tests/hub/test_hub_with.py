"""--with hf://...: a GitHub-style code folder plus its weights on the (fake) Hub, one audit."""

from __future__ import annotations

from pathlib import Path

from builders import safetensors_bytes, write_release
from trueopen.audit import audit
from trueopen.licenses.fulltext import spdx_texts

CODE = {
    "README.md": "# Acme\n\nAcme is an open language model. Weights: [acme/acme-1b](https://huggingface.co/acme/acme-1b).\n",
    "LICENSE": spdx_texts()["Apache-2.0"][1],
    "train.py": "import torch\nopt = torch.optim.AdamW(params, lr=1e-3)\nloss.backward()\nopt.step()\n",
}
WEIGHTS = {
    "README.md": "---\nlicense: mit\n---\n# acme-1b\n\n" + "The weights of Acme, a small language model for tests. " * 4,
    "config.json": '{"model_type": "acme"}',
    "model.safetensors": safetensors_bytes(),
}


def test_code_folder_with_its_hub_weights(fake_hub, tmp_path: Path) -> None:
    commit = fake_hub.add_repo("acme/acme-1b", write_release(tmp_path / "w", WEIGHTS))
    code = write_release(tmp_path / "code", CODE)
    alone = audit(code, hash_contents=False)
    params = next(c for c in alone.components if c.id == "model-parameters-final")
    assert params.status == "referenced" and params.references[0].add_with == "hf://acme/acme-1b"
    both = audit(code, with_=[params.references[0].add_with], hash_contents=False)
    params = next(c for c in both.components if c.id == "model-parameters-final")
    # Seen on the Hub, licensed by the Hub repo's own card (MIT), not by the code's Apache LICENSE.
    assert params.status == "present" and params.verified and params.license.expression == "MIT"
    assert [(loc.label, loc.kind, loc.ref, loc.revision) for loc in both.locations] == [
        ("", "folder", str(code), None), ("acme--acme-1b", "hf-hub", "acme/acme-1b", commit)]
    assert both.transfer is not None and both.transfer.bytes_fetched > 0
    assert all(f.path.startswith("acme--acme-1b/") for f in both.transfer.files)
    assert {f.origin for f in both.files if f.path.endswith(".safetensors")} == {"acme--acme-1b"}
