"""Shared result types, limits and plumbing for the model-file analysers.

Every analyser adds `Issue`s to a `Collector`; the dispatcher turns the collector into one
frozen `FileScan`. Verdict words follow the pickle machine's vocabulary: an issue is `block`,
`review` or `info`; a file is `unsafe`, `review`, `incomplete` or `clean`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable

__all__ = [
    "BufferedDecoder",
    "FileScan",
    "Issue",
    "Collector",
    "ScanContext",
    "ScanLimits",
    "Source",
    "file_status",
]

ReadAt = Callable[[int, int], bytes]
OpenStream = Callable[[], BinaryIO]


@dataclass(frozen=True)
class Issue:
    """One finding about one file (or one member inside it).

    `verdict` is "block" (loading runs attacker code or does I/O), "review" (a human must look)
    or "info". `offset` is a byte offset inside the file, or inside `member` when set. `trick`
    names a known evasion technique when the finding is one.
    """

    path: str
    verdict: str
    rule: str
    detail: str
    offset: int | None = None
    member: str | None = None
    trick: str | None = None

    def sort_key(self) -> tuple:
        order = {"block": 0, "review": 1}.get(self.verdict, 2)
        return (order, self.member or "", -1 if self.offset is None else self.offset,
                self.rule, self.detail)


@dataclass(frozen=True)
class FileScan:
    """The verdict on one file. `stopped_by` names the limit or reason that stopped analysis."""

    path: str
    format: str
    status: str
    issues: tuple[Issue, ...]
    globals: tuple[str, ...] = ()
    stopped_by: str | None = None
    weights_only_ok: bool | None = None


@dataclass(frozen=True)
class ScanLimits:
    """Explicit budgets. A finding that hits one names it (e.g. 'limit max_depth')."""

    max_depth: int = 3                       # nested archives (zip in tar in gzip = depth 3)
    max_members: int = 10_000                # members listed per archive
    max_decompressed_bytes: int = 8 * 2**30  # produced by inflating, per top-level file, at most
    # The budget scales with the file: ratio x its size, at least the floor (issue 13: a 1 MB
    # zip of overlapping entries made the fixed 8 GiB cost 34 s). Weights and pickles compress
    # far less than 200:1; past it the file is reported incomplete, never clean.
    decompress_ratio: int = 200
    min_decompressed_bytes: int = 256 * 2**20
    max_member_sniff_bytes: int = 64         # head of a non-pickle member, to sniff it
    max_buffer_bytes: int = 64 * 2**20       # a member that needs random access, in memory
    max_text_bytes: int = 16 * 2**20         # JSON / YAML / template text read whole
    max_template_bytes: int = 1 * 2**20      # one chat template analysed
    max_h5_scan_bytes: int = 16 * 2**20      # prefix of an HDF5 file searched for model_config
    max_protobuf_bytes: int = 256 * 2**20    # ONNX / SavedModel protobuf walked
    max_stacked_pickles: int = 64            # consecutive pickles in one stream
    max_issues_per_kind: int = 50            # e.g. code files listed one by one
    sniff_storage_records: bool = True       # torch zip data/N heads checked for a pickle PROTO; off
    #                                          for remote reads, where each record costs a request


# Notes that only say a file runs nothing under any loader (a text or unrecognised file, a
# stream the loader rejects at once). Reports count them rather than list them: a folder of
# 100k such files made 100k rows and findings (issue 13).
INERT_RULES = frozenset({"unrecognised", "not-a-pickle"})
QUIET_FORMATS = frozenset({"text", "unknown"})


def worth_listing(fmt: str, issues: tuple[Issue, ...] | list[Issue]) -> bool:
    """Whether a scanned file has anything to say beyond "no loader runs it"."""
    return fmt not in QUIET_FORMATS or any(i.rule not in INERT_RULES for i in issues)


@dataclass(frozen=True)
class Source:
    """A file or an archive member, readable by range and as a stream.

    `read_at(offset, length)` returns up to `length` bytes; `open_stream()` returns a fresh
    binary stream positioned at 0. Members of compressed archives are inflated lazily.
    `will_read(start, end)`, when there is one, takes a parser's hint that it is about to read
    that range in order (a remote file fetches it in one request).
    """

    name: str
    size: int
    read_at: ReadAt
    open_stream: OpenStream
    will_read: Callable[[int, int], None] | None = None


class RangeStream(io.RawIOBase):
    """A seekable raw stream over a read_at function (wrap it in io.BufferedReader): reads become
    read_at calls, seeks cost nothing. Used for Sources, archive members and remote files."""

    def __init__(self, read_at: ReadAt, size: int) -> None:
        self._read_at, self._size, self._pos = read_at, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, b: Any) -> int:
        n = min(len(b), self._size - self._pos)
        if n <= 0:
            return 0
        data = self._read_at(self._pos, n)
        b[:len(data)] = data
        self._pos += len(data)
        return len(data)


def bytes_source(name: str, data: bytes) -> Source:
    """A Source over bytes in memory."""
    return Source(name, len(data), lambda o, n: data[o:o + n], lambda: io.BytesIO(data))


class BufferedDecoder(io.RawIOBase):
    """A readable stream over bytes a subclass decodes on demand: `_fill(n)` appends at least
    n bytes to `self._buf` unless the data ends; reading hands them out in order."""

    _buf: bytes = b""

    def readable(self) -> bool:
        return True

    def _fill(self, n: int) -> None:
        raise NotImplementedError

    def readinto(self, b: Any) -> int:
        self._fill(len(b))
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


class Budget:
    """Decompressed bytes still allowed for the current top-level file."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, n: int) -> bool:
        """Account n produced bytes; False once the limit is passed."""
        self.used += n
        return self.used <= self.limit


@dataclass
class ScanContext:
    """What an analyser needs besides the file: limits, budgets, nesting and the pickle engine."""

    path: str
    limits: ScanLimits = field(default_factory=ScanLimits)
    release_files: frozenset[str] = frozenset()
    pickle_analyser: Callable[..., Any] | None = None
    depth: int = 0
    budget: Budget | None = None

    def __post_init__(self) -> None:
        if self.budget is None:
            self.budget = Budget(self.limits.max_decompressed_bytes)

    @staticmethod
    def budget_for(limits: ScanLimits, size: int) -> Budget:
        """The decompressed-bytes budget of a top-level file of `size` bytes."""
        scaled = max(limits.min_decompressed_bytes, limits.decompress_ratio * size)
        return Budget(min(limits.max_decompressed_bytes, scaled))


class Collector:
    """Mutable accumulator of issues for one top-level file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.issues: list[Issue] = []
        self._seen: set[Issue] = set()  # membership in O(1): a zip of 10k members (issue 13)
        self.globals: set[str] = set()
        self.stopped: list[str] = []
        self.weights_only: list[bool | None] = []
        self.formats: list[str] = []

    def add(self, verdict: str, rule: str, detail: str, *, offset: int | None = None,
            member: str | None = None, trick: str | None = None) -> None:
        """Record an issue; identical issues are kept once."""
        self.keep(Issue(self.path, verdict, rule, detail, offset, member, trick))

    def keep(self, issue: Issue) -> None:
        """Record an issue made elsewhere, once."""
        if issue not in self._seen:
            self._seen.add(issue)
            self.issues.append(issue)

    def incomplete(self, rule: str, detail: str, stopped_by: str, *,
                   offset: int | None = None, member: str | None = None) -> None:
        """The analysis could not finish: an info issue plus `stopped_by` (fail closed)."""
        self.add("info", rule, f"{detail} (stopped by: {stopped_by})", offset=offset,
                 member=member)
        if stopped_by not in self.stopped:
            self.stopped.append(stopped_by)

    def result(self, fmt: str) -> FileScan:
        """Freeze into a FileScan, issues sorted for deterministic output."""
        issues = tuple(sorted(self.issues, key=Issue.sort_key))
        stopped = "; ".join(self.stopped) if self.stopped else None
        wo: bool | None
        if not self.weights_only or any(w is None for w in self.weights_only):
            wo = None if not self.weights_only or all(w is None for w in self.weights_only) \
                else (False if any(w is False for w in self.weights_only) else None)
        else:
            wo = all(self.weights_only)
        return FileScan(self.path, fmt, file_status(issues, stopped), issues,
                        tuple(sorted(self.globals)), stopped, wo)


def file_status(issues: tuple[Issue, ...] | list[Issue], stopped_by: str | None) -> str:
    """any block -> unsafe; else incomplete if stopped; else any review -> review; else clean.

    Incomplete outranks review: what was not analysed may hide worse than what was (fail closed).
    """
    verdicts = {i.verdict for i in issues}
    if "block" in verdicts:
        return "unsafe"
    if stopped_by:
        return "incomplete"
    if "review" in verdicts:
        return "review"
    return "clean"
