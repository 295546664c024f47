"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import write_release


@pytest.fixture

def release(tmp_path: Path):
    """Build a release: release({'README.md': '...'}) -> its folder."""

    def make(files: dict[str, str | bytes], name: str = "rel") -> Path:
        return write_release(tmp_path / name, files)

    return make


@pytest.fixture(autouse=True)
def _own_audit_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets an empty audit store of its own (the CLI writes one by default): no test
    reuses another's record, and none writes to the user's cache."""
    path = tmp_path_factory.mktemp("store") / "store.sqlite"
    monkeypatch.setenv("TRUEOPEN_STORE", str(path))
    return path
