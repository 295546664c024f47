"""`trueopen index build --engine spark`: the same records as the local engine, into the same store.
Skipped with a reason without java or PySpark, or with TRUEOPEN_SKIP_SPARK=1."""

from __future__ import annotations

import os
import shutil

import pytest

from builders import EXAMPLES
from trueopen.index.build import BuildOptions, ListLine, build

if os.environ.get("TRUEOPEN_SKIP_SPARK") == "1":
    pytest.skip("TRUEOPEN_SKIP_SPARK=1", allow_module_level=True)
if shutil.which("java") is None:
    pytest.skip("Spark needs java (Debian: apt-get install default-jre-headless)", allow_module_level=True)
pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'trueopen[spark]')")


def test_spark_records_equal_the_local_engines(tmp_path) -> None:
    folders = []
    for name in ("fully-open", "openwashed"):
        shutil.copytree(EXAMPLES / name, tmp_path / name)
        folders.append(tmp_path / name)
    lines = [ListLine(1, str(folders[0])), ListLine(2, str(folders[1])), ListLine(3, str(tmp_path / "absent"))]
    local = build(lines, BuildOptions(store=tmp_path / "local.sqlite", jobs=1))
    spark_store = tmp_path / "spark.sqlite"
    on_spark = build(lines, BuildOptions(store=spark_store, engine="spark"))
    assert [e.audit for e in on_spark] == [e.audit for e in local]
    assert [e.id for e in on_spark] == [e.id for e in local]
    assert on_spark[2].error == local[2].error
    again = build(lines, BuildOptions(store=spark_store, engine="spark"))  # from the store, no Spark job needed
    assert [e.reused for e in again[:2]] == [True, True]
