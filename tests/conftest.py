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
