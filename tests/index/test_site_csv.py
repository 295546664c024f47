"""records.csv opens in a spreadsheet as text: no cell is run as a formula."""

from __future__ import annotations

import csv

from trueopen.index.entry import IndexEntry
from trueopen.index.site import write_site


def test_formula_like_cells_are_kept_as_text(tmp_path) -> None:
    entries = [IndexEntry(id="=HYPERLINK(\"http://evil.example\")", target="+cmd", audited_at="", trueopen_version="0",
                          error="@SUM(1)"),
               IndexEntry(id="https://example.org/ok", target="./ok", audited_at="", trueopen_version="0", error="fine")]
    write_site(entries, tmp_path / "site")
    with open(tmp_path / "site" / "records.csv", newline="") as fh:
        rows = {r["target"]: r for r in csv.DictReader(fh)}
    evil = rows["'+cmd"]
    assert evil["id"].startswith("'=") and evil["error"].startswith("'@")
    assert rows["./ok"]["id"] == "https://example.org/ok"
    assert '"id":"=HYPERLINK' in (tmp_path / "site" / "records.jsonl").read_text()  # JSON keeps the value as it is


def test_not_known_is_a_plain_dash(tmp_path) -> None:
    write_site([IndexEntry(id="https://example.org/x", target="./x", audited_at="", trueopen_version="0", error="e")],
               tmp_path / "site")
    with open(tmp_path / "site" / "records.csv", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert row["publisher"] == "-" or row["revision"] == "-"
    assert "'-" not in (tmp_path / "site" / "records.csv").read_text()
