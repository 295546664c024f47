"""Dataset inputs: discovery of each format, column roles, row names, corrupt shards and the
bounds of the parsers."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from data_builders import EXT, FORMATS, rows, sha256, wds_image, wds_members, write_dataset, write_tar
from trueopen.datasets import audit, inputs
from trueopen.datasets.inputs import Shard, discover, iter_batches, resolve_columns
from trueopen.errors import InputError

FMT_OF = {"parquet": ("parquet", None), "jsonl": ("jsonl", None), "jsonl.gz": ("jsonl", "gzip"),
          "jsonl.zst": ("jsonl", "zstd"), "csv": ("csv", None), "wds": ("wds", None)}


@pytest.fixture
def csv_limit():
    """inputs sets the csv module's (process-wide) field limit; put it back after the test."""
    old = csv.field_size_limit()
    yield
    csv.field_size_limit(old)


def _url_list(tmp_path: Path, *urls: str) -> Path:
    p = tmp_path / "urls.txt"
    p.write_text("".join(u + "\n" for u in urls))
    return p


def _all_rows(shard: Shard) -> list[dict]:
    return [r for b in iter_batches(shard, None) for r in b.drop_columns(
        [c for c in (inputs.IMAGE,) if c in b.schema.names]).to_pylist()]


# ---- discovery


@pytest.mark.parametrize("fmt", FORMATS)
def test_discover_folder_of_shards(make_ds, fmt: str) -> None:
    folder = make_ds(fmt, rows(9), shards=3)
    (folder / "README.md").write_text("# card\n")
    ds = discover(folder)
    want_fmt, want_comp = FMT_OF[fmt]
    assert ds.fmt == want_fmt
    assert [s.name for s in ds.shards] == [f"part-{i:05d}{EXT[fmt]}" for i in range(3)]
    assert {s.compression for s in ds.shards} == {want_comp}
    assert ds.card == folder / "README.md"
    got = [r for s in ds.shards for r in _all_rows(s)]
    assert len(got) == 9
    assert [r["url"] for r in got] == [r["url"] for r in rows(9)]
    # the row index restarts at 0 in each shard
    assert [r[inputs.ROW] for r in got] == [0, 1, 2] * 3


@pytest.mark.parametrize("fmt", FORMATS)
def test_discover_single_file(make_ds, fmt: str) -> None:
    folder = make_ds(fmt, rows(2))
    f = folder / f"part-00000{EXT[fmt]}"
    ds = discover(f)
    assert ds.root == folder and ds.fmt == FMT_OF[fmt][0] and [s.path for s in ds.shards] == [f]


def test_wds_sample_fields_and_image_hashes(make_ds) -> None:
    folder = make_ds("wds", rows(3))
    got = _all_rows(discover(folder).shards[0])
    assert [r["__key__"] for r in got] == ["sample00000", "sample00001", "sample00002"]
    assert [r["txt"] for r in got] == [r["caption"] for r in rows(3)]
    assert [r["sha256"] for r in got] == [sha256(wds_image(i)) for i in range(3)]
    assert got[0]["license"] == "CC-BY-4.0"


def test_mixed_formats_are_refused(tmp_path: Path) -> None:
    write_dataset("parquet", tmp_path / "d", rows(2))
    write_dataset("jsonl", tmp_path / "d" / "more", rows(2))
    with pytest.raises(InputError, match="several formats.*jsonl, parquet"):
        discover(tmp_path / "d")


def test_jsonl_compressions_are_one_format(tmp_path: Path) -> None:
    d = tmp_path / "d"
    write_dataset("jsonl", d / "a", rows(2))
    write_dataset("jsonl.gz", d / "b", rows(2))
    write_dataset("jsonl.zst", d / "c", rows(2))
    ds = discover(d)
    assert ds.fmt == "jsonl" and [s.compression for s in ds.shards] == [None, "gzip", "zstd"]


def test_hidden_files_and_folders_and_the_manifest_are_skipped(tmp_path: Path) -> None:
    d = write_dataset("jsonl", tmp_path / "d", rows(2))
    (d / ".cache").mkdir()
    (d / ".cache" / "x.parquet").write_bytes(b"not parquet")
    (d / ".hidden.csv").write_text("a\n1\n")
    (d / "removals.csv").write_text("row,reason,source,key_sha256\n")
    (d / "notes.txt").write_text("not a shard")
    ds = discover(d)
    assert [s.name for s in ds.shards] == ["part-00000.jsonl"]


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p / "missing", "no such file or folder"),
    (lambda p: (p / "e").mkdir() or p / "e", "no dataset files"),
    (lambda p: (p / "x.txt").write_text("hi") and p / "x.txt", "not a dataset file"),
])
def test_unusable_paths_are_one_line_errors(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        discover(make(tmp_path))
    assert "\n" not in str(err.value)


def test_a_hub_target_is_no_local_path_for_discover() -> None:
    """Hub datasets are resolved to an HF cache snapshot first (datasets/hub.py, tests/hub/test_hub_datasets.py)."""
    with pytest.raises(InputError, match="no such file or folder"):
        discover("hf://datasets/org/name")


# ---- columns


def test_roles_found_by_name_case_insensitive_first_hit_wins() -> None:
    cols = resolve_columns(["UID", "Image_URL", "url", "TEXT", "alt", "SHA256", "image_md5", "pdq_hash", "Licence"], {})
    assert cols.names == {"id": "UID", "url": "url", "text": "TEXT", "sha256": "SHA256", "md5": "image_md5",
                          "pdq": "pdq_hash", "license": "Licence"}


def test_roles_absent_are_none() -> None:
    assert set(resolve_columns(["body", "x"], {}).names.values()) == {None}


def test_roles_set_by_option() -> None:
    cols = resolve_columns(["body", "where", "url"], {"text": "body", "url": "where", "id": None})
    assert cols.get("text") == "body" and cols.get("url") == "where" and cols.get("id") is None


def test_bad_column_option_is_an_input_error() -> None:
    with pytest.raises(InputError, match="--url-column nope: no such column"):
        resolve_columns(["url", "caption"], {"url": "nope"})


def test_column_option_through_audit(make_ds, tmp_path: Path) -> None:
    data = [{"where": r["url"], "caption": r["caption"]} for r in rows(4)]
    folder = make_ds("jsonl", data)
    bl = _url_list(tmp_path, rows(4)[2]["url"])
    r = audit(folder, blocklists=[bl], checks=["blocklists"])
    assert r["dataset"]["columns"]["url"] is None and r["blocklists"]["rows_matched"] == 0
    r = audit(folder, blocklists=[bl], checks=["blocklists"], columns={"url": "where"})
    assert [m["row"] for m in r["blocklists"]["matches"]] == ["part-00000.jsonl:2"]
    with pytest.raises(InputError, match="--url-column nope"):
        audit(folder, blocklists=[bl], checks=["blocklists"], columns={"url": "nope"})


# ---- row names


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_rows_named_shard_colon_row_without_an_id_column(make_ds, tmp_path: Path, fmt: str) -> None:
    data = rows(6)
    folder = make_ds(fmt, data, shards=2)
    bl = _url_list(tmp_path, data[0]["url"], data[4]["url"])
    r = audit(folder, blocklists=[bl], checks=["blocklists"])
    assert [m["row"] for m in r["blocklists"]["matches"]] == [f"part-00000{EXT[fmt]}:0", f"part-00001{EXT[fmt]}:1"]


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_rows_named_by_their_id_column(make_ds, tmp_path: Path, fmt: str) -> None:
    data = [{"id": f"img-{i}", **r} for i, r in enumerate(rows(6))]
    folder = make_ds(fmt, data, shards=2)
    bl = _url_list(tmp_path, data[0]["url"], data[4]["url"])
    r = audit(folder, blocklists=[bl], checks=["blocklists", "licences", "personal-data"])
    assert [m["row"] for m in r["blocklists"]["matches"]] == ["img-0", "img-4"]


def test_parquet_integer_ids_name_rows_the_same_on_both_paths(tmp_path: Path) -> None:
    import pyarrow as pa

    d = tmp_path / "d"
    d.mkdir()
    pq.write_table(pa.table({"id": pa.array([10, 11, 12], pa.int64()), "url": [f"http://a.org/{i}" for i in range(3)]}),
                   d / "p.parquet")
    bl = _url_list(tmp_path, "http://a.org/1")
    only_join = audit(d, blocklists=[bl], checks=["blocklists"])  # DuckDB reads the file
    with_rows = audit(d, blocklists=[bl], checks=["blocklists", "licences"])  # rows pass through Python too
    assert only_join["blocklists"]["matches"] == with_rows["blocklists"]["matches"]
    assert [m["row"] for m in only_join["blocklists"]["matches"]] == ["11"]


def test_wds_rows_named_by_sample_key(make_ds, tmp_path: Path) -> None:
    data = rows(4)
    folder = make_ds("wds", data, shards=2)
    bl = _url_list(tmp_path, data[3]["url"])
    r = audit(folder, blocklists=[bl], checks=["blocklists"])
    assert [m["row"] for m in r["blocklists"]["matches"]] == ["sample00003"]


# ---- corrupt shards


def _corrupt(fmt: str, path: Path) -> None:
    good = path.read_bytes()
    if fmt == "jsonl":
        path.write_bytes(good + b'{"url": "http://x.org/1", \n')
    elif fmt in ("jsonl.gz", "jsonl.zst"):
        path.write_bytes(good[: len(good) - 12])  # truncated stream
    elif fmt == "parquet":
        path.write_bytes(good[:40] + b"\0" * 20 + good[60:-12])
    elif fmt == "csv":
        path.write_bytes(good + b"only,two\n")  # a record with fewer fields than the header
    elif fmt == "wds":
        path.write_bytes(good[:1500])  # cut inside the second member's header


@pytest.mark.parametrize("fmt", FORMATS)
def test_corrupt_shard_reported_and_skipped(make_ds, tmp_path: Path, fmt: str) -> None:
    data = rows(6)
    folder = make_ds(fmt, data, shards=2)
    bad = folder / f"part-00001{EXT[fmt]}"
    _corrupt(fmt, bad)
    bl = _url_list(tmp_path, data[1]["url"], data[4]["url"])
    for checks in (["blocklists"], None):
        r = audit(folder, blocklists=[bl], checks=checks)
        assert r["dataset"]["shards"] == 2 and r["dataset"]["shards_read"] == 1
        assert [s["shard"] for s in r["shards_skipped"]] == [bad.name]
        assert "\n" not in r["shards_skipped"][0]["error"]
        assert r["rows_scanned"] == 3
        # a corrupt shard contributes nothing, even rows read before the damage
        assert [m["row"] for m in r["blocklists"]["matches"]] == [
            "sample00001" if fmt == "wds" else f"part-00000{EXT[fmt]}:1"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_corrupt_shard_with_strict_is_an_input_error(make_ds, tmp_path: Path, fmt: str) -> None:
    folder = make_ds(fmt, rows(6), shards=2)
    _corrupt(fmt, folder / f"part-00001{EXT[fmt]}")
    with pytest.raises(InputError, match=f"part-00001{EXT[fmt]}: unreadable shard") as err:
        audit(folder, blocklists=[_url_list(tmp_path, "http://a.org")], checks=None, strict=True)
    assert "\n" not in str(err.value)


def test_first_shard_corrupt_columns_come_from_the_next(make_ds, tmp_path: Path) -> None:
    folder = make_ds("parquet", rows(6), shards=2)
    (folder / "part-00000.parquet").write_bytes(b"PAR1 nothing here PAR1")
    r = audit(folder, blocklists=[_url_list(tmp_path, rows(6)[4]["url"])], checks=["blocklists"])
    assert r["dataset"]["columns"]["url"] == "url"
    assert [m["row"] for m in r["blocklists"]["matches"]] == ["part-00001.parquet:1"]
    assert [s["shard"] for s in r["shards_skipped"]] == ["part-00000.parquet"]


def test_every_shard_unreadable_is_an_input_error(make_ds, tmp_path: Path) -> None:
    folder = make_ds("jsonl", rows(2))
    (folder / "part-00000.jsonl").write_bytes(b"[1, 2]\n")
    with pytest.raises(InputError, match="no shard could be read"):
        audit(folder)


@pytest.mark.parametrize("damage", ["header", "tail-garbage", "no-end-blocks", "appended-tar"])
def test_wds_damage_after_the_first_member_is_not_read_as_the_end(tmp_path: Path, damage: str) -> None:
    """tarfile treats a bad header after the first one as the end of the archive: the shard must
    be reported, not cut short in silence."""
    p = write_tar(tmp_path / "s.tar", wds_members(rows(3)))
    good = p.read_bytes()
    if damage == "header":
        b = bytearray(good)
        b[1024 + 148] ^= 0xFF  # checksum of the second member's header
        p.write_bytes(bytes(b))
    elif damage == "tail-garbage":
        p.write_bytes(good + b"garbage")
    elif damage == "no-end-blocks":
        p.write_bytes(good[:2048])  # stops at a member boundary, without the end-of-archive blocks
    else:
        p.write_bytes(good + good)
    with pytest.raises(ValueError, match="tar"):
        list(inputs.wds_samples(Shard(p, "s.tar", "wds")))


def test_blank_lines_are_not_rows(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.jsonl").write_bytes(b'{"url": "http://a.org/0"}\n\n  \n{"url": "http://a.org/1"}')
    for shard in discover(d).shards:
        assert [r["url"] for r in _all_rows(shard)] == ["http://a.org/0", "http://a.org/1"]
    c = tmp_path / "c"
    c.mkdir()
    (c / "a.csv").write_bytes(b'\xef\xbb\xbfurl,caption\r\nhttp://a.org/0,"two\r\nlines"\r\n\r\nhttp://a.org/1,x\r\n\r\n')
    got = _all_rows(discover(c).shards[0])
    assert [(r["url"], r["caption"], r[inputs.ROW]) for r in got] == [
        ("http://a.org/0", "two\r\nlines", 0), ("http://a.org/1", "x", 1)]


def test_jsonl_nested_values_become_json_text(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.jsonl").write_text(json.dumps({"url": "u", "meta": {"b": 1, "a": [True, None]}, "n": 3, "ok": False}) + "\n")
    (r,) = _all_rows(discover(d).shards[0])
    assert r["meta"] == '{"a": [true, null], "b": 1}' and r["n"] == "3" and r["ok"] == "false"


# ---- bounded parsers


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "jsonl.zst", "csv"])
def test_over_long_line_makes_the_shard_corrupt(tmp_path: Path, monkeypatch, csv_limit, fmt: str) -> None:
    monkeypatch.setattr(inputs, "MAX_LINE_BYTES", 300)
    data = rows(6)
    data[4]["caption"] = "x" * 1000
    folder = write_dataset(fmt, tmp_path / "d", data, shards=2)
    shard = discover(folder).shards[1]
    with pytest.raises(ValueError, match=f"line {3 if fmt == 'csv' else 2} is longer than 300 bytes"):
        list(iter_batches(shard, None))
    r = audit(folder)  # reported and skipped, never a partial read
    assert [s["shard"] for s in r["shards_skipped"]] == [shard.name] and r["rows_scanned"] == 3


def test_line_bound_reads_no_more_than_the_bound(monkeypatch) -> None:
    """A line of 10 MB with a 1 kB bound: the reader asks for at most bound + 1 bytes."""
    import io

    monkeypatch.setattr(inputs, "MAX_LINE_BYTES", 1000)
    asked: list[int] = []

    class Counting(io.BytesIO):
        def readline(self, size=-1):
            asked.append(size)
            return super().readline(size)

    with pytest.raises(ValueError, match="longer than 1000"):
        list(inputs.bounded_lines(Counting(b"a" * 10_000_000 + b"\n")))
    assert asked == [1001]


def test_oversize_wds_member_makes_the_shard_corrupt(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(inputs, "MAX_MEMBER_BYTES", 1000)
    folder = write_dataset("wds", tmp_path / "d", rows(4), shards=2)  # sample 3 is a JPEG of more than 1000 bytes
    assert len(wds_image(3)) > 1000 and len(wds_image(1)) > 1000
    shard = discover(folder).shards[1]
    with pytest.raises(ValueError, match="larger than 1000 bytes"):
        list(iter_batches(shard, None))
    with pytest.raises(InputError, match="no shard could be read .*larger than 1000 bytes"):
        audit(folder, checks=["blocklists", "licences"])


def test_gzip_bomb_line_is_bounded(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(inputs, "MAX_LINE_BYTES", 1 << 16)
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.jsonl").write_text('{"url": "http://a.org"}\n')
    (d / "b.jsonl.gz").write_bytes(gzip.compress(b'{"url": "' + b"a" * (4 << 20) + b'"}\n'))
    r = audit(d, checks=["licences"])
    assert r["shards_skipped"] == [{"shard": "b.jsonl.gz", "error": "ValueError: line 1 is longer than 65536 bytes"}]


def test_zstd_cut_stream_is_corrupt_not_short(tmp_path: Path) -> None:
    """zstandard's stream reader reads a cut .zst as shorter data; the shard must fail instead."""
    import zstandard

    d = tmp_path / "d"
    d.mkdir()
    whole = zstandard.ZstdCompressor().compress(b"".join(b'{"url": "http://a.org/%d"}\n' % i for i in range(2000)))
    skippable = bytes.fromhex("502a4d18") + (4).to_bytes(4, "little") + b"\0" * 4  # as pzstd writes them
    (d / "a.jsonl.zst").write_bytes(skippable + whole + whole)  # two frames: both read
    assert sum(b.num_rows for b in iter_batches(discover(d).shards[0], None)) == 4000
    (d / "a.jsonl.zst").write_bytes(whole[:-5])
    with pytest.raises(ValueError, match="zstd stream is truncated"):
        list(iter_batches(discover(d).shards[0], None))


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "wds"])
def test_empty_first_shard_does_not_hide_the_columns(tmp_path: Path, fmt: str) -> None:
    data = rows(3)
    folder = write_dataset(fmt, tmp_path / "d", data, shards=1)
    first = folder / f"part-0000{EXT[fmt]}"  # sorts before part-00000
    if fmt == "wds":
        write_tar(first, [])
    else:
        first.write_bytes(b"" if fmt == "jsonl" else b"url,caption\n")
    r = audit(folder, blocklists=[_url_list(tmp_path, data[2]["url"])], checks=["blocklists"])
    assert r["dataset"]["columns"]["url"] == "url" and r["blocklists"]["rows_matched"] == 1
    assert r["dataset"]["shards_read"] == 2 and r["rows_scanned"] == 3


def test_only_empty_shards_is_an_empty_report(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.jsonl").write_bytes(b"")
    r = audit(d, blocklists=[_url_list(tmp_path, "http://a.org")])
    assert r["rows_scanned"] == 0 and r["shards_skipped"] == [] and r["blocklists"]["rows_matched"] == 0


def test_one_row_one_name_whatever_the_id_type(tmp_path: Path) -> None:
    """An engine's cast of a double or a timestamp id differs from Arrow's: a row matched by the
    engine and flagged by a row check must still carry one name."""
    import datetime

    import pyarrow as pa

    lst = _url_list(tmp_path, "http://a.org/1")
    optout = tmp_path / "o.txt"
    optout.write_text("a.org\n")
    for name, ids, want in [("double", [1.0, 2.5], "1"), ("int", [7, 8], "7"), ("bool", [True, False], "true"),
                            ("ts", [datetime.datetime(2020, 1, 1), datetime.datetime(2020, 1, 2)],
                             "2020-01-01 00:00:00.000000")]:
        d = tmp_path / name
        d.mkdir()
        pq.write_table(pa.table({"id": ids, "url": ["http://a.org/1", "http://b.org/2"]}), d / "p.parquet")
        r = audit(d, blocklists=[lst], opt_out=optout, checks=["blocklists", "opt-out"])
        assert [m["row"] for m in r["blocklists"]["matches"]] == [want] == r["opt_out"]["rows"], name
        only_join = audit(d, blocklists=[lst], checks=["blocklists"])
        assert [m["row"] for m in only_join["blocklists"]["matches"]] == [want], name


def test_wds_batches_without_a_field_still_join(tmp_path: Path, monkeypatch) -> None:
    """WebDataset batches carry the fields their samples have: a batch without any `url` must not
    make the shard unreadable when a later batch has one."""
    from data_builders import image

    monkeypatch.setattr(inputs, "BATCH_ROWS", 2)
    d = tmp_path / "d"
    d.mkdir()
    write_tar(d / "a.tar", [("s0.json", json.dumps({"url": "http://a.org/0"}).encode())])
    write_tar(d / "b.tar", [("t0.png", image(1)), ("t1.png", image(2)), ("t2.png", image(3)),
                            ("t2.json", json.dumps({"url": "http://a.org/1"}).encode())])
    r = audit(d, blocklists=[_url_list(tmp_path, "http://a.org/1")], checks=["blocklists"])
    assert r["shards_skipped"] == [] and [m["row"] for m in r["blocklists"]["matches"]] == ["t2"]


def test_jsonl_with_a_byte_order_mark(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.jsonl").write_bytes(b'\xef\xbb\xbf{"url": "http://a.org/0"}\n{"url": "http://a.org/1"}\n')
    assert [r["url"] for r in _all_rows(discover(d).shards[0])] == ["http://a.org/0", "http://a.org/1"]


def test_wds_batches_are_bounded_by_image_bytes(tmp_path: Path, monkeypatch) -> None:
    from data_builders import wds_image

    monkeypatch.setattr(inputs, "BATCH_BYTES", 3000)
    folder = write_dataset("wds", tmp_path / "d", rows(6))
    batches = list(iter_batches(discover(folder).shards[0], None))
    assert len(batches) > 1
    for b in batches:  # a batch stops at the first sample that reaches the bound
        sizes = [len(x) for x in b.column(inputs.IMAGE).to_pylist()]
        assert sum(sizes[:-1]) < 3000
    assert [r for b in batches for r in b.column(inputs.ROW).to_pylist()] == list(range(6))
    assert sum(len(wds_image(i)) for i in range(6)) > 3000


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_text_batches_are_bounded_by_bytes(tmp_path: Path, monkeypatch, fmt: str) -> None:
    monkeypatch.setattr(inputs, "BATCH_BYTES", 200)
    data = [{"url": f"http://a.org/{i}", "caption": "c" * 60} for i in range(10)]
    folder = write_dataset(fmt, tmp_path / "d", data)
    batches = list(iter_batches(discover(folder).shards[0], None))
    size = len((folder / f"part-00000{EXT[fmt]}").read_bytes().splitlines()[-1]) + 1  # one row, 80-110 bytes
    per = -(-200 // size)  # a batch ends at the row that reaches 200 bytes
    assert [b.num_rows for b in batches] == [per] * (10 // per) + ([10 % per] if 10 % per else [])
    assert [r for b in batches for r in b.column("url").to_pylist()] == [r["url"] for r in data]
    assert [r for b in batches for r in b.column(inputs.ROW).to_pylist()] == list(range(10))


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "jsonl.zst", "csv.gz"])
def test_closing_a_shard_reader_closes_its_file(tmp_path: Path, monkeypatch, fmt: str) -> None:
    """A million .gz shards must not leave a million open files to the garbage collector."""
    import builtins

    folder = write_dataset(fmt, tmp_path / "d", rows(2))
    shard = discover(folder).shards[0]
    opened = []
    real_open = builtins.open

    def tracking_open(*args, **kwargs):
        opened.append(real_open(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(builtins, "open", tracking_open)
    with inputs.open_text(shard) as fh:
        assert fh.read()
    monkeypatch.undo()
    assert opened and all(f.closed for f in opened)
