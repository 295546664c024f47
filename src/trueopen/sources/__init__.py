"""Sources turn a target (a folder, an archive, a Hub repo or a repo in the HF cache) into a Release."""

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
from trueopen.sources.options import SourceOptions
from trueopen.sources.pathcheck import check_input_path


@contextmanager
def open_locations(target: str | Path, with_: Sequence[str | Path] = (), options: SourceOptions | None = None) -> Iterator[Release]:
    """Open the main target and every `--with` location (each may be a folder, an archive, a Hub
    repo or an HF-cache repo), merged into one Release whose `locations` name each
    (sources/merge.py). Raises InputError when any cannot be opened."""
    from trueopen.sources.merge import merge

    with ExitStack() as stack:
        main = stack.enter_context(open_release(target, options))
        others = [stack.enter_context(open_release(w, options)) for w in with_]
        yield merge(main, others) if others else main


@contextmanager
def open_release(target: str | Path, options: SourceOptions | None = None) -> Iterator[Release]:
    """Open a folder, an archive, a Hub repo (hf://ORG/NAME, a Hub URL, or a bare ORG/NAME that is
    no local path) or a repo in the HF cache as a Release; an archive is unpacked into a temporary
    folder that is removed on exit. Raises InputError with a one-line reason when it cannot."""
    options = options or SourceOptions()
    hub = _hub_route(target, options)
    if hub is not None:
        yield hub
        return
    path = check_input_path(target)
    if path.is_dir():
        yield open_folder(path, Target(kind="folder", ref=_ref(path)))
        return
    from trueopen.sources import archive  # zip and tar readers: only for what is not a folder

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


def _hub_route(target: str | Path, options: SourceOptions) -> Release | None:
    """The release when the target is a Hub repo or a cached one; None for folders and archives."""
    from trueopen.sources.targets import CacheFolder, HubTarget, cache_folder, is_hub_like, parse_target

    # A Path object always means the local file system; a string may name a Hub repo.
    spec = parse_target(target, options.revision) if isinstance(target, str) else (cache_folder(target) or target)
    if isinstance(spec, CacheFolder):
        from trueopen.sources.hf_cache import open_cache_folder

        return open_cache_folder(spec, options)
    if not isinstance(spec, HubTarget):
        if options.revision and not is_hub_like(str(target)):
            raise InputError(f"{target}: --revision applies to Hub and HF-cache targets only")
        return None
    if spec.taken_from == "bare name":
        options.say(f"no local path {target!r}: auditing the Hub repository hf://{spec.ref}")
    from huggingface_hub import constants

    if options.offline or (options.offline is None and constants.is_offline_mode()):
        from trueopen.sources.hf_cache import open_cached_hub

        return open_cached_hub(spec, options)
    from trueopen.sources.hub import open_hub

    return open_hub(spec, options)


def _ref(path: Path) -> str:
    """The target as the user named it (normalised, so `x/` and `x` give the same record)."""
    return os.path.normpath(str(path))


def warm(release: Release, connections: int) -> None:
    """Fetch now what every audit reads of a remote release opened without prefetching."""
    prefetch = getattr(release.reader, "prefetch", None)
    if release.remote and prefetch is not None:
        prefetch(max(1, connections))
