"""Model card front matter, parsed with huggingface_hub's card tools within limits."""

from __future__ import annotations

from trueopen.inspectors.card import FRONT_MATTER_LIMIT, read_card
from trueopen.sources import open_release

CARD = """---
license: other
license_name: llama3.1
license_link: LICENSE
datasets:
  - org/data-b
  - org/data-a
base_model: meta-llama/Llama-3.1-8B
tags: [text-generation, open-source]
---
# My model

Some text.
"""


def _card(release, text):
    root = release({"README.md": text, "model.safetensors": b"0" * 8})
    with open_release(root) as rel:
        return read_card(rel)


def test_front_matter_fields(release) -> None:
    parsed = _card(release, CARD)
    c = parsed.card
    assert (c.path, c.license, c.license_name, c.license_link) == ("README.md", "other", "llama3.1", "LICENSE")
    assert c.datasets == ["org/data-a", "org/data-b"]
    assert c.base_model == ["meta-llama/Llama-3.1-8B"]
    assert c.tags == ["open-source", "text-generation"]
    assert parsed.findings == ()


def test_card_without_front_matter(release) -> None:
    parsed = _card(release, "# Just a readme\n")
    assert parsed.card.path == "README.md" and parsed.card.license is None and parsed.findings == ()


def test_invalid_yaml_is_a_finding_not_a_crash(release) -> None:
    parsed = _card(release, "---\nlicense: [apache-2.0\ntags: {\n---\ntext\n")
    assert parsed.card.license is None
    (finding,) = parsed.findings
    assert finding.rule == "invalid-front-matter" and finding.evidence[0].path == "README.md"


def test_front_matter_that_is_not_a_mapping(release) -> None:
    parsed = _card(release, "---\n- a\n- b\n---\ntext\n")
    assert [f.rule for f in parsed.findings] == ["invalid-front-matter"]


def test_python_object_tags_are_never_constructed(release, tmp_path) -> None:
    canary = tmp_path / "canary"
    evil = f"---\nlicense: !!python/object/apply:os.system ['touch {canary}']\n---\ntext\n"
    parsed = _card(release, evil)
    assert not canary.exists()
    assert [f.rule for f in parsed.findings] == ["invalid-front-matter"]


def test_oversized_front_matter_is_refused(release) -> None:
    big = "---\n" + "tags:\n" + "".join(f"  - t{i}\n" for i in range(FRONT_MATTER_LIMIT // 6)) + "---\ntext\n"
    parsed = _card(release, big)
    assert parsed.card.tags == []
    assert "limit front_matter_bytes" in parsed.findings[0].message


def test_binary_readme_is_reported(release) -> None:
    root = release({"README.md": bytes(range(256)) * 40})
    with open_release(root) as rel:
        parsed = read_card(rel)
    assert [f.rule for f in parsed.findings] == ["unreadable-card"]
    assert parsed.card.license is None


def test_yaml_block_is_found_as_the_hub_finds_it() -> None:
    """The card reader keeps its own copy of huggingface_hub's YAML-block pattern (importing
    repocard costs 0.4 s at start-up); the copy must stay the library's."""
    import huggingface_hub.repocard as repocard

    from trueopen.inspectors import card

    assert card.REGEX_YAML_BLOCK.pattern == repocard.REGEX_YAML_BLOCK.pattern
    assert card.REGEX_YAML_BLOCK.flags == repocard.REGEX_YAML_BLOCK.flags


def test_front_matter_that_is_not_a_mapping_is_reported(tmp_path) -> None:
    from trueopen.inspectors.card import read_card
    from trueopen.sources.local import open_folder

    (tmp_path / "README.md").write_text("---\n- a\n- b\n---\n# card\n")
    parsed = read_card(open_folder(tmp_path))
    assert [f.rule for f in parsed.findings] == ["invalid-front-matter"]
    assert "should be a dict" in parsed.findings[0].message
