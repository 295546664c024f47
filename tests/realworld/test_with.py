"""--with: several locations of one release, merged into one audit (issue 8, item 1)."""

from __future__ import annotations

import json

import pytest

from builders import run_cli, safetensors_bytes
from trueopen.audit import audit
from trueopen.errors import InputError
from trueopen.licenses.fulltext import spdx_texts

APACHE = spdx_texts()["Apache-2.0"][1]
CODE = {
    "README.md": "# Acme\n\nAcme is an open language model. Weights: [acme/acme-1b](https://huggingface.co/acme/acme-1b).\n",
    "LICENSE": APACHE,
    "train.py": "import torch\nopt = torch.optim.AdamW(params, lr=1e-3)\nloss.backward()\nopt.step()\n",
}
WEIGHTS = {
    "README.md": "---\nlicense: apache-2.0\n---\n# acme-1b\n\n" + "The weights of Acme, a small language model for tests. " * 4,
    "config.json": '{"model_type": "acme", "architectures": ["AcmeForCausalLM"]}',
    "model.safetensors": safetensors_bytes(),
}


def _c(a, cid):
    return next(c for c in a.components if c.id == cid)


def test_weights_location_turns_referenced_into_present(release) -> None:
    code, weights = release(CODE, "acme"), release(WEIGHTS, "acme-1b")
    alone = audit(code, hash_contents=False)
    assert _c(alone, "model-parameters-final").status == "referenced"
    both = audit(code, with_=[weights], hash_contents=False)
    params = _c(both, "model-parameters-final")
    assert params.status == "present" and params.verified and params.open
    assert any(e.path == "acme-1b/model.safetensors" for e in params.evidence)
    assert "model-parameters-final" not in both.verdicts.unverified
    assert [(loc.label, loc.kind) for loc in both.locations] == [("", "folder"), ("acme-1b", "folder")]
    origins = {f.path: f.origin for f in both.files}
    assert origins["train.py"] is None and origins["acme-1b/model.safetensors"] == "acme-1b"
    # Each location is a scope: its card licenses its files.
    assert params.license.expression == "Apache-2.0"
    # Every location's files are hashed from their own folder.
    hashed = audit(code, with_=[weights]).files
    assert all(f.sha256 and f.sha256_source == "hashed" for f in hashed)


def test_locations_with_the_same_name_get_distinct_labels(release, tmp_path) -> None:
    code = release({**CODE, "w/README.md": "x\n"}, "code")
    one = release(WEIGHTS, "w")
    two = release(WEIGHTS, "other/w")
    a = audit(code, with_=[one, two], hash_contents=False)
    assert [loc.label for loc in a.locations] == ["", "w-2", "w-3"]
    assert any(f.path == "w/README.md" and f.origin is None for f in a.files)


def test_a_missing_location_is_a_clear_input_error(release, tmp_path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        audit(release(CODE), with_=[tmp_path / "nope"], hash_contents=False)


def test_cli_with_is_repeatable_and_deterministic(release) -> None:
    code, weights = release(CODE, "acme"), release(WEIGHTS, "acme-1b")
    first = run_cli("audit", str(code), "--with", str(weights), "--format", "json", "--no-hash")
    second = run_cli("audit", str(code), "--with", str(weights), "--format", "json", "--no-hash")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert json.loads(first.stdout)["locations"][1]["label"] == "acme-1b"
    bad = run_cli("audit", str(code), "--with", str(code / "nope"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_explain_names_what_to_add_with(release) -> None:
    out = run_cli("explain", str(release(CODE, "acme")), "--no-hash")
    assert out.returncode == 0
    assert "--with hf://acme/acme-1b" in " ".join(out.stdout.split())
