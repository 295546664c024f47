"""The differential fuzzer's deterministic slice (issue 13): a fixed seed and count, so a
regression in the scanner that makes a loader-run payload pass as `clean` fails the build."""

from __future__ import annotations

import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the oracle forks a resource-limited child (Linux)")


def test_seeded_slice_has_no_silent_miss_and_no_crash(tmp_path):
    from fuzz.run import run

    stats = run(count=400, seed=13, out=tmp_path)
    assert sum(stats.tried.values()) == 400
    assert stats.oracle_runs > 0, "the oracle never ran: the slice proves nothing"
    assert not stats.misses, stats.misses
    assert not stats.crashes, stats.crashes


def test_the_oracle_sees_a_payload_run():
    from fuzz.oracle import runs_payload
    from fuzz.seeds import PAYLOAD

    assert runs_payload(PAYLOAD + b".")
    assert not runs_payload(b"(lp0\nI1\na.")


def test_same_seed_same_inputs():
    from itertools import islice

    from fuzz.run import cases

    first = [c[3] for c in islice(cases(5), 50)]
    assert first == [c[3] for c in islice(cases(5), 50)]
    assert first != [c[3] for c in islice(cases(6), 50)]
