"""The golden files of every report format are current (regenerate: `make goldens`)."""

from __future__ import annotations

import pytest

from reports.goldens import GOLDENS, expected


@pytest.fixture(scope="module")
def now() -> dict[str, str]:
    return expected()


def test_goldens_are_current(now) -> None:
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in GOLDENS.iterdir()}
    assert sorted(on_disk) == sorted(now), "run: make goldens"
    stale = [name for name in sorted(now) if on_disk[name] != now[name]]
    assert not stale, f"stale golden files {stale}; run: make goldens"


def test_goldens_are_deterministic(now) -> None:
    again = expected()
    assert again == now
