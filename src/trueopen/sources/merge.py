"""Several locations of one release, merged into one Release (`--with`).

A release often lives in several places: its code on GitHub, its weights and card on the Hub, its
data in a dataset repo. The main target keeps its paths; each added location's files go under a
label of their own (`OLMo-2-1124-7B/model.safetensors`), so nothing collides and every file
keeps its origin. Each location is a scope of its own (inspectors/scopes.py): its card and its
licences govern its files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import BinaryIO

from trueopen.record import Finding, Target, Transfer, TransferFile
from trueopen.release import Meter, Release, ReleaseFile


class MergedReader:
    """Reads a file from the location its path's label names."""

    def __init__(self, parts: Sequence[tuple[str, Release]]) -> None:
        self._parts = list(parts)

    def _find(self, path: str) -> tuple[Release, str]:
        for label, release in self._parts:
            if not label:
                continue
            if path.startswith(label + "/"):
                return release, path[len(label) + 1:]
        return self._parts[0][1], path

    def read_at(self, path: str, offset: int, length: int) -> bytes:
        release, inner = self._find(path)
        return release.read_at(inner, offset, length)

    def open(self, path: str) -> BinaryIO:
        release, inner = self._find(path)
        return release.open(inner)

    def will_read(self, path: str, start: int, end: int) -> None:
        release, inner = self._find(path)
        release.will_read(inner, start, end)


class MergedMeter:
    """The transfer of every remote location, each file under its location's label."""

    def __init__(self, parts: Sequence[tuple[str, Meter]]) -> None:
        self._parts = list(parts)

    def snapshot(self) -> Transfer:
        snaps = [(label, m.snapshot()) for label, m in self._parts]
        files = sorted((TransferFile(path=f"{label}/{f.path}" if label else f.path, bytes_fetched=f.bytes_fetched,
                                     requests=f.requests) for label, t in snaps for f in t.files), key=lambda f: f.path)
        return Transfer(bytes_total=sum(t.bytes_total for _, t in snaps), bytes_fetched=sum(t.bytes_fetched for _, t in snaps),
                        requests=sum(t.requests for _, t in snaps), metadata_requests=sum(t.metadata_requests for _, t in snaps),
                        max_download=max(t.max_download for _, t in snaps), files=files)

    def sha256_of_whole_files(self) -> dict[str, str]:
        return {(f"{label}/{p}" if label else p): d for label, m in self._parts for p, d in m.sha256_of_whole_files().items()}


def label_for(target: Target, taken: set[str]) -> str:
    """A folder-like label for a location: the folder or archive name, or the Hub repo as
    ORG--NAME (datasets: datasets--ORG--NAME), made unique among `taken`."""
    ref = target.ref.rstrip("/")
    if target.kind in ("hf-hub", "hf-cache"):
        base = ref.replace("/", "--")
    else:
        base = re.sub(r"(?:\.tar\.gz|\.tgz|\.tar|\.zip)$", "", ref.rsplit("/", 1)[-1], flags=re.IGNORECASE)
    base = re.sub(r"[^\w.@+-]+", "-", base).strip("-.") or "location"
    label, n = base, 2
    while label.lower() in {t.lower() for t in taken}:
        label, n = f"{base}-{n}", n + 1
    return label


def merge(main: Release, others: Sequence[Release]) -> Release:
    """One Release of the main target and the other locations, each under its own label."""
    if not others:
        return main
    taken = {f.path.split("/", 1)[0] for f in main.files}
    parts: list[tuple[str, Release]] = [("", main)]
    files: list[ReleaseFile] = list(main.files)
    problems: list[Finding] = list(main.problems)
    for other in others:
        label = label_for(other.target, taken)
        taken.add(label)
        parts.append((label, other))
        files.extend(ReleaseFile(f"{label}/{f.path}", f.size, f.sha256, f.sha256_source) for f in other.files)
        for p in other.problems:
            problems.append(Finding(rule=p.rule, severity=p.severity, message=f"{label}/{p.message}",
                                    evidence=[e.model_copy(update={"path": f"{label}/{e.path}"}) for e in p.evidence]))
    meters = [(label, r.meter) for label, r in parts if r.meter is not None]
    folders = tuple((label, folder) for label, r in parts for sub, folder in r.folders() if not sub)
    return Release(target=main.target, files=tuple(files), reader=MergedReader(parts), problems=tuple(problems),
                   root=main.root, locations=tuple((label, r.target) for label, r in parts), part_roots=folders,
                   hub=main.hub, meter=MergedMeter(meters) if meters else None, remote=any(r.remote for _, r in parts))
