"""Check a sharded-checkpoint index (`model.safetensors.index.json`,
`pytorch_model.bin.index.json`) against the files that are really in the release.

The index maps tensor names to shard files, relative to the index's own folder:
`{"metadata": {...}, "weight_map": {"tensor": "model-00001-of-00002.safetensors"}}`.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["MAX_INDEX_BYTES", "ShardProblem", "check_index"]

MAX_INDEX_BYTES = 64 * 2**20
_NAMES_SHOWN = 5  # how many tensor names a grouped problem quotes
_SHARD_NAME = re.compile(r"^(?P<prefix>.+)-(?P<n>\d+)-of-(?P<total>\d+)\.(?P<ext>[A-Za-z0-9]+)$")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ShardProblem:
    """A problem with the index; `path` is the index file or the shard concerned."""

    path: str
    detail: str


def _quote(names: list[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:_NAMES_SHOWN])
    more = len(names) - _NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _escapes(shard: str) -> bool:
    """True if a shard name points outside the index's folder."""
    name = shard.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        return True
    return ".." in name.split("/")


def check_index(
    index_path: str,
    index_text: str,
    present_files: set[str],
    shard_tensors: Mapping[str, set[str]] | None = None,
) -> list[ShardProblem]:
    """Problems with the index at `index_path` (release-relative, '/'-separated).

    `present_files` are the release's file paths, relative like `index_path`.
    `shard_tensors`, when given, maps shard paths (release-relative, or as written in the
    weight_map) to the tensor names read from that shard's header; shards absent from it are
    not cross-checked. Returns problems sorted by (path, detail). Cost: one JSON parse of an
    index of at most 64 MiB.
    """
    problems: list[ShardProblem] = []
    if len(index_text) > MAX_INDEX_BYTES or len(
        index_text.encode("utf-8", "surrogatepass")
    ) > MAX_INDEX_BYTES:
        return [ShardProblem(index_path, f"index larger than {MAX_INDEX_BYTES // 2**20} MiB "
                                         f"(limit MAX_INDEX_BYTES); not read")]
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                duplicates.append(k)
            out[k] = v
        return out

    try:
        doc: Any = json.loads(index_text, object_pairs_hook=pairs)
    except RecursionError:
        return [ShardProblem(index_path, "index JSON nested too deeply (limit: interpreter "
                                         "recursion)")]
    except ValueError as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        where = f" at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        return [ShardProblem(index_path, f"index is not valid JSON{where}: {msg}")]
    if not isinstance(doc, dict):
        return [ShardProblem(index_path, "index is not a JSON object")]
    if duplicates:
        # json keeps the last value; a tensor mapped twice is ambiguous for any loader.
        names = sorted(set(duplicates))
        problems.append(ShardProblem(
            index_path, f"duplicate keys (the last one wins): {_quote(names)}"))
    if "metadata" in doc and not isinstance(doc["metadata"], dict):
        problems.append(ShardProblem(index_path, "metadata is not an object"))
    weight_map = doc.get("weight_map")
    if weight_map is None:
        problems.append(ShardProblem(index_path, "index has no weight_map"))
        return sorted(problems, key=_key)
    if not isinstance(weight_map, dict):
        problems.append(ShardProblem(index_path, "weight_map is not a mapping"))
        return sorted(problems, key=_key)

    folder = posixpath.dirname(index_path)
    by_shard: dict[str, list[str]] = defaultdict(list)  # shard as written -> tensors
    not_str: list[str] = []
    for tensor, shard in weight_map.items():
        if isinstance(shard, str) and shard:
            by_shard[shard].append(tensor)
        else:
            not_str.append(tensor)
    if not_str:
        problems.append(ShardProblem(
            index_path,
            f"{_plural(len(not_str), 'tensor')} mapped to something that is not a file "
            f"name: {_quote(sorted(not_str))}",
        ))

    referenced: set[str] = set()
    for shard, tensors in by_shard.items():
        tensors.sort()
        if _escapes(shard):
            problems.append(ShardProblem(
                shard, f"shard path escapes the index folder ({_plural(len(tensors), 'tensor')}"
                       f" mapped to it, first '{tensors[0]}')"))
            continue
        path = posixpath.normpath(posixpath.join(folder, shard))
        referenced.add(path)
        if path not in present_files:
            if len(tensors) == 1:
                detail = f"tensor '{tensors[0]}' mapped to absent file '{shard}'"
            else:
                detail = (f"{len(tensors)} tensors mapped to absent file '{shard}', "
                          f"first '{tensors[0]}'")
            problems.append(ShardProblem(path, detail))
            continue
        if shard_tensors is None:
            continue
        actual = shard_tensors.get(path)
        if actual is None:
            actual = shard_tensors.get(shard)
        if actual is None:
            continue
        listed = set(tensors)
        missing = sorted(listed - actual)
        extra = sorted(set(actual) - listed)
        if missing:
            problems.append(ShardProblem(
                path, f"{_plural(len(missing), 'tensor')} listed in the index but not in "
                      f"this shard: {_quote(missing)}"))
        if extra:
            problems.append(ShardProblem(
                path, f"{_plural(len(extra), 'tensor')} in this shard but not mapped to it "
                      f"by the index: {_quote(extra)}"))

    problems.extend(_unreferenced_shards(index_path, folder, referenced, present_files))
    return sorted(problems, key=_key)


def _unreferenced_shards(
    index_path: str, folder: str, referenced: set[str], present_files: set[str]
) -> list[ShardProblem]:
    """Files named like the index's shards (same prefix, same '-of-N') that the index never
    mentions: tensors the index cannot reach."""
    families = set()
    for path in referenced:
        m = _SHARD_NAME.match(posixpath.basename(path))
        if m:
            families.add((posixpath.dirname(path), m["prefix"], m["total"], m["ext"]))
    out = []
    for path in present_files:
        if path in referenced:
            continue
        m = _SHARD_NAME.match(posixpath.basename(path))
        if m and (posixpath.dirname(path), m["prefix"], m["total"], m["ext"]) in families:
            out.append(ShardProblem(path, f"shard file not referenced by the index "
                                          f"'{posixpath.basename(index_path)}'"))
    return out


def _key(p: ShardProblem) -> tuple[str, str]:
    return (p.path, p.detail)
