"""The cleaned release (--write-clean): removed rows gone, the others as they were, removals.csv
without keys, a card section with counts, nothing left to remove on a rerun, the input untouched,
and no output at all when the write fails."""

from __future__ import annotations

import csv
import gzip
import io
import tarfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import zstandard

from data_builders import EXT, FORMATS, hashed_rows, tree_hashes, write_dataset
from trueopen.datasets import audit, clean
from trueopen.datasets.lists import key_sha256
from trueopen.errors import InputError

CARD = "# Synthetic image-text set\n\nMade in a test.\n"
REMOVED = (1, 3, 4, 5)  # what _lists matches in hashed_rows()


def _lists(tmp_path: Path, data: list[dict[str, str]]) -> list[Path]:
    urls = tmp_path / "urls.txt"
    urls.write_text("HTTPS://WWW.img1.example.org:443/p/1.jpg/#frag\nhttps://img5.example.org/p/5.jpg\n")
    hashes = tmp_path / "hashes.csv"
    hashes.write_text(f"sha256,md5\n{data[3]['sha256']},\n,{data[4]['md5']}\n{data[5]['sha256']},\n")
    return [urls, hashes]


def _content(fmt: str, path: Path):
    """A shard's content as the format allows comparing it: JSONL/CSV decompressed bytes, Parquet
    rows and schema, WebDataset (member name, bytes)."""
    if fmt == "parquet":
        t = pq.read_table(path)
        return t.schema, t.to_pylist()
    if fmt == "wds":
        with tarfile.open(path) as tf:
            return [(m.name, tf.extractfile(m).read()) for m in tf if m.isfile()]
    data = path.read_bytes()
    if fmt.endswith(".gz"):
        return gzip.decompress(data)
    if fmt.endswith(".zst"):
        return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()
    return data


def _expected(fmt: str, src: Path, drop: set[int]):
    """The source shard's content without the rows in drop."""
    got = _content(fmt, src)
    if fmt == "parquet":
        schema, rows = got
        return schema, [r for i, r in enumerate(rows) if i not in drop]
    if fmt == "wds":
        return [(n, b) for n, b in got if int(n[6:11]) % 4 not in drop]
    lines = got.splitlines(keepends=True)
    if fmt.startswith("csv"):
        return lines[0] + b"".join(ln for i, ln in enumerate(lines[1:]) if i not in drop)
    return b"".join(ln for i, ln in enumerate(lines) if i not in drop)


def _row_name(fmt: str, i: int) -> str:
    return f"sample{i:05d}" if fmt == "wds" else f"part-{i // 4:05d}{EXT[fmt]}:{i % 4}"


@pytest.mark.parametrize("fmt", [*FORMATS, "csv.gz", "csv.zst"])
def test_write_clean(make_ds, tmp_path: Path, fmt: str) -> None:
    data = hashed_rows()
    folder = make_ds(fmt, data, shards=2)
    (folder / "README.md").write_text(CARD)
    before = tree_hashes(folder)
    out = tmp_path / "clean"
    r = audit(folder, blocklists=_lists(tmp_path, data), checks=["blocklists"], write_clean=out)
    assert tree_hashes(folder) == before  # the input is never modified
    assert r["clean"] == {"path": str(out), "rows_written": 4, "rows_removed": 4, "removals": 5,
                          "by_reason": [{"reason": "blocklist-md5", "source": "hashes.csv", "rows": 1},
                                        {"reason": "blocklist-sha256", "source": "hashes.csv", "rows": 2},
                                        {"reason": "blocklist-url", "source": "urls.txt", "rows": 2}]}
    assert sorted(p.name for p in out.iterdir()) == sorted([f"part-00000{EXT[fmt]}", f"part-00001{EXT[fmt]}",
                                                            "README.md", "removals.csv"])
    # removed rows gone, the others as they were
    for s in (0, 1):
        name = f"part-{s:05d}{EXT[fmt]}"
        drop = {i % 4 for i in REMOVED if i // 4 == s}
        assert _content(fmt, out / name) == _expected(fmt, folder / name, drop), name
    if fmt in ("jsonl", "csv"):  # uncompressed text: kept rows byte-identical, file for file
        assert (out / "part-00000.csv" if fmt == "csv" else out / "part-00000.jsonl").read_bytes() == \
            _expected(fmt, folder / f"part-00000{EXT[fmt]}", {1, 3})

    # removals.csv: one line per (row, reason, list), sha256 of the key, never the key
    with open(out / "removals.csv", newline="") as fh:
        manifest = list(csv.reader(fh))
    assert manifest[0] == ["row", "reason", "source", "key_sha256"]
    assert sorted(manifest[1:]) == sorted([
        [_row_name(fmt, 1), "blocklist-url", "urls.txt", key_sha256("https://img1.example.org/p/1.jpg")],
        [_row_name(fmt, 3), "blocklist-sha256", "hashes.csv", key_sha256(data[3]["sha256"])],
        [_row_name(fmt, 4), "blocklist-md5", "hashes.csv", key_sha256(data[4]["md5"])],
        [_row_name(fmt, 5), "blocklist-sha256", "hashes.csv", key_sha256(data[5]["sha256"])],
        [_row_name(fmt, 5), "blocklist-url", "urls.txt", key_sha256("https://img5.example.org/p/5.jpg")],
    ])
    side = (out / "removals.csv").read_text() + (out / "README.md").read_text()
    for i in REMOVED:
        for secret in (data[i]["url"], data[i]["sha256"], data[i]["md5"], data[i]["caption"], f"img{i}.example"):
            assert secret not in side

    # the card: the original text, then the section with counts only
    card = (out / "README.md").read_text()
    assert card.startswith(CARD.rstrip("\n") + "\n\n" + clean.SECTION)
    assert "with 4 of 8 rows removed" in card
    assert "| blocklist-sha256 | hashes.csv | 2 |" in card and "| blocklist-url | urls.txt | 2 |" in card

    # rerun on the cleaned release: nothing left to remove, the rest all there
    again = audit(out, blocklists=_lists(tmp_path, data), checks=["blocklists"], write_clean=tmp_path / "clean2")
    assert again["blocklists"]["rows_matched"] == 0 and again["rows_scanned"] == 4
    assert again["clean"]["rows_removed"] == 0 and again["shards_skipped"] == []
    card2 = (tmp_path / "clean2" / "README.md").read_text()
    assert card2.count(clean.SECTION) == 1 and "with 0 of 4 rows removed" in card2 and card2.startswith(CARD.rstrip())


def test_single_file_dataset(make_ds, tmp_path: Path) -> None:
    data = hashed_rows()
    f = make_ds("jsonl", data) / "part-00000.jsonl"
    out = tmp_path / "clean"
    r = audit(f, blocklists=_lists(tmp_path, data), checks=["blocklists"], write_clean=out)
    assert r["clean"]["rows_written"] == 4 and (out / "part-00000.jsonl").read_bytes() == _expected("jsonl", f, set(REMOVED))


def test_csv_quoting_and_line_ends_survive(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    src = (b'"url","caption"\r\n"http://a.org/0","kept, with ""quotes""\r\nand a newline"\r\n'
           b'"http://a.org/1","removed"\r\n\r\n"http://a.org/2",plain\r\n')
    (d / "a.csv").write_bytes(src)
    (tmp_path / "l.txt").write_text("http://a.org/1\n")
    audit(d, blocklists=[tmp_path / "l.txt"], checks=["blocklists"], write_clean=tmp_path / "out")
    assert (tmp_path / "out" / "a.csv").read_bytes() == src.replace(b'"http://a.org/1","removed"\r\n', b"")


def test_remove_chooses_the_checks(make_ds, tmp_path: Path) -> None:
    data = hashed_rows()
    data[2]["url"] = "https://cdn.optout.org/2.jpg"
    folder = make_ds("jsonl", data)
    optout = tmp_path / "optout.txt"
    optout.write_text("optout.org\n")
    lists = _lists(tmp_path, data)
    r = audit(folder, blocklists=lists, opt_out=optout, checks=["blocklists", "opt-out"], write_clean=tmp_path / "a")
    assert r["clean"]["rows_removed"] == 4  # rows 1, 3, 4, 5; opt-out is reported, not removed, by default
    r = audit(folder, blocklists=lists, opt_out=optout, checks=["blocklists", "opt-out"], remove=["opt-out"],
              write_clean=tmp_path / "b")
    assert r["clean"]["by_reason"] == [{"reason": "opt-out", "source": "optout.txt", "rows": 1}]
    rows = list(csv.reader(open(tmp_path / "b" / "removals.csv", newline="")))
    assert rows[1] == ["part-00000.jsonl:2", "opt-out", "optout.txt", key_sha256("optout.org")]
    again = audit(tmp_path / "b", opt_out=optout, checks=["opt-out"])
    assert again["opt_out"]["rows_matched"] == 0 and again["rows_scanned"] == 7
    with pytest.raises(InputError, match="--remove licences: not a check that removes rows"):
        audit(folder, remove=["licences"], write_clean=tmp_path / "c")


def test_skipped_shard_is_left_out_and_said_in_the_card(make_ds, tmp_path: Path) -> None:
    data = hashed_rows()
    folder = make_ds("jsonl", data, shards=2)
    (folder / "part-00001.jsonl").write_bytes(b"{broken\n")
    out = tmp_path / "out"
    r = audit(folder, blocklists=_lists(tmp_path, data), checks=["blocklists"], write_clean=out)
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "part-00000.jsonl", "removals.csv"]
    assert r["clean"]["rows_written"] == 2
    assert "could not be read and are not in this release: `part-00001.jsonl`" in (out / "README.md").read_text()


def test_out_exists_is_an_error(make_ds, tmp_path: Path) -> None:
    folder = make_ds("jsonl", hashed_rows(2))
    (tmp_path / "out").mkdir()
    with pytest.raises(InputError, match="already exists"):
        audit(folder, write_clean=tmp_path / "out")
    with pytest.raises(InputError, match="no such folder"):
        audit(folder, write_clean=tmp_path / "missing" / "out")


@pytest.mark.parametrize("where", ["inside", "same"])
def test_out_inside_the_dataset_is_an_error(make_ds, where: str) -> None:
    folder = make_ds("jsonl", hashed_rows(2))
    before = tree_hashes(folder)
    out = folder / "clean" if where == "inside" else folder
    with pytest.raises(InputError, match="outside the dataset folder|already exists"):
        audit(folder, write_clean=out)
    assert tree_hashes(folder) == before


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "wds"])
def test_failure_mid_write_leaves_nothing(make_ds, tmp_path: Path, monkeypatch, fmt: str) -> None:
    data = hashed_rows()
    folder = make_ds(fmt, data, shards=2)
    real = clean._write_shard
    calls = []

    def second_fails(shard, dst, drop):
        calls.append(shard.name)
        if len(calls) == 2:
            dst.write_bytes(b"half")  # something is on disk when it fails
            raise OSError(28, "No space left on device")
        return real(shard, dst, drop)

    monkeypatch.setattr(clean, "_write_shard", second_fails)
    before = tree_hashes(folder)
    with pytest.raises(OSError, match="No space left"):
        audit(folder, blocklists=_lists(tmp_path, data), checks=["blocklists"], write_clean=tmp_path / "out")
    assert len(calls) == 2
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary folder
    assert tree_hashes(folder) == before


def test_interrupt_mid_write_leaves_nothing(make_ds, tmp_path: Path, monkeypatch) -> None:
    folder = make_ds("csv", hashed_rows(4))

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(clean, "_card_section", interrupted)
    with pytest.raises(KeyboardInterrupt):
        audit(folder, checks=["blocklists"], write_clean=tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds-csv"]


def test_cleaned_release_gets_the_usual_permissions(make_ds, tmp_path: Path) -> None:
    import os

    folder = make_ds("jsonl", hashed_rows(2))
    audit(folder, checks=["blocklists"], write_clean=tmp_path / "out")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o777 & ~mask


def test_rows_dropped_by_index_not_by_content(tmp_path: Path) -> None:
    """Two identical lines, one matched by row name: only that one goes (JSONL rows are lines)."""
    d = write_dataset("jsonl", tmp_path / "d", [{"url": "http://a.org/x"}, {"url": "http://b.org/y"}])
    (tmp_path / "l.txt").write_text("http://b.org/y\n")
    audit(d, blocklists=[tmp_path / "l.txt"], checks=["blocklists"], write_clean=tmp_path / "out")
    assert (tmp_path / "out" / "part-00000.jsonl").read_text() == '{"url": "http://a.org/x"}\n'


@pytest.mark.parametrize("fmt", FORMATS)
def test_cleaned_release_is_deterministic(make_ds, tmp_path: Path, fmt: str) -> None:
    data = hashed_rows()
    folder = make_ds(fmt, data, shards=2)
    lists = _lists(tmp_path, data)
    audit(folder, blocklists=lists, checks=["blocklists"], write_clean=tmp_path / "a")
    audit(folder, blocklists=lists, checks=["blocklists"], write_clean=tmp_path / "b")
    assert tree_hashes(tmp_path / "a") == tree_hashes(tmp_path / "b")
