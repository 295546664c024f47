"""The terminal table of a dataset audit: every section the report has, none it lacks."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from data_builders import hashed_rows
from trueopen.datasets import audit
from trueopen.datasets.table import render


def _table(report: dict) -> str:
    console = Console(record=True, file=io.StringIO(), width=220, color_system=None)
    render(report, console)
    return console.export_text()


def test_full_report(make_ds, tmp_path: Path) -> None:
    data = hashed_rows(6)
    data[3]["caption"] = data[2]["caption"]  # an exact text duplicate
    data[4]["caption"] = "mail ann@example.org"
    folder = make_ds("jsonl", data, shards=2)
    (folder / "README.md").write_text("# Set\n\n## Data sources\nCrawled from Common Crawl in 2023.\n")
    (folder / "part-00002.jsonl").write_bytes(b"{broken\n")
    lst = tmp_path / "l.txt"
    lst.write_text(data[1]["url"] + "\n")
    optout = tmp_path / "optout.txt"
    optout.write_text("img5.example.org\n")
    r = audit(folder, blocklists=[lst], opt_out=optout, checks=["blocklists", "opt-out", "licences", "personal-data",
                                                                 "duplicates", "card"], write_clean=tmp_path / "out")
    text = _table(r)
    assert f"{folder}  jsonl, 2/3 shards, 6 rows  (engine duckdb)" in text
    assert "columns: license=license, md5=md5, sha256=sha256, text=caption, url=url" in text
    assert "skipped part-00002.jsonl: JSONDecodeError" in text
    for row in (["blocklist", "l.txt (url 1)", "1"], ["blocklists", "any list", "1"],
                ["opt-out", "optout.txt (1 domain)", "1"], ["duplicates (text)", "1 in 1 cluster"],
                ["personal data", "caption: email 1", "1"], ["CC-BY-4.0", "6", "100.0 %"], ["(none known)", "0", "0.0 %"]):
        assert any(all(cell in line for cell in row) for line in text.splitlines()), row
    assert "data card README.md: describes" in text and "list of public sources" in text
    assert f"cleaned release: {tmp_path / 'out'} (5 rows written, 1 removed; removals.csv)" in text
    assert "ann@example.org" not in text and data[1]["url"] not in text and "img5.example.org" not in text


def test_minimal_report(make_ds) -> None:
    r = audit(make_ds("csv", [{"caption": "x"}]), checks=["blocklists"])
    text = _table(r)
    assert "columns: text=caption" in text
    for absent in ("Licences", "opt-out", "personal data", "duplicates", "data card", "cleaned release", "skipped"):
        assert absent not in text
