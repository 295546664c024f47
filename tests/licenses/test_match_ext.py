"""The licence matcher's C loops (src/trueopen/licenses/_match.c) against the Python they replace.

Each C function is checked against a plain-Python reference on random licences and texts
(including the 0 that marks a position an earlier match took, repeated values, and values no
licence holds), and on bad input: a clear exception, never a crash.
"""

from __future__ import annotations

import array
import random

import pytest

from trueopen.licenses import _match
from trueopen.licenses._match import Tables

GAP = 24


def reference_shingles(ids: list, width: int) -> list[int]:
    return [hash(tuple(ids[k:k + width])) for k in range(len(ids) - width + 1)]


def reference_region(lic: list[int], values: list[int], gap: int):
    """The Python the matcher ran before: hits, the densest run (first of the longest), and the
    distinct licence shingles there with their first and last place in the licence."""
    hits = [p for p, v in enumerate(values) if v in set(lic)]
    if not hits:
        return None
    runs, start = [], 0
    for k in range(1, len(hits) + 1):
        if k == len(hits) or hits[k] - hits[k - 1] > gap:
            runs.append((start, k - 1))
            start = k
    first, last = max(runs, key=lambda r: (r[1] - r[0], -r[0]))
    found = {values[p] for p in hits[first:last + 1]}
    lo = next(j for j, h in enumerate(lic) if h in found)
    hi = max(j for j, h in enumerate(lic) if h in found)
    return (hits[first], hits[last], last - first + 1, len(found), lo, hi, first, last)


def random_index(rng: random.Random, licences: int = 12):
    """Licences of distinct shingles drawn from a small pool (so they share some), as the index
    stores them: one array('q') and offsets."""
    pool = [rng.randrange(-(1 << 63), 1 << 63) for _ in range(400)] + [1, 2, 3, -1]
    lics = [rng.sample(pool, rng.randrange(0, 120)) for _ in range(licences)]
    shingles = array.array("q", [h for lic in lics for h in lic])
    offsets = array.array("q", [0])
    for lic in lics:
        offsets.append(offsets[-1] + len(lic))
    return pool, lics, Tables(shingles, offsets)


def random_text(rng: random.Random, pool: list[int], lic: list[int]) -> list[int]:
    """A text: runs copied from a licence, noise, repeats, and zeros (taken positions)."""
    out: list[int] = []
    while len(out) < rng.randrange(0, 300):
        kind = rng.random()
        if kind < 0.4 and lic:
            a = rng.randrange(len(lic))
            out.extend(lic[a:a + rng.randrange(1, 40)])
        elif kind < 0.7:
            out.extend(rng.choice(pool) for _ in range(rng.randrange(1, 30)))
        elif kind < 0.85:
            out.extend([0] * rng.randrange(1, 10))
        else:
            out.extend(rng.randrange(-(1 << 63), 1 << 63) for _ in range(rng.randrange(1, 30)))
    return out


def test_shingles_are_the_tuple_hashes_the_index_holds() -> None:
    rng = random.Random(7)
    for _ in range(200):
        ids = [None if rng.random() < 0.1 else rng.randrange(50_000) for _ in range(rng.randrange(0, 60))]
        for width in (1, 2, 5, 9):
            assert _match.shingles(ids, width) == reference_shingles(ids, width)


def test_shingles_reject_bad_input() -> None:
    assert _match.shingles([1, 2, 3], 5) == []
    with pytest.raises(ValueError):
        _match.shingles([1, 2, 3], 0)
    with pytest.raises(TypeError):
        _match.shingles((1, 2, 3), 2)
    with pytest.raises(TypeError):
        _match.shingles([1, [2], 3], 2)  # an unhashable item: Python's own error, not a crash


def test_tables_agree_with_python_on_random_licences_and_texts() -> None:
    rng = random.Random(11)
    for _ in range(60):
        pool, lics, tables = random_index(rng)
        for _ in range(10):
            i = rng.randrange(len(lics))
            lic = lics[i]
            values = random_text(rng, pool, lic)
            held = set(lic)
            hits = [p for p, v in enumerate(values) if v in held]
            assert tables.hits(i, values) == hits
            assert tables.count_distinct(i, values) == len((set(values) - {0}) & held)
            query = set(values)
            assert tables.count(i, query) == len(query & held)
            assert tables.count(i, array.array("q", query)) == len(query & held)
            assert tables.count(i, values) == sum(v in held for v in values)
            assert tables.region(i, values, GAP) == reference_region(lic, values, GAP)
            other = rng.randrange(len(lics))
            at = hits[rng.randrange(len(hits) + 1):] if hits else []
            lacking = next((p for p in at if values[p] not in set(lics[other])), None)
            assert tables.first_missing(other, values, at) == lacking


def test_a_licence_holding_zero_counts_it_as_a_hit_but_not_as_a_query_shingle() -> None:
    """0 marks positions an earlier match took: count_distinct leaves it out (the query does),
    hits and region see it like any value the licence holds."""
    tables = Tables(array.array("q", [0, 5, 6]), array.array("q", [0, 3]))
    values = [0, 5, 0, 6, 9]
    assert tables.hits(0, values) == [0, 1, 2, 3]
    assert tables.count_distinct(0, values) == 2
    assert tables.region(0, values, GAP) == (0, 3, 4, 3, 0, 2, 0, 3)


def test_ints_beyond_64_bits_are_held_by_no_licence() -> None:
    tables = Tables(array.array("q", [5]), array.array("q", [0, 1]))
    assert tables.hits(0, [1 << 70, 5, -(1 << 70)]) == [1]
    assert tables.count(0, [1 << 64, 5]) == 1


def test_tables_fail_closed_on_bad_input() -> None:
    sh = array.array("q", [1, 2, 3, 4])
    with pytest.raises(ValueError):
        Tables(array.array("i", [1, 2]), array.array("q", [0, 2]))  # not 64-bit
    with pytest.raises(ValueError):
        Tables(sh, array.array("q", [0, 3, 2]))  # offsets go back
    with pytest.raises(ValueError):
        Tables(sh, array.array("q", [0, 9]))  # past the shingles
    with pytest.raises(ValueError):
        Tables(sh, array.array("q"))
    with pytest.raises(TypeError):
        Tables([1, 2], array.array("q", [0, 2]))  # no buffer
    tables = Tables(sh, array.array("q", [0, 2, 4]))
    for bad in (-1, 2, 1 << 40):
        with pytest.raises((IndexError, OverflowError)):
            tables.hits(bad, [1])
    with pytest.raises(TypeError):
        tables.hits(0, [1, "2"])
    with pytest.raises(TypeError):
        tables.region(0, [1.0], GAP)
    with pytest.raises(TypeError):
        tables.count(0, array.array("d", [1.0]))
    with pytest.raises(IndexError):
        tables.first_missing(0, [1, 2], [0, 5])
    with pytest.raises(IndexError):
        tables.first_missing(0, [1, 2], [-1])
    with pytest.raises(TypeError):
        tables.first_missing(0, [1, 2], ["0"])
    with pytest.raises(RuntimeError):
        tables.__init__(sh, array.array("q", [0, 4]))  # set up once
    uninitialised = Tables.__new__(Tables)
    with pytest.raises(RuntimeError):
        uninitialised.hits(0, [1])
    assert tables.count(1, iter([3, 4, 5])) == 2


def test_tables_keep_their_arrays_from_changing_under_them() -> None:
    """The tables hold the shingles' buffer: resizing it while they live is refused by Python
    (their pointer would dangle). The offsets are copied when the tables are made: writing to
    that array afterwards changes nothing (it once read past the shingles)."""
    sh, off = array.array("q", [1, 2, 3]), array.array("q", [0, 2, 3])
    tables = Tables(sh, off)
    with pytest.raises(BufferError):
        sh.append(3)
    off[1] = 1 << 40
    off.append(99)
    assert tables.hits(0, [2, 1, 3]) == [0, 1]
    assert tables.count_distinct(1, [3, 3]) == 1
    assert tables.region(1, [3], GAP) == (0, 0, 1, 1, 0, 0, 0, 0)
    del tables
    sh.append(3)  # released with them


def test_shingles_never_show_a_half_made_list() -> None:
    """__hash__ may run Python code that walks every object (gc.get_objects()): the result list
    must not exist yet, its items unset (reading one crashed the interpreter)."""
    import gc

    class Walking:
        def __hash__(self) -> int:
            for o in gc.get_objects():
                if type(o) is list:
                    o[:1]  # noqa: B018 - reads an item of every list
            return 7
    ids = [1, Walking(), 3, 4, 5, 6]
    assert _match.shingles(ids, 2) == reference_shingles(ids, 2)


def test_the_index_tables_answer_as_its_shingle_lists() -> None:
    """On the real SPDX index: each licence's table holds exactly its shingles."""
    from trueopen.licenses import fulltext

    idx = fulltext._index()
    tables = idx.tables()
    rng = random.Random(3)
    for i in rng.sample(range(len(idx.ids)), 40):
        lic = list(idx.shingles[idx.offsets[i]:idx.offsets[i + 1]])
        probe = lic + [h + 1 for h in lic[:50]]
        assert tables.hits(i, probe) == list(range(len(lic))) + [p + len(lic) for p, h in enumerate(lic[:50]) if h + 1 in set(lic)]
        assert tables.count_distinct(i, probe) == len(set(lic) - {0})


def test_shingles_survive_a_hash_that_empties_the_list() -> None:
    ids: list = []

    class Emptying:
        def __hash__(self) -> int:
            ids.clear()
            return 1
    ids.extend([1, Emptying(), 3, 4, 5, 6])
    with pytest.raises(RuntimeError):
        _match.shingles(ids, 2)
