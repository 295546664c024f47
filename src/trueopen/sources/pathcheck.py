"""Say why a path given on the command line cannot be read, before anything opens it.

Opening a FIFO blocks until a writer comes; a device such as /dev/zero never ends; a symlink
loop looks like a missing file to `Path.exists()`. Each gets its real reason here (issue 13).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from trueopen.errors import InputError

__all__ = ["check_input_path"]

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_input_path(raw: str | os.PathLike[str], *, folders: bool = True) -> Path:
    """The path, when it is a regular file (or a folder, if `folders`); else InputError naming
    the path and the real reason: missing, a symlink loop, no permission, a FIFO, a device."""
    path = Path(raw)
    try:
        st = path.stat()
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            if path.is_symlink():
                raise InputError(f"{raw}: a symbolic link to a missing file") from None
            raise InputError(f"{raw}: no such file or folder") from None
        if exc.errno == errno.ELOOP:
            raise InputError(f"{raw}: a symbolic link loop") from None
        raise InputError(f"{raw}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        if not folders:
            raise InputError(f"{raw}: is a folder; name a file")
        return path
    for test, kind in _KINDS:
        if test(st.st_mode):
            raise InputError(f"{raw}: is {kind}, not a regular file; nothing was read")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{raw}: not a regular file; nothing was read")
    if not os.access(path, os.R_OK):
        raise InputError(f"{raw}: cannot be read (permission denied)")
    return path
