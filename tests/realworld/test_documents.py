"""Document signals come from documents only (issue 8, item 4); natural data phrasing (item 7)."""

from __future__ import annotations

import pytest

from builders import safetensors_bytes
from trueopen.audit import audit
from trueopen.inspectors.inventory import is_document
from trueopen.sources import open_release


@pytest.mark.parametrize("path,expected", [
    ("README.md", True), ("docs/usage.md", True), ("MODEL_CARD.md", True), ("report.rst", True),
    ("vocab.txt", False), ("merges.txt", False), ("requirements.txt", False), ("requirements-dev.txt", False),
    ("tokenizer.json", False), ("LICENSE.md", False), ("poetry.lock", False), ("special_tokens_map.json", False),
])
def test_documents_by_name(path: str, expected: bool) -> None:
    assert is_document(path) is expected


def test_plain_text_must_read_as_prose(release) -> None:
    root = release({"notes.txt": "We trained the model on public books and filtered them by length.\n" * 3,
                    "labels_list.txt": "cat\ndog\nbird\n" * 20})
    with open_release(root) as rel:
        assert is_document("notes.txt", rel) and not is_document("labels_list.txt", rel)


def test_a_vocabulary_word_is_no_monetisation(release) -> None:
    vocab = "\n".join(["[PAD]", "pricing", "subscription", "enterprise", "sales"] * 40) + "\n"
    files = {"vocab.txt": vocab, "requirements.txt": "torch==2.1\npricing-lib==1.0\n", "model.safetensors": safetensors_bytes(),
             "README.md": "# M\n\n" + "An embedding model for search and clustering. " * 5}
    a = audit(release(files), hash_contents=False)
    assert a.verdicts.eu_ai_act.monetisation == []
    files["README.md"] += "\n## API\n\nOur hosted API pricing: $2 per 1M tokens.\n"
    b = audit(release(files, "b"), hash_contents=False)
    assert [e.path for e in b.verdicts.eu_ai_act.monetisation] == ["README.md"]


@pytest.mark.parametrize("text,signals", [
    ("Source: Project Gutenberg public-domain books.", {"provenance", "public-sources"}),
    ("The model was trained on prose from the Project Gutenberg 1900-1920 shelf.", {"provenance", "scope-and-characteristics"}),
    ("| Dataset | Number of training tuples |\n|---|---|\n| [Reddit](https://example.org/reddit) | 726,484,430 |",
     {"scope-and-characteristics", "public-sources"}),
    ("训练数据来自公开的中文网页和书籍，共约 1.5 万亿 token，经过去重和过滤。", {"provenance", "scope-and-characteristics",
                                                         "processing-and-filtering"}),
])
def test_natural_data_phrasing(release, text: str, signals: set[str]) -> None:
    from trueopen.inspectors.card import read_card
    from trueopen.inspectors.datainfo import read_datainfo
    from trueopen.inspectors.inventory import take_inventory

    with open_release(release({"DATA_CARD.md": text + "\n"})) as rel:
        card = read_card(rel)
        info = read_datainfo(rel, card, take_inventory(rel, card))
    assert {s for s in signals if info.hits(s)} == signals


def test_data_information_not_disclosed_is_no_hit(release) -> None:
    from trueopen.inspectors.card import read_card
    from trueopen.inspectors.datainfo import read_datainfo
    from trueopen.inspectors.inventory import take_inventory

    with open_release(release({"DATA_CARD.md": "The composition of the blend is not disclosed.\n"})) as rel:
        card = read_card(rel)
        info = read_datainfo(rel, card, take_inventory(rel, card))
    assert not info.hits("scope-and-characteristics")
