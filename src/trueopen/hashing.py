"""Streamed, parallel sha256 of release files.

Files are hashed in parallel on a thread pool, largest first. Each thread opens and checks a
file itself; a small file it reads in fixed chunks into one reused buffer (memory is workers x
chunk_size, whatever the file sizes). A large one it hands, as an open descriptor, to its own
hashing process (`_hash_child.py`): threads alone serialise with the caller's Python work on
the GIL (measured in that module's docstring), processes do not.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import socket
import stat
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from trueopen._hash_child import read_into

__all__ = ["FileDigest", "hash_files"]

# Files from this size on go to a hashing process: starting one costs about 15 ms of CPU, the
# time it takes to hash 16 MiB, and a process is started only once per worker thread.
CHILD_MIN_BYTES = 32 << 20
_CHILD = Path(__file__).with_name("_hash_child.py")


@dataclass(frozen=True)
class FileDigest:
    """sha256 of one file, or why it could not be computed (then sha256 is None)."""

    path: str
    size: int  # bytes hashed; when reading failed part-way, the file's size when it was opened (0 if never opened)
    sha256: str | None
    error: str | None


_ERRORS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "not found",
    errno.EISDIR: "is a directory",
    errno.ENOTDIR: "not found",
    errno.ELOOP: "too many levels of symbolic links",
    errno.EIO: "input/output error",
}


def _error_text(exc: OSError) -> str:
    if exc.errno in _ERRORS:
        return _ERRORS[exc.errno]
    return (exc.strerror or type(exc).__name__).lower()


def _outside_root(rel: str) -> bool:
    p = rel.replace("\\", "/")
    return p.startswith("/") or ".." in p.split("/")


class _ChildError(Exception):
    """The hashing process could not read the file (errno in args[0])."""


_READY_SECONDS = 10.0  # for the process's first line: a Python starts in well under a second
_LINE = re.compile(rb"(?:p (\d{1,20})|d ([0-9a-f]{64}) (\d{1,20})|e (\d{1,5}))\n")


class _Child:
    """One hashing process, used by one worker thread at a time. Raises OSError when it does
    not start and say it is ready (not a Python: a frozen or embedded sys.executable)."""

    def __init__(self) -> None:
        parent, child = socket.socketpair()
        try:
            # -I -S: none of the environment's site-packages, .pth files or PYTHON* settings.
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", str(_CHILD), str(child.fileno())],
                pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        self._sock = parent
        self._lines = parent.makefile("rb")
        try:
            parent.settimeout(_READY_SECONDS)
            ready = self._lines.readline(8)
            parent.settimeout(None)
        except OSError:
            ready = b""
        if ready != b"r\n":
            self.close(kill=True)
            raise OSError("the hashing process did not start")

    def digest(self, fd: int, report: Callable[[int], None] | None) -> tuple[str, int] | int:
        """(sha256, size) of the open file `fd`; if the process died on the way, the number
        of bytes it had reported (the caller then hashes the file itself)."""
        reported = 0
        try:
            socket.send_fds(self._sock, [b"f"], [fd])
            while True:
                line = _LINE.fullmatch(self._lines.readline(128))
                if line is None:  # closed (SIGBUS on a file that shrank, killed) or garbled
                    return reported
                progress, hexdigest, size, errno_ = line.groups()
                if progress is not None:
                    done = int(progress)
                    if report is not None and done > reported:
                        report(done - reported)
                    reported = max(reported, done)
                elif hexdigest is not None:
                    if report is not None and int(size) > reported:
                        report(int(size) - reported)
                    return hexdigest.decode("ascii"), int(size)
                else:
                    raise _ChildError(int(errno_))
        except OSError:
            return reported

    def close(self, kill: bool = False) -> None:
        try:
            self._lines.close()
            self._sock.close()  # the process ends at the closed socket
        finally:
            if kill:
                self._proc.kill()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # still inside a huge file: stop it
                self._proc.kill()
                self._proc.wait()


class _Children:
    """A hashing process per worker thread, started on first use; None once one fails to start."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[_Child] = []
        self._lock = threading.Lock()
        # Not in a frozen app (sys.executable is the app) or where the script is not a file.
        self.usable = (os.name == "posix" and hasattr(socket, "send_fds") and bool(sys.executable)
                       and not getattr(sys, "frozen", False) and _CHILD.is_file())

    def get(self) -> _Child | None:
        child = getattr(self._local, "child", None)
        if child is None and self.usable:
            try:
                child = _Child()
            except OSError:
                self.usable = False
                return None
            self._local.child = child
            with self._lock:
                self._all.append(child)
        return child

    def drop(self) -> None:
        """End this thread's process (it failed a file); a new one is started on next use.
        (One that never starts turns processes off in get(): it never says it is ready.)"""
        child, self._local.child = self._local.child, None
        with self._lock:
            self._all.remove(child)
        child.close(kill=True)

    def close(self) -> None:
        """End every process, each even when ending another failed."""
        with self._lock:
            children, self._all = self._all, []
        for child in children:
            try:
                child.close()
            except BaseException:
                child.close(kill=True)
                raise


def _hash_one(
    root: Path, rel: str, chunk_size: int, report: Callable[[int], None] | None,
    children: _Children | None = None,
) -> FileDigest:
    if _outside_root(rel):
        return FileDigest(rel, 0, None, "path outside the release")
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    # O_NONBLOCK so that a FIFO planted in a folder cannot hang us at open(); it has no
    # effect on regular files, and anything that is not a regular file is refused below.
    flags |= getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(root / rel, flags)
    except OSError as exc:
        return FileDigest(rel, 0, None, _error_text(exc))
    except ValueError:  # e.g. a NUL byte in the name
        return FileDigest(rel, 0, None, "invalid path")
    size = 0
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            return FileDigest(rel, 0, None, "is a directory")
        if not stat.S_ISREG(st.st_mode):
            return FileDigest(rel, 0, None, "not a regular file")
        size = st.st_size  # what an error part-way reports: the file is there, its bytes are not all readable
        if hasattr(os, "posix_fadvise"):
            try:  # tell the kernel to read ahead aggressively; advisory only
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
            except OSError:
                pass
        child = children.get() if children is not None and st.st_size >= CHILD_MIN_BYTES else None
        if child is not None:
            got = child.digest(fd, report)
            if isinstance(got, tuple):
                return FileDigest(rel, got[1], got[0], None)
            children.drop()  # type: ignore[union-attr]
            os.lseek(fd, 0, os.SEEK_SET)
            report = _skipping(report, got)
        h = hashlib.sha256()
        size = read_into(fd, h, chunk_size, report)
        return FileDigest(rel, size, h.hexdigest(), None)
    except OSError as exc:
        return FileDigest(rel, size, None, _error_text(exc))
    except _ChildError as exc:
        code = exc.args[0]
        return FileDigest(rel, size, None, _error_text(OSError(code, os.strerror(code))) if code else "read error")
    finally:
        os.close(fd)


def _skipping(report: Callable[[int], None] | None, already: int) -> Callable[[int], None] | None:
    """`report` without its first `already` bytes: those were reported by a process that died."""
    if report is None or already <= 0:
        return report
    left = [already]

    def skip(n: int) -> None:
        cut = min(n, left[0])
        left[0] -= cut
        if n > cut:
            report(n - cut)
    return skip


def hash_files(
    root: Path,
    paths: Sequence[str],
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = 1 << 20,
) -> list[FileDigest]:
    """sha256 of each of `paths` (relative to `root`), in the order of `paths`.

    Never raises for a file: an unreadable one gets `error` ("permission denied", "not
    found", "is a directory", ...). `progress`, if given, is called with each increment of
    bytes hashed, from one thread at a time. Cost: reads every byte once; parallel across
    files (default os.cpu_count() threads, each with one hashing process for files of
    CHILD_MIN_BYTES or more, started on first use and ended before returning), biggest files
    first so one large shard does not start last.
    """
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    root = Path(root)
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(paths) or 1))

    report: Callable[[int], None] | None = None
    if progress is not None:
        lock = threading.Lock()

        def report(n: int) -> None:
            with lock:
                progress(n)

    def size_of(i: int) -> int:
        try:
            return os.stat(root / paths[i]).st_size
        except (OSError, ValueError):
            return 0

    # Largest first (ties in input order) so the pool drains evenly; the pool takes
    # submissions in order.
    order = sorted(range(len(paths)), key=lambda i: (-size_of(i), i))
    results: list[FileDigest | None] = [None] * len(paths)
    children = _Children()
    try:
        if n_workers == 1:
            for i in order:
                results[i] = _hash_one(root, paths[i], chunk_size, report, children)
        else:
            with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="trueopen-hash") as pool:
                futures = {i: pool.submit(_hash_one, root, paths[i], chunk_size, report, children) for i in order}
                for i, fut in futures.items():
                    results[i] = fut.result()
    finally:
        children.close()
    return [r for r in results if r is not None]
