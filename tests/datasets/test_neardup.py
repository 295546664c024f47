"""Text duplicates: exact after normalisation, near by MinHash LSH at the threshold, and the
vectorised shingling that feeds them."""

from __future__ import annotations

import random

import pytest

pytest.importorskip("rensa", reason="rensa (MinHash) is not installed")

from trueopen.datasets import neardup  # noqa: E402

VOCAB = [f"w{i}x" for i in range(3000)]


def doc(rng: random.Random, n: int = 120) -> list[str]:
    return [rng.choice(VOCAB) for _ in range(n)]


def shingles(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}


def jaccard(a: list[str], b: list[str]) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def edit(rng: random.Random, words: list[str], changes: int) -> list[str]:
    out = list(words)
    for i in rng.sample(range(len(out)), changes):
        out[i] = rng.choice(VOCAB)
    return out


def clusters(docs: list[tuple[str, str]], threshold: float = 0.8) -> list[tuple[str, ...]]:
    return [c.rows for c in neardup.text_clusters(docs, threshold)]


def test_normalisation_makes_case_punctuation_and_spacing_equal() -> None:
    docs = [("a", "The quick brown fox, jumps over the lazy dog!"), ("b", "the QUICK brown fox jumps\n over the lazy dog"),
            ("c", "The quick brown cat jumps over the lazy dog"), ("d", "")]
    found = neardup.text_clusters(docs, 0.8)
    assert [(c.rows, c.exact) for c in found] == [(("a", "b"), True)]


def test_near_duplicates_above_the_threshold_are_found_and_pairs_well_below_are_not() -> None:
    rng = random.Random(11)
    docs, above, below = [], [], []
    for i in range(150):
        base = doc(rng)
        docs.append((f"p{i}", " ".join(base)))
        copy = edit(rng, base, 2 if i % 2 else 25)  # 2 changed words of 120: J ~ 0.9; 25: J ~ 0.3
        docs.append((f"q{i}", " ".join(copy)))
        (above if jaccard(base, copy) >= 0.85 else below if jaccard(base, copy) <= 0.6 else []).append((f"p{i}", f"q{i}"))
    found = set(clusters(docs))
    assert len(above) >= 70 and len(below) >= 70
    assert {p for p in above if p in found} == set(above)  # recall on pairs clearly above
    assert not any(p in found for p in below)  # nothing clearly below
    assert all(len(c) == 2 for c in found)


def test_exact_duplicates_many_times_over_form_one_cluster() -> None:
    rng = random.Random(2)
    text = " ".join(doc(rng))
    docs = [(f"r{i}", text if i % 3 == 0 else " ".join(doc(rng))) for i in range(300)]
    found = neardup.text_clusters(docs, 0.8)
    assert len(found) == 1 and found[0].exact
    assert found[0].rows == tuple(f"r{i}" for i in range(0, 300, 3))


def test_results_do_not_depend_on_batching(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(4)
    docs = []
    for i in range(60):
        base = doc(rng, 40)
        docs += [(f"a{i}", " ".join(base)), (f"b{i}", " ".join(edit(rng, base, 1)))]
    whole = clusters(docs)
    monkeypatch.setattr(neardup, "BATCH", 7)
    assert clusters(docs) == whole
    assert len(whole) >= 50


def test_words_never_span_two_documents() -> None:
    flat, offsets, exact = neardup.shingle_hashes(["alpha beta", "gamma", "alpha", "beta gamma"])
    assert offsets.tolist() == [0, 1, 2, 3, 4]
    joined = neardup.shingle_hashes(["alpha beta gamma"])
    assert flat[0] != joined[0][0] and exact[0] != joined[2][0]


def test_short_texts_are_one_shingle_and_empty_texts_none() -> None:
    flat, offsets, _ = neardup.shingle_hashes(["", "one", "one two", "   ...  ", "one two three four"])
    assert offsets.tolist() == [0, 0, 1, 2, 2, 4]


def test_non_ascii_text_and_a_huge_document_are_bounded() -> None:
    huge = "слово " * 200_000  # 2.4 MB: shingled on its first MAX_DOC_BYTES
    docs = [("ru1", "Привет мир, это тест " * 5), ("ru2", "привет мир это тест " * 5), ("huge", huge),
            ("huge2", huge + " конец"), ("zh", "数据集 审计 工具"), ("bad", "\ud800 lone surrogate")]
    found = clusters(docs)
    assert ("huge", "huge2") in found
    assert ("ru1", "ru2") in found  # case is folded in every script


def test_threshold_outside_range_is_refused() -> None:
    with pytest.raises(ValueError):
        neardup.text_clusters([("a", "x")], 0.0)


def test_same_input_same_output() -> None:
    rng = random.Random(8)
    docs = [(f"d{i}", " ".join(doc(rng, 30))) for i in range(50)] + [("x", "a b c d"), ("y", "a b c d")]
    assert neardup.text_clusters(docs, 0.7) == neardup.text_clusters(list(docs), 0.7)
