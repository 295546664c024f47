"""`trueopen data audit` of datasets on the (fake) Hub and in the HF cache: huggingface_hub's
snapshot_download fetches only the data files and the card, within --max-download; offline the
cached snapshot is audited; a model repo or a missing dataset is one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trueopen.datasets import audit
from trueopen.errors import InputError


def dataset_repo(root: Path, rows: int = 50) -> Path:
    """A Hub-style dataset: card at the top, Parquet shards under data/, a script that must not be fetched."""
    (root / "data").mkdir(parents=True)
    for shard in range(2):
        ids = list(range(shard * rows, (shard + 1) * rows))
        pq.write_table(pa.table({"id": [f"r{i}" for i in ids],
                                 "url": [f"https://img.example.org/{i}.jpg" for i in ids],
                                 "caption": [f"caption number {i} about a small red boat" for i in ids]}),
                       root / "data" / f"train-{shard:05d}.parquet")
    (root / "README.md").write_text("---\nlicense: cc-by-4.0\n---\n# captions\n\nCollected from example.org.\n")
    (root / "loader.py").write_text("raise SystemExit('never fetched, never run')\n")
    (root / "dataset_infos.json").write_text('{"default": {"features": {}}}\n')  # metadata, not a shard
    return root


def urls_list(tmp_path: Path, *ids: int) -> Path:
    p = tmp_path / "urls.txt"
    p.write_text("".join(f"http://WWW.img.example.org/{i}.jpg/\n" for i in ids).replace("http://", "https://"))
    return p


def test_hub_dataset_is_fetched_to_the_cache_and_audited(fake_hub, tmp_path: Path) -> None:
    commit = fake_hub.add_repo("org/captions-a", dataset_repo(tmp_path / "repo"), repo_type="dataset")
    report = audit("hf://datasets/org/captions-a", blocklists=[urls_list(tmp_path, 3, 77)], checks=["blocklists", "card"])
    assert report["dataset"]["path"] == f"hf://datasets/org/captions-a@{commit}"
    assert report["rows_scanned"] == 100 and report["dataset"]["shards"] == 2
    assert sorted(m["row"] for m in report["blocklists"]["matches"]) == ["r3", "r77"]
    assert report["card"]["path"] == "README.md"
    from huggingface_hub import constants

    snapshot = Path(constants.HF_HUB_CACHE) / "datasets--org--captions-a" / "snapshots" / commit
    fetched = sorted(p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if not p.is_dir())
    assert fetched == ["README.md", "data/train-00000.parquet", "data/train-00001.parquet"]  # never loader.py


def test_offline_audit_reads_the_cached_snapshot_without_a_request(fake_hub, tmp_path: Path) -> None:
    fake_hub.add_repo("org/captions-b", dataset_repo(tmp_path / "repo"), repo_type="dataset")
    online = audit("hf://datasets/org/captions-b", checks=["blocklists"])
    fake_hub.clear_log()
    offline = audit("hf://datasets/org/captions-b", checks=["blocklists"], offline=True)
    assert fake_hub.requests() == []
    assert offline["dataset"] == online["dataset"] and offline["rows_scanned"] == 100


def test_cache_folder_is_a_target(fake_hub, tmp_path: Path) -> None:
    from huggingface_hub import constants

    fake_hub.add_repo("org/captions-c", dataset_repo(tmp_path / "repo"), repo_type="dataset")
    audit("hf://datasets/org/captions-c", checks=["blocklists"])
    folder = Path(constants.HF_HUB_CACHE) / "datasets--org--captions-c"
    report = audit(folder, blocklists=[urls_list(tmp_path, 5)], checks=["blocklists"])
    assert [m["row"] for m in report["blocklists"]["matches"]] == ["r5"]
    assert report["dataset"]["path"].startswith("hf://datasets/org/captions-c@")


def test_a_dataset_over_max_download_is_refused_before_any_download(fake_hub, tmp_path: Path) -> None:
    fake_hub.add_repo("org/captions-d", dataset_repo(tmp_path / "repo"), repo_type="dataset")
    with pytest.raises(InputError, match="over --max-download"):
        audit("hf://datasets/org/captions-d", max_download=1000)
    assert not [r for r in fake_hub.requests() if "/resolve/" in r.path]


def test_a_model_repo_and_a_missing_dataset_are_one_line_errors(fake_hub, tmp_path: Path) -> None:
    fake_hub.add_repo("org/model-e", dataset_repo(tmp_path / "repo"))
    for target, words in (("hf://org/model-e", "a model repository"), ("hf://datasets/org/absent-e", "absent-e")):
        r = subprocess.run([sys.executable, "-m", "trueopen.cli", "data", "audit", target], capture_output=True,
                           text=True, env={**os.environ}, timeout=120)
        assert r.returncode == 2, r.stderr
        assert words in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_a_dataset_without_data_files_is_refused(fake_hub, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").write_text("# only a card\n")
    fake_hub.add_repo("org/empty-f", repo, repo_type="dataset")
    with pytest.raises(InputError, match="no data files"):
        audit("hf://datasets/org/empty-f")


def test_json_report_of_a_hub_dataset_is_the_same_bytes_twice(fake_hub, tmp_path: Path) -> None:
    fake_hub.add_repo("org/captions-g", dataset_repo(tmp_path / "repo"), repo_type="dataset")
    a = audit("hf://datasets/org/captions-g", blocklists=[urls_list(tmp_path, 1)])
    b = audit("hf://datasets/org/captions-g", blocklists=[urls_list(tmp_path, 1)])
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
