"""Disguised copies: texts "spun" from another by swapping words for synonyms.

Spinning replaces content words (nouns, verbs, adjectives) and keeps the sentence skeleton: the
function words, the punctuation, the order and length of sentences. Word-shingle MinHash misses
such copies (few word 3-grams survive when most content words change); the skeleton survives.

A text's skeleton keeps each function word (data/datasets/function_words.txt), each punctuation
mark and a sentence break, and writes each run of other words as one `_` (a number as `#`), so a
two-word synonym ("spending plan" for "budget") leaves it as it was. Skeleton
8-grams with at least three kept tokens are the text's features (all-`_` runs say nothing about
structure). Two passes over the documents:
  1. MinHash signatures of the feature sets (rensa), LSH bands tuned to a low similarity
     (32 bands of 4 rows: a pair with Jaccard 0.35 becomes a candidate with p ~ 0.5, at 0.5 p ~ 0.9).
  2. For the documents in candidate pairs only: the exact feature sets; the score is their
     containment (shared features / features of the smaller text, so a copy with sentences
     dropped still scores high) and the evidence is the shared skeleton n-grams themselves, which
     hold function words and punctuation only, never the texts' content.
Precision and recall on a test set of spun copies, light paraphrases and unrelated texts on the
same topics: tests/datasets/test_spun.py and benchmarks/data.py.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from trueopen.datasets.lsh import Spill, band_keys, candidate_pairs

N = 8  # tokens per skeleton n-gram
MIN_KEPT = 3  # an n-gram needs this many function words, numbers or marks to say something about structure
# A text needs this many distinct skeleton n-grams (about two sentences) to be compared at all: short
# captions share skeletons by nature ("a photo of a _ on a _"); spinning is done to articles.
MIN_FEATURES = 16
NUM_PERM = 128
BANDS, ROWS = 32, 4
SEED = 7_919
DEFAULT_MIN_SCORE = 0.5
MAX_DOC_CHARS = 200_000  # a longer text is read on its first 200,000 characters
MAX_PAIRS = 1_000_000  # candidate pairs verified at most (a corpus of boilerplate can make more)
EVIDENCE = 5

_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,]\d+)*|[.!?;:,()\"“”—–-]")
_BREAK = frozenset(".!?")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Pair:
    """Two documents (names as given) whose skeletons match: a is the earlier one. `words` is the
    Jaccard similarity of their word 3-gram sets: high for a plain copy, low for a spun one."""

    a: str
    b: str
    score: float
    evidence: tuple[str, ...]
    words: float = 0.0
    positions: tuple[int, int] = (0, 0)  # of a and b in the stream


@cache
def function_words() -> frozenset[str]:
    text = resources.files("trueopen.data").joinpath("datasets/function_words.txt").read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


def skeleton(text: str) -> list[str]:
    """The text's sentence skeleton as tokens: function words, `_` for each run of other words,
    `#` for numbers, punctuation, and `|` after each sentence."""
    fw = function_words()
    out: list[str] = []
    add = out.append
    for t in _TOKEN.findall(text[:MAX_DOC_CHARS].casefold()):
        c = t[0]
        if c.isdigit():
            add("#")
        elif c.isalpha():
            if t in fw:
                add(t)
            elif not out or out[-1] != "_":  # a run of content words is one `_`: "budget" = "spending plan"
                add("_")
        else:
            add(t)
            if c in _BREAK:
                add("|")
    return out


def features(tokens: list[str]) -> dict[str, None]:
    """The skeleton n-grams that carry structure (ordered, without repeats)."""
    kept = [0]
    for t in tokens:
        kept.append(kept[-1] + (t != "_"))
    return {" ".join(tokens[i:i + N]): None for i in range(len(tokens) - N + 1) if kept[i + N] - kept[i] >= MIN_KEPT}


def find_pairs(docs: Callable[[], Iterable[tuple[str, str]]] | Iterable[tuple[str, str]],
               min_score: float = DEFAULT_MIN_SCORE) -> list[Pair]:
    """Pairs of documents whose skeletons match with a score of at least min_score.

    `docs` is a function giving the (name, text) stream, called twice (the second pass reads only
    the documents of candidate pairs); a plain iterable is read once and its texts are kept."""
    if not 0.0 < min_score <= 1.0:
        raise ValueError("min_score must be in (0, 1]")
    if not callable(docs):
        kept = list(docs)
        docs = lambda: kept  # noqa: E731 - one list, read twice
    candidates = _candidates(docs())
    if not candidates:
        return []
    wanted = {d for pair in candidates for d in pair}
    names: dict[int, str] = {}
    feats: dict[int, dict[str, None]] = {}
    shingles: dict[int, set[tuple[str, ...]]] = {}
    for i, (name, text) in enumerate(docs()):
        if i in wanted:  # only the candidates' names and texts are ever held
            names[i] = name
            feats[i] = features(skeleton(text))
            w = _WORD.findall(text[:MAX_DOC_CHARS].casefold())
            shingles[i] = {tuple(w[j:j + 3]) for j in range(max(1, len(w) - 2))}
    out = []
    for a, b in sorted(candidates):
        fa, fb = feats.get(a, {}), feats.get(b, {})
        if not fa or not fb:
            continue
        shared = [g for g in fa if g in fb]
        score = len(shared) / min(len(fa), len(fb))
        if score >= min_score:
            telling = sorted(shared, key=lambda g: (-sum(1 for t in g.split() if t != "_"), g))[:EVIDENCE]
            sa, sb = shingles[a], shingles[b]
            words = len(sa & sb) / len(sa | sb) if sa | sb else 0.0
            out.append(Pair(names[a], names[b], round(score, 4), tuple(telling), round(words, 4), (a, b)))
    return out


def _candidates(docs: Iterable[tuple[str, str]]) -> set[tuple[int, int]]:
    """Candidate pairs (document positions) from MinHash LSH over skeleton features."""
    import rensa

    rows = array("q")  # band-key row -> document position
    bands = Spill(".spun-bands")
    batch_sets: list[list[str]] = []

    def flush() -> None:
        if batch_sets:
            m = rensa.RMinHash.digest_matrix_from_token_sets(batch_sets, NUM_PERM, SEED)
            keys = band_keys(np.array(m.to_rows(), dtype=np.uint32), BANDS, ROWS)
            bands.add(keys.tobytes(), len(keys))
            batch_sets.clear()

    try:
        for i, (_name, text) in enumerate(docs):
            f = features(skeleton(text))
            if len(f) >= MIN_FEATURES:
                batch_sets.append(list(f))
                rows.append(i)
                if len(batch_sets) >= 4096:
                    flush()
        flush()
        pairs: set[tuple[int, int]] = set()
        for a, b in candidate_pairs(bands.matrix(np.uint64, BANDS)):
            pairs.add((rows[a], rows[b]))
            if len(pairs) >= MAX_PAIRS:
                break
    finally:
        bands.close()
    return pairs
