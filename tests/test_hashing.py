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


# --- hashing processes (large files) -------------------------------------------------------
@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list:
    """Send every file to a hashing process and keep the processes started, to check them."""
    import trueopen.hashing as mod

    if not mod._Children().usable:
        pytest.skip("no hashing processes on this platform")
    monkeypatch.setattr(mod, "CHILD_MIN_BYTES", 1)
    started: list = []
    real_init = mod._Child.__init__

    def spy(self) -> None:
        real_init(self)
        started.append(self)

    monkeypatch.setattr(mod._Child, "__init__", spy)
    return started


def _fake_child(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, body: str) -> None:
    """Replace the hashing process by a script: `body` runs with `fd` received and `out` the socket."""
    import trueopen.hashing as mod

    script = tmp_path / "fake_child.py"
    script.write_text(
        "import os, signal, socket, sys\n"
        "sys.path.insert(0, %r)\n"
        "out = socket.socket(fileno=int(sys.argv[1]))\n"
        "out.sendall(b'r\\n')\n"
        "while True:\n"
        "    _, fds, _, _ = socket.recv_fds(out, 1, 1)\n"
        "    if not fds:\n"
        "        break\n"
        "    fd = fds[0]\n" % str(mod._CHILD.parent)
        + "".join("    " + line + "\n" for line in body.splitlines())
    )
    monkeypatch.setattr(mod, "_CHILD", script)


@pytest.mark.parametrize("workers", [1, 3])
def test_large_files_hashed_in_processes(release, children, workers) -> None:
    root, files = release
    paths = sorted(files)
    seen: list[int] = []
    out = hash_files(root, paths, workers=workers, progress=seen.append)
    assert out == [FileDigest(p, len(files[p]), _sha(files[p]), None) for p in paths]
    assert sum(seen) == sum(len(v) for v in files.values())
    assert 1 <= len(children) <= workers
    assert all(c._proc.returncode is not None for c in children)  # none left running


def test_process_that_dies_mid_file_is_replaced_by_reading(release, children, monkeypatch, tmp_path) -> None:
    """A process that reports progress then dies (as on SIGBUS) costs nothing but time: the
    thread hashes the file itself, progress still adds up to the bytes, and the next file gets
    a new process."""
    root, files = release
    _fake_child(monkeypatch, tmp_path, 'out.sendall(b"p 1000\\n")\nos.kill(os.getpid(), signal.SIGBUS)')
    seen: list[int] = []
    paths = ["weights/big.safetensors", "weights/mid.bin"]
    out = hash_files(root, paths, workers=1, progress=seen.append)
    assert out == [FileDigest(p, len(files[p]), _sha(files[p]), None) for p in paths]
    assert sum(seen) == sum(len(files[p]) for p in paths)
    assert len(children) == 2 and all(c._proc.returncode == -__import__("signal").SIGBUS for c in children)


def test_file_shrinking_under_the_mapping_is_survived(release, children, monkeypatch, tmp_path) -> None:
    """The real process's SIGBUS: the file is cut after the process mapped it and before it
    reads the mapping. The audit goes on and hashes what the file now holds."""
    root, files = release
    victim = root / "weights" / "big.safetensors"
    _fake_child(monkeypatch, tmp_path, (
        "import mmap, _hash_child\n"
        "real_mmap = mmap.mmap\n"
        "def cut(*args, **kwargs):\n"
        "    mapped = real_mmap(*args, **kwargs)\n"
        "    os.truncate(%r, 10)\n"
        "    return mapped\n"
        "_hash_child.mmap.mmap = cut\n"
        "out.sendall(_hash_child._digest(fd, out))\n" % str(victim)))
    (d,) = hash_files(root, ["weights/big.safetensors"], workers=1)
    assert d == FileDigest("weights/big.safetensors", 10, _sha(files["weights/big.safetensors"][:10]), None)
    assert children[0]._proc.returncode == -__import__("signal").SIGBUS


def test_read_error_in_the_process_is_the_files_error(release, children, monkeypatch, tmp_path) -> None:
    import trueopen.hashing as mod

    root, _ = release
    monkeypatch.setattr(mod, "CHILD_MIN_BYTES", 1000)  # not config.json
    _fake_child(monkeypatch, tmp_path, 'os.close(fd)\nout.sendall(b"e 5\\n")')
    assert hash_files(root, ["weights/mid.bin", "config.json"], workers=1) == [
        FileDigest("weights/mid.bin", (root / "weights/mid.bin").stat().st_size, None, "input/output error"),
        FileDigest("config.json", 8, _sha(b'{"a": 1}'), None),
    ]


def test_read_error_part_way_keeps_the_files_size(release, monkeypatch) -> None:
    """A read that fails after some bytes (a bad sector, a file cut on a network share): the entry
    says why, and its size is the file's, not 0."""
    import trueopen.hashing as mod

    root, _ = release
    real = mod.read_into

    def failing(fd, h, chunk_size, report):
        os.read(fd, 10)
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(mod, "read_into", failing)
    size = (root / "weights/mid.bin").stat().st_size
    assert hash_files(root, ["weights/mid.bin"], workers=1) == [FileDigest("weights/mid.bin", size, None, "input/output error")]
    monkeypatch.setattr(mod, "read_into", real)
    assert hash_files(root, ["weights/mid.bin"], workers=1)[0].size == size


def test_no_python_to_start_means_threads(release, monkeypatch) -> None:
    import trueopen.hashing as mod

    root, files = release
    monkeypatch.setattr(mod, "CHILD_MIN_BYTES", 1)
    monkeypatch.setattr(mod.sys, "executable", str(root / "no-such-python"))
    paths = sorted(files)
    assert hash_files(root, paths, workers=2) == [FileDigest(p, len(files[p]), _sha(files[p]), None) for p in paths]


def test_hashing_process_imports_nothing_from_the_release(release, children, monkeypatch) -> None:
    """Started inside a release holding hashlib.py, socket.py and a .pth, with PYTHONPATH and
    PYTHONSTARTUP pointing there, the hashing process still runs none of it."""
    root, files = release
    canary = root / "CANARY"
    payload = f"open({str(canary)!r}, 'w').write('ran')\n"
    for name in ("hashlib.py", "socket.py", "mmap.py", "sitecustomize.py", "startup.py"):
        (root / name).write_text(payload)
    (root / "evil.pth").write_text("import os; " + payload)
    monkeypatch.chdir(root)
    monkeypatch.setenv("PYTHONPATH", str(root))
    monkeypatch.setenv("PYTHONSTARTUP", str(root / "startup.py"))
    (d,) = hash_files(root, ["weights/big.safetensors"], workers=1)
    assert d.sha256 == _sha(files["weights/big.safetensors"]) and children
    assert not canary.exists()


def test_process_reads_when_the_file_cannot_be_mapped(release, children, monkeypatch, tmp_path) -> None:
    """Some file systems cannot map: the process reads instead, with the same digest and progress."""
    root, files = release
    _fake_child(monkeypatch, tmp_path, (
        "import _hash_child\n"
        "_hash_child.SLICE = 1 << 20\n"
        "def refuse(*args, **kwargs):\n"
        "    raise OSError(19, 'No such device')\n"
        "_hash_child.mmap.mmap = refuse\n"
        "out.sendall(_hash_child._digest(fd, out))\n"
        "os.close(fd)\n"))
    seen: list[int] = []
    (d,) = hash_files(root, ["weights/big.safetensors"], workers=1, progress=seen.append)
    data = files["weights/big.safetensors"]
    assert d == FileDigest("weights/big.safetensors", len(data), _sha(data), None)
    assert sum(seen) == len(data) and len(seen) == 4  # 3 progress lines past each MiB, then the rest
    assert [c._proc.returncode for c in children] == [0]  # the process did it, it was not replaced


@pytest.mark.parametrize("program", ["#!/bin/sh\nexec sleep 30\n", "#!/bin/sh\nexit 0\n"])
def test_an_executable_that_is_not_python_is_tried_once(release, monkeypatch, tmp_path, program) -> None:
    """A frozen or embedded sys.executable: the process never says it is ready, so it is
    stopped (a hanging one after the wait), processes are off for the run, threads hash."""
    import subprocess as sp

    import trueopen.hashing as mod

    root, files = release
    fake = tmp_path / "not-python"
    fake.write_text(program)
    fake.chmod(0o755)
    monkeypatch.setattr(mod, "CHILD_MIN_BYTES", 1000)
    monkeypatch.setattr(mod, "_READY_SECONDS", 0.5)
    monkeypatch.setattr(mod.sys, "executable", str(fake))
    started: list = []

    class Counting(sp.Popen):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            started.append(self)

    monkeypatch.setattr(mod.subprocess, "Popen", Counting)
    paths = ["weights/big.safetensors", "weights/mid.bin", "weights/exact.bin"]
    assert hash_files(root, paths, workers=1) == [FileDigest(p, len(files[p]), _sha(files[p]), None) for p in paths]
    assert len(started) == 1 and started[0].returncode is not None


def test_a_cut_answer_is_not_taken(release, children, monkeypatch, tmp_path) -> None:
    """A digest line without its newline (the process killed while writing) or with a short
    digest is garbled: the thread hashes the file itself."""
    root, files = release
    _fake_child(monkeypatch, tmp_path, 'out.sendall(b"d 0123456789abcdef 3355")\nsys.exit(0)')
    (d,) = hash_files(root, ["weights/mid.bin"], workers=1)
    assert d == FileDigest("weights/mid.bin", len(files["weights/mid.bin"]), _sha(files["weights/mid.bin"]), None)


def test_errno_zero_is_a_read_error(release, children, monkeypatch, tmp_path) -> None:
    root, _ = release
    _fake_child(monkeypatch, tmp_path, 'os.close(fd)\nout.sendall(b"e 0\\n")')
    size = (root / "weights/mid.bin").stat().st_size
    assert hash_files(root, ["weights/mid.bin"], workers=1) == [FileDigest("weights/mid.bin", size, None, "read error")]


def test_ctrl_c_does_not_kill_the_hashing_process(release, children) -> None:
    """SIGINT reaches the whole process group in a terminal; the parent decides, else every
    large file in hand would be read again from its start."""
    import signal

    root, files = release
    sent: list[int] = []

    def progress(n: int) -> None:
        if not sent:
            os.kill(children[0]._proc.pid, signal.SIGINT)
            sent.append(n)

    paths = ["weights/big.safetensors", "weights/mid.bin"]
    assert hash_files(root, paths, workers=1, progress=progress) == [
        FileDigest(p, len(files[p]), _sha(files[p]), None) for p in paths]
    assert sent and len(children) == 1 and children[0]._proc.returncode == 0
