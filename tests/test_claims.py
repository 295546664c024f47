"""Claims of openness: which phrases count, negation, and where they are found."""

from __future__ import annotations

import pytest

from trueopen.inspectors.claims import claims_in_text, find_claims
from trueopen.sources import open_release


@pytest.mark.parametrize("line", [
    "This is an open source model.",
    "An Open-Source LLM for everyone",
    "We release a fully open language model",
    "OPEN SOURCE",
    "Our model is open-sourced under a community licence.",
    "The first truly open model of its size",
    "It is openly licensed for research and commercial use.",
    "An open release of weights, code and data",
    "We are proud to share our open model with the world.",
    "- open-source",
])
def test_claim_phrases_are_found(line: str) -> None:
    claims = claims_in_text(f"# Title\n\n{line}\n", "README.md")
    assert [(c.line, c.text) for c in claims] == [(3, line.strip())]


@pytest.mark.parametrize("line", [
    "This is not open source software in the OSI sense.",
    "The model isn't open-source.",
    "It is open weights, not an open source model.",  # the claim is negated, open weights alone is none
    "We publish open weights under a custom licence.",
    "Open-weight model for chat.",
    "Built with open-source libraries such as PyTorch.",
    "Thanks to the open source community.",
    "Neither open source nor free software.",
    "See https://opensource.org/open-source for details",
    "Released under a licence that is far from open source.",
])
def test_non_claims_are_ignored(line: str) -> None:
    assert claims_in_text(line + "\n", "README.md") == []


def test_code_blocks_are_not_claims() -> None:
    text = "Intro\n```python\n# open source model loader\n```\nAn open source model.\n"
    claims = claims_in_text(text, "README.md")
    assert [c.line for c in claims] == [5]


def test_one_claim_per_line_and_line_numbers() -> None:
    text = "a\nOpen source, fully open and open model.\nb\nopen source again\n"
    assert [c.line for c in claims_in_text(text, "README.md")] == [2, 4]


def test_find_claims_reads_root_readmes_only(release) -> None:
    root = release({
        "README.md": "---\nlicense: mit\n---\nA fully open model.\n",
        "docs/README.md": "An open source model.\n",
        "notes.md": "open source\n",
    })
    with open_release(root) as rel:
        claims = find_claims(rel)
    assert [(c.path, c.line) for c in claims] == [("README.md", 4)]


def test_binary_readme_gives_no_claims(release) -> None:
    root = release({"README.md": b"\x00\x01open source\x00" * 100, "model.safetensors": b"x"})
    with open_release(root) as rel:
        assert find_claims(rel) == []


# --- explicit or implied, qualifiers, languages (issue 8, item 2) --------------------------------

@pytest.mark.parametrize("line", [
    "ChatGLM-6B is an open bilingual language model.",
    "Acme-XL is an open text-to-image model.",
    "We release a family of open multilingual foundation models.",
])
def test_qualifiers_between_open_and_model_are_claims(line: str) -> None:
    (c,) = claims_in_text(line + "\n", "README.md")
    assert c.kind == "explicit" and c.language == "en"


@pytest.mark.parametrize("line,lang", [
    ("ChatGLM-6B 是一个开源的、支持中英双语的对话语言模型。", "zh"),
    ("Qwen はオープンソースの大規模言語モデルです。", "ja"),
    ("이 모델은 오픈소스 언어 모델입니다.", "ko"),
    ("Es un modelo de código abierto.", "es"),
    ("Un modèle de langue ouvert et gratuit, en code source ouvert.", "fr"),
    ("Ein quelloffenes Sprachmodell.", "de"),
    ("Um modelo de código aberto.", "pt"),
])
def test_claims_in_other_languages(line: str, lang: str) -> None:
    (c,) = claims_in_text(line + "\n", "README.md")
    assert c.kind == "explicit" and c.language == lang


@pytest.mark.parametrize("line", [
    "该模型不开源。",
    "このモデルはオープンソースではない。",
    "No es un modelo de código abierto.",
    "Dieses Modell ist nicht quelloffen.",
    "Gemma is a family of open-weights large language models.",
    "An open-weight model with an open vocabulary model head.",
    "Our Purple Llama tools are open sourced for the community to use.",
])
def test_negated_or_non_claims_in_any_language(line: str) -> None:
    assert claims_in_text(line + "\n", "README.md") == []


@pytest.mark.parametrize("line", [
    "DeepSeek-V3 outperforms other open-source models.",
    "Yi-34B ranked first among all existing open-source models.",
    "It outperforms many of the available open source chat models on common benchmarks.",
    "Compared with open-source models such as Llama, ours is faster.",
    "This reflects our open approach to AI.",
])
def test_comparisons_and_openness_talk_are_implied(line: str) -> None:
    (c,) = claims_in_text(line + "\n", "README.md")
    assert c.kind == "implied"


def test_a_superlative_about_itself_is_explicit() -> None:
    (c,) = claims_in_text("producing the currently strongest open-source base model.\n", "README.md")
    assert c.kind == "explicit"


def test_language_variants_of_the_readme_are_claim_files(release) -> None:
    root = release({"README_en.md": "An open bilingual language model.\n", "README_CN.md": "开源模型\n",
                    "docs/README_en.md": "open source\n"})
    with open_release(root) as rel:
        assert [(c.path, c.language) for c in find_claims(rel)] == [("README_CN.md", "zh"), ("README_en.md", "en")]


def _verdict(release, card: str, weights_licence: str | None):
    from builders import safetensors_bytes
    from trueopen.audit import audit
    from trueopen.licenses.fulltext import spdx_texts

    files = {"README.md": "# M\n\n" + card + "\n" + "More words about this model and its uses. " * 6,
             "model.safetensors": safetensors_bytes(), "config.json": '{"model_type": "m"}'}
    if weights_licence:
        files["LICENSE"] = spdx_texts()[weights_licence][1] if weights_licence in spdx_texts() else weights_licence
    return audit(release(files), hash_contents=False).verdicts.openwashing


def test_only_explicit_claims_flag_and_the_flag_is_graded(release) -> None:
    implied = _verdict(release, "It outperforms other open-source models.", "MIT")
    assert not implied.flagged and "only implied" in implied.reasons[0]
    mild = _verdict(release, "M is an open-source model.", "MIT")
    assert mild.flagged and mild.severity == "mild" and mild.claims[0].line == 3
    strong = _verdict(release, "M is an open-source model.",
                      "Acme Licence\n\nYou may use the model for non-commercial research purposes only.\n")
    assert strong.flagged and strong.severity == "strong"
