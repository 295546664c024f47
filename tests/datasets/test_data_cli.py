"""`trueopen data audit` on the command line: formats, --output, exit codes 0 and 2, and bad input
as one line on stderr without a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from data_builders import hashed_rows, tree_hashes
from trueopen.cli import app

runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, ["data", "audit", *map(str, args)], catch_exceptions=False)


@pytest.fixture
def dataset(make_ds, tmp_path: Path) -> tuple[Path, Path, list[dict[str, str]]]:
    data = hashed_rows()
    folder = make_ds("jsonl", data, shards=2)
    lst = tmp_path / "hashes.csv"
    lst.write_text(f"url,sha256\nhttps://www.img1.example.org/p/1.jpg,\n,{data[6]['sha256']}\n")
    return folder, lst, data


def _one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert err.startswith("trueopen: error:") and "\n" not in err, err
    assert "Traceback" not in result.output + result.stderr
    for n in needles:
        assert n in err, err


def test_help_has_examples() -> None:
    r = runner.invoke(app, ["data", "audit", "--help"])
    assert r.exit_code == 0
    assert "--write-clean" in r.stdout and "trueopen data audit ./laion-subset --blocklist" in r.stdout


def test_json_format(dataset) -> None:
    folder, lst, data = dataset
    r = cli(folder, "-b", lst, "--format", "json", "--skip", "duplicates", "--skip", "disguised-copies")
    assert r.exit_code == 0 and r.stderr == ""
    report = json.loads(r.stdout)
    assert [m["row"] for m in report["blocklists"]["matches"]] == ["part-00000.jsonl:1", "part-00001.jsonl:2"]
    assert report["checks_run"] == ["blocklists", "opt-out", "licences", "personal-data", "card"]
    assert data[1]["url"] not in r.stdout and data[6]["sha256"] not in r.stdout


def test_json_output_is_deterministic(dataset) -> None:
    folder, lst, _ = dataset
    a = cli(folder, "-b", lst, "-f", "json", "--skip", "disguised-copies").stdout
    b = cli(folder, "-b", lst, "-f", "json", "--skip", "disguised-copies").stdout
    assert a == b


def test_table_format(dataset) -> None:
    folder, lst, data = dataset
    r = cli(folder, "-b", lst, "--skip", "duplicates", "--skip", "disguised-copies")
    assert r.exit_code == 0
    assert "hashes.csv" in r.stdout and "8 rows" in r.stdout and "CC-BY-4.0" in r.stdout
    for i in (1, 6):
        assert data[i]["url"] not in r.stdout and data[i]["caption"] not in r.stdout and data[i]["sha256"] not in r.stdout


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_output_file(dataset, tmp_path: Path, fmt: str) -> None:
    folder, lst, _ = dataset
    out = tmp_path / f"report.{fmt}"
    r = cli(folder, "-b", lst, "-f", fmt, "-o", out, "--skip", "disguised-copies")
    assert r.exit_code == 0 and r.stdout == ""
    text = out.read_text()
    if fmt == "json":
        assert json.loads(text)["blocklists"]["rows_matched"] == 2
    else:
        assert "hashes.csv" in text and "\x1b[" not in text


def test_write_clean(dataset, tmp_path: Path) -> None:
    folder, lst, _ = dataset
    before = tree_hashes(folder)
    out = tmp_path / "clean"
    r = cli(folder, "-b", lst, "--write-clean", out, "-f", "json", "--skip", "disguised-copies")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["clean"]["rows_removed"] == 2
    assert (out / "removals.csv").read_text().count("\n") == 3
    assert tree_hashes(folder) == before
    again = cli(folder, "-b", lst, "--write-clean", out)
    _one_line_error(again, "already exists")
    inside = cli(folder, "-b", lst, "--write-clean", folder / "sub")
    _one_line_error(inside, "outside the dataset folder")
    assert tree_hashes(folder) == before


def test_skip_and_remove(dataset, tmp_path: Path) -> None:
    folder, lst, _ = dataset
    r = cli(folder, "-b", lst, "-f", "json", "--skip", "licences", "--skip", "personal-data", "--skip", "duplicates",
            "--skip", "disguised-copies", "--skip", "card")
    report = json.loads(r.stdout)
    assert report["licences"] is None and report["personal_data"] is None and report["card"] is None
    _one_line_error(cli(folder, "--skip", "bogus"), "--skip bogus: unknown check")
    _one_line_error(cli(folder, "--remove", "licences", "--write-clean", tmp_path / "o"), "--remove licences")


@pytest.mark.parametrize("case", ["missing-path", "bad-header", "folder-list", "bad-column", "mixed", "strict",
                                  "not-utf8"])
def test_bad_input_is_one_line_exit_2(dataset, tmp_path: Path, case: str) -> None:
    folder, lst, _ = dataset
    if case == "missing-path":
        r, needle = cli(tmp_path / "nope"), "no such file or folder"
    elif case == "bad-header":
        bad = tmp_path / "bad.csv"
        bad.write_text("name,notes\nx,y\n")
        r, needle = cli(folder, "-b", bad), "header names no key column"
    elif case == "folder-list":
        r, needle = cli(folder, "-b", tmp_path), "is a folder"
    elif case == "bad-column":
        r, needle = cli(folder, "--url-column", "nope"), "--url-column nope"
    elif case == "mixed":
        (folder / "extra.csv").write_text("url\nhttp://a.org\n")
        r, needle = cli(folder), "several formats"
    elif case == "strict":
        (folder / "part-00001.jsonl").write_bytes(b"{oops\n")
        r, needle = cli(folder, "-b", lst, "--strict"), "part-00001.jsonl: unreadable shard"
    else:
        bad = tmp_path / "l.txt"
        bad.write_bytes(b"http://a.org/\xff\n")
        r, needle = cli(folder, "-b", bad), "not UTF-8"
    _one_line_error(r, needle)


def test_corrupt_shard_without_strict_is_reported_exit_0(dataset) -> None:
    folder, lst, _ = dataset
    (folder / "part-00001.jsonl").write_bytes(b"{oops\n")
    r = cli(folder, "-b", lst, "--skip", "disguised-copies")
    assert r.exit_code == 0 and "skipped part-00001.jsonl" in r.stdout


def test_option_out_of_range_is_a_usage_error(dataset) -> None:
    folder, _, _ = dataset
    assert runner.invoke(app, ["data", "audit", str(folder), "--pdq-distance", "300"]).exit_code == 2


def test_real_process(dataset, tmp_path: Path) -> None:
    """As a user runs it: the console script's module in a subprocess, exit codes and streams."""
    folder, lst, data = dataset
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in [str(Path(__file__).parents[2] / "src"),
                                                                   os.environ.get("PYTHONPATH", "")] if p)}
    env.pop("TRUEOPEN_DEBUG", None)
    ok = subprocess.run([sys.executable, "-m", "trueopen.cli", "data", "audit", str(folder), "-b", str(lst),
                         "--format", "json", "--skip", "disguised-copies"],
                        capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["blocklists"]["rows_matched"] == 2 and ok.stderr == ""
    assert data[1]["url"] not in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "trueopen.cli", "data", "audit", str(folder), "-b",
                          str(tmp_path / "missing.csv")], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().startswith("trueopen: error:") and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_spark_engine_without_pyspark_is_one_line(dataset, monkeypatch) -> None:
    folder, lst, _ = dataset
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import fails as if PySpark were not installed
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    _one_line_error(cli(folder, "-b", lst, "--engine", "spark"), "--engine spark needs PySpark")


def test_list_and_column_options(make_ds, tmp_path: Path) -> None:
    data = [{"link": f"https://cdn{i}.site{i % 2}.org/x.jpg", "body": f"mail me at p{i}@mail.example", "key": f"k{i}"}
            for i in range(4)]
    folder = make_ds("csv", data)
    optout = tmp_path / "optout.txt"
    optout.write_text("site1.org\n")
    lic = tmp_path / "lic.csv"
    lic.write_text("domain,license\nsite0.org,CC-BY-4.0\n")
    r = cli(folder, "--opt-out", optout, "--domain-licenses", lic, "--url-column", "link", "--text-column", "body",
            "--id-column", "key", "-f", "json", "--skip", "duplicates", "--skip", "disguised-copies")
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["opt_out"]["rows"] == ["k1", "k3"]
    assert report["licences"]["by_licence"] == [{"license": "CC-BY-4.0", "rows": 2, "share": 0.5}]
    assert report["personal_data"]["totals"] == {"email": 4} and "mail.example" not in r.stdout


def test_progress_counts_every_row(make_ds) -> None:
    from trueopen.datasets import audit

    for fmt, checks in (("parquet", ["blocklists"]), ("parquet", None), ("jsonl", ["blocklists"]), ("wds", None)):
        seen: list[int] = []
        r = audit(make_ds(fmt, hashed_rows(5), shards=2, name=f"p-{fmt}-{checks is None}"), checks=checks,
                  progress=seen.append)
        assert sum(seen) == r["rows_scanned"] == 5, (fmt, checks)


def test_output_into_a_missing_folder_is_one_line(dataset, tmp_path: Path) -> None:
    folder, lst, _ = dataset
    _one_line_error(cli(folder, "-b", lst, "-f", "json", "-o", tmp_path / "no" / "r.json", "--skip", "disguised-copies"),
                    "does not exist")
