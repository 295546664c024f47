"""img2dataset's output layout: NNNNN.tar shards with NNNNN.parquet metadata and NNNNN_stats.json
beside each; the tars are the dataset."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from data_builders import write_dataset

from trueopen.datasets.inputs import discover
from trueopen.errors import InputError

ROWS = [{"id": f"s{i}", "url": f"https://a.org/{i}.jpg", "caption": f"caption {i}"} for i in range(4)]


def test_tar_shards_with_parquet_metadata_beside_them_are_read_as_webdataset(tmp_path: Path) -> None:
    folder = write_dataset("wds", tmp_path / "out", ROWS, 2)
    for tar in sorted(folder.glob("*.tar")):
        pq.write_table(pa.table({"url": ["x"]}), tar.with_suffix(".parquet"))
        tar.with_name(tar.stem + "_stats.json").write_text('{"count": 2}')
    ds = discover(folder)
    assert ds.fmt == "wds" and [s.name for s in ds.shards] == sorted(p.name for p in folder.glob("*.tar"))


def test_parquet_without_its_tar_is_still_a_mix(tmp_path: Path) -> None:
    folder = write_dataset("wds", tmp_path / "out", ROWS, 1)
    pq.write_table(pa.table({"url": ["x"]}), folder / "other.parquet")
    with pytest.raises(InputError, match="several formats"):
        discover(folder)
