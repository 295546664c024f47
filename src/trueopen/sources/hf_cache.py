"""A release in the local Hugging Face cache, audited without network.

The cache is laid out by huggingface_hub (`<cache>/models--ORG--NAME/{refs,blobs,snapshots}`):
a snapshot folder holds relative symlinks to content-addressed blobs. A blob named by 64 hex
digits is an LFS or Xet file named by its sha256 (huggingface_hub names blobs by the Hub's ETag,
which is the sha256 for those); other blobs are named by their git sha1 and are hashed here.
The repo's listing at that commit, when snapshot_download left one (`trees/<commit>.json`), tells
which files of the commit are missing from the snapshot.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

from trueopen.errors import InputError
from trueopen.record import Evidence, Finding, Target
from trueopen.release import Release, ReleaseFile
from trueopen.sources.local import MAX_DEPTH, MAX_FILES, LocalReader
from trueopen.sources.options import SourceOptions
from trueopen.sources.targets import CacheFolder, HubTarget

COMMIT = re.compile(r"[0-9a-f]{40}")
SHA256 = re.compile(r"[0-9a-f]{64}")
TREE_LIMIT = 64 << 20


def cache_dir(options: SourceOptions) -> Path:
    """The HF cache huggingface_hub uses: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub."""
    if options.cache_dir:
        return Path(options.cache_dir).expanduser()
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def open_cached_hub(target: HubTarget, options: SourceOptions) -> Release:
    """hf://ORG/NAME offline: the cached snapshot of that revision. Raises InputError when absent."""
    from huggingface_hub.file_download import repo_folder_name

    root = cache_dir(options)
    repo_dir = root / repo_folder_name(repo_id=target.repo_id, repo_type=target.repo_type)
    if not repo_dir.is_dir():
        raise InputError(f"hf://{target.ref}: not in the HF cache at {root} (offline: nothing is fetched)")
    cf = CacheFolder(repo_dir=repo_dir, repo_id=target.repo_id, repo_type=target.repo_type, snapshot=None)
    return open_cache_folder(cf, options, revision=target.revision)


def open_cache_folder(cf: CacheFolder, options: SourceOptions, revision: str | None = None) -> Release:
    """The snapshot of one revision of a cached repo, as a local release (no network)."""
    revision = revision or options.revision
    commit, asked, snap = snapshot_of(cf, revision)
    files, real, problems = _walk_snapshot(cf.repo_dir, snap)
    problems.extend(_missing_files(cf.repo_dir, commit, {f.path for f in files}))
    if not files:
        raise InputError(f"{snap}: the cached snapshot is empty (no files to audit)")
    return Release(
        target=Target(kind="hf-cache", ref=cf.ref, revision=commit, requested_revision=asked),
        files=tuple(files),
        reader=LocalReader(real),
        problems=tuple(problems),
        root=snap,
    )


def snapshot_of(cf: CacheFolder, revision: str | None) -> tuple[str, str | None, Path]:
    """(commit, the revision as asked, snapshot folder) of a cached repo at `revision` (default:
    the snapshot the path names, else main). Raises InputError when it is not in the cache."""
    if cf.snapshot is not None:
        if revision and revision != cf.snapshot and resolve_ref(cf.repo_dir, revision) != cf.snapshot:
            raise InputError(f"{cf.repo_dir / 'snapshots' / cf.snapshot}: is snapshot {cf.snapshot}, not revision {revision!r}")
        commit, asked = cf.snapshot, revision
    else:
        asked = revision or "main"
        commit = resolve_ref(cf.repo_dir, asked)
        if commit is None:
            have = ", ".join(sorted(list_refs(cf.repo_dir)) + sorted(p.name[:12] for p in _snapshots(cf.repo_dir))) or "none"
            raise InputError(f"{cf.repo_dir}: revision {asked!r} is not in the cache (refs and snapshots there: {have})")
        asked = revision
    snap = cf.repo_dir / "snapshots" / commit
    if not snap.is_dir():
        raise InputError(f"{cf.repo_dir}: snapshot {commit} is missing from the cache")
    return commit, asked, snap


def resolve_ref(repo_dir: Path, revision: str) -> str | None:
    """The commit a branch or tag (refs/<name>) or a commit hash names in this cached repo."""
    if COMMIT.fullmatch(revision) and (repo_dir / "snapshots" / revision).is_dir():
        return revision
    ref = repo_dir / "refs" / revision
    try:
        if ref.resolve().is_relative_to((repo_dir / "refs").resolve()) and ref.is_file():
            commit = ref.read_text(encoding="ascii", errors="replace").strip()
            return commit if COMMIT.fullmatch(commit) else None
    except OSError:
        return None
    return None


def list_refs(repo_dir: Path) -> dict[str, str]:
    """{ref name: commit} of a cached repo (branches, tags, refs/pr/N)."""
    out: dict[str, str] = {}
    base = repo_dir / "refs"
    if not base.is_dir():
        return out
    for dirpath, _dirs, names in os.walk(base):
        for n in names:
            p = Path(dirpath) / n
            try:
                commit = p.read_text(encoding="ascii", errors="replace").strip()
            except OSError:
                continue
            if COMMIT.fullmatch(commit):
                out[p.relative_to(base).as_posix()] = commit
    return out


def _snapshots(repo_dir: Path) -> list[Path]:
    try:
        return [p for p in (repo_dir / "snapshots").iterdir() if p.is_dir()]
    except OSError:
        return []


def _walk_snapshot(repo_dir: Path, snap: Path) -> tuple[list[ReleaseFile], dict[str, str], list[Finding]]:
    """The snapshot's files, each link followed only into this repo's blobs/ folder."""
    blobs = (repo_dir / "blobs").resolve()
    snap_real = snap.resolve()
    files: list[ReleaseFile] = []
    real: dict[str, str] = {}
    problems: list[Finding] = []
    stack: list[tuple[Path, str, int]] = [(snap, "", 0)]
    while stack:
        folder, rel_dir, depth = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(_problem("unreadable-file", "warn", rel_dir or ".", f"folder cannot be listed: {exc.strerror}"))
            continue
        for e in entries:
            rel = f"{rel_dir}/{e.name}" if rel_dir else e.name
            try:
                st = e.stat(follow_symlinks=False)
            except OSError as exc:
                problems.append(_problem("unreadable-file", "warn", rel, f"cannot be read: {exc.strerror}"))
                continue
            if stat.S_ISDIR(st.st_mode):
                if depth + 1 > MAX_DEPTH:
                    raise InputError(f"{snap}: folders nested deeper than {MAX_DEPTH} levels (limit max_depth)")
                stack.append((Path(e.path), rel, depth + 1))
                continue
            target = Path(os.path.realpath(e.path))
            inside = target.is_relative_to(blobs) or (not stat.S_ISLNK(st.st_mode) and target.is_relative_to(snap_real))
            if not inside:
                problems.append(_problem("symlink-outside-release", "warn", rel,
                                         f"link to {os.readlink(e.path)!r} leaves the cached repo's blobs; not followed"))
                continue
            try:
                tst = target.stat()
            except OSError:
                problems.append(_problem("broken-symlink", "warn", rel, "link to a blob that is not in the cache"))
                continue
            if not stat.S_ISREG(tst.st_mode):
                problems.append(_problem("special-file", "warn", rel, "not a regular file; skipped"))
                continue
            sha = target.name if target.parent == blobs and SHA256.fullmatch(target.name) else None
            files.append(ReleaseFile(rel, tst.st_size, sha, "hf-cache-blob" if sha else None))
            real[rel] = str(target)
            if len(files) > MAX_FILES:
                raise InputError(f"{snap}: more than {MAX_FILES} files (limit max_files)")
    return files, real, problems


def _missing_files(repo_dir: Path, commit: str, present: set[str]) -> list[Finding]:
    """Files of the commit that are not in the snapshot, from the listing snapshot_download cached."""
    tree = repo_dir / "trees" / f"{commit}.json"
    try:
        if not tree.is_file() or tree.stat().st_size > TREE_LIMIT:
            return []
        listed = json.loads(tree.read_text(encoding="utf-8")).get("files") or {}
    except (OSError, ValueError, AttributeError):
        return []
    missing = sorted(p for p in listed if isinstance(p, str) and p not in present)
    if not missing:
        return []
    shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
    return [Finding(rule="hf-cache-partial", severity="warn",
                    message=f"{len(missing)} file(s) of commit {commit[:12]} are not in the cache and were not audited: {shown}",
                    evidence=[Evidence(path=p, detail="listed in the commit, not in the cached snapshot") for p in missing[:10]])]


def _problem(rule: str, severity: str, path: str, detail: str) -> Finding:
    return Finding(rule=rule, severity=severity, message=f"{path}: {detail}", evidence=[Evidence(path=path, detail=detail)])
