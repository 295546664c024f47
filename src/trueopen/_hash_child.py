"""The sha256 worker process of trueopen.hashing: standard library only, started with
`python -I -S` so that it imports nothing of the environment.

It receives open file descriptors over the Unix socket given as its only argument (one byte of
data with each descriptor, SCM_RIGHTS) and answers, per descriptor, with ``p <bytes>`` lines
as it goes and one ``d <sha256 hex> <size>`` line (or ``e <errno>``) at the end. A closed
socket ends it. It never opens a path: what to hash and whether it may be hashed is decided by
the parent, which opened and checked the file.

Why a process and not a thread: hashlib releases the GIL only inside one update() call, so a
hashing thread must take the GIL back between chunks, and while the audit's own Python work
holds it a waiting thread gets it about once per switch interval (5 ms). Measured on 2 cores,
4 GiB in 16 shards: 2 hashing threads took 1.6 s alone and 2.2 s beside 0.6 s of Python work
in the main thread (the work serialised); hashing in 2 of these processes overlaps it.

Why mmap: hashing the mapped pages saves the copy into a read buffer; on one 256 MiB shard,
warm cache, 0.18 s against 0.20-0.28 s with os.readv and 64 KiB-1 MiB buffers. A file that
shrinks while mapped raises SIGBUS, which ends only this process: the parent sees the socket
close and hashes that file itself with reads.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import signal
import socket
import sys

# typing costs this process 4 ms of its start (it is imported before each audit's first large file).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

SLICE = 16 << 20  # bytes per update() and per progress line: the GIL is not involved here


def read_into(fd: int, h: "hashlib._Hash", chunk_size: int, report: "Callable[[int], None] | None") -> int:
    """Read `fd` to its end into `h`, `chunk_size` bytes at a time into one reused buffer,
    calling `report` with each chunk's size; the bytes read (shared with trueopen.hashing)."""
    buf = bytearray(chunk_size)
    view = memoryview(buf)
    size = 0
    while True:
        n = os.readv(fd, [buf])
        if not n:
            return size
        h.update(view[:n])
        size += n
        if report is not None:
            report(n)


def _digest(fd: int, out: socket.socket) -> bytes:
    """``d <hex> <size>`` for the open file `fd`, sending ``p <bytes>`` (bytes hashed so far)
    every SLICE."""
    h = hashlib.sha256()
    size = os.fstat(fd).st_size
    done = 0
    mapped = None
    if size:
        try:
            mapped = mmap.mmap(fd, size, prot=mmap.PROT_READ)
        except (OSError, ValueError):  # a file system that cannot map: read it below
            mapped = None
    if mapped is not None:
        view = memoryview(mapped)
        try:
            while done < size:
                part = view[done:done + SLICE]
                h.update(part)
                done += len(part)
                part.release()
                out.sendall(b"p %d\n" % done)
        finally:
            view.release()
            mapped.close()
    else:
        # 64 KiB stays in cache: faster than 1 MiB (0.20 s against 0.28 s a 256 MiB shard).
        def progress(n: int) -> None:
            nonlocal done
            done += n
            if done % SLICE < n:
                out.sendall(b"p %d\n" % done)
        read_into(fd, h, 1 << 16, progress)
    return b"d %s %d\n" % (h.hexdigest().encode(), done)


def main() -> None:
    # Ctrl-C in the terminal reaches the whole process group: the parent decides (closing the
    # socket ends this process), else each large file in hand would be read again from its start.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = socket.socket(fileno=int(sys.argv[1]))
    out.sendall(b"r\n")  # started: the parent waits for this before trusting the process
    while True:
        _, fds, _, _ = socket.recv_fds(out, 1, 1)
        if not fds:
            return
        fd = fds[0]
        try:
            answer = _digest(fd, out)
        except OSError as exc:
            answer = b"e %d\n" % (exc.errno or 0)
        finally:
            os.close(fd)
        out.sendall(answer)


if __name__ == "__main__":
    main()
