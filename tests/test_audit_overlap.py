"""What an audit does while its files hash: everything that does not need a digest runs before the
audit waits for the hashes, so that only the record is left once the last file is hashed."""

from __future__ import annotations

import hashlib

import pytest

from builders import safetensors_bytes, write_release
from trueopen.assessors import verdicts
from trueopen.audit import audit
from trueopen.hashing import FileDigest
from trueopen.inspectors import datainfo, integrity, safety


@pytest.fixture
def log(monkeypatch) -> list[str]:
    """The order in which the audit's stages ran; "hashes" is when it waited for the digests."""
    seen: list[str] = []

    def spy(module, name: str, label: str) -> None:
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            seen.append(label)
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapper)

    spy(safety, "assess_safety", "safety")
    spy(datainfo, "read_datainfo", "datainfo")
    spy(verdicts, "assess", "verdicts")
    spy(integrity, "read_header", "header")
    spy(integrity.Hashing, "result", "hashes")
    return seen


def test_only_the_record_waits_for_the_hashes(tmp_path, log) -> None:
    weights = {"model-00001-of-00002.safetensors": safetensors_bytes({"a": (2, 2)}),
               "model-00002-of-00002.safetensors": safetensors_bytes({"b": (3,)})}
    root = write_release(tmp_path / "r", {**weights, "config.json": "{}", "README.md": "# r\n"})
    result = audit(root)
    assert log.count("hashes") == 1 and log.count("header") == 2
    assert log.index("hashes") == len(log) - 1, log  # after the safety scan, data, verdicts and headers
    assert {"safety", "datainfo", "verdicts"} <= set(log)
    digests = {f.path: f.sha256 for f in result.files}
    for name, data in weights.items():
        assert digests[name] == hashlib.sha256(data).hexdigest()


def test_header_findings_and_unreadable_files_are_both_kept(tmp_path, log, monkeypatch) -> None:
    """Reordering kept every finding: the hashing's (a file that cannot be read) and the checks'."""
    real = integrity.hash_files

    def failing(root, paths, **kwargs):
        return [d if d.path != "notes.txt" else FileDigest(d.path, 0, None, "permission denied")
                for d in real(root, paths, **kwargs)]
    monkeypatch.setattr(integrity, "hash_files", failing)
    root = write_release(tmp_path / "r", {"model.safetensors": b"\x00" * 3, "notes.txt": "x", "README.md": "# r\n"})
    result = audit(root)
    rules = [f.rule for f in result.findings]
    assert "invalid-safetensors" in rules and "unreadable-file" in rules
