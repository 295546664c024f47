"""Saved audit records: read an audit JSON back (for `check`, `diff`, `badge` and the report
formats), or audit a target when it is not one."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from trueopen.errors import InputError, validation_error_line
from trueopen.record import SCHEMA_VERSION, Audit
from trueopen.sources.options import SourceOptions

MAX_RECORD_BYTES = 256 << 20  # a record of a 100k-file release is ~60 MiB; past this it is no record of ours


def is_record_path(target: str | Path) -> bool:
    """A .json file: releases are folders and archives, never one JSON file."""
    p = Path(target)
    return p.suffix.lower() == ".json" and p.is_file()


def load(path: str | Path) -> Audit:
    """An audit record saved with `trueopen audit --format json`; InputError (one line) when the file
    is not one."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise InputError(f"{p}: {exc.strerror or exc}") from None
    if size > MAX_RECORD_BYTES:
        raise InputError(f"{p}: {size} bytes is more than an audit record may hold ({MAX_RECORD_BYTES}); not read")
    try:
        data = json.loads(p.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not JSON ({' '.join(str(exc).split())[:120]})") from None
    except RecursionError:
        raise InputError(f"{p}: JSON nested too deeply") from None
    if not isinstance(data, dict) or "verdicts" not in data or "schema_version" not in data:
        raise InputError(f"{p}: not a trueopen audit record (no schema_version and verdicts)")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise InputError(f"{p}: audit record schema_version {data.get('schema_version')!r}; this trueopen reads {SCHEMA_VERSION}")
    try:
        return Audit.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{p}: not a valid audit record: {validation_error_line(exc)}") from None


def audit_or_load(target: str | Path, *, with_: Sequence[str | Path] = (), hash_contents: bool = True,
                  progress: Callable[[int], None] | None = None, store: Path | None = None,
                  refresh: bool = False, source: SourceOptions | None = None) -> Audit:
    """A saved record when `target` is a .json file, else an audit of the target (through the
    audit store at `store` when given: reused when the store has this state of the release;
    Hub and HF-cache targets opened with `source`)."""
    if is_record_path(target):
        if with_:
            raise InputError(f"{target}: --with applies to a release, not to a saved audit record")
        if source is not None and source.revision:
            raise InputError(f"{target}: --revision applies to a Hub or HF-cache release, not to a saved audit record")
        return load(target)
    if store is not None:
        from trueopen.index.stored import audit_with_store

        return audit_with_store(target, store=store, with_=with_, hash_contents=hash_contents, refresh=refresh,
                                progress=progress, source=source).audit
    from trueopen.audit import audit

    return audit(target, with_=with_, hash_contents=hash_contents, progress=progress, source=source)
