"""The DuckDB join under a memory limit: it gives the same matches within the limit, and running
out of memory stops the audit with one line instead of skipping the shard (which would drop its
matches without a word)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from trueopen.datasets import audit
from trueopen.errors import InputError


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("big")
    data, lst = root / "urls.parquet", root / "list.txt"
    duckdb.execute(f"""COPY (SELECT i AS id, 'https://h' || (i % 997) || '.example.org/' || md5(i::VARCHAR) || '/x?utm_source=a'
                     AS url FROM range(400000) t(i)) TO '{data}' (FORMAT parquet)""")
    lst.write_text("".join(f"https://www.h{i % 997}.example.org/{hashlib.md5(str(i).encode()).hexdigest()}/x/\n"
                           for i in range(0, 400000, 7)))
    return data, lst


def test_the_join_under_a_memory_limit_matches_the_same(big: tuple[Path, Path]) -> None:
    data, lst = big
    free = audit(data, blocklists=[lst], checks=["blocklists"], max_evidence=0)
    tight = audit(data, blocklists=[lst], checks=["blocklists"], max_evidence=0, memory_limit="128MB")
    assert free["blocklists"]["rows_matched"] == tight["blocklists"]["rows_matched"] == len(range(0, 400000, 7))
    assert tight["shards_skipped"] == []


def test_running_out_of_memory_stops_the_audit_with_one_line(big: tuple[Path, Path]) -> None:
    with pytest.raises(InputError, match="DuckDB ran out of memory.*raise --memory-limit"):
        audit(big[0], blocklists=[big[1]], checks=["blocklists"], memory_limit="8MB")


def test_a_bad_memory_limit_is_one_line(big: tuple[Path, Path]) -> None:
    with pytest.raises(InputError, match="--memory-limit"):
        audit(big[0], blocklists=[big[1]], checks=["blocklists"], memory_limit="lots")


def test_duckdb_never_draws_its_progress_bar_on_stdout(big: tuple[Path, Path], capfd: pytest.CaptureFixture) -> None:
    """DuckDB draws a progress bar on stdout for queries over 2 s (inside `--format json` output). It
    cannot be forced for a short query here (setting its wait to 0 turns the bar back on), so the
    setting itself is checked, and that a real join prints nothing."""
    from trueopen.datasets.engines import DuckDBEngine
    from trueopen.datasets.inputs import discover
    from trueopen.datasets.lists import load_blocklists

    engine = DuckDBEngine(load_blocklists([big[1]]))
    assert engine.con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0] is False
    engine.match(discover(big[0]).shards[0], None, {"url": "url", "id": "id"})
    assert capfd.readouterr().out == ""


def test_an_unknown_engine_is_refused_even_without_blocklists(big: tuple[Path, Path]) -> None:
    with pytest.raises(InputError, match="--engine bogus"):
        audit(big[0], checks=["licences"], engine="bogus")


def test_progress_reports_rows_then_each_stage(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text("".join(f'{{"id": "r{i}", "text": "row number {i} of a small text file"}}\n' for i in range(30)))
    rows, stages = [], []
    audit(path, checks=["duplicates", "disguised-copies"], write_clean=tmp_path / "out", remove=["duplicates"],
          progress=rows.append, stage=stages.append)
    assert sum(rows) == 30
    assert stages == ["duplicates", "disguised copies", "writing the cleaned release"]
