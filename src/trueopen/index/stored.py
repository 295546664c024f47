"""An audit that goes through the store: reused when this exact state of the release was already
audited by this trueopen with these rules and options, else run and stored."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from trueopen import __version__
from trueopen.index.identity import Identity, identify
from trueopen.index.store import Store, rules_digest
from trueopen.record import Audit
from trueopen.sources.options import SourceOptions


@dataclass(frozen=True)
class StoredAudit:
    """An audit with its identity, when it was made, and whether it came from the store."""

    audit: Audit
    identity: Identity
    audited_at: str
    reused: bool


def options_key(with_: Sequence[str | Path], hash_contents: bool, source: SourceOptions | None = None) -> str:
    """The options that change a record, as part of its key: an offline audit (no gating facts) or
    one with another download limit is not reused for an online one or another limit."""
    source = source or SourceOptions()
    return json.dumps({"hash": hash_contents, "with": [str(w) for w in with_], "offline": bool(source.offline),
                       "max_download": source.max_download}, sort_keys=True)


def audit_with_store(target: str | Path, *, store: Path | None, with_: Sequence[str | Path] = (),
                     hash_contents: bool = True, source: SourceOptions | None = None, refresh: bool = False,
                     release_id: str | None = None, progress: Callable[[int], None] | None = None) -> StoredAudit:
    """Audit `target` through the store at `store` (None: no store). Raises InputError as audit() does,
    and for a store that cannot be used."""
    from trueopen.audit import audit_release
    from trueopen.sources import open_locations, warm

    source = source or SourceOptions()
    options = options_key(with_, hash_contents, source)
    lookup = store is not None and not refresh
    # A Hub repo is opened without fetching its files: a stored record of the same commit needs none.
    opened = dataclasses.replace(source, prefetch=False) if lookup else source
    with open_locations(target, with_, opened) as release:
        ident = identify(release, release_id)
        if lookup:
            hit = find(store, ident, options)
            if hit is not None:
                return hit
            warm(release, source.connections)
        result = audit_release(release, hash_contents=hash_contents, progress=progress)
    done = StoredAudit(result, ident, now(), False)
    if store is not None:
        save(store, str(target), options, done)
    return done


def find(store: Path, ident: Identity, options: str) -> StoredAudit | None:
    """The stored audit of this state of the release, if any."""
    with Store.open(store) as db:
        hit = db.find(ident.id, ident.content, options, __version__, rules_digest())
    return StoredAudit(Audit.model_validate(hit.record), ident, hit.audited_at, True) if hit else None


def lookup_record(db: Store, target: str | Path, *, with_: Sequence[str | Path] = (), hash_contents: bool = True,
                  source: SourceOptions | None = None, release_id: str | None = None):
    """(identity, the stored audit's metadata) of this state of the release in an open store, else
    None. The record itself is read later, and only if needed (`build.load_audits`)."""
    from trueopen.sources import open_locations

    source = dataclasses.replace(source or SourceOptions(), prefetch=False)
    with open_locations(target, with_, source) as release:
        ident = identify(release, release_id)
    hit = db.find_meta(ident.id, ident.content, options_key(with_, hash_contents, source), __version__, rules_digest())
    return (ident, hit) if hit is not None else None


def save(store: Path, target: str, options: str, done: StoredAudit) -> None:
    """Keep one audit in the store (atomically)."""
    ident = done.identity
    with Store.open(store) as db:
        db.put(release_id=ident.id, target=target, revision=ident.revision, revision_kind=ident.revision_kind,
               revision_date=ident.revision_date, content=ident.content, options=options,
               trueopen_version=__version__, rules=rules_digest(), audited_at=done.audited_at,
               record=done.audit.model_dump(mode="json", by_alias=True))


def now() -> str:
    """The time an audit is made, to the second, UTC."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
