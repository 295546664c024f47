"""Tests for trueopen.hashing."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from trueopen.hashing import FileDigest, hash_files


@pytest.fixture
def release(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    files = {
        "config.json": b'{"a": 1}',
        "empty.txt": b"",
        "weights/big.safetensors": os.urandom(3 * 2**20 + 17),
        "weights/mid.bin": os.urandom(2**20),
        "weights/exact.bin": os.urandom(4096),
        "nested/a/b/c.txt": b"deep",
    }
    for rel, data in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return tmp_path, files


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("workers", [None, 1, 3, 64])
@pytest.mark.parametrize("chunk_size", [1 << 20, 4096, 1000])
def test_matches_hashlib_in_input_order(release, workers, chunk_size) -> None:
    root, files = release
    paths = sorted(files, reverse=True)
    out = hash_files(root, paths, workers=workers, chunk_size=chunk_size)
    assert out == [FileDigest(p, len(files[p]), _sha(files[p]), None) for p in paths]


def test_empty_file_and_empty_list(release) -> None:
    root, _ = release
    assert hash_files(root, ["empty.txt"]) == [
        FileDigest("empty.txt", 0, hashlib.sha256(b"").hexdigest(), None)
    ]
    assert hash_files(root, []) == []


def test_progress_sums_to_total_bytes(release) -> None:
    root, files = release
    seen: list[int] = []
    inside = threading.Lock()

    def progress(n: int) -> None:
        # Called from one thread at a time.
        assert inside.acquire(blocking=False)
        try:
            seen.append(n)
        finally:
            inside.release()

    hash_files(root, list(files), workers=4, progress=progress, chunk_size=65536)
    assert sum(seen) == sum(len(v) for v in files.values())
    assert all(0 < n <= 65536 for n in seen)


def test_errors_never_raise(release) -> None:
    root, files = release
    paths = ["config.json", "missing.bin", "weights", "../outside", "/etc/passwd",
             "nul\x00name", "config.json/child"]
    out = hash_files(root, paths, workers=2)
    assert [(d.path, d.sha256 is not None, d.error) for d in out] == [
        ("config.json", True, None),
        ("missing.bin", False, "not found"),
        ("weights", False, "is a directory"),
        ("../outside", False, "path outside the release"),
        ("/etc/passwd", False, "path outside the release"),
        ("nul\x00name", False, "invalid path"),
        ("config.json/child", False, "not found"),
    ]


def test_fifo_does_not_hang(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(tmp_path / "pipe")
    assert hash_files(tmp_path, ["pipe"]) == [FileDigest("pipe", 0, None, "not a regular file")]


def test_vanished_file(release, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file listed, then deleted before hashing, is reported, not raised."""
    root, _ = release
    (root / "gone.bin").write_bytes(b"x" * 100)
    paths = ["gone.bin", "config.json"]
    real_stat = os.stat

    def stat_then_delete(p, *a, **kw):
        st = real_stat(p, *a, **kw)
        if str(p).endswith("gone.bin"):
            os.unlink(p)
        return st

    import trueopen.hashing as mod

    monkeypatch.setattr(mod.os, "stat", stat_then_delete)
    out = hash_files(root, paths, workers=1)
    assert out[0] == FileDigest("gone.bin", 0, None, "not found")
    assert out[1].error is None


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX only")
def test_unreadable_file(release) -> None:
    root, _ = release
    p = root / "secret.bin"
    p.write_bytes(b"secret")
    p.chmod(0)
    try:
        (d,) = hash_files(root, ["secret.bin"])
        if os.geteuid() == 0:
            # root reads through chmod 000; the hash must then simply be right.
            assert d == FileDigest("secret.bin", 6, _sha(b"secret"), None)
        else:
            assert d == FileDigest("secret.bin", 0, None, "permission denied")
    finally:
        p.chmod(0o644)


def test_symlinked_blob_is_followed(tmp_path: Path) -> None:
    """The Hugging Face cache stores files as symlinks to blobs; hash the blob."""
    (tmp_path / "blob").write_bytes(b"weights")
    (tmp_path / "model.bin").symlink_to(tmp_path / "blob")
    assert hash_files(tmp_path, ["model.bin"])[0].sha256 == _sha(b"weights")


def test_deterministic(release) -> None:
    root, files = release
    paths = list(files)
    assert hash_files(root, paths, workers=4) == hash_files(root, paths, workers=1)


def test_bad_chunk_size(release) -> None:
    with pytest.raises(ValueError):
        hash_files(release[0], ["config.json"], chunk_size=0)


def test_audit_hashes_in_the_background_and_waits_for_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit starts hashing before its other inspectors and uses every digest it made; a
    failure inside the hashing thread reaches the caller instead of vanishing with the thread."""
    from trueopen.audit import audit
    from trueopen.inspectors import integrity

    (tmp_path / "README.md").write_text("# m\n")
    (tmp_path / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    threads: list[str] = []
    real = integrity.hash_files

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(integrity, "hash_files", spy)
    record = audit(tmp_path)
    assert threads == ["trueopen-hashing"]
    digests = {f.path: f.sha256 for f in record.files}
    assert digests["README.md"] == hashlib.sha256(b"# m\n").hexdigest()

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(integrity, "hash_files", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        audit(tmp_path)
