"""Fixtures of the `trueopen data` tests: synthetic datasets written in the test (data_builders)."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_builders import write_dataset


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: starts a JVM (Apache Spark local mode); TRUEOPEN_SKIP_SPARK=1 skips it")


@pytest.fixture
def make_ds(tmp_path: Path):
    """make_ds(fmt, rows, shards=1, name=None) -> the folder of a dataset written in that format."""

    def make(fmt: str, rows, shards: int = 1, name: str | None = None) -> Path:
        return write_dataset(fmt, tmp_path / (name or f"ds-{fmt}"), rows, shards)

    return make
