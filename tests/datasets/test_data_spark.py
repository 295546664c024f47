"""The Spark engine gives the same blocklist matches as DuckDB on the same data (Parquet and
JSONL; URL, sha256 and md5 lists). Few tests: each starts Spark in local mode (a JVM).
Skipped with a reason without java or PySpark, or with TRUEOPEN_SKIP_SPARK=1."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from data_builders import hashed_rows, parquet_shards_with_different_columns, write_dataset
from trueopen.datasets import audit
from trueopen.datasets.urlnorm import normalise_url

pytestmark = pytest.mark.spark

if os.environ.get("TRUEOPEN_SKIP_SPARK") == "1":
    pytest.skip("TRUEOPEN_SKIP_SPARK=1", allow_module_level=True)
if shutil.which("java") is None:
    pytest.skip("no java on PATH: Spark needs a JVM", allow_module_level=True)
pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'trueopen[spark]')")
pytest.importorskip("pandas", reason="pandas is not installed (PySpark's Arrow paths need it)")

MASTER = "local[2]"


def _messy_rows(n: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out = []
    for i, base in enumerate(hashed_rows(n)):
        host = rng.choice(["www.", "WWW.", ""]) + f"img{i}.Example.org" + rng.choice(["", ":443"])
        path = f"/p/{rng.choice(['%7E', '~', '%2f', 'a'])}/{i}.jpg" + rng.choice(["", "/", "//"])
        query = rng.choice(["", "?utm_source=x", "?id=3&fbclid=z", "?"])
        frag = rng.choice(["", "#f"])
        out.append({**base, "url": f"https://{host}{path}{query}{frag}", "id": f"row-{i}"})
    return out


def _lists(tmp_path: Path, data: list[dict[str, str]]) -> list[Path]:
    rng = random.Random(7)
    picked = [r for r in data if rng.random() < 0.3]
    urls = tmp_path / "urls.txt"
    # half the entries in their normalised form, half as the dataset spells them
    urls.write_text("".join((normalise_url(r["url"]) if j % 2 else r["url"]) + "\n" for j, r in enumerate(picked)))
    hashes = tmp_path / "hashes.csv"
    hashes.write_text("sha256,md5\n" + "".join(f"{r['sha256'].upper()},\n" for r in data[::7]) +
                      "".join(f",{r['md5']}\n" for r in data[3::11]))
    return [urls, hashes]


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_spark_matches_equal_duckdb(tmp_path: Path, fmt: str) -> None:
    data = _messy_rows(60, seed=11)
    folder = write_dataset(fmt, tmp_path / "d", data, shards=2)
    lists = _lists(tmp_path, data)
    duck = audit(folder, blocklists=lists, checks=["blocklists"], engine="duckdb")
    spark = audit(folder, blocklists=lists, checks=["blocklists"], engine="spark", spark_master=MASTER)
    assert duck["blocklists"]["rows_matched"] > 15  # the lists reach every kind
    assert {m["kind"] for m in duck["blocklists"]["matches"]} == {"url", "sha256", "md5"}
    assert spark["engine"] == "spark"
    assert spark["blocklists"] == duck["blocklists"]
    assert spark["shards_skipped"] == duck["shards_skipped"] == []


def test_spark_parquet_ids_and_columns_like_duckdb(tmp_path: Path) -> None:
    """One run (a Spark session costs seconds) over shards that differ: string ids, no sha256
    column, neither url nor id (rows named SHARD:ROW), double ids (named as Arrow writes them)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    d, lst = parquet_shards_with_different_columns(tmp_path)
    pq.write_table(pa.table({"id": [1.0, 2.5, 3.0], "url": ["http://a.org/1", "http://a.org/0", "http://a.org/3"]}),
                   d / "d.parquet")
    duck = audit(d, blocklists=[lst], checks=["blocklists"])
    spark = audit(d, blocklists=[lst], checks=["blocklists"], engine="spark", spark_master=MASTER)
    assert duck["shards_skipped"] == []
    assert sorted(m["row"] for m in duck["blocklists"]["matches"]) == ["2.5", "a0", "a0", "b1", "c.parquet:1"]
    assert spark["blocklists"] == duck["blocklists"] and spark["shards_skipped"] == []


def test_the_callers_spark_session_is_left_running(tmp_path: Path) -> None:
    """The Python API inside a Spark application: the audit uses the caller's session and does
    not stop it."""
    from pyspark.sql import SparkSession

    session = SparkSession.builder.master(MASTER).appName("caller").getOrCreate()
    try:
        data = hashed_rows(4)
        folder = write_dataset("jsonl", tmp_path / "d", data)
        lst = tmp_path / "l.txt"
        lst.write_text(data[2]["url"] + "\n")
        r = audit(folder, blocklists=[lst], checks=["blocklists"], engine="spark")
        assert [m["row"] for m in r["blocklists"]["matches"]] == ["part-00000.jsonl:2"]
        assert SparkSession.getActiveSession() is session
        assert session.range(3).count() == 3  # still usable
    finally:
        session.stop()
