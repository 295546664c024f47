"""PDQ perceptual hashes: computed from image bytes with Meta's reference C++ (the `pdqhash`
bindings), and matched within a Hamming distance through a multi-index hash table, so that a
million rows against a hundred thousand list entries never compares every pair.

Multi-index hashing (Norouzi, Punjani, Fleet, "Fast Search in Hamming Space with Multi-Index
Hashing", CVPR 2012): the 256 bits are cut into 16 chunks of 16 bits. Two hashes within distance
r differ by at most floor(r / 16) bits in at least one chunk (pigeonhole), so it is enough to look
up, in each chunk's table, every value within that many bit flips of the query's chunk, and to
verify the candidates exactly. For r = 31 that is 17 lookups in each of 16 tables."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

BITS = 256
CHUNKS = 16  # 16-bit chunks: each chunk table is a direct-address array of 65,537 offsets
MIN_QUALITY = 50  # Meta's PDQ documentation: hashes of quality below 50 are not informative (flat images)
THUMBNAIL = 512  # the long side images are reduced to before hashing, as ThreatExchange's pdq_hasher does
MAX_PIXELS = 64 << 20  # a larger image is refused (decompression bomb), reported as unhashed
BATCH = 4096  # queries verified together (bounds the candidate arrays to a few tens of MB)
# Beyond this many bit flips per chunk the lookups outnumber a plain scan: compare every pair instead.
MAX_FLIPS = 2
SCAN_PAIRS = 1 << 21  # pairs compared at once by the plain scan


@dataclass(frozen=True)
class Cluster:
    """Rows whose PDQ hashes are linked by distances within the threshold."""

    rows: tuple[str, ...]
    positions: tuple[int, ...] = ()  # the rows' positions in the input


def hash_image(data: bytes) -> tuple[str, int]:
    """The PDQ hash (64 hex digits, Meta's format) and quality (0-100) of an encoded image.
    Raises ValueError when the bytes are not an image Pillow decodes within MAX_PIXELS."""
    import pdqhash
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            w, h = img.size
            if w * h > MAX_PIXELS or w <= 0 or h <= 0:
                raise ValueError(f"image of {w}x{h} pixels is over the {MAX_PIXELS} pixel limit")
            img.draft("RGB", (THUMBNAIL, THUMBNAIL))  # JPEG: decode at a reduced scale (no full-size pixels)
            rgb = img.convert("RGB")
            rgb.thumbnail((THUMBNAIL, THUMBNAIL))
            pixels = np.asarray(rgb, dtype=np.uint8)
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(f"not a readable image ({type(exc).__name__})") from None
    bits, quality = pdqhash.compute(pixels)
    # pdqhash returns the bits most significant first: packing them gives Meta's hex digest.
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex(), int(quality)


def parse(hexes: Sequence[str]) -> np.ndarray:
    """PDQ hex digests as an (n, 4) array of big-endian 64-bit words; raises ValueError on a bad one."""
    out = np.empty((len(hexes), 4), dtype=np.uint64)
    for i, h in enumerate(hexes):
        if len(h) != 64:
            raise ValueError(f"not a PDQ hash (64 hex digits): {len(h)} characters")
        out[i] = np.frombuffer(bytes.fromhex(h), dtype=">u8")
    return out


def distance(a: str, b: str) -> int:
    """Hamming distance between two PDQ hex digests."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _chunks(words: np.ndarray) -> np.ndarray:
    """(n, 16) uint16 chunk values of (n, 4) uint64 words (chunk j is bits 16j..16j+15 from the top)."""
    return np.ascontiguousarray(words.astype(">u8")).view(">u2").astype(np.int64).reshape(-1, CHUNKS)


def _flip_masks(flips: int) -> np.ndarray:
    masks = [0]
    for k in range(1, flips + 1):
        masks += [sum(1 << b for b in bits) for bits in combinations(range(16), k)]
    return np.array(masks, dtype=np.int64)


class PdqIndex:
    """Entries (any labels) with PDQ hashes, searchable within a Hamming distance."""

    def __init__(self, entries: Iterable[tuple[str, str]]) -> None:
        pairs = list(entries)
        self.labels: list[str] = [label for label, _ in pairs]
        self.words = parse([h for _, h in pairs]) if pairs else np.empty((0, 4), dtype=np.uint64)
        chunks = _chunks(self.words) if pairs else np.empty((0, CHUNKS), dtype=np.int64)
        self._order: list[np.ndarray] = []
        self._starts: list[np.ndarray] = []
        for j in range(CHUNKS):
            order = np.argsort(chunks[:, j], kind="stable")
            self._order.append(order)
            self._starts.append(np.searchsorted(chunks[order, j], np.arange(65_537)))

    def __len__(self) -> int:
        return len(self.labels)

    def search(self, queries: np.ndarray, radius: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(query indices, entry indices, distances) of every pair within `radius`, batch by batch;
        each pair once."""
        if not len(self) or not len(queries):
            return
        flips = radius // CHUNKS
        step = BATCH if flips <= MAX_FLIPS else max(1, SCAN_PAIRS // len(self))
        for lo in range(0, len(queries), step):
            q = queries[lo: lo + step]
            qi, ei = self._scan(q) if flips > MAX_FLIPS else self._candidates(q, _flip_masks(flips))
            if not len(qi):
                continue
            d = np.bitwise_count(q[qi] ^ self.words[ei]).sum(axis=1, dtype=np.int64)
            keep = d <= radius
            qi, ei, d = qi[keep], ei[keep], d[keep]
            # A pair close in several chunks was found once per chunk.
            key = np.unique(qi * len(self) + ei, return_index=True)[1]
            yield qi[key] + lo, ei[key], d[key]

    def _candidates(self, q: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        qc = _chunks(q)
        qis, eis = [], []
        for j in range(CHUNKS):
            keys = (qc[:, j][:, None] ^ masks[None, :]).ravel()
            start, end = self._starts[j][keys], self._starts[j][keys + 1]
            counts = end - start
            total = int(counts.sum())
            if not total:
                continue
            owner = np.repeat(np.arange(len(keys)) // len(masks), counts)
            offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(start, counts)
            qis.append(owner)
            eis.append(self._order[j][offsets])
        if not qis:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(qis), np.concatenate(eis)

    def _scan(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(self)
        return np.repeat(np.arange(len(q)), n), np.tile(np.arange(n), len(q))


def match(index: PdqIndex, hexes: Sequence[str], radius: int) -> list[tuple[int, int, int]]:
    """(query position, entry position, distance) of every query hash within radius of an entry."""
    out: list[tuple[int, int, int]] = []
    for qi, ei, d in index.search(parse(hexes), radius):
        out.extend(zip(qi.tolist(), ei.tolist(), d.tolist()))
    return sorted(out)


def image_clusters(rows: Iterable[tuple[str, str]], radius: int) -> list[Cluster]:
    """Groups of rows whose hashes are connected by links within radius (single linkage), in
    first-seen order; rows alone in their group are left out."""
    items = list(rows)
    index = PdqIndex(items)
    parent = list(range(len(items)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for qi, ei, _d in index.search(index.words, radius):
        for a, b in zip(qi.tolist(), ei.tolist()):
            if a < b:
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(len(items)):
        groups.setdefault(find(i), []).append(i)
    return [Cluster(tuple(items[i][0] for i in g), tuple(g)) for g in groups.values() if len(g) > 1]
