"""Integrity: size and sha256 of every file, sharded weights against their index, and
safetensors headers checked against the file they describe."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from trueopen.hashing import hash_files
from trueopen.inspectors.inventory import Inventory
from trueopen.readers.safetensors_header import read_header
from trueopen.readers.shard_index import check_index
from trueopen.record import Evidence, Finding
from trueopen.release import Release

INDEX_LIMIT = 64 << 20


@dataclass
class Integrity:
    sha256: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def check_integrity(release: Release, inv: Inventory, *, hash_contents: bool = True,
                    progress: Callable[[int], None] | None = None) -> Integrity:
    """Hash the files (unless told not to) and check weights headers and shard indexes."""
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
    return out
