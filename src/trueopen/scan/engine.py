"""Scan files and releases for content that runs code on load; one engine for `trueopen scan`
and the audit's `safety` section (DESIGN.md §5 exit codes)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from trueopen.errors import InputError
from trueopen.release import Release
from trueopen.scan.dispatch import scan_file
from trueopen.scan.result import FileScan, ScanLimits

STATUS_ORDER = ("unsafe", "incomplete", "review", "clean")
EXIT_CODES = {"clean": 0, "unsafe": 1, "incomplete": 2, "review": 3}


@dataclass(frozen=True)
class ScanReport:
    """The scan of one or more targets: one FileScan per file, and the worst status."""

    targets: tuple[str, ...]
    files: tuple[FileScan, ...]
    problems: tuple[str, ...] = ()  # what the sources reported (links not followed, members skipped)

    @property
    def status(self) -> str:
        return worst(f.status for f in self.files) if self.files else "clean"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def worst(statuses: Iterable[str]) -> str:
    """unsafe > incomplete > review > clean."""
    found = set(statuses)
    return next((s for s in STATUS_ORDER if s in found), "clean")


def scan_release(release: Release, *, prefix: str = "", progress: Callable[[int], None] | None = None) -> list[FileScan]:
    """Scan every file of a release. Reads headers, pickles and archive members, never loads."""
    names = frozenset(f.path for f in release.files)
    # A remote release pays a round trip per read: torch storage records, which no loader unpickles,
    # are not sniffed there (a local scan still sniffs them, for pickles hidden under storage names).
    limits = ScanLimits(sniff_storage_records=False) if getattr(release, "remote", False) else None
    out = []
    for f in release.files:
        out.append(scan_file(
            prefix + f.path,
            lambda off, n, p=f.path: release.read_at(p, off, n),
            f.size,
            lambda p=f.path: release.open(p),
            release_files=names,
            limits=limits,
            will_read=lambda s, e, p=f.path: release.will_read(p, s, e),
        ))
        if progress:
            progress(f.size)
    return out


def scan_paths(paths: Sequence[str | Path], *, progress: Callable[[int], None] | None = None) -> ScanReport:
    """Scan files and folders. A folder is scanned as a release; an archive is scanned as one
    file (its members analysed in place, never unpacked to disk). Raises InputError when a
    path does not exist or a folder cannot be listed."""
    from trueopen.sources.local import open_folder
    from trueopen.sources.pathcheck import check_input_path

    files: list[FileScan] = []
    problems: list[str] = []
    for raw in paths:
        path = check_input_path(raw)
        if path.is_dir():
            release = open_folder(path)
            problems.extend(p.message for p in release.problems)
            prefix = str(raw).rstrip("/") + "/"
            files.extend(scan_release(release, prefix=prefix, progress=progress))
        else:
            try:
                size = path.stat().st_size
                with path.open("rb"):
                    pass
            except OSError as exc:
                raise InputError(f"{raw}: cannot be read ({exc.strerror or exc})") from None
            files.append(scan_file(str(raw), lambda off, n, p=path: _read(p, off, n), size, lambda p=path: p.open("rb")))
            if progress:
                progress(size)
    return ScanReport(tuple(str(p) for p in paths), tuple(files), tuple(problems))


def _read(path: Path, offset: int, length: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(offset)
        return fh.read(length)
