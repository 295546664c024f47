"""Row checks: licence per row (column, Creative Commons mark in the caption or metadata, domain
table), the share without one, opt-out domains (subdomains covered) and personal-data counts,
which are reported by row and never printed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from data_builders import EXT
from trueopen.datasets import audit
from trueopen.datasets.rowchecks import cc_mark, check_rows, licence_of_value
from trueopen.datasets.table import render

PII = {"email": "jane.doe@mail.example", "phone": "+44 20 7946 0958", "ipv4": "10.1.2.3",
       "payment_card": "4111-1111-1111-1111", "iban": "DE89 3704 0044 0532 0130 00"}


def licence_rows() -> list[dict[str, str]]:
    def row(url: str, license: str = "", caption: str = "a photo", metadata: str = "") -> dict[str, str]:
        return {"url": url, "license": license, "caption": caption, "metadata": metadata}

    return [
        row("https://a.org/0", license="CC-BY-4.0"),                                   # 0 column
        row("https://img.flickr-cc.org/1", license="MIT"),                             # 1 column beats the domain
        row("https://a.org/2", caption="Sunset, CC BY-SA 4.0, by Ann"),                # 2 mark in the caption
        row("https://a.org/3", metadata=json.dumps({"rights": "https://creativecommons.org/publicdomain/zero/1.0/"})),  # 3
        row("https://www.img.flickr-cc.org/4", license="all rights reserved"),        # 4 domain table
        row("https://other.org/5"),                                                    # 5 unknown
        row("https://www.cdn.optout.org/6", caption=f"write to {PII['email']} or {PII['phone']}"),  # 6 opt-out, PII
        row("https://optout.org.evil.com/7",
            caption=f"server {PII['ipv4']}, card {PII['payment_card']}, iban {PII['iban']}"),  # 7 PII only
    ]


@pytest.fixture
def side_files(tmp_path: Path) -> tuple[Path, Path]:
    optout = tmp_path / "optout.txt"
    optout.write_text("# TDM reservations\noptout.org\n")
    lic = tmp_path / "domains.csv"
    lic.write_text("domain,license\nflickr-cc.org,CC-BY-2.0\n")
    return optout, lic


def _table(report: dict) -> str:
    console = Console(record=True, file=io.StringIO(), width=200, color_system=None)
    render(report, console)
    return console.export_text()


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_row_checks(make_ds, side_files, fmt: str) -> None:
    optout, lic = side_files
    folder = make_ds(fmt, licence_rows())
    r = audit(folder, opt_out=optout, domain_licenses=lic, checks=["licences", "opt-out", "personal-data"])
    name = lambda i: f"part-00000{EXT[fmt]}:{i}"  # noqa: E731
    licences = r["licences"]
    assert licences["rows_with_licence"] == 5 and licences["rows_without_licence"] == 3
    assert licences["unknown_share"] == 0.375
    assert {x["license"]: x["rows"] for x in licences["by_licence"]} == {
        "CC-BY-4.0": 1, "MIT": 1, "CC-BY-SA-4.0": 1, "CC0-1.0": 1, "CC-BY-2.0": 1}
    assert licences["by_source"] == {"column": 2, "domain": 1, "mark": 2}
    assert r["opt_out"] == {"list": "optout.txt", "domains": 1, "rows_matched": 1, "rows": [name(6)]}
    pd = r["personal_data"]
    assert pd["text_column"] == "caption"
    assert pd["totals"] == {"email": 1, "iban": 1, "ipv4": 1, "payment_card": 1, "phone": 1}
    assert pd["rows_with_any"] == 2
    assert pd["rows"] == [{"row": name(6), "email": 1, "phone": 1},
                          {"row": name(7), "iban": 1, "ipv4": 1, "payment_card": 1}]
    text = json.dumps(r) + _table(r)
    for value in PII.values():
        assert value not in text
    assert "jane" not in text and "optout.org" not in text


def test_licence_share_when_nothing_says(make_ds) -> None:
    r = audit(make_ds("jsonl", [{"url": f"http://a.org/{i}", "caption": "x"} for i in range(4)]), checks=["licences"])
    assert r["licences"]["unknown_share"] == 1.0 and r["licences"]["by_licence"] == []


def test_parquet_struct_metadata_is_read_for_marks(tmp_path: Path) -> None:
    """A nested metadata column (usual in Parquet) is searched as JSON text, not a corrupt shard."""
    d = tmp_path / "d"
    d.mkdir()
    pq.write_table(pa.table({"url": ["http://a.org/1", "http://a.org/2"],
                             "metadata": pa.array([{"lic": "https://creativecommons.org/licenses/by-nc/2.0/"},
                                                   {"lic": "none"}])}), d / "p.parquet")
    r = audit(d, checks=["licences"])
    assert r["shards_skipped"] == []
    assert r["licences"]["by_licence"] == [{"license": "CC-BY-NC-2.0", "rows": 1, "share": 0.5}]


def test_wds_licence_in_json_and_pii_in_txt(make_ds) -> None:
    data = [{"url": "https://a.org/0", "caption": f"mail {PII['email']}", "license": "CC-BY-SA-4.0"},
            {"url": "https://a.org/1", "caption": "nothing here"}]
    r = audit(make_ds("wds", data), checks=["licences", "personal-data"])
    assert r["licences"]["by_licence"] == [{"license": "CC-BY-SA-4.0", "rows": 1, "share": 0.5}]
    assert r["personal_data"]["rows"] == [{"row": "sample00000", "email": 1}]


@pytest.mark.parametrize(("text", "spdx"), [
    ("CC-BY-4.0", "CC-BY-4.0"),
    ("cc by-nc-sa 3.0", "CC-BY-NC-SA-3.0"),
    ("CC BY 2.0", "CC-BY-2.0"),
    ("see https://creativecommons.org/licenses/by-nd/4.0/deed.en", "CC-BY-ND-4.0"),
    ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0"),
    ("http://creativecommons.org/publicdomain/mark/1.0/", "LicenseRef-PDM-1.0"),
    ("released as CC0", "CC0-1.0"),
    ("CC BY-ND-NC 4.0", "CC-BY-NC-ND-4.0"),
    ("cc by sa nc 2.0", "CC-BY-NC-SA-2.0"),
    ("CC BY-SA-ND 4.0", None),
    ("accbyx 4.0", None),
    ("", None),
    (None, None),
])
def test_cc_marks(text, spdx) -> None:
    assert cc_mark(text) == spdx


@pytest.mark.parametrize(("value", "spdx"), [("MIT", "MIT"), ("Apache License 2.0", "Apache-2.0"),
                                             ("cc by-sa 4.0", "CC-BY-SA-4.0"), ("all rights reserved", None)])
def test_licence_column_values(value: str, spdx) -> None:
    assert licence_of_value(value) == spdx


def test_pii_kinds_are_counted_once() -> None:
    """A card number or an IBAN is not also a phone number; counts per row add up."""
    texts = [f"{PII['payment_card']}", f"{PII['iban']}", f"{PII['phone']} and {PII['phone']}",
             "on 2024-01-15 at 10:30, page 12 of 300", None, f"{PII['email']} {PII['email']} {PII['ipv4']}"]
    batch = pa.record_batch({"t": pa.array(texts, pa.string()), "__row": pa.array(range(len(texts)), pa.int64())})
    st = check_rows(batch, [f"r{i}" for i in range(len(texts))], {"text": "t"}, licences=False, domain_licences=None,
                    opt_out=None, opt_out_name="", pii=True)
    assert st.pii_rows == [("r0", {"payment_card": 1}), ("r1", {"iban": 1}), ("r2", {"phone": 2}),
                           ("r5", {"email": 2, "ipv4": 1})]
    assert dict(st.pii_totals) == {"payment_card": 1, "iban": 1, "phone": 2, "email": 2, "ipv4": 1}


def test_no_text_column_no_pii_rows(make_ds) -> None:
    r = audit(make_ds("jsonl", [{"url": "http://a.org/x?mail=a@b.org"}]), checks=["personal-data"])
    assert r["personal_data"]["text_column"] is None and r["personal_data"]["rows"] == []


def test_opt_out_skipped_check_reports_none(make_ds, side_files) -> None:
    optout, _ = side_files
    r = audit(make_ds("jsonl", licence_rows()), opt_out=optout, checks=["licences"])
    assert r["opt_out"] is None and r["personal_data"] is None


def test_long_licence_values_are_read_from_their_top(make_ds) -> None:
    """A licence column holding whole licence texts: the mark at the top counts, and the lookups
    stay bounded (only the first MAX_LICENCE_VALUE characters are looked up, and cached)."""
    from trueopen.datasets import rowchecks

    texts = [f"Licensed CC BY-SA 4.0.\n{'terms and conditions ' * 500}{i}" for i in range(5)]
    rowchecks.licence_of_value.cache_clear()
    r = audit(make_ds("jsonl", [{"caption": "x", "license": t} for t in texts]), checks=["licences"])
    assert r["licences"]["by_licence"] == [{"license": "CC-BY-SA-4.0", "rows": 5, "share": 1.0}]
    info = rowchecks.licence_of_value.cache_info()
    assert info.currsize == 1 and info.hits == 4
