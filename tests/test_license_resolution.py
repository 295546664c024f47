"""Which licence governs each component: precedence, folders, content-type files, headers,
card against text, pointers and unidentified texts."""

from __future__ import annotations

from builders import corpus_text, safetensors_bytes
from trueopen.audit import audit

WORDS = "A model card long enough to count as one, describing the model and its uses. " * 3


def _audit(release, files):
    a = audit(release(files), hash_contents=False)
    return a, {c.id: c for c in a.components}, {f.rule: f for f in a.findings}


def test_release_licence_from_text(release) -> None:
    _, comp, _ = _audit(release, {"README.md": "# M\n" + WORDS, "LICENSE": corpus_text("starcoder_repo_LICENSE"),
                                  "model.safetensors": safetensors_bytes()})
    lic = comp["model-parameters-final"].license
    assert (lic.expression, lic.source, lic.path) == ("Apache-2.0", "release", "LICENSE")
    assert comp["model-parameters-final"].open


def test_release_licence_from_card_alone(release) -> None:
    _, comp, _ = _audit(release, {"README.md": "---\nlicense: mit\n---\n" + WORDS, "model.safetensors": safetensors_bytes()})
    lic = comp["model-parameters-final"].license
    assert (lic.expression, lic.source, lic.path) == ("MIT", "release", "README.md")


def test_card_other_with_license_name(release) -> None:
    a, comp, _ = _audit(release, {"README.md": "---\nlicense: other\nlicense_name: deepseek\n---\n" + WORDS,
                                  "model.safetensors": safetensors_bytes()})
    assert "deepseek" in comp["model-parameters-final"].license.expression.lower()
    assert not comp["model-parameters-final"].open


def test_mismatch_believes_the_text(release) -> None:
    _, comp, rules = _audit(release, {"README.md": "---\nlicense: apache-2.0\n---\n" + WORDS,
                                      "LICENSE": corpus_text("llama3_1_LICENSE"), "model.safetensors": safetensors_bytes()})
    f = rules["license-mismatch"]
    assert f.severity == "warn" and "Apache-2.0" in f.message
    assert {e.path for e in f.evidence} == {"README.md", "LICENSE"}
    assert "llama-3.1" in comp["model-parameters-final"].license.expression
    assert not comp["model-parameters-final"].open


def test_no_mismatch_when_card_and_text_agree(release) -> None:
    _, _, rules = _audit(release, {"README.md": "---\nlicense: llama3.1\n---\n" + WORDS,
                                   "LICENSE": corpus_text("llama3_1_LICENSE"), "model.safetensors": safetensors_bytes()})
    assert "license-mismatch" not in rules


def test_subfolder_licence_governs_subfolder(release) -> None:
    _, comp, _ = _audit(release, {
        "README.md": "# M\n" + WORDS, "LICENSE": corpus_text("llama3_1_LICENSE"), "model.safetensors": safetensors_bytes(),
        "data/train.jsonl": "{}\n", "data/LICENSE": corpus_text("spdx_CC-BY-4.0.txt"),
    })
    ds = comp["datasets"].license
    assert (ds.expression, ds.source, ds.path) == ("CC-BY-4.0", "component", "data/LICENSE")
    assert comp["datasets"].open and not comp["model-parameters-final"].open


def test_content_type_licence_files(release) -> None:
    _, comp, _ = _audit(release, {
        "README.md": "# M\n" + WORDS, "LICENSE-CODE": corpus_text("deepseek_v3_LICENSE-CODE"),
        "LICENSE-MODEL": corpus_text("deepseek_v3_LICENSE-MODEL"), "model.safetensors": safetensors_bytes(),
        "inference/generate.py": "out = model.generate(x)\n",
    })
    code = comp["inference-code"].license
    weights = comp["model-parameters-final"].license
    assert (code.expression, code.source, code.path) == ("MIT", "content-type", "LICENSE-CODE")
    assert weights.source == "content-type" and weights.path == "LICENSE-MODEL"
    assert comp["inference-code"].open and not comp["model-parameters-final"].open


def test_spdx_header_is_the_files_own_licence(release) -> None:
    _, comp, _ = _audit(release, {
        "README.md": "# M\n" + WORDS, "LICENSE": corpus_text("llama3_1_LICENSE"),
        "train.py": "# SPDX-License-Identifier: MIT\nimport torch\nloss.backward()\n",
    })
    lic = comp["training-code"].license
    assert (lic.expression, lic.source, lic.path) == ("MIT", "component", "train.py")


def test_mixed_licences_in_one_component_take_the_most_restrictive(release) -> None:
    _, comp, _ = _audit(release, {
        "README.md": "# M\n" + WORDS, "LICENSE": corpus_text("llama3_1_LICENSE"),
        "train.py": "# SPDX-License-Identifier: MIT\nloss.backward()\n", "scripts/pretrain.py": "loss.backward()\n",
    })
    tc = comp["training-code"]
    assert "MIT" in tc.license.expression and "llama-3.1" in tc.license.expression and " AND " in tc.license.expression
    assert not tc.open


def test_use_policy_is_a_policy_not_a_second_licence(release) -> None:
    a, comp, _ = _audit(release, {"README.md": "# M\n" + WORDS, "LICENSE": corpus_text("llama3_1_LICENSE"),
                                  "USE_POLICY.md": corpus_text("llama3_1_USE_POLICY.md"), "model.safetensors": safetensors_bytes()})
    kinds = {l.path: l.kind for l in a.licenses}
    assert kinds["USE_POLICY.md"] == "policy"
    assert "aup" not in comp["model-parameters-final"].license.expression.lower()


def test_pointer_licence_file(release) -> None:
    _, comp, rules = _audit(release, {"README.md": "# M\n" + WORDS, "LICENSE": corpus_text("llama-models_repo_LICENSE"),
                                      "model.safetensors": safetensors_bytes()})
    assert "license-pointer" in rules
    assert not comp["model-parameters-final"].open


def test_unidentified_licence_reports_restrictive_clauses(release) -> None:
    text = ("ACME MODEL LICENSE\n\nYou may use the model for research purposes only.\n"
            "If your products have greater than 700 million monthly active users you must request a licence.\n") * 3
    a, comp, rules = _audit(release, {"README.md": "# M\n" + WORDS, "LICENSE": text, "model.safetensors": safetensors_bytes()})
    f = rules["license-unidentified"]
    assert {"user-threshold", "research-only"} <= {e.detail for e in f.evidence}
    assert (f.evidence[0].path, f.evidence[0].line) == ("LICENSE", 3)
    assert comp["model-parameters-final"].license.expression == "LicenseRef-trueopen-unknown"
    assert not comp["model-parameters-final"].open


def test_notice_does_not_override_license(release) -> None:
    _, comp, _ = _audit(release, {"README.md": "# M\n" + WORDS, "LICENSE": corpus_text("qwen_LICENSE"),
                                  "NOTICE": corpus_text("qwen_NOTICE"), "model.safetensors": safetensors_bytes()})
    assert comp["model-parameters-final"].license.expression == "Apache-2.0"


def test_wrong_type_is_a_warning_not_a_failure(release) -> None:
    a, comp, rules = _audit(release, {"README.md": "---\nlicense: apache-2.0\n---\n" + WORDS, "model.safetensors": safetensors_bytes()})
    assert comp["model-parameters-final"].open
    assert rules["license-wrong-type"].severity == "info"
    assert any("conditional pass" in w for w in a.verdicts.mof.warnings)


def test_unlicensed_component(release) -> None:
    _, comp, _ = _audit(release, {"README.md": "# M\n" + WORDS, "model.safetensors": safetensors_bytes()})
    c = comp["model-parameters-final"]
    assert c.present and not c.open and c.license.expression is None and c.license.source == "none"
