"""Integrity: size and sha256 of every file, sharded weights against their index, and
safetensors headers checked against the file they describe."""

from __future__ import annotations

from collections.abc import Callable
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from trueopen.hashing import hash_files
from trueopen.readers.safetensors_header import read_header
from trueopen.readers.shard_index import check_index
from trueopen.record import Evidence, Finding
from trueopen.release import Release

if TYPE_CHECKING:
    from trueopen.inspectors.inventory import Inventory

INDEX_LIMIT = 64 << 20


@dataclass
class Integrity:
    sha256: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


class Hashing:
    """The sha256 of every local file of a release, computed in a background thread from the
    moment it is started: the audit's other inspectors (and their imports) run meanwhile, so
    hashing, the largest cost of a local audit, overlaps the rest instead of adding to it."""

    def __init__(self, release: Release, *, hash_contents: bool = True,
                 progress: Callable[[int], None] | None = None) -> None:
        self._release = release
        self._hash_contents = hash_contents
        self._progress = progress
        self._result: Integrity | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="trueopen-hashing", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = _hash_release(self._release, self._hash_contents, self._progress)
        except BaseException as exc:  # re-raised in the caller's thread by result()
            self._error = exc

    def result(self) -> Integrity:
        """Wait for the hashing to end; its digests and unreadable-file findings."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


def _hash_release(release: Release, hash_contents: bool, progress: Callable[[int], None] | None) -> Integrity:
    out = Integrity()
    known = {f.path: f.sha256 for f in release.files if f.sha256}
    out.sha256.update(known)
    folders = release.folders() if hash_contents else []
    labels = sorted((label for label, _ in folders if label), key=len, reverse=True)
    for label, folder in folders:
        # Each location's files from its own folder (--with merges several); the main target's
        # are those under no other location's label.
        prefix = f"{label}/" if label else ""
        todo = [f.path[len(prefix):] for f in release.files if f.path not in known and f.path.startswith(prefix)
                and (label or not any(f.path.startswith(lb + "/") for lb in labels))]
        for digest in hash_files(folder, todo, progress=progress):
            path = prefix + digest.path
            if digest.sha256:
                out.sha256[path] = digest.sha256
            elif digest.error:
                out.findings.append(Finding(rule="unreadable-file", severity="warn", message=f"{path}: cannot be hashed ({digest.error})",
                                            evidence=[Evidence(path=path, detail=digest.error)]))
    return out


def check_integrity(release: Release, inv: Inventory, *, hash_contents: bool = True,
                    progress: Callable[[int], None] | None = None, hashing: Hashing | None = None) -> Integrity:
    """Hash the files (unless told not to, or `hashing` already does) and check weights headers
    and shard indexes."""
    out = Integrity()
    shard_tensors: dict[str, set[str]] = {}
    for f in release.files:
        if not f.path.endswith(".safetensors") or f.size == 0:
            continue
        header = read_header(lambda off, n, p=f.path: release.read_at(p, off, n), f.size)
        shard_tensors[f.path] = {t.name for t in header.tensors}
        for problem in header.problems:
            out.findings.append(Finding(rule="invalid-safetensors", severity="warn", message=f"{f.path}: {problem.detail}",
                                        evidence=[Evidence(path=f.path, offset=problem.offset, detail=problem.detail)]))
    present = {f.path for f in release.files}
    for path, kind in sorted(inv.kinds.items()):
        if kind != "weights-index":
            continue
        size = next((f.size for f in release.files if f.path == path), 0)
        if size > INDEX_LIMIT:
            out.findings.append(Finding(rule="invalid-shard-index", severity="warn", message=f"{path}: index larger than {INDEX_LIMIT >> 20} MiB (limit index_bytes); not checked",
                                        evidence=[Evidence(path=path, detail="too large")]))
            continue
        read = release.read_text(path, INDEX_LIMIT)
        if read.text is None:
            out.findings.append(Finding(rule="invalid-shard-index", severity="warn", message=f"{path}: index cannot be read ({read.error})",
                                        evidence=[Evidence(path=path, detail=read.error or "unreadable")]))
            continue
        tensors = shard_tensors if path.endswith(".safetensors.index.json") else None
        for problem in check_index(path, read.text, present, tensors):
            out.findings.append(Finding(rule="shard-index", severity="warn", message=f"{problem.path}: {problem.detail}",
                                        evidence=[Evidence(path=problem.path, detail=problem.detail)]))
    # The hashes last: the checks above ran while the files were still hashing.
    hashed = hashing.result() if hashing is not None else _hash_release(release, hash_contents, progress)
    return Integrity(sha256=dict(hashed.sha256), findings=[*hashed.findings, *out.findings])
