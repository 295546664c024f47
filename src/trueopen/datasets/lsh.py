"""Locality-sensitive hashing by bands over MinHash signatures, shared by text duplicates
(neardup.py) and disguised copies (spun.py): band keys, the candidate pairs they give, and a
spill file that keeps per-document state on disk."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import numpy as np

LARGE_BUCKET = 64  # a bucket bigger than this is linked by a chain, not by every pair


def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on uint64 arrays: spreads the bits of a combined hash."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) 64-bit keys of (n, bands * rows) uint32 signatures: two signatures agree on a band
    exactly when their keys for it do (up to 64-bit collisions, which only add candidates)."""
    if rows % 2:
        raise ValueError("rows per band must be even (signature values are read two to a word)")
    words = np.ascontiguousarray(signatures, dtype=np.uint32).view(np.uint64)
    per = rows // 2
    out = np.empty((len(signatures), bands), dtype=np.uint64)
    for band in range(bands):
        key = np.full(len(signatures), np.uint64(band))
        for c in range(band * per, (band + 1) * per):
            key = mix(key ^ words[:, c])
        out[:, band] = key
    return out


def candidate_pairs(keys: np.ndarray, rows: np.ndarray | None = None) -> Iterator[tuple[int, int]]:
    """Pairs (i < j) of key rows, among `rows` when given, that agree on at least one band: once per
    band they agree on (no set of every pair seen: on a million short captions that set alone took
    700 MB; the callers skip pairs they have already linked)."""
    rows = np.arange(len(keys)) if rows is None else rows
    if len(rows) < 2:
        return
    for band in range(keys.shape[1]):
        key = np.asarray(keys[rows, band])
        order = np.argsort(key, kind="stable")
        k = key[order]
        same = np.flatnonzero(k[1:] == k[:-1])
        if not len(same):
            continue
        # runs of equal keys: only the (few) buckets with two or more documents reach Python
        run_start = same[np.concatenate(([True], np.diff(same) != 1))]
        run_end = same[np.concatenate((np.diff(same) != 1, [True]))] + 2
        for lo, hi in zip(run_start.tolist(), run_end.tolist()):
            g = sorted(rows[order[lo:hi]].tolist())
            if len(g) > LARGE_BUCKET:
                links = zip(g, g[1:])  # a chain: groups still join when neighbours are similar
            else:
                links = ((x, y) for i, x in enumerate(g) for y in g[i + 1:])
            yield from links


class Spill:
    """Fixed-width rows (signatures, band keys) or bytes appended to a temporary file and read back
    by memory map: per-document state stays on disk, not in RAM."""

    def __init__(self, suffix: str) -> None:
        fd, self.path = tempfile.mkstemp(prefix="trueopen-lsh-", suffix=suffix)
        self.fh = os.fdopen(fd, "wb")
        self.n = 0

    def add(self, data: bytes, count: int) -> None:
        self.fh.write(data)
        self.n += count

    def matrix(self, dtype: type, width: int) -> np.ndarray:
        self.fh.close()
        if not self.n:
            return np.empty((0, width), dtype=dtype)
        return np.memmap(self.path, dtype=dtype, mode="r", shape=(self.n, width))

    def close(self) -> None:
        if not self.fh.closed:
            self.fh.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
