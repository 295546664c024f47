"""Streamed, parallel sha256 of release files.

Each file is read in fixed chunks into one reused buffer per worker (memory is workers x
chunk_size, whatever the file sizes), and files are hashed in parallel on a thread pool:
hashlib and file reads release the GIL for large buffers, so threads scale across cores.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

__all__ = ["FileDigest", "hash_files"]


@dataclass(frozen=True)
class FileDigest:
    """sha256 of one file, or why it could not be computed (then sha256 is None)."""

    path: str
    size: int
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


def _hash_one(
    root: Path, rel: str, chunk_size: int, report: Callable[[int], None] | None
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
        if hasattr(os, "posix_fadvise"):
            try:  # tell the kernel to read ahead aggressively; advisory only
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
            except OSError:
                pass
        h = hashlib.sha256()
        buf = bytearray(chunk_size)
        view = memoryview(buf)
        while True:
            n = os.readv(fd, [buf])
            if not n:
                break
            h.update(view[:n])
            size += n
            if report is not None:
                report(n)
        return FileDigest(rel, size, h.hexdigest(), None)
    except OSError as exc:
        return FileDigest(rel, size, None, _error_text(exc))
    finally:
        os.close(fd)


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
    files (default os.cpu_count() threads), biggest files first so one large shard does not
    start last.
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
    if n_workers == 1:
        for i in order:
            results[i] = _hash_one(root, paths[i], chunk_size, report)
    else:
        with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="trueopen-hash") as pool:
            futures = {i: pool.submit(_hash_one, root, paths[i], chunk_size, report) for i in order}
            for i, fut in futures.items():
                results[i] = fut.result()
    return [r for r in results if r is not None]
