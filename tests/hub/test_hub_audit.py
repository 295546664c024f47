"""Auditing releases on the (fake) Hub: same verdicts as a local audit, almost nothing fetched."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from builders import run_cli, safetensors_bytes, write_release
from hub.hub_builders import benign_pickle, evil_pickle, open_release, sparse_pickle, torch_zip, zip_member_span
from trueopen.audit import audit
from trueopen.errors import InputError
from trueopen.sources.options import SourceOptions

HUB_ONLY_RULES = {"hub-gated", "hub-files-unreadable", "hub-security-scan", "hub-path-ignored"}


def _strip(record: dict) -> dict:
    """What must agree between a local and a Hub audit of the same files."""
    out = {k: v for k, v in record.items() if k not in ("target", "transfer", "hub", "files", "locations")}
    out["findings"] = [f for f in record["findings"] if f["rule"] not in HUB_ONLY_RULES]
    out["files"] = [{k: v for k, v in f.items() if k not in ("sha256", "sha256_source")} for f in record["files"]]
    return out


def cdn_ranges(fake_hub, sha256: str) -> list[tuple[int, int]]:
    out = []
    for r in fake_hub.requests("cdn"):
        if r.path.endswith(sha256) and r.range and r.status == 206:
            m = re.fullmatch(r"bytes=(\d+)-(\d+)", r.range)
            out.append((int(m.group(1)), int(m.group(2)) + 1))
    return out


def test_same_verdicts_as_a_local_audit(fake_hub, tmp_path: Path) -> None:
    folder = open_release(tmp_path / "rel", shards=3)
    commit = fake_hub.add_repo("org/tiny", folder)
    local = json.loads(audit(folder).to_json())
    remote_audit = audit("hf://org/tiny")
    remote = json.loads(remote_audit.to_json())
    assert _strip(remote) == _strip(local)
    assert remote["target"] == {"kind": "hf-hub", "ref": "org/tiny", "revision": commit, "requested_revision": None,
                                "commit_date": "2025-01-01T00:00:00+00:00"}
    assert local["transfer"] is None and local["hub"] is None
    by_path = {f["path"]: f for f in remote["files"]}
    local_sha = {f["path"]: f["sha256"] for f in local["files"]}
    for path, f in by_path.items():
        if path.endswith(".safetensors"):
            assert f["sha256_source"] == "hub-lfs"
        else:  # read whole (one request each) and hashed from the bytes that came
            assert f["sha256_source"] == "hashed"
        assert f["sha256"] == local_sha[path]
    t = remote["transfer"]
    assert t["bytes_total"] == sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    assert t["requests"] == len(fake_hub.requests())  # what trueopen counted is what the server saw
    assert t["bytes_fetched"] <= fake_hub.pushed()
    assert remote["hub"]["card_data"]["license"] == "apache-2.0"
    assert remote["hub"]["files_readable"] is True


def test_same_commit_twice_gives_the_same_bytes(fake_hub, tmp_path: Path) -> None:
    fake_hub.add_repo("org/tiny", open_release(tmp_path / "rel"))
    first = audit("hf://org/tiny").to_json()
    assert audit("hf://org/tiny").to_json() == first


def test_revision_is_pinned_to_a_commit(fake_hub, tmp_path: Path) -> None:
    old = fake_hub.add_repo("org/tiny", open_release(tmp_path / "v1"), refs=("main", "v1.0"))
    newer = write_release(tmp_path / "v2", {"README.md": "---\nlicense: mit\n---\n# v2\n", "model.safetensors": safetensors_bytes()})
    new = fake_hub.add_repo("org/tiny", newer, refs=("main",))
    assert old != new
    assert audit("hf://org/tiny").target.revision == new
    tagged = audit("hf://org/tiny@v1.0")
    assert (tagged.target.revision, tagged.target.requested_revision) == (old, "v1.0")
    assert audit("hf://org/tiny", source=SourceOptions(revision=old)).target.revision == old
    assert audit(f"http://huggingface.co/org/tiny/tree/{old}").target.revision == old
    with pytest.raises(InputError, match="revision 'nope' not found"):
        audit("hf://org/tiny@nope")
    with pytest.raises(InputError, match="--revision"):
        audit("hf://org/tiny@v1.0", source=SourceOptions(revision="main"))


def test_safetensors_only_header_is_fetched(fake_hub, tmp_path: Path) -> None:
    big = safetensors_bytes({"w": (1024, 1024), "v": (512, 1024)})  # 6 MiB of tensors, a ~150-byte header
    folder = write_release(tmp_path / "rel", {"README.md": "---\nlicense: mit\n---\n# m\n", "model.safetensors": big})
    fake_hub.add_repo("org/st", folder)
    a = audit("hf://org/st")
    assert a.safety.status == "clean"
    sha = next(f.sha256 for f in a.files if f.path == "model.safetensors")
    header_end = 8 + int.from_bytes(big[:8], "little")
    ranges = cdn_ranges(fake_hub, sha)
    assert ranges and all(e <= max(header_end, 64 << 10) for _, e in ranges)
    tf = next(f for f in a.transfer.files if f.path == "model.safetensors")
    assert tf.requests == 2  # /resolve's redirect, then one ranged GET on the storage host
    assert tf.bytes_fetched <= 64 << 10 < len(big) // 90


def test_malicious_torch_zip_unsafe_with_only_directory_and_pickle_fetched(fake_hub, tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    data = torch_zip(evil_pickle(str(canary)), storage=4 << 20, records=3)
    folder = write_release(tmp_path / "rel", {"README.md": "# m\n", "pytorch_model.bin": data})
    fake_hub.add_repo("org/evil", folder)
    a = audit("hf://org/evil")
    assert a.safety.status == "unsafe"
    assert any("os.system" in g or g == "os.system" for s in a.safety.files for g in s.globals)
    assert not canary.exists()
    sha = next(f.sha256 for f in a.files if f.path == "pytorch_model.bin")
    pkl_start, pkl_end = zip_member_span(data, "archive/data.pkl")
    first_storage, _ = zip_member_span(data, "archive/data/0")
    _, last_storage_end = zip_member_span(data, "archive/data/2")
    tail_start = len(data) - (65536 + 22)
    fetched = cdn_ranges(fake_hub, sha)
    for s, e in fetched:  # each range is the tail (central directory) or the start (data.pkl)
        assert s >= tail_start or e <= max(pkl_end, 4096) + 256, (s, e)
    assert sum(e - s for s, e in fetched) < 80 << 10  # of a 12 MiB file
    storage_bytes = set()
    for s, e in fetched:
        storage_bytes |= set(range(max(s, first_storage + 4096), min(e, last_storage_end - 65536 - 22)))
    assert not storage_bytes
    assert any(f.rule == "safety-storage-records-not-read" for f in a.safety.findings)


def test_benign_torch_zip_matches_local_scan(fake_hub, tmp_path: Path) -> None:
    folder = write_release(tmp_path / "rel", {"README.md": "# m\n", "pytorch_model.bin": torch_zip(benign_pickle(), storage=1 << 20)})
    fake_hub.add_repo("org/ok", folder)
    remote, local = audit("hf://org/ok"), audit(folder)
    assert remote.safety.status == local.safety.status == "clean"
    assert [s.globals for s in remote.safety.files] == [s.globals for s in local.safety.files]


def test_bare_pickle_past_max_download_is_incomplete(fake_hub, tmp_path: Path) -> None:
    folder = tmp_path / "rel"
    sparse_pickle(folder / "model.pkl", 3 << 30)  # 3 GiB on paper, a few KiB on disk
    (folder / "README.md").write_text("# m\n")
    # The sha256 is given, not computed: hashing 3 GiB of zeros costs seconds and nothing here depends on it.
    fake_hub.add_repo("org/big", folder, sha256={"model.pkl": "0" * 64})
    a = audit("hf://org/big", source=SourceOptions(max_download=8 << 20))
    pkl = next(s for s in a.safety.files if s.path == "model.pkl")
    assert a.safety.status == "incomplete" and pkl.status == "incomplete"
    assert any("--max-download" in f.message for f in a.safety.findings)
    got = next(f for f in a.transfer.files if f.path == "model.pkl")
    assert got.bytes_fetched <= 8 << 20
    assert fake_hub.pushed() < 24 << 20  # the server did not stream gigabytes into the socket


def test_dropped_connection_is_resumed(fake_hub, tmp_path: Path) -> None:
    folder = write_release(tmp_path / "rel", {"README.md": "# m\n" + "text " * 40_000, "model.safetensors": safetensors_bytes()})
    fake_hub.add_repo("org/drop", folder)
    fake_hub.faults.drop_once.append(r"README\.md$")
    a = audit("hf://org/drop")
    assert a.card.path == "README.md" and not any(f.rule == "unreadable-card" for f in a.findings)
    readme = [r for r in fake_hub.requests("hub") if r.path.endswith("README.md")]
    assert len(readme) == 2
    resumed_at = int(re.match(r"bytes=(\d+)-", readme[1].range).group(1))
    assert 0 < resumed_at <= readme[0].pushed  # resumed after what had arrived, not from the start


def test_rate_limit_once_is_retried(fake_hub, tmp_path: Path) -> None:
    fake_hub.add_repo("org/rl", open_release(tmp_path / "rel"))
    fake_hub.faults.rate_limit_once += [r"^/api/models/org/rl$", r"/config\.json$"]
    a = audit("hf://org/rl")
    assert a.safety.status == "clean"
    assert [r.status for r in fake_hub.requests() if r.path == "/api/models/org/rl"] == [429, 200]
    assert [r.status for r in fake_hub.requests() if r.path.endswith("/config.json")] == [429, 206]


def test_server_ignoring_range_fails_closed(fake_hub, tmp_path: Path) -> None:
    data = torch_zip(benign_pickle(), storage=2 << 20)
    fake_hub.add_repo("org/norange", write_release(tmp_path / "rel", {"README.md": "# m\n", "pytorch_model.bin": data}))
    fake_hub.faults.ignore_range = True
    a = audit("hf://org/norange")
    assert a.safety.status == "incomplete"
    assert any("ignores Range" in f.message for f in a.safety.findings)


def test_gated_without_access_audits_what_is_public(fake_hub, tmp_path: Path) -> None:
    fake_hub.add_repo("org/gated", open_release(tmp_path / "rel"), gated="manual", authorized=("hf_ok",))
    a = audit("hf://org/gated")
    assert a.hub.gated == "manual" and a.hub.files_readable is False
    assert "gated" in a.hub.access and "HF_TOKEN" in a.hub.access
    assert a.safety.status == "incomplete"
    assert a.hub.card_data.license == "apache-2.0"  # what the API says, kept as a claim
    assert {f.rule for f in a.findings} >= {"hub-gated", "hub-files-unreadable"}
    assert not [r for r in fake_hub.requests() if "/resolve/" in r.path]  # known gated: no file was even asked for
    assert [r.status for r in fake_hub.requests() if r.path.endswith("auth-check")] == [401]


def test_gated_with_access_is_read_but_not_freely_obtainable(fake_hub, tmp_path: Path, monkeypatch) -> None:
    folder = open_release(tmp_path / "rel")
    fake_hub.add_repo("org/gated", folder, gated="auto", authorized=("hf_ok",))
    monkeypatch.setenv("HF_TOKEN", "hf_ok")
    a = audit("hf://org/gated")
    local = audit(folder)
    assert a.safety.status == "clean" and a.hub.files_readable
    assert a.verdicts.osaid.parameters.met is False
    assert any("gated on the Hub" in r for r in a.verdicts.osaid.reasons)
    end = {d.id: d for d in a.verdicts.eu_index.dimensions}["weights_endmodel"]
    local_end = {d.id: d for d in local.verdicts.eu_index.dimensions}["weights_endmodel"]
    assert (local_end.grade, end.grade) == ("open", "partial")
    assert a.verdicts.eu_index.score == local.verdicts.eu_index.score - 0.5 * sum(
        1 for d in local.verdicts.eu_index.dimensions if d.id.startswith("weights_") and d.grade == "open")
    # The token goes to the Hub, never to the storage host the files are redirected to.
    assert all(r.token for r in fake_hub.requests("hub") if r.path != "/api/agent-harnesses")
    assert not any(r.token for r in fake_hub.requests("cdn"))


def test_gated_with_unapproved_token(fake_hub, tmp_path: Path, monkeypatch) -> None:
    fake_hub.add_repo("org/gated", open_release(tmp_path / "rel"), gated="manual", authorized=("hf_ok",))
    monkeypatch.setenv("HF_TOKEN", "hf_other")
    a = audit("hf://org/gated")
    assert not a.hub.files_readable and "authorised list" in a.hub.access


@pytest.mark.parametrize("target, message", [
    ("hf://org/missing", "repository not found, or private"),
    ("hf://org/private", "repository not found, or private"),
    ("hf://org/adataset", "it is a dataset: use hf://datasets/org/adataset"),
    ("hf://spaces/org/app", "a space repository"),
    ("hf://org/tiny@refs%2Fpr%2F9", "not found"),
])
def test_errors_are_one_line(fake_hub, tmp_path: Path, target: str, message: str) -> None:
    fake_hub.add_repo("org/tiny", open_release(tmp_path / "a"))
    fake_hub.add_repo("org/private", open_release(tmp_path / "b"), private=True, authorized=("hf_ok",))
    fake_hub.add_repo("org/adataset", write_release(tmp_path / "c", {"README.md": "# data\n"}), repo_type="dataset")
    with pytest.raises(InputError, match=re.escape(message)) as exc:
        audit(target)
    assert "\n" not in str(exc.value)


def test_private_repo_with_token(fake_hub, tmp_path: Path, monkeypatch) -> None:
    fake_hub.add_repo("org/private", open_release(tmp_path / "b"), private=True, authorized=("hf_ok",))
    monkeypatch.setenv("HF_TOKEN", "hf_ok")
    assert audit("hf://org/private").hub.private is True


def test_dataset_repo(fake_hub, tmp_path: Path) -> None:
    folder = write_release(tmp_path / "d", {"README.md": "---\nlicense: cc-by-4.0\n---\n# A corpus\n", "data/train.jsonl": '{"a": 1}\n'})
    fake_hub.add_repo("org/corpus", folder, repo_type="dataset")
    a = audit("hf://datasets/org/corpus")
    assert (a.target.ref, a.hub.repo_type) == ("datasets/org/corpus", "dataset")


def test_hub_security_scan_is_shown_beside_ours(fake_hub, tmp_path: Path) -> None:
    folder = write_release(tmp_path / "rel", {"README.md": "# m\n", "pytorch_model.bin": torch_zip(evil_pickle(), storage=1024)})
    fake_hub.add_repo("org/scanned", folder,
                      security={"scansDone": True, "filesWithIssues": [{"path": "pytorch_model.bin", "level": "unsafe"}]})
    a = audit("hf://org/scanned")
    assert a.hub.security_scan.files_with_issues[0].level == "unsafe"
    assert a.safety.status == "unsafe"  # trueopen's own verdict, from its own reading
    assert any(f.rule == "hub-security-scan" for f in a.findings)


def test_cli_bare_name_json_and_errors(fake_hub, tmp_path: Path) -> None:
    fake_hub.add_repo("org/tiny", open_release(tmp_path / "rel"))
    r = run_cli("audit", "org/tiny", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["target"]["kind"] == "hf-hub"
    assert "auditing the Hub repository hf://org/tiny" in r.stderr
    table = run_cli("audit", "hf://org/tiny", cwd=tmp_path)
    assert "Fetched" in table.stdout and "HTTP requests" in table.stdout
    bad = run_cli("audit", "hf://org/nope", cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    assert run_cli("audit", "hf://org/tiny", "--max-download", "lots").returncode == 2


def test_many_targets_compare_and_worst_exit(fake_hub, tmp_path: Path) -> None:
    fake_hub.add_repo("org/a", open_release(tmp_path / "a"))
    fake_hub.add_repo("org/b", write_release(tmp_path / "b", {"README.md": "# b\n", "pytorch_model.bin": torch_zip(evil_pickle(), storage=1024)}))
    listing = tmp_path / "targets.txt"
    listing.write_text("# two on the Hub, one missing\nhf://org/b\nhf://org/missing\n")
    r = run_cli("audit", "hf://org/a", "--from", str(listing), cwd=tmp_path)
    assert r.returncode == 2
    assert re.search(r"\ba\b.*open", r.stdout) and re.search(r"\bb\b.*unsafe", r.stdout)
    assert "org/missing" in r.stderr and "Traceback" not in r.stderr
    ok = run_cli("audit", "hf://org/a", "hf://org/b", "--format", "json", cwd=tmp_path)
    assert ok.returncode == 0 and [x["target"]["ref"] for x in json.loads(ok.stdout)] == ["org/a", "org/b"]


def test_scan_and_license_commands_take_hub_targets(fake_hub, tmp_path: Path) -> None:
    fake_hub.add_repo("org/evil", write_release(tmp_path / "e", {"README.md": "# m\n", "pytorch_model.bin": torch_zip(evil_pickle(), storage=1024)}))
    fake_hub.add_repo("org/tiny", open_release(tmp_path / "rel"))
    scan = run_cli("scan", "hf://org/evil", "--format", "json")
    assert scan.returncode == 1, scan.stderr
    assert "hf://org/evil/pytorch_model.bin" in scan.stdout
    lic = run_cli("license", "hf://org/tiny", "--format", "json")
    assert lic.returncode == 0, lic.stderr
    assert any(f["id"] == "Apache-2.0" for f in json.loads(lic.stdout))
    why = run_cli("explain", "hf://org/tiny")
    assert why.returncode == 0, why.stderr


def test_follow_base_warns_on_licence_inheritance(fake_hub, tmp_path: Path) -> None:
    base = write_release(tmp_path / "base", {"README.md": "---\nlicense: llama3.1\n---\n# Base\n", "model.safetensors": safetensors_bytes()})
    fake_hub.add_repo("meta/base", base)
    tune = write_release(tmp_path / "tune", {"README.md": "---\nlicense: apache-2.0\nbase_model: meta/base\n---\n# A fine-tune\n",
                                             "model.safetensors": safetensors_bytes()})
    fake_hub.add_repo("someone/tune", tune)
    from trueopen.follow import follow_related

    a = follow_related(audit("hf://someone/tune"), {"base"}, SourceOptions())
    (rel,) = a.related
    assert (rel.relation, rel.ref, rel.license_open, rel.label) == ("base_model", "meta/base", False, "restricted-weights")
    assert any(f.rule == "license-inheritance" and f.severity == "warn" for f in a.findings)


def test_follow_datasets_reads_only_cards_and_licences(fake_hub, tmp_path: Path) -> None:
    data = write_release(tmp_path / "corpus", {"README.md": "---\nlicense: cc-by-4.0\n---\n# Corpus\n",
                                               "data/part-0.parquet": b"PAR1" + bytes(4096)})
    fake_hub.add_repo("org/corpus", data, repo_type="dataset")
    fake_hub.add_repo("org/tiny", open_release(tmp_path / "rel"))  # its card names org/corpus
    r = run_cli("audit", "hf://org/tiny", "--follow", "datasets", "--format", "json")
    assert r.returncode == 0, r.stderr
    (rel,) = json.loads(r.stdout)["related"]
    assert (rel["relation"], rel["ref"], rel["license"], rel["error"]) == ("dataset", "datasets/org/corpus", "CC-BY-4.0", None)
    assert not [q for q in fake_hub.requests() if "parquet" in q.path]  # data files are not read


def test_unreachable_hub_is_one_line(fake_hub, monkeypatch) -> None:
    import trueopen.sources.hub as hub

    monkeypatch.setattr(hub, "endpoint", lambda: "http://127.0.0.1:9")  # the discard port: refused
    with pytest.raises(InputError, match="cannot reach the Hub at http://127.0.0.1:9"):
        audit("hf://org/anything")


def test_badge_check_diff_and_license_take_the_hub_options(fake_hub, tmp_path: Path) -> None:
    """badge, check, diff and license open Hub targets as audit does: --revision picks the commit (a tag
    here), --offline reads only the HF cache, --max-download is parsed; diff takes each side's
    revision in its name."""
    old = fake_hub.add_repo("org/tiny", open_release(tmp_path / "v1"), refs=("main", "v1.0"))
    restricted = write_release(tmp_path / "v2", {"README.md": "---\nlicense: llama3.1\n---\n# v2\n",
                                                 "model.safetensors": safetensors_bytes()})
    fake_hub.add_repo("org/tiny", restricted, refs=("main",))

    def label(*extra: str) -> str:
        r = run_cli("badge", "hf://org/tiny", "--kind", "label", "--format", "shields-json", *extra)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)["message"]
    assert label("--revision", "v1.0") != label()
    assert label("--revision", old) == label("--revision", "v1.0")

    def licences(*extra: str) -> set[str]:
        r = run_cli("license", "hf://org/tiny", "--format", "json", *extra)
        assert r.returncode == 0, r.stderr
        return {f["id"] for f in json.loads(r.stdout)}
    assert "Apache-2.0" in licences("--revision", "v1.0") and "Apache-2.0" not in licences()

    assert run_cli("check", "hf://org/tiny", "--revision", "v1.0", "--policy", "commercial-use").returncode == 0
    gate = run_cli("check", "hf://org/tiny", "--policy", "commercial-use")
    assert gate.returncode == 1, gate.stderr

    changed = run_cli("diff", "hf://org/tiny@v1.0", "hf://org/tiny", "--fail-on", "license-change", "--format", "json")
    assert changed.returncode == 1, changed.stderr
    assert any(c["kind"] == "component" for c in json.loads(changed.stdout)["changes"])

    before = len(fake_hub.requests())
    for argv in (("badge", "hf://org/tiny", "--offline"), ("license", "hf://org/tiny", "--offline"),
                 ("check", "hf://org/tiny", "--offline", "--policy", "open-source"),
                 ("diff", "hf://org/tiny@v1.0", "hf://org/tiny", "--offline")):
        r = run_cli(*argv)
        assert r.returncode == 2 and "cache" in r.stderr and "Traceback" not in r.stderr, (argv, r.stderr)
    assert len(fake_hub.requests()) == before  # offline: the Hub was not asked

    bad = run_cli("badge", "hf://org/tiny", "--max-download", "lots")
    assert bad.returncode == 2 and "--max-download" in bad.stderr
    saved = tmp_path / "audit.json"
    saved.write_text(run_cli("audit", "hf://org/tiny", "--format", "json").stdout)
    for argv in (("badge", str(saved), "--revision", "v1.0"), ("check", str(saved), "--revision", "v1.0", "--policy", "open-source")):
        r = run_cli(*argv)
        assert r.returncode == 2 and "saved audit record" in r.stderr, r.stderr
    r = run_cli("diff", str(saved), "hf://org/tiny", "--revision", "v1.0")
    assert r.returncode == 2 and "Traceback" not in r.stderr  # no such option: each side names its revision


def _gguf_vocab(tokens: int, merges: int) -> bytes:
    """A GGUF with a tokenizer's vocabulary and merges (a few MiB of metadata) and a chat template."""
    import struct

    def s(x: str) -> bytes:
        return struct.pack("<Q", len(x.encode())) + x.encode()

    def kv(key: str, typ: int, value: bytes) -> bytes:
        return s(key) + struct.pack("<I", typ) + value
    kvs = [kv("general.architecture", 8, s("llama")),
           kv("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, tokens) + b"".join(s(f"tok{i:06d}") for i in range(tokens))),
           kv("tokenizer.ggml.token_type", 9, struct.pack("<IQ", 5, tokens) + struct.pack("<i", 1) * tokens),
           kv("tokenizer.ggml.merges", 9, struct.pack("<IQ", 8, merges) + b"".join(s(f"t{i % 5000} k{i % 7000}") for i in range(merges))),
           kv("tokenizer.chat_template", 8, s("{{ ''.__class__.__mro__[1].__subclasses__() }}"))]
    return b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs) + bytes(1 << 20)


def test_gguf_vocabulary_is_fetched_in_a_few_requests(fake_hub, tmp_path: Path, monkeypatch) -> None:
    """A GGUF's tokenizer metadata (about 3 MiB here) is walked with hints of how far its string
    arrays reach: a few ranged requests, against growing blocks without them, and the same
    verdict (the chat template is found either way), fetching little beyond the metadata."""
    from trueopen.sources.hub_reader import HubReader

    data = _gguf_vocab(60_000, 120_000)
    meta_end = len(data) - (1 << 20)
    fake_hub.add_repo("org/gguf", write_release(tmp_path / "g", {"README.md": "# m\n", "model.gguf": data}))

    def blob_gets() -> list:
        return [r for r in fake_hub.requests("cdn") if r.status == 206]
    hinted = audit("hf://org/gguf")
    with_hints = blob_gets()
    fake_hub.clear_log()
    monkeypatch.delattr(HubReader, "will_read")
    plain = audit("hf://org/gguf")
    without = blob_gets()
    assert hinted.safety.status == plain.safety.status == "unsafe"
    assert len(with_hints) <= 6 < len(without), (len(with_hints), len(without))
    fetched = next(f for f in hinted.transfer.files if f.path == "model.gguf").bytes_fetched
    skipped = 4 * 60_000  # token_type, fixed-size: skipped, never fetched
    assert meta_end - skipped <= fetched <= meta_end - skipped + 3 * ((1 << 16) + 4096) + (1 << 16)
