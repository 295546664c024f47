"""Who a release is and which state of it was audited: its identity URL and its revision.

Identity: `https://huggingface.co/OWNER/NAME` for a Hub repo or an HF cache folder, the git
remote of a checkout, `--id URL` for anything, else the folder's `file://` URL.
Revision: the Hub commit; a checkout's HEAD commit (read from `.git`, git is never run); for any
other folder or archive a fingerprint of every file's relative path, size, mtime and ctime. A local
folder's key always includes that fingerprint, so uncommitted edits are never taken for HEAD.
"""

from __future__ import annotations

import configparser
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from trueopen.release import Release

HUB = "https://huggingface.co"
MAX_GIT_FILE = 1 << 20  # .git/HEAD, refs and config are tiny; a larger one is not read


@dataclass(frozen=True)
class Identity:
    """A release's identity URL and the state audited."""

    id: str
    revision: str | None  # Hub commit, git HEAD, or "fp:<digest>"
    revision_kind: str  # hub-commit | git-head | fingerprint
    revision_date: str | None
    content: str  # what the store keys on: the commit for Hub targets, else the content fingerprint


def identify(release: Release, given_id: str | None = None) -> Identity:
    """The identity and revision of an opened release (with its `--with` locations)."""
    t = release.target
    fingerprint = _fingerprint(release)
    # Every location's own revision (a --with Hub repo's commit) is part of the state audited.
    places = "".join(f";{label}={lt.kind}:{lt.ref}@{lt.revision or ''}" for label, lt in release.locations)
    if t.kind in ("hf-hub", "hf-cache"):
        prefix = f"{HUB}/datasets/" if release.hub is not None and release.hub.repo_type == "dataset" else f"{HUB}/"
        ident = given_id or prefix + t.ref
        others = f":{fingerprint}{places}" if release.locations else ""
        return Identity(ident, t.revision, "hub-commit", t.commit_date, f"{t.revision}{others}")
    head, remote = _git(release.root) if release.root is not None and t.kind == "folder" else (None, None)
    ident = given_id or remote or Path(t.ref).resolve().as_uri()
    if head:
        return Identity(ident, head, "git-head", None, f"{head}:{fingerprint}{places}")
    return Identity(ident, f"fp:{fingerprint[:16]}", "fingerprint", None, f"{fingerprint}{places}")


def _fingerprint(release: Release) -> str:
    """sha256 over every file's path, size, mtime and ctime (sizes alone for sources without a folder)."""
    h = hashlib.sha256()
    for f in release.files:
        stamp = "0"
        local = release.local_path(f.path)
        if local is not None:
            try:
                st = os.stat(local)
                # ctime too: cp -p, rsync -a and tar keep a file's size and mtime, never its ctime.
                stamp = f"{st.st_mtime_ns}.{st.st_ctime_ns}"
            except OSError:
                pass
        h.update(f"{f.path}\0{f.size}\0{stamp}\n".encode())
    return h.hexdigest()


def _read_small(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_GIT_FILE:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _git(root: Path) -> tuple[str | None, str | None]:
    """(HEAD commit, origin's URL as https) of a checkout, from .git files only."""
    git = root / ".git"
    if git.is_file():  # a worktree or submodule: "gitdir: PATH"
        text = _read_small(git) or ""
        m = re.match(r"gitdir:\s*(.+)", text.strip())
        if not m:
            return None, None
        git = (root / m.group(1).strip()).resolve()
    if not git.is_dir():
        return None, None
    common = git
    commondir = _read_small(git / "commondir")
    if commondir:
        common = (git / commondir.strip()).resolve()
    head = (_read_small(git / "HEAD") or "").strip()
    commit = None
    if re.fullmatch(r"[0-9a-f]{40}", head):
        commit = head
    elif head.startswith("ref: "):
        ref = head[5:].strip()
        for base in (git, common):
            value = (_read_small(base / ref) or "").strip()
            if re.fullmatch(r"[0-9a-f]{40}", value):
                commit = value
                break
        else:
            for line in (_read_small(common / "packed-refs") or "").splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref and re.fullmatch(r"[0-9a-f]{40}", parts[0]):
                    commit = parts[0]
    return commit, _origin(common)


def _origin(git: Path) -> str | None:
    text = _read_small(git / "config")
    if not text:
        return None
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    url = parser.get('remote "origin"', "url", fallback=None)
    return normalise_remote(url) if url else None


def normalise_remote(url: str) -> str:
    """A git remote as an https URL without credentials or `.git` (git@host:o/n.git -> https://host/o/n)."""
    url = url.strip()
    m = re.fullmatch(r"(?:ssh://)?[\w.-]+@([\w.-]+)[:/](.+?)(?:\.git)?/?", url)
    if m:
        return f"https://{m.group(1)}/{m.group(2)}"
    m = re.fullmatch(r"(https?)://(?:[^@/]+@)?([^/]+)/(.+?)(?:\.git)?/?", url)
    if m:
        return f"https://{m.group(2)}/{m.group(3)}"
    return url
