"""Exact and near duplicates of text: word 3-gram shingles, MinHash signatures (the `rensa`
library, Rust) and locality-sensitive hashing by bands, then each candidate pair verified on
its signatures.

Shingling is vectorised over a whole batch of documents (numpy polynomial hashes of the words,
then of three consecutive words) instead of building one Python string per shingle: on this
machine that is 146 µs per 200-word document for Python strings against about 10 µs here, and
the issue's floor is 10^4 documents/s/core (benchmarks/data.py measures it). Normalisation: the
text is case-folded (str.casefold) and words are runs of ASCII letters and digits or of non-ASCII
bytes, so ASCII punctuation, spacing and case do not make two texts differ (non-ASCII punctuation
such as « » or 。 stays part of its word)."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np

from trueopen.datasets.lsh import Spill, band_keys, candidate_pairs, mix

SHINGLE = 3  # words per shingle: short enough for captions of a dozen words
NUM_PERM = 128
BANDS, ROWS = 16, 8  # LSH bands x rows = NUM_PERM; a pair at Jaccard 0.8 becomes a candidate with p > 0.99
SEED = 20_240_521
BATCH = 8_192  # documents shingled together at most
MAX_BATCH_BYTES = 1 << 20  # and at most this much text (the power tables are this long)
MAX_DOC_BYTES = 256 << 10  # a longer text is shingled on its first 256 KiB

_M = np.uint64(0xFFFFFFFFFFFFFFFF)
_P = np.uint64(1_099_511_628_211)  # FNV-64 prime: odd, so invertible modulo 2^64
_PINV = np.uint64(pow(1_099_511_628_211, -1, 1 << 64))
_WORD = np.zeros(256, dtype=bool)
_WORD[[*range(48, 58), *range(65, 91), *range(97, 123), *range(128, 256)]] = True
_BYTE = np.arange(1, 257, dtype=np.uint64)  # +1: a NUL byte still counts in a word's hash


@dataclass(frozen=True)
class Cluster:
    """Rows whose texts are (near) duplicates of one another; `exact` when all are identical
    after normalisation."""

    rows: tuple[str, ...]
    exact: bool
    docs: tuple[int, ...] = ()  # the documents' positions in the input stream


@cache
def _powers() -> tuple[np.ndarray, np.ndarray]:
    """P^-i and P^i for every byte position of a batch (8 MiB each, made once)."""
    with np.errstate(over="ignore"):
        pinv = np.cumprod(np.full(MAX_BATCH_BYTES, _PINV, dtype=np.uint64))
        pw = np.cumprod(np.full(MAX_BATCH_BYTES, _P, dtype=np.uint64))
    one = np.ones(1, dtype=np.uint64)
    return np.concatenate((one, pinv[:-1])), np.concatenate((one, pw[:-1]))


def _encode(text: str) -> bytes:
    return text.casefold().encode("utf-8", "replace")[:MAX_DOC_BYTES]


def shingle_hashes(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(flat shingle hashes, row offsets, a 64-bit key of each normalised text) for a batch whose
    texts fit in MAX_BATCH_BYTES (each is cut at MAX_DOC_BYTES)."""
    return _shingle_encoded([_encode(t) for t in texts])


def _shingle_encoded(encoded: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    blob = b"\n".join(encoded)  # the separator is not a word byte, so no word spans two texts
    if len(blob) > MAX_BATCH_BYTES:
        raise ValueError("batch larger than MAX_BATCH_BYTES")
    b = np.frombuffer(blob, dtype=np.uint8)
    n = len(b)
    word = _WORD[b]
    starts = np.flatnonzero(word[1:] & ~word[:-1]) + 1
    ends = np.flatnonzero(word[:-1] & ~word[1:]) + 1
    if n and word[0]:
        starts = np.concatenate(([0], starts))
    if n and word[-1]:
        ends = np.concatenate((ends, [n]))
    pinv, pw = _powers()
    with np.errstate(over="ignore"):
        vals = _BYTE[b]
        vals *= pinv[:n]
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(vals, dtype=np.uint64, out=prefix[1:])
        # (S[e] - S[s]) * P^s = sum b_i * P^(s-i): a polynomial in the word's own bytes
        words = mix((prefix[ends] - prefix[starts]) * pw[starts])
    doc_start = np.concatenate(([0], np.cumsum([len(e) + 1 for e in encoded[:-1]]))).astype(np.int64)
    wdoc = np.searchsorted(doc_start, starts, side="right") - 1
    counts = np.bincount(wdoc, minlength=len(encoded))
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    with np.errstate(over="ignore"):
        if len(words) >= SHINGLE:
            sh = mix(words[:-2] * np.uint64(0x9E3779B97F4A7C15) + words[1:-1] * np.uint64(0xC2B2AE3D27D4EB4F) + words[2:])
            same = wdoc[:-2] == wdoc[2:]
            sh, sdoc = sh[same], wdoc[:-2][same]
        else:
            sh, sdoc = np.empty(0, np.uint64), np.empty(0, np.int64)
        # A text of one or two words is one shingle of its words.
        short = np.flatnonzero((counts > 0) & (counts < SHINGLE))
        if len(short):
            extra = [mix(np.array([words[first[d]: first[d] + counts[d]].sum(dtype=np.uint64) * np.uint64(3)
                                    + np.uint64(counts[d])], dtype=np.uint64))[0] for d in short.tolist()]
            sh = np.concatenate((sh, np.array(extra, dtype=np.uint64)))
            sdoc = np.concatenate((sdoc, short))
            order = np.argsort(sdoc, kind="stable")
            sh, sdoc = sh[order], sdoc[order]
        offsets = np.concatenate(([0], np.cumsum(np.bincount(sdoc, minlength=len(encoded))))).astype(np.uint64)
        # Exact key: the word sequence, position-mixed and summed per document.
        pos = np.arange(len(words), dtype=np.uint64) - np.repeat(first, counts).astype(np.uint64)
        exact = np.zeros(len(encoded), dtype=np.uint64)
        np.add.at(exact, wdoc, mix(words ^ mix(pos + np.uint64(1))))
        exact = mix(exact + counts.astype(np.uint64))
    return sh, offsets, exact


class _Names:
    """Document names spilled to disk; only the names of clustered documents are read back."""

    def __init__(self) -> None:
        self.spill = Spill(".names")
        self.ends = array("q")
        self.size = 0

    def extend(self, names: list[str]) -> None:
        data = [n.encode("utf-8", "surrogatepass") for n in names]
        for d in data:
            self.size += len(d)
            self.ends.append(self.size)
        self.spill.add(b"".join(data), len(data))

    def __len__(self) -> int:
        return len(self.ends)

    def read(self, docs: Iterable[int]) -> dict[int, str]:
        self.spill.fh.close()
        out: dict[int, str] = {}
        with open(self.spill.path, "rb") as fh:
            for d in sorted(set(docs)):
                start = self.ends[d - 1] if d else 0
                fh.seek(start)
                out[d] = fh.read(self.ends[d] - start).decode("utf-8", "surrogatepass")
        return out

    def close(self) -> None:
        self.spill.close()


def _batches(docs: Iterable[tuple[str, str]]) -> Iterator[tuple[list[str], list[bytes]]]:
    """Names and normalised, encoded texts, cut into batches of at most BATCH texts and
    MAX_BATCH_BYTES bytes."""
    names: list[str] = []
    texts: list[bytes] = []
    size = 0
    for name, text in docs:
        data = _encode(text)
        if names and (len(names) >= BATCH or size + len(data) + 1 > MAX_BATCH_BYTES):
            yield names, texts
            names, texts, size = [], [], 0
        names.append(name)
        texts.append(data)
        size += len(data) + 1
    if names:
        yield names, texts


def text_clusters(docs: Iterable[tuple[str, str]], threshold: float = 0.8) -> list[Cluster]:
    """Clusters of texts whose estimated Jaccard similarity of word 3-gram sets is at least
    `threshold` (linked pairs, single linkage), in first-seen order; documents are streamed once.

    Memory: about 40 bytes a document (exact keys, the signature row of each document, one
    band's keys while it is sorted); names, signatures and band keys are spilled to temporary
    files."""
    import rensa

    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    names = _Names()
    keys: list[np.ndarray] = []  # per batch: the exact key of each document
    signed: list[np.ndarray] = []  # per batch: the documents that have words (one signature row each)
    sigs, bands = Spill(".sig"), Spill(".bands")
    parent: dict[int, int] = {}  # union-find over linked documents only

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
            parent.setdefault(min(ra, rb), min(ra, rb))

    try:
        for batch_names, texts in _batches(docs):
            flat, offsets, exact = _shingle_encoded(texts)
            base = len(names)
            names.extend(batch_names)
            has_words = np.flatnonzero(offsets[1:] != offsets[:-1])
            keys.append(exact[has_words])
            signed.append(has_words + base)
            if len(has_words):
                lo, hi = offsets[has_words], offsets[has_words + 1]
                sel = np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in zip(lo.tolist(), hi.tolist())])
                sub_off = np.concatenate(([0], np.cumsum(hi - lo))).astype(np.uint64)
                m = rensa.RMinHash.digest_matrix_from_flat_token_hashes(flat[sel], sub_off, NUM_PERM, SEED)
                rows = np.array(m.to_rows(), dtype=np.uint32)
                sigs.add(rows.tobytes(), len(rows))
                bands.add(band_keys(rows, BANDS, ROWS).tobytes(), len(rows))
        doc_of = np.concatenate(signed) if signed else np.empty(0, np.int64)  # signature row -> document
        exact_keys = np.concatenate(keys) if keys else np.empty(0, np.uint64)
        del keys, signed
        # Exact duplicates: one representative (the first) per normalised text takes part in LSH.
        _, first, inverse = np.unique(exact_keys, return_index=True, return_inverse=True)
        rep = first[inverse]  # signature row -> first signature row with the same text
        for r in np.flatnonzero(rep != np.arange(len(rep))).tolist():
            union(int(doc_of[rep[r]]), int(doc_of[r]))
        exact_docs = {int(d) for d in doc_of[rep != np.arange(len(rep))]} | {int(doc_of[x]) for x in rep[rep != np.arange(len(rep))]}
        sig = sigs.matrix(np.uint32, NUM_PERM)
        keys = bands.matrix(np.uint64, BANDS)
        reps = np.unique(first)
        for a, b in candidate_pairs(keys, reps):
            da, db = int(doc_of[a]), int(doc_of[b])
            if (da in parent or db in parent) and find(da) == find(db):
                continue  # already linked (through another band or another pair)
            if np.count_nonzero(sig[a] == sig[b]) >= threshold * NUM_PERM:
                union(da, db)
        groups: dict[int, list[int]] = {}
        for d in sorted(parent):
            groups.setdefault(find(d), []).append(d)
        members = [g for g in groups.values() if len(g) > 1]
        named = names.read(d for g in members for d in g)
        near = {d for g in members for d in g} - exact_docs
        wanted = np.isin(doc_of, np.fromiter(named, dtype=np.int64, count=len(named)))
        key_of = dict(zip(doc_of[wanted].tolist(), exact_keys[wanted].tolist()))
    finally:
        sigs.close()
        bands.close()
        names.close()
    return [Cluster(tuple(named[d] for d in g), exact=not (set(g) & near) and len({key_of.get(d) for d in g}) == 1,
                    docs=tuple(g)) for g in members]
