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
