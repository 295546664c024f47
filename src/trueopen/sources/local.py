"""A release that is a folder on disk."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from trueopen.errors import InputError
from trueopen.record import Evidence, Finding, Target
from trueopen.release import Release, ReleaseFile

MAX_FILES = 200_000
MAX_DEPTH = 64
SKIPPED_DIRS = frozenset({".git"})  # version-control internals are not release content


class LocalReader:
    """Reads byte ranges of files under a root, through the real paths found by the walk."""

    def __init__(self, real_paths: dict[str, str]) -> None:
        self._real = real_paths

    def open(self, path: str) -> BinaryIO:
        """A binary stream over one file (the caller closes it)."""
        real = self._real.get(path)
        if real is None:
            raise FileNotFoundError(2, "not in the release", path)
        return open(real, "rb")  # noqa: SIM115 - returned to the caller

    def read_at(self, path: str, offset: int, length: int) -> bytes:
        real = self._real.get(path)
        if real is None:
            raise FileNotFoundError(2, "not in the release", path)
        with open(real, "rb") as fh:
            if offset:
                fh.seek(offset)
            return fh.read(length)


def open_folder(root: Path, target: Target | None = None) -> Release:
    """List a folder's files without following links out of it. Raises InputError when unusable."""
    root = root.resolve()
    if not os.access(root, os.R_OK | os.X_OK):
        raise InputError(f"{root}: folder cannot be read (permission denied)")
    files: list[ReleaseFile] = []
    real: dict[str, str] = {}
    problems: list[Finding] = []
    root_str = str(root)
    stack: list[tuple[str, int]] = [("", 0)]
    while stack:
        rel_dir, depth = stack.pop()
        abs_dir = os.path.join(root_str, rel_dir) if rel_dir else root_str
        try:
            entries = sorted(os.scandir(abs_dir), key=lambda e: e.name)
        except OSError as exc:
            problems.append(_problem("unreadable-file", "warn", rel_dir or ".", f"folder cannot be listed: {exc.strerror}"))
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                problems.append(_problem("unreadable-file", "warn", rel, f"cannot be read: {exc.strerror}"))
                continue
            if stat.S_ISLNK(st.st_mode):
                _symlink(root_str, rel, entry.path, files, real, problems)
            elif stat.S_ISDIR(st.st_mode):
                if not rel_dir and entry.name in SKIPPED_DIRS:
                    continue
                if depth + 1 > MAX_DEPTH:
                    raise InputError(f"{root}: folders nested deeper than {MAX_DEPTH} levels (limit max_depth)")
                stack.append((rel, depth + 1))
            elif stat.S_ISREG(st.st_mode):
                files.append(ReleaseFile(rel, st.st_size))
                real[rel] = entry.path
            else:
                problems.append(_problem("special-file", "warn", rel, "not a regular file (device, FIFO or socket); skipped"))
            if len(files) > MAX_FILES:
                raise InputError(f"{root}: more than {MAX_FILES} files (limit max_files)")
    if not files:
        raise InputError(f"{root}: the release is empty (no files to audit)")
    for f in files:
        if not os.access(real[f.path], os.R_OK):
            problems.append(_problem("unreadable-file", "warn", f.path, "cannot be read (permission denied)"))
    return Release(
        target=target or Target(kind="folder", ref=str(root)),
        files=tuple(files),
        reader=LocalReader(real),
        problems=tuple(problems),
        root=root,
    )


def _symlink(root: str, rel: str, abs_path: str, files: list[ReleaseFile], real: dict[str, str], problems: list[Finding]) -> None:
    """Keep a link to a file inside the release; report, never follow, anything else."""
    try:
        link = os.readlink(abs_path)
    except OSError:
        link = "?"
    resolved = os.path.realpath(abs_path)
    if os.path.commonpath([root, resolved]) != root:
        problems.append(_problem("symlink-outside-release", "warn", rel, f"symbolic link to {link!r} points outside the release; not followed"))
        return
    if not os.path.exists(resolved):
        problems.append(_problem("broken-symlink", "warn", rel, f"symbolic link to {link!r} points to nothing"))
        return
    if not os.path.isfile(resolved):
        problems.append(_problem("symlink-not-followed", "info", rel, f"symbolic link to folder {link!r}; not followed"))
        return
    files.append(ReleaseFile(rel, os.path.getsize(resolved)))
    real[rel] = resolved


def _problem(rule: str, severity: str, path: str, detail: str) -> Finding:
    return Finding(rule=rule, severity=severity, message=f"{path}: {detail}", evidence=[Evidence(path=path, detail=detail)])
