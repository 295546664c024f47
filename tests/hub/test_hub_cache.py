"""The HF cache, laid out by huggingface_hub itself downloading from the fake Hub, audited offline."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from builders import run_cli
from hub.hub_builders import open_release
from trueopen.audit import audit
from trueopen.errors import InputError
from trueopen.sources.options import SourceOptions


MIT_TEXT = ("MIT License\n\nCopyright (c) 2024 Org\n\nPermission is hereby granted, free of charge, to any person obtaining a copy "
            "of this software and associated documentation files (the \"Software\"), to deal in the Software without "
            "restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, "
            "sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do "
            "so, subject to the following conditions:\n\nThe above copyright notice and this permission notice shall be "
            "included in all copies or substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", "
            "WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF "
            "MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR "
            "COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT "
            "OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE "
            "SOFTWARE.\n")


def _download(fake_hub, tmp_path: Path, cache: Path, repo: str = "org/tiny", **kw) -> tuple[Path, str]:
    from huggingface_hub import snapshot_download

    folder = open_release(tmp_path / repo.replace("/", "_"), shards=2)
    commit = fake_hub.add_repo(repo, folder, **kw)
    snap = snapshot_download(repo, cache_dir=str(cache), endpoint=fake_hub.endpoint)
    assert Path(snap).name == commit
    return folder, commit


@pytest.mark.parametrize("xet_disabled", [True, False])
def test_cache_made_by_huggingface_hub_audited_offline(fake_hub, tmp_path: Path, hf_cache: Path, monkeypatch,
                                                       xet_disabled: bool) -> None:
    from huggingface_hub import constants

    # The fake Hub never announces Xet (no X-Xet-Hash), so downloads take the HTTP path with hf_xet
    # installed and enabled too; both settings must give the same cache.
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", xet_disabled)
    folder, commit = _download(fake_hub, tmp_path, hf_cache)
    repo_dir = hf_cache / "models--org--tiny"
    assert (repo_dir / "refs" / "main").read_text() == commit
    fake_hub.clear_log()
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # any request would now raise
    cached = audit(repo_dir)
    by_snapshot = audit(repo_dir / "snapshots" / commit)
    by_name = audit("hf://org/tiny", source=SourceOptions(offline=True, cache_dir=str(hf_cache)))
    assert fake_hub.requests() == []
    local = audit(folder)
    for a in (cached, by_snapshot, by_name):
        assert (a.target.kind, a.target.ref, a.target.revision) == ("hf-cache", "org/tiny", commit)
        assert a.verdicts == local.verdicts and a.components == local.components and a.safety == local.safety
        assert [(f.path, f.sha256) for f in a.files] == [(f.path, f.sha256) for f in local.files]
        sources = {f.path: f.sha256_source for f in a.files}
        assert sources["model-00001-of-00002.safetensors"] == "hf-cache-blob"  # the blob's name is its sha256
        assert sources["README.md"] == "hashed"  # a git blob, named by sha1: hashed here
        assert not any(f.rule == "symlink-outside-release" for f in a.findings)


def test_offline_without_a_copy_is_one_line(fake_hub, hf_cache: Path) -> None:
    with pytest.raises(InputError, match="not in the HF cache"):
        audit("hf://org/absent", source=SourceOptions(offline=True, cache_dir=str(hf_cache)))
    assert fake_hub.requests() == []


def test_partial_snapshot_is_reported(fake_hub, tmp_path: Path, hf_cache: Path) -> None:
    _, commit = _download(fake_hub, tmp_path, hf_cache)
    (hf_cache / "models--org--tiny" / "snapshots" / commit / "train.py").unlink()
    a = audit(hf_cache / "models--org--tiny")
    partial = [f for f in a.findings if f.rule == "hf-cache-partial"]
    assert partial and "train.py" in partial[0].message


def test_revision_in_the_cache(fake_hub, tmp_path: Path, hf_cache: Path) -> None:
    _, commit = _download(fake_hub, tmp_path, hf_cache)
    assert audit(hf_cache / "models--org--tiny", source=SourceOptions(revision=commit)).target.revision == commit
    with pytest.raises(InputError, match="not in the cache"):
        audit(hf_cache / "models--org--tiny", source=SourceOptions(revision="v9"))


def test_license_reads_one_revision_of_a_cached_repo(fake_hub, tmp_path: Path, hf_cache: Path) -> None:
    """`trueopen license` on a cache folder reads the snapshot --revision names (it read the licence
    files of every snapshot, and took any --revision); on a plain path --revision is refused."""
    from builders import write_release

    _, old = _download(fake_hub, tmp_path, hf_cache)
    fake_hub.add_repo("org/tiny", write_release(tmp_path / "v2", {"README.md": "# v2\n", "LICENSE": MIT_TEXT}))
    from huggingface_hub import snapshot_download

    snapshot_download("org/tiny", cache_dir=str(hf_cache), endpoint=fake_hub.endpoint)
    folder = str(hf_cache / "models--org--tiny")

    def ids(*extra: str) -> list[str]:
        r = run_cli("license", folder, "--format", "json", *extra)
        assert r.returncode == 0, r.stderr
        return sorted({f["id"] for f in json.loads(r.stdout)})
    assert ids() == ["MIT"]  # main: the newest snapshot only
    assert "MIT" not in ids("--revision", old)
    bad = run_cli("license", folder, "--revision", "v9")
    assert bad.returncode == 2 and "not in the cache" in bad.stderr and "Traceback" not in bad.stderr
    plain = run_cli("license", str(tmp_path / "v2" / "LICENSE"), "--revision", "v1")
    assert plain.returncode == 2 and "--revision applies to Hub and HF-cache targets only" in plain.stderr


def test_link_out_of_the_cache_is_not_followed(fake_hub, tmp_path: Path, hf_cache: Path) -> None:
    _, commit = _download(fake_hub, tmp_path, hf_cache)
    secret = tmp_path / "secret.txt"
    secret.write_text("not part of any release")
    os.symlink(secret, hf_cache / "models--org--tiny" / "snapshots" / commit / "leak.txt")
    a = audit(hf_cache / "models--org--tiny")
    assert "leak.txt" not in {f.path for f in a.files}
    assert any(f.rule == "symlink-outside-release" for f in a.findings)


def test_cache_command_lists_every_revision(fake_hub, tmp_path: Path, hf_cache: Path) -> None:
    folder, _ = _download(fake_hub, tmp_path, hf_cache, "org/tiny")
    local = audit(folder)
    from huggingface_hub import snapshot_download

    other = open_release(tmp_path / "other")
    (other / "README.md").write_text("---\nlicense: llama3.1\n---\n# other\n")
    fake_hub.add_repo("meta/other", other)
    snapshot_download("meta/other", cache_dir=str(hf_cache), endpoint=fake_hub.endpoint)
    fake_hub.clear_log()
    env = {"HF_HUB_OFFLINE": "1"}
    r = run_cli_env(env, "cache", "--cache-dir", str(hf_cache), "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = {x["repo"]: x for x in json.loads(r.stdout)["revisions"]}
    assert rows["org/tiny"]["label"] == local.verdicts.label and rows["org/tiny"]["mof_class"] == local.verdicts.mof.class_
    assert rows["org/tiny"]["weights_license"] == "Apache-2.0" and rows["org/tiny"]["weights_license_open"] is True
    assert rows["meta/other"]["weights_license_open"] is False
    assert rows["org/tiny"]["refs"] == ["main"] and rows["org/tiny"]["safety"] == "clean"
    table = run_cli_env({**env, "COLUMNS": "160"}, "cache", "--cache-dir", str(hf_cache))
    assert "org/tiny" in table.stdout and "meta/other" in table.stdout and "MOF class" in table.stdout
    assert fake_hub.requests() == []
    missing = run_cli_env(env, "cache", "--cache-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_cli_offline_env(fake_hub, tmp_path: Path, hf_cache: Path) -> None:
    _, commit = _download(fake_hub, tmp_path, hf_cache)
    fake_hub.clear_log()
    r = run_cli_env({"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(hf_cache)}, "audit", "hf://org/tiny", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["target"] == {"kind": "hf-cache", "ref": "org/tiny", "revision": commit,
                                              "requested_revision": None, "commit_date": None}
    assert fake_hub.requests() == []


def run_cli_env(env: dict[str, str], *args: str):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "trueopen.cli", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_cached_files_cost_no_request_online(fake_hub, tmp_path: Path, hf_cache: Path) -> None:
    _download(fake_hub, tmp_path, hf_cache)
    fake_hub.clear_log()
    a = audit("hf://org/tiny", source=SourceOptions(cache_dir=str(hf_cache)))
    assert a.target.kind == "hf-hub"
    assert [r.path for r in fake_hub.requests()] == ["/api/models/org/tiny"]  # the listing; every file came from the cache
    assert a.transfer.bytes_fetched == 0


def test_hub_audit_leaves_the_users_cache_alone(fake_hub, tmp_path: Path, hf_cache: Path) -> None:
    fake_hub.add_repo("org/tiny", open_release(tmp_path / "rel"))
    audit("hf://org/tiny", source=SourceOptions(cache_dir=str(hf_cache)))
    assert list(hf_cache.iterdir()) == []
    audit("hf://org/tiny", source=SourceOptions(cache_dir=str(hf_cache), cache=True))
    snaps = list((hf_cache / "models--org--tiny" / "snapshots").iterdir())
    assert snaps and (snaps[0] / "README.md").is_file() and not (snaps[0] / "model.safetensors").exists()
