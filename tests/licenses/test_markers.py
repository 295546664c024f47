"""restrictive_markers: clause markers with their lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from trueopen.licenses import restrictive_markers

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "license-corpus"


@pytest.mark.parametrize("line,marker", [
    ("greater than 700 million monthly active users", "user-threshold"),
    ("if your annual revenue exceeds US $1,000,000", "revenue-threshold"),
    ("for Non-Commercial purposes only", "non-commercial"),
    ("for research purposes only", "research-only"),
    ("only in a Non-Production Environment", "non-production"),
    ("adhere to the Acceptable Use Policy, which is hereby incorporated by reference", "use-policy"),
    ("You will not use the Llama Materials or any output to improve any other large language model", "outputs-restriction"),
    ("prominently display \u201cBuilt with Llama\u201d", "naming-requirement"),
    ("include \u201cLlama\u201d at the beginning of any such AI model name", "naming-requirement"),
    ("display \"Powered by Stability AI\"", "naming-requirement"),
    ("the restrictions set forth in Attachment A", "use-based-restrictions"),
    ("If You bypass, disable, or circumvent any safety guardrail", "safety-guardrail-termination"),
    ("any Hosting Use requires a separate licence", "hosting-use"),
    ("a company with a principal place of business in, the European Union", "eu-exclusion"),
])
def test_marker(line: str, marker: str) -> None:
    text = "Title\n\n" + line + "\n"
    assert (3, marker) in restrictive_markers(text)


@pytest.mark.parametrize("text", [
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this software",
    "for any purpose, commercial or non-commercial, and by any means.",      # Unlicense
    "This alternative is allowed only for noncommercial distribution",       # GPL-2.0 3(c)
    "",
])
def test_no_marker_in_permissive_text(text: str) -> None:
    assert restrictive_markers(text) == []


def test_llama_licence_markers() -> None:
    if not CORPUS.is_dir():
        pytest.skip("shared/license-corpus not available")
    found = {m for _, m in restrictive_markers((CORPUS / "llama3_1_LICENSE").read_text(encoding="utf-8"))}
    assert {"user-threshold", "naming-requirement", "use-policy"} <= found
    aup = {m for _, m in restrictive_markers((CORPUS / "llama3_2_USE_POLICY.md").read_text(encoding="utf-8"))}
    assert "eu-exclusion" in aup
    found3 = {m for _, m in restrictive_markers((CORPUS / "llama3_LICENSE").read_text(encoding="utf-8"))}
    assert "outputs-restriction" in found3


def test_markers_sorted_unique_and_bounded() -> None:
    text = "monthly active users\n" * 500
    got = restrictive_markers(text)
    assert got == sorted(set(got))
    assert len(got) <= 50
