"""Sources turn a target (a folder or an archive) into a Release."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from trueopen.errors import InputError
from trueopen.record import Evidence, Finding, Target
from trueopen.release import Release
from trueopen.sources.local import open_folder


@contextmanager
def open_locations(target: str | Path, with_: Sequence[str | Path] = ()) -> Iterator[Release]:
    """Open the main target and every `--with` location, merged into one Release whose
    `locations` name each (sources/merge.py). Raises InputError when any cannot be opened."""
    from trueopen.sources.merge import merge

    with ExitStack() as stack:
        main = stack.enter_context(open_release(target))
        others = [stack.enter_context(open_release(w)) for w in with_]
        yield merge(main, others) if others else main


@contextmanager
def open_release(target: str | Path) -> Iterator[Release]:
    """Open a folder or archive as a Release; an archive is unpacked into a temporary folder
    that is removed on exit. Raises InputError with a one-line reason when it cannot."""
    from trueopen.sources import archive  # imported late: only archives need it

    path = Path(target)
    if not path.exists() and not path.is_symlink():
        raise InputError(f"{target}: no such file or folder")
    if path.is_dir():
        yield open_folder(path, Target(kind="folder", ref=_ref(path)))
        return
    try:
        is_arch = archive.is_archive(path)
    except OSError as exc:
        raise InputError(f"{target}: cannot be read ({exc.strerror or exc})") from None
    if not is_arch:
        raise InputError(f"{target}: not a folder or a .zip / .tar / .tar.gz archive")
    with tempfile.TemporaryDirectory(prefix="trueopen-") as tmp:
        try:
            skipped = archive.unpack(path, Path(tmp))
        except archive.ArchiveError as exc:
            raise InputError(f"{target}: {exc}") from None
        release = open_folder(Path(tmp), Target(kind="archive", ref=_ref(path)))
        problems = [
            Finding(
                rule="archive-member-skipped",
                severity="warn",
                message=f"{s.member}: {s.reason}; not unpacked",
                evidence=[Evidence(path=s.member, detail=s.reason)],
            )
            for s in skipped
        ]
        yield Release(
            target=release.target,
            files=release.files,
            reader=release.reader,
            problems=tuple(problems) + release.problems,
            root=release.root,
        )


def _ref(path: Path) -> str:
    """The target as the user named it (normalised, so `x/` and `x` give the same record)."""
    return os.path.normpath(str(path))
