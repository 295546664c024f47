"""Blocklist matching end to end through trueopen.datasets.audit, for every format: URLs after
normalisation, sha256 and md5 exactly; and the report (JSON and table) never contains a matched
URL, caption or hash key."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from data_builders import EXT, FORMATS, hashed_rows, md5, parquet_shards_with_different_columns, sha256, wds_image
from trueopen.datasets import audit
from trueopen.datasets.lists import key_sha256
from trueopen.datasets.table import render


def _lists(tmp_path: Path, data: list[dict[str, str]]) -> tuple[Path, Path]:
    urls = tmp_path / "urls.txt"
    # row 1 and row 5, spelled differently: normalisation must bring them together
    urls.write_text("# synthetic list\nHTTPS://WWW.img1.example.org:443/p/1.jpg/#frag\n"
                    "https://img5.example.org/p/5.jpg?utm_source=x\nhttps://unrelated.example.org/x\n")
    hashes = tmp_path / "hashes.csv"
    hashes.write_text(f"sha256,md5\n{data[3]['sha256'].upper()},\n,{data[4]['md5']}\n{data[5]['sha256']},\n"
                      f"{'0' * 64},{'1' * 32}\n")
    return urls, hashes


def _name(fmt: str, i: int, per_shard: int = 4) -> str:
    return f"sample{i:05d}" if fmt == "wds" else f"part-{i // per_shard:05d}{EXT[fmt]}:{i % per_shard}"


def _table(report: dict) -> str:
    console = Console(record=True, file=io.StringIO(), width=200, color_system=None)
    render(report, console)
    return console.export_text()


@pytest.mark.parametrize("checks", [["blocklists"], None], ids=["blocklists-only", "all-checks"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_blocklist_matches_each_format(make_ds, tmp_path: Path, fmt: str, checks) -> None:
    data = hashed_rows()
    folder = make_ds(fmt, data, shards=2)
    urls, hashes = _lists(tmp_path, data)
    r = audit(folder, blocklists=[urls, hashes], checks=checks)
    bl = r["blocklists"]
    assert r["rows_scanned"] == 8 and r["shards_skipped"] == []
    assert bl["rows_matched"] == 4  # rows 1, 3, 4, 5 (row 5 on two lists counts once)
    want = sorted([
        (_name(fmt, 1), "urls.txt", "url", key_sha256("https://img1.example.org/p/1.jpg")),
        (_name(fmt, 5), "urls.txt", "url", key_sha256("https://img5.example.org/p/5.jpg")),
        (_name(fmt, 3), "hashes.csv", "sha256", key_sha256(data[3]["sha256"])),
        (_name(fmt, 4), "hashes.csv", "md5", key_sha256(data[4]["md5"])),
        (_name(fmt, 5), "hashes.csv", "sha256", key_sha256(data[5]["sha256"])),
    ])
    assert sorted((m["row"], m["list"], m["kind"], m["key_sha256"]) for m in bl["matches"]) == want
    by_list = {x["list"]: x for x in bl["lists"]}
    assert by_list["urls.txt"]["entries"] == 3 and by_list["urls.txt"]["rows_matched"] == 2
    assert by_list["hashes.csv"]["kinds"] == {"md5": 2, "sha256": 3}
    assert by_list["hashes.csv"]["by_kind"] == {"md5": 1, "sha256": 2}
    assert bl["matches_truncated"] == 0

    # Evidence is row names and hashes of keys: never a matched URL, caption or key.
    text = json.dumps(r, ensure_ascii=False) + _table(r)
    for i in (1, 3, 4, 5):
        for secret in (data[i]["url"], data[i]["url"].split("//")[1], data[i]["caption"], data[i]["sha256"],
                       data[i]["md5"]):
            assert secret not in text, secret
    assert "img1.example.org" not in text and "zebra" not in text


def test_matches_are_capped_by_max_evidence(make_ds, tmp_path: Path) -> None:
    data = hashed_rows()
    urls, hashes = _lists(tmp_path, data)
    r = audit(make_ds("jsonl", data), blocklists=[urls, hashes], checks=["blocklists"], max_evidence=2)
    assert len(r["blocklists"]["matches"]) == 2 and r["blocklists"]["matches_truncated"] == 3
    assert r["blocklists"]["rows_matched"] == 4


def test_no_match_no_false_positive(make_ds, tmp_path: Path) -> None:
    data = hashed_rows()
    lst = tmp_path / "l.txt"
    lst.write_text("https://img1.example.org/p/1.jpg/other\nhttp://img1.example.org/p/1.jpg\nhttps://img1.example.org/P/1.jpg\n")
    r = audit(make_ds("parquet", data), blocklists=[lst], checks=["blocklists"])
    assert r["blocklists"]["rows_matched"] == 0 and r["blocklists"]["matches"] == []


def test_url_normalisation_applies_to_the_dataset_side_too(make_ds, tmp_path: Path) -> None:
    data = hashed_rows(4)
    data[2]["url"] = "  HTTPS://WWW.Img2.Example.ORG:443/p/2.jpg?fbclid=1#x "
    lst = tmp_path / "l.txt"
    lst.write_text("https://img2.example.org/p/2.jpg\n")
    for fmt in ("parquet", "jsonl", "csv"):
        r = audit(make_ds(fmt, data), blocklists=[lst], checks=["blocklists"])
        assert [m["row"] for m in r["blocklists"]["matches"]] == [f"part-00000{EXT[fmt]}:2"], fmt


def test_hash_columns_compared_case_and_space_insensitively(make_ds, tmp_path: Path) -> None:
    data = hashed_rows(3)
    data[1]["sha256"] = " " + data[1]["sha256"].upper() + " "
    lst = tmp_path / "h.csv"
    lst.write_text(f"sha256\n{sha256(wds_image(1))}\n")
    for fmt in ("parquet", "csv"):
        r = audit(make_ds(fmt, data), blocklists=[lst], checks=["blocklists"])
        assert [m["row"] for m in r["blocklists"]["matches"]] == [f"part-00000{EXT[fmt]}:1"], fmt


def test_wds_hashes_come_from_the_image_bytes(tmp_path: Path) -> None:
    """A WebDataset without hash fields: sha256 and md5 are computed from each image."""
    from data_builders import write_dataset

    data = [{"url": f"https://w{i}.org/x.jpg"} for i in range(4)]
    folder = write_dataset("wds", tmp_path / "w", data)
    lst = tmp_path / "h.csv"
    lst.write_text(f"sha256,md5\n{sha256(wds_image(0))},\n,{md5(wds_image(3))}\n")
    r = audit(folder, blocklists=[lst], checks=["blocklists"])
    assert sorted((m["row"], m["kind"]) for m in r["blocklists"]["matches"]) == [("sample00000", "sha256"),
                                                                                    ("sample00003", "md5")]


def test_no_blocklist_reports_no_lists(make_ds) -> None:
    r = audit(make_ds("jsonl", hashed_rows(2)), checks=["blocklists"])
    assert r["blocklists"] == {"rows_matched": 0, "lists": [], "matches": [], "matches_truncated": 0}


@pytest.mark.parametrize("checks", [["blocklists"], None], ids=["blocklists-only", "all-checks"])
def test_parquet_shards_may_lack_a_key_column(tmp_path: Path, checks) -> None:
    """A shard without the url (or id) column has no URL to check: not an unreadable shard."""
    d, lst = parquet_shards_with_different_columns(tmp_path)
    r = audit(d, blocklists=[lst], checks=checks)
    assert r["shards_skipped"] == [] and r["rows_scanned"] == 5
    assert sorted((m["row"], m["kind"]) for m in r["blocklists"]["matches"]) == [
        ("a0", "sha256"), ("a0", "url"), ("b1", "url"), ("c.parquet:1", "sha256")]
