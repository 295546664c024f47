"""From entries to the site: each entry's external self-reports matched, then the pages written."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from trueopen.index.entry import IndexEntry


def with_external(entry: IndexEntry) -> IndexEntry:
    """The entry with the Model Openness Tool's and the EU index's records of the same release, if any."""
    from trueopen.index.external import match_external

    return entry.model_copy(update={"external": match_external(entry.id, entry.audit)})


def publish(entries: Sequence[IndexEntry], out: Path) -> list[IndexEntry]:
    """Write the site for `entries` into `out`; returns the entries as published (with `external`)."""
    from trueopen.index.site import write_site

    published = [with_external(e) for e in entries]
    write_site(published, out)
    return published
