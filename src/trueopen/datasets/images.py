"""The image keys of every row, for the image duplicate checks: where the row is, its sha256 and
PDQ hash as raw bytes, and its name on disk. About 80 bytes a row in memory, against about 400
for the Python tuples this replaces."""

from __future__ import annotations

import hashlib
import re
from array import array
from dataclasses import dataclass

import numpy as np

from trueopen.datasets.lsh import NameSpill

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_NO_KEY = bytes(32)


@dataclass
class ImageRow:
    """One row found in a duplicate group: its place, its name."""

    shard: str
    row: int
    name: str


class ImageRows:
    """Rows with an image key, in the data's order (shard by shard, row by row)."""

    def __init__(self, shard_names: list[str]) -> None:
        self.shard_names = shard_names
        self.shard = array("i")
        self.row = array("q")
        self.sha = bytearray()
        self.has_sha = bytearray()
        self.pdq = bytearray()
        self.has_pdq = bytearray()
        self.names = NameSpill()

    def __len__(self) -> int:
        return len(self.row)

    def extend(self, shard_index: int, rows: list[tuple[int, str, str | None, str | None]]) -> None:
        """Add one shard's rows: (row, name, sha256 text, PDQ hex) with either key possibly None."""
        for r, _n, sha, pdq in rows:
            self.shard.append(shard_index)
            self.row.append(r)
            self.sha += _sha_key(sha) if sha else _NO_KEY
            self.has_sha.append(1 if sha else 0)
            self.pdq += bytes.fromhex(pdq) if pdq else _NO_KEY
            self.has_pdq.append(1 if pdq else 0)
        self.names.extend([n for _, n, _, _ in rows])

    def exact_groups(self) -> list[list[int]]:
        """Positions of rows that share a sha256, each group in the data's order, groups by their first."""
        have = np.flatnonzero(np.frombuffer(bytes(self.has_sha), dtype=np.uint8))
        if len(have) < 2:
            return []
        keys = np.frombuffer(bytes(self.sha), dtype="V32")[have]
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        dup = counts[inverse] > 1
        groups: dict[int, list[int]] = {}
        for pos, g in zip(have[dup].tolist(), inverse[dup].tolist()):
            groups.setdefault(g, []).append(pos)
        return sorted(groups.values())

    def pdq_words(self, skip: set[int]) -> tuple[np.ndarray, np.ndarray]:
        """(positions, (n, 4) uint64 words) of the rows with a PDQ hash, except `skip`."""
        have = np.flatnonzero(np.frombuffer(bytes(self.has_pdq), dtype=np.uint8))
        if skip:
            have = have[~np.isin(have, np.fromiter(skip, dtype=np.int64, count=len(skip)))]
        words = np.frombuffer(bytes(self.pdq), dtype=">u8").reshape(-1, 4)[have].astype(np.uint64)
        return have, words

    def rows(self, positions: list[int]) -> dict[int, ImageRow]:
        """Place and name of these positions (names read back from disk)."""
        names = self.names.read(positions)
        return {p: ImageRow(self.shard_names[self.shard[p]], self.row[p], names[p]) for p in positions}

    def close(self) -> None:
        self.names.close()


def _sha_key(value: str) -> bytes:
    """A sha256 column value as 32 bytes: its digest when it is 64 hex digits, else the sha256 of the
    text (equal values stay equal, whatever the column holds)."""
    v = value.strip().lower()
    return bytes.fromhex(v) if _HEX64.match(v) else hashlib.sha256(v.encode("utf-8", "surrogatepass")).digest()
