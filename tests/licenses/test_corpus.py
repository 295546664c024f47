"""Every file of shared/license-corpus identified as MANIFEST.tsv expects."""

from __future__ import annotations

from pathlib import Path

import pytest

from trueopen.licenses import identify_text, is_open

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "license-corpus"
T = "LicenseRef-trueopen-"

# file -> (expected ids as a set, kind of the best match); derived from MANIFEST.tsv.
EXPECTED: dict[str, tuple[set[str], str]] = {
    "llama2_LICENSE": ({T + "llama-2"}, "text"),
    "llama3_LICENSE": ({T + "llama-3"}, "text"),
    "llama3_1_LICENSE": ({T + "llama-3.1"}, "text"),
    "llama3_1_LICENSE_truncated40pct": ({T + "llama-3.1"}, "text"),
    "llama3_2_LICENSE": ({T + "llama-3.2"}, "text"),
    "llama3_3_LICENSE": ({T + "llama-3.3"}, "text"),
    "llama4_LICENSE": ({T + "llama-4"}, "text"),
    "llama2_USE_POLICY.md": ({T + "llama-2-aup"}, "policy"),
    "llama3_USE_POLICY.md": ({T + "llama-3-aup"}, "policy"),
    "llama3_1_USE_POLICY.md": ({T + "llama-3.1-aup"}, "policy"),
    "llama3_2_USE_POLICY.md": ({T + "llama-3.2-aup"}, "policy"),
    "llama3_3_USE_POLICY.md": ({T + "llama-3.3-aup"}, "policy"),
    "llama4_USE_POLICY.md": ({T + "llama-4-aup"}, "policy"),
    "llama-models_repo_LICENSE": (set(), ""),
    "deepseek_v3_LICENSE-MODEL": ({T + "deepseek-1.0"}, "text"),
    "deepseek_v3_LICENSE-CODE": ({"MIT"}, "text"),
    "deepseek_r1_LICENSE": ({"MIT"}, "text"),
    "qwen_LICENSE": ({"Apache-2.0"}, "text"),
    "qwen_tongyi_LICENSE_AGREEMENT": ({T + "tongyi-qianwen"}, "text"),
    "qwen_tongyi_RESEARCH_LICENSE": ({T + "tongyi-qianwen-research"}, "text"),
    "qwen_NOTICE": ({"BSD-3-Clause", "MIT", "Apache-2.0"}, "text"),
    "gpt-oss_LICENSE": ({"Apache-2.0"}, "text"),
    "gpt-oss_USAGE_POLICY": ({T + "gpt-oss-usage-policy"}, "policy"),
    "apple_corenet_LICENSE": ({T + "apple-ascl"}, "text"),
    "starcoder_repo_LICENSE": ({"Apache-2.0"}, "text"),
    "sgm_LICENSE-CODE": ({"MIT"}, "text"),
    "sgm_LICENCE-SD-Turbo": ({T + "stability-ai-nc-research-community"}, "text"),
    "sgm_LICENSE-SDXL-Turbo": ({T + "stability-ai-nc-research-community"}, "text"),
    "sgm_LICENSE-SDXL0.9": ({T + "sdxl-0.9-research"}, "text"),
    "sgm_LICENSE-SDXL1.0": ({T + "creativeml-openrail-plusplus-m"}, "text"),
    "sgm_LICENSE-SV3D": ({T + "stability-ai-nc-community"}, "text"),
    "sgm_LICENSE-SVD": ({T + "stable-video-diffusion-nc-community"}, "text"),
    "compvis_sd_LICENSE": ({T + "creativeml-openrail-m"}, "text"),
    "sd3.5_LICENSE": ({T + "stability-ai-community"}, "notice"),
    "sd3.5_LICENSE-CODE": ({"MIT"}, "text"),
    "gemma_repo_LICENSE": ({"Apache-2.0"}, "text"),
    "dbrx_LICENSE": ({T + "databricks-open-model"}, "text"),
    "dbrx_NOTICE": ({T + "databricks-open-model"}, "notice"),
    "yi_LICENSE": ({"Apache-2.0"}, "text"),
    "yi_MODEL_LICENSE_AGREEMENT.txt": ({"Apache-2.0"}, "text"),
    "chatglm3_LICENSE": ({"Apache-2.0"}, "text"),
    "chatglm3_MODEL_LICENSE": ({T + "chatglm3-6b"}, "text"),
    "baichuan2_LICENSE": ({"Apache-2.0"}, "text"),
    "spdx_CC-BY-4.0.txt": ({"CC-BY-4.0"}, "text"),
    "spdx_CC0-1.0.txt": ({"CC0-1.0"}, "text"),
    "spdx_CDLA-Permissive-2.0.txt": ({"CDLA-Permissive-2.0"}, "text"),
    "spdx_ODC-By-1.0.txt": ({"ODC-By-1.0"}, "text"),
    "spdx_OpenMDW-1.0.txt": ({"OpenMDW-1.0"}, "text"),
    "hf_card_llama31_README.md": ({T + "llama-3.1"}, "metadata"),
    "hf_card_other_README.md": ({T + "deepseek-1.0"}, "metadata"),
    "spdx_header_example.py": ({"Apache-2.0"}, "header"),
}

# Licences of the corpus that are open under the MOF rule; all others must not be.
OPEN = {"MIT", "Apache-2.0", "BSD-3-Clause", "CC-BY-4.0", "CC0-1.0", "CDLA-Permissive-2.0",
        "ODC-By-1.0", "OpenMDW-1.0"}


def _read(name: str) -> str:
    if not CORPUS.is_dir():
        pytest.skip("shared/license-corpus not available")
    return (CORPUS / name).read_text(encoding="utf-8", errors="replace")


def test_manifest_lists_every_expected_file() -> None:
    if not CORPUS.is_dir():
        pytest.skip("shared/license-corpus not available")
    rows = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    names = {r.split("\t")[0] for r in rows if r.strip()}
    assert names == set(EXPECTED)
    assert len(names) == 51


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name: str) -> None:
    ids, kind = EXPECTED[name]
    matches = identify_text(_read(name))
    assert {m.id for m in matches} == ids
    if matches:
        assert matches[0].kind == kind
        for m in matches:
            assert 0 < m.confidence <= 1 and m.line is not None and m.line >= 1 and m.detail
        assert all(is_open(m.id) == (m.id in OPEN) for m in matches)


def test_llama_versions_need_title_and_date() -> None:
    m = identify_text(_read("llama3_1_LICENSE"))[0]
    assert m.line == 1
    assert 'LLAMA 3.1 COMMUNITY LICENSE AGREEMENT' in m.detail and "July 23, 2024" in m.detail
    assert m.confidence >= 0.95


def test_markdown_llama_33_licence_detail_is_clean() -> None:
    m = identify_text(_read("llama3_3_LICENSE"))[0]
    assert "**" not in m.detail and "December 6, 2024" in m.detail


def test_qwen_notice_lines_point_at_each_licence() -> None:
    text = _read("qwen_NOTICE")
    lines = text.splitlines()
    for m in identify_text(text):
        assert 1 <= m.line <= len(lines)
    by_id = {m.id: m.line for m in identify_text(text)}
    assert "Neither the name" in "\n".join(lines[by_id["BSD-3-Clause"] - 1: by_id["BSD-3-Clause"] + 12])


def test_research_licence_is_not_confused_with_commercial() -> None:
    ids = {m.id for m in identify_text(_read("qwen_tongyi_RESEARCH_LICENSE"))}
    assert T + "tongyi-qianwen" not in ids


def test_work_per_file_is_bounded(monkeypatch) -> None:
    """Speed lives in benchmarks/licenses.py; here, the work each identification does is counted:
    licences scored exactly (full-text search) and rule regexes run stay bounded, whatever the
    file, so a slow path cannot creep in unseen."""
    from trueopen.licenses import detect, fulltext

    scored: list[int] = []
    regex_runs = [0]
    real_best, real_first = fulltext._best, detect._first

    def best(idx, sh, query, *a, **kw):
        scored.append(len(fulltext._candidates(idx, query, kw.get("min_coverage", 0.0))))
        return real_best(idx, sh, query, *a, **kw)

    def first(patterns, text, end=None):
        regex_runs[0] += len(patterns)
        return real_first(patterns, text, end)

    monkeypatch.setattr(fulltext, "_best", best)
    monkeypatch.setattr(detect, "_first", first)
    for name in sorted(EXPECTED):
        scored.clear()
        regex_runs[0] = 0
        identify_text(_read(name))
        # At most MAX_MATCHES rounds of candidate scoring, each of at most 2 x TIED_MAX licences.
        assert len(scored) <= fulltext.MAX_MATCHES + 1 and max(scored, default=0) <= 2 * fulltext.TIED_MAX, name
        # Most rules are ruled out by their literals: far fewer regexes run than there are patterns.
        patterns = sum(len(r.title) + len(r.require) + len(r.require_any) + len(r.version) + len(r.exclude) + len(r.notice)
                       for r in detect._rules())
        assert regex_runs[0] < patterns // 4, (name, regex_runs[0], patterns)
