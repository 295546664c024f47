"""Matching a release to the bundled MOT records and EU index gradings, by URL only."""

from __future__ import annotations

import pytest

from trueopen.index.external import External, match_external
from trueopen.index.urlkeys import hub_key, url_key


@pytest.mark.parametrize("url", [
    "https://huggingface.co/LLM360/Amber",
    "http://www.huggingface.co/llm360/AMBER/tree/main",
    "https://hf.co/LLM360/Amber.git",
    "hf://LLM360/Amber",
    "huggingface.co/LLM360/Amber/",
    "https://huggingface.co/LLM360/Amber?library=transformers#usage",
])
def test_hub_url_spellings_match_both_indexes(url: str) -> None:
    ext = match_external(url, None)
    assert ext is not None
    assert ext["mot"]["name"] == "Amber" and ext["mot"]["class"] == "Class I"
    assert ext["mot"]["matched_by"] == "id" and ext["mot"]["key"] == "hf:llm360/amber"
    assert ext["mot"]["url"].startswith("https://github.com/lfai/model_openness_tool/blob/")
    assert ext["eu_index"]["name"] == "Amber" and ext["eu_index"]["matched_by"] == "id"
    assert [d["id"] for d in ext["eu_index"]["dimensions"]][:2] == ["datasources_basemodel", "datasources_endmodel"]
    assert ext["disagreements"] == []  # nothing measured: no audit


@pytest.mark.parametrize("url", [
    "https://github.com/LLM360/amber-train",
    "git@github.com:LLM360/amber-train.git",
    "ssh://git@github.com/llm360/Amber-Train.git",
    "https://www.github.com/LLM360/amber-train/tree/main/scripts",
])
def test_github_remote_spellings_match(url: str) -> None:
    ext = match_external(url, None)
    assert ext is not None and ext["mot"]["name"] == "Amber" and ext["mot"]["key"] == "gh:llm360/amber-train"


@pytest.mark.parametrize("url", [
    "https://huggingface.co/LLM360/Amber-7B",  # a near name
    "https://huggingface.co/someone/Amber",  # the same name under another owner
    "https://huggingface.co/LLM360",  # the org page
    "https://github.com/LLM360",
    "https://example.org/LLM360/Amber",
    "Amber",
])
def test_near_names_do_not_match(url: str) -> None:
    assert match_external(url, None) is None


def test_hub_target_and_locations_match_when_the_identity_does_not() -> None:
    audit = {"target": {"kind": "hf-hub", "ref": "LLM360/Amber"}, "locations": []}
    ext = match_external("https://example.org/my-copy", audit)
    assert ext["mot"]["matched_by"] == "target" and ext["eu_index"]["matched_by"] == "target"
    audit = {"target": {"kind": "folder", "ref": "LLM360/Amber"},  # a folder path names nothing
             "locations": [{"label": "", "kind": "folder", "ref": "LLM360/Amber"}]}
    assert match_external("https://example.org/my-copy", audit) is None
    audit["locations"].append({"label": "weights", "kind": "hf-cache", "ref": "LLM360/Amber"})
    assert match_external("https://example.org/my-copy", audit)["mot"]["matched_by"] == "location"


def test_a_family_repository_matches_the_record_carrying_its_name() -> None:
    # Two MOT records give github.com/deepseek-ai/DeepSeek-V3; one is named DeepSeek-V3.
    ext = match_external("https://github.com/deepseek-ai/DeepSeek-V3.git", None)
    assert ext["mot"]["name"] == "DeepSeek-V3"


def test_records_that_cannot_be_told_apart_are_candidates_not_matches() -> None:
    ext = match_external("https://github.com/EleutherAI/pythia", None)
    assert ext["mot"] is None and ext["eu_index"] is None
    assert "MOT: Pythia-70M" in ext["candidates"] and ext["candidates"] == sorted(ext["candidates"])


def test_code_repository_matches_its_own_orgs_grading_only() -> None:
    ext = match_external("https://github.com/openai/whisper", None)
    assert ext["eu_index"]["name"] == "Whisper" and ext["eu_index"]["matched_by"] == "code"
    # AMD OLMo cites allenai/OLMo as its training code: a dependency, not AMD's release.
    ext = match_external("https://github.com/allenai/OLMo", None)
    assert ext["eu_index"] is None


def test_result_validates_against_the_model() -> None:
    ext = match_external("https://huggingface.co/LLM360/Amber", None)
    assert External.model_validate(ext).model_dump(mode="json", by_alias=True) == ext
    schema = External.model_json_schema(by_alias=True)
    assert {"mot", "eu_index", "disagreements"} <= set(schema["properties"])
    assert "class" in schema["$defs"]["ExternalMot"]["properties"]


@pytest.mark.parametrize(("text", "key"), [
    ("https://huggingface.co/datasets/allenai/dolma", "hf:datasets/allenai/dolma"),
    ("https://huggingface.co/collections/allenai/olmo", None),
    ("https://github.com/fairseq/examples/xglm at main · facebookresearch/fairseq (github.com)", None),
    ("Baichuan 2: Open Large-scale Language Models", None),
    ("https://ai.meta.com/llama/", "url:ai.meta.com/llama"),
    ("ftp://example.org/x", None),
    ("x" * 5000, None),
    (None, None),
])
def test_url_keys(text: object, key: str | None) -> None:
    assert url_key(text) == key


def test_bare_ids_are_hub_ids_only_when_asked() -> None:
    assert url_key("Salesforce/codegen2-16B", bare_hub=True) == "hf:salesforce/codegen2-16b"
    assert url_key("Salesforce/codegen2-16B") is None
    assert hub_key("a/b/c") is None and hub_key("datasets/a/b") == "hf:datasets/a/b"


def test_a_shared_framework_cited_as_code_matches_no_model() -> None:
    from trueopen.index.external import match_external

    for repo in ("https://github.com/NVIDIA/Megatron-LM", "https://github.com/mosaicml/llm-foundry",
                 "https://github.com/facebookresearch/fairseq2"):
        found = match_external(repo, None)
        assert found is None or found.get("eu_index") is None, (repo, found)
