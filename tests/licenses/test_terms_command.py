"""Terms records, the `license` command, conflicts and the freedoms matrix."""

from __future__ import annotations

import json

import pytest

from builders import corpus_text, run_cli, safetensors_bytes
from trueopen.audit import audit
from trueopen.licenses import get_terms
from trueopen.licenses.records import FREEDOMS, FREEDOM_VALUES, catalog_records
from trueopen.record import LicenseFinding

T = "LicenseRef-trueopen-"
WORDS = "A model card long enough to count as one, describing the model and its uses. " * 3


@pytest.mark.parametrize("lid", [r.id for r in catalog_records()] + ["MIT", "Apache-2.0", "GPL-3.0-only", "CC-BY-NC-4.0", "OpenMDW-1.0"])
def test_every_licence_has_terms_with_a_source(lid: str) -> None:
    t = get_terms(lid)
    assert t is not None and t.source
    assert set(t.freedoms) == set(FREEDOMS) and set(t.freedoms.values()) <= set(FREEDOM_VALUES)
    assert t.commercial in ("yes", "conditional", "no", "unknown")


def test_terms_people_ask_about() -> None:
    l32 = get_terms(T + "llama-3.2")
    assert "European Union" in l32.geographic and "700 million" in l32.threshold
    assert l32.aup_incorporated and l32.aup_licensor_may_change and l32.governing_law == "California"
    assert "improve any other large language model" in get_terms(T + "llama-3").outputs
    assert get_terms(T + "llama-3.1").outputs.startswith("none on training")
    assert "1,000,000" in get_terms(T + "stability-ai-community").threshold
    assert "guardrail" in get_terms(T + "nvidia-open-model").termination
    assert get_terms(T + "tongyi-qianwen-research").commercial == "no"
    assert get_terms("CC-BY-ND-4.0").freedoms["modify"] == "no"
    assert get_terms("MIT").freedoms == {k: "yes" for k in FREEDOMS} and get_terms("MIT").derived
    assert get_terms("nonsense-id") is None


def _audit(release, files):
    a = audit(release(files), hash_contents=False)
    return a, {f.rule: f for f in a.findings}


def test_audit_carries_terms(release) -> None:
    a, _ = _audit(release, {"README.md": "# M\n" + WORDS, "LICENSE": corpus_text("llama3_2_LICENSE"),
                            "model.safetensors": safetensors_bytes()})
    lf = next(f for f in a.licenses if f.path == "LICENSE")
    assert lf.id == T + "llama-3.2" and lf.terms is not None
    assert lf.terms.freedoms.commercial == "conditional" and "European Union" in lf.terms.geographic
    assert "llama3.2" in lf.aliases and lf.decided_by and "September 25, 2024" in lf.decided_by


def test_conflicting_licence_files(release) -> None:
    _, rules = _audit(release, {"README.md": "# M\n" + WORDS, "LICENSE": corpus_text("sgm_LICENSE-CODE"),
                                "LICENSE.txt": corpus_text("starcoder_repo_LICENSE"), "model.safetensors": safetensors_bytes()})
    f = rules["license-conflict"]
    assert {e.path for e in f.evidence} == {"LICENSE", "LICENSE.txt"} and "MIT" in f.message and "Apache-2.0" in f.message


def test_permissive_code_beside_restricted_weights_is_no_conflict(release) -> None:
    _, rules = _audit(release, {"README.md": "# M\n" + WORDS, "LICENSE-CODE": corpus_text("deepseek_v3_LICENSE-CODE"),
                                "LICENSE-MODEL": corpus_text("deepseek_v3_LICENSE-MODEL"), "model.safetensors": safetensors_bytes()})
    assert "license-conflict" not in rules and "license-mismatch" not in rules


def test_pointer_and_mismatch_are_findings(release) -> None:
    _, rules = _audit(release, {"README.md": "---\nlicense: apache-2.0\n---\n" + WORDS,
                                "LICENSE": corpus_text("llama3_1_LICENSE"), "model.safetensors": safetensors_bytes()})
    assert rules["license-mismatch"].evidence
    _, rules = _audit(release, {"README.md": "# M\n" + WORDS, "LICENSE": corpus_text("llama-models_repo_LICENSE"),
                                "model.safetensors": safetensors_bytes()})
    assert "license-pointer" in rules


def test_freedoms_matrix_in_table(release) -> None:
    folder = release({"README.md": "# M\n" + WORDS, "LICENSE": corpus_text("llama3_1_LICENSE"), "model.safetensors": safetensors_bytes()})
    proc = run_cli("audit", str(folder), "--no-hash")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Freedoms" in out and out.index("Components") < out.index("Freedoms") < out.index("Licences")
    from trueopen.formats.freedoms import component_freedoms

    rows = {cid: (expr, values) for cid, expr, values in component_freedoms(audit(folder, hash_contents=False))}
    assert rows["model-parameters-final"] == (T + "llama-3.1", {"use": "conditional", "study": "yes", "modify": "yes",
                                                                "share": "conditional", "commercial": "conditional"})


def test_license_command_json_is_audit_shaped(tmp_path) -> None:
    (tmp_path / "LICENSE").write_text(corpus_text("qwen_NOTICE"), encoding="utf-8")
    (tmp_path / "USE_POLICY.md").write_text(corpus_text("llama3_2_USE_POLICY.md"), encoding="utf-8")
    (tmp_path / "MODEL_LICENSE").write_text("ACME MODEL LICENSE\nFor research purposes only. If you have more than "
                                            "10 million monthly active users you must ask us.\n", encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("# SPDX-License-Identifier: MIT OR Apache-2.0\nx = 1\n", encoding="utf-8")
    proc = run_cli("license", str(tmp_path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    records = [LicenseFinding.model_validate(r) for r in json.loads(proc.stdout)]
    got = {(r.path.rsplit("/", 1)[-1], r.id) for r in records}
    assert {("LICENSE", "MIT"), ("LICENSE", "Apache-2.0"), ("LICENSE", "BSD-3-Clause"),
            ("USE_POLICY.md", T + "llama-3.2-aup"), ("MODEL_LICENSE", T + "unknown")} <= got
    unknown = next(r for r in records if r.id == T + "unknown")
    assert {"research-only", "user-threshold"} <= set(unknown.markers)
    assert any(r.kind == "header" and r.path.endswith("a.py") for r in records)
    table = run_cli("license", str(tmp_path))
    assert table.returncode == 0 and "policy" in table.stdout and "unknown" in table.stdout


def test_license_terms_command() -> None:
    proc = run_cli("license", "--terms", "llama3.1")
    assert proc.returncode == 0 and "Built with Llama" in proc.stdout and "California" in proc.stdout
    proc = run_cli("license", "--terms", "MIT", "--format", "json")
    doc = json.loads(proc.stdout)
    assert doc["id"] == "MIT" and doc["terms"]["freedoms"]["commercial"] == "yes"
    assert run_cli("license", "--terms", "no-such-licence").returncode == 2
    assert run_cli("license").returncode == 2


def test_damaged_index_cache_is_rebuilt(tmp_path, monkeypatch) -> None:
    """A cut or garbled cache file must not break identification: it is rebuilt."""
    import trueopen.licenses.fulltext as ft

    monkeypatch.setenv("TRUEOPEN_CACHE_DIR", str(tmp_path))
    ft._index.cache_clear()
    ft._index()
    (cached,) = list((tmp_path / "trueopen").glob("spdx-index-*.bin"))
    good = cached.read_bytes()
    # A file that still parses but whose licence offsets are garbled (read by the C tables):
    # rejected when loaded, so rebuilt, rather than failing every identification after.
    import array

    count = int.from_bytes(good[:8], "little")
    lens = array.array("q")
    lens.frombytes(good[8:8 + 8 * count])
    offsets_at = 8 + 8 * count + lens[0]
    garbled = bytearray(good)
    garbled[offsets_at + 24:offsets_at + 32] = (1 << 40).to_bytes(8, "little")
    text = ft.spdx_texts()["Apache-2.0"][1].replace("License", "Licence terms")[:-200]  # not a whole text
    for garbage in (good[:100], b"\xff" * 64, b"", bytes(garbled)):
        cached.write_bytes(garbage)
        ft._index.cache_clear()
        assert ft._index().ids  # rebuilt, not crashed
        assert [m.id for m in ft.match_text(text)][:1] == ["Apache-2.0"]
    assert cached.read_bytes() == good
    ft._index.cache_clear()


def test_rewrapped_copy_is_matched_as_the_whole_text() -> None:
    """Re-wrapping moves list markers to or from line starts; the whole-text check must still
    see the whole licence (exact, confidence 1.0), not a near match."""
    import textwrap

    from trueopen.licenses.fulltext import match_text, spdx_texts

    original = spdx_texts()["BSD-3-Clause"][1]
    flat = " ".join(original.split())
    rewrapped = textwrap.fill(flat, width=37)
    assert rewrapped.splitlines() != original.splitlines()
    (best, *_) = match_text(rewrapped)
    assert (best.id, best.exact, best.confidence) == ("BSD-3-Clause", True, 1.0)
