"""The Release: what a source hands to the inspectors (DESIGN.md §1).

A release is a list of files plus a way to read byte ranges of them. Inspectors never open
files themselves; they ask the release, which enforces the read limits.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from trueopen.record import Finding, Hub, Target, Transfer

TEXT_LIMIT = 1 << 20  # bytes of any one text file an inspector may read
SNIFF_BYTES = 8192  # bytes read to tell text from binary


class Reader(Protocol):
    """Reads byte ranges of release files; raises OSError when a file cannot be read. A remote
    reader may also have `will_read(path, start, end)`: a parser's hint that it is about to read
    that range in order (fetched in one request rather than block by block)."""

    def read_at(self, path: str, offset: int, length: int) -> bytes: ...

    def open(self, path: str) -> BinaryIO: ...


class Meter(Protocol):
    """What a remote source spent reading (sources/transfer.py)."""

    def snapshot(self) -> Transfer: ...

    def sha256_of_whole_files(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class ReleaseFile:
    path: str  # POSIX path relative to the release root
    size: int
    sha256: str | None = None  # known in advance for some sources (Hub LFS); else hashed
    sha256_source: str | None = None  # with sha256: "hub-lfs", "hf-cache-blob" (record.Sha256Source)


@dataclass(frozen=True)
class TextRead:
    """The text of a release file, or why there is none."""

    text: str | None
    error: str | None = None  # "binary", "unreadable: ...", set when text is None
    not_utf8: bool = False  # decoded leniently; the bytes were not valid UTF-8
    truncated: bool = False  # only the first TEXT_LIMIT bytes were read


@dataclass(frozen=True)
class Release:
    target: Target
    files: tuple[ReleaseFile, ...]
    reader: Reader
    problems: tuple[Finding, ...] = ()
    root: Path | None = None  # the folder holding the files, for sources that have one
    # Several locations of one release merged into one (`--with`): (label, target) each, the main
    # target first with label ''; a location's files are under `label/`.
    locations: tuple[tuple[str, Target], ...] = ()
    # The folders holding each location's files (label, folder), for sources that have one;
    # empty means `root` holds them all.
    part_roots: tuple[tuple[str, Path], ...] = ()
    hub: Hub | None = None  # what the Hub says about the repo (hf-hub, hf-cache)
    meter: Meter | None = None  # bytes and requests spent reading (remote sources)
    remote: bool = False  # every read costs a network round trip: the scanner skips reads no verdict needs
    _paths: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    _roots: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "files", tuple(sorted(self.files, key=lambda f: f.path)))
        object.__setattr__(self, "_paths", frozenset(f.path for f in self.files))
        # Longest label first: a `--with` location's files are under its label, the main target's are the rest.
        roots = sorted(((label, str(folder)) for label, folder in self.folders()), key=lambda lf: -len(lf[0]))
        object.__setattr__(self, "_roots", tuple(roots))

    def folders(self) -> list[tuple[str, Path]]:
        """(label, folder) of every part of the release that lies in a folder on disk."""
        if self.part_roots:
            return list(self.part_roots)
        return [("", self.root)] if self.root is not None else []

    def local_path(self, path: str) -> str | None:
        """Where a release file lies on disk (the folder of the location it belongs to), or None
        for sources without a folder. The path is not checked to exist."""
        for label, folder in self._roots:
            if not label:
                return os.path.join(folder, path)
            if path.startswith(label + "/"):
                return os.path.join(folder, path[len(label) + 1:])
        return None

    def has(self, path: str) -> bool:
        return path in self._paths

    def get(self, path: str) -> ReleaseFile | None:
        for f in self.files:
            if f.path == path:
                return f
        return None

    def read_at(self, path: str, offset: int, length: int) -> bytes:
        """Up to `length` bytes of `path` from `offset`. Raises OSError when unreadable."""
        return self.reader.read_at(path, offset, length)

    def open(self, path: str) -> BinaryIO:
        """A binary stream over one file. Raises OSError when unreadable."""
        return self.reader.open(path)

    def will_read(self, path: str, start: int, end: int) -> None:
        """A hint that [start, end) of `path` is about to be read in order; only a remote reader
        acts on it (one request instead of growing ones). Never raises: the read itself will."""
        hint = getattr(self.reader, "will_read", None)
        if hint is not None:
            hint(path, start, end)

    def head(self, path: str, length: int = SNIFF_BYTES) -> bytes:
        """The first bytes of a file, or b'' when it cannot be read."""
        try:
            return self.reader.read_at(path, 0, length)
        except OSError:
            return b""

    def read_text(self, path: str, limit: int = TEXT_LIMIT) -> TextRead:
        """The file as text, bounded by `limit` bytes; binary files give no text."""
        try:
            data = self.reader.read_at(path, 0, limit + 1)
        except OSError as exc:
            return TextRead(None, f"unreadable: {exc.strerror or exc}")
        truncated = len(data) > limit
        data = data[:limit]
        return decode_text(data, truncated)


def decode_text(data: bytes, truncated: bool = False) -> TextRead:
    """Decode bytes as text: UTF-8 (or a UTF-16 with BOM), else leniently; NUL bytes mean binary."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return TextRead(data.decode("utf-16"), truncated=truncated)
        except UnicodeDecodeError:
            return TextRead(None, "binary")
    if b"\x00" in data[:SNIFF_BYTES]:
        return TextRead(None, "binary")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return TextRead(data.decode("utf-8"), truncated=truncated)
    except UnicodeDecodeError as exc:
        # A cut at the limit may split a multi-byte character; that is not a decoding problem.
        if truncated and exc.start >= len(data) - 3:
            return TextRead(data[: exc.start].decode("utf-8"), truncated=True)
        text = data.decode("utf-8", errors="replace")
        # Mostly-garbage text is binary in disguise (e.g. a weights file named README.md).
        if text.count("\ufffd") > max(16, len(text) // 10):
            return TextRead(None, "binary")
        return TextRead(text, not_utf8=True, truncated=truncated)
