"""From entries to the site: each entry's external self-reports matched, then the pages written.

A rebuild whose releases, histories and site code are all unchanged leaves the site as it is:
a marker file in the site (`.trueopen-site.json`) holds the digest of what it was built from.
Rendering 100 release pages took 0.65 s of a 1.5 s unchanged rerun (benchmarks/index.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from trueopen import __version__
from trueopen.index.entry import IndexEntry
from trueopen.index.site_files import SITE_FILES, read_marker



def with_external(entry: IndexEntry) -> IndexEntry:
    """The entry with the Model Openness Tool's and the EU index's records of the same release, if any."""
    from trueopen.index.external import match_external

    return entry.model_copy(update={"external": match_external(entry.id, entry.audit)})


def publish(entries: Sequence[IndexEntry], out: Path, *, title: str = "trueopen index", store: Path | None = None) -> bool:
    """Write the site for `entries` into `out` (reused audits not yet read come from `store`);
    False when the site there was already built from the same entries by the same code (nothing
    is written then)."""
    digest = site_digest(entries, title)
    built = read_marker(out)
    if built is not None and built.get("digest") == digest and all((out / f).is_file() for f in SITE_FILES) \
            and all((out / "releases" / str(p)).is_file() for p in built.get("pages", [])):
        return False
    from trueopen.index.build import load_audits
    from trueopen.index.site import write_site  # jinja2 and the templates: only when pages are written

    write_site([with_external(e) for e in load_audits(entries, store)], out, title=title, digest=digest)
    return True


def site_digest(entries: Sequence[IndexEntry], title: str) -> str:
    """What the site is a function of: each entry's identity, state, audit time and history, the
    site's code, templates and the external indexes' data, and trueopen's version. Audits are
    not hashed: in the store an audit is fixed by its key, its audit time names it."""
    h = hashlib.sha256(f"{__version__}\0{title}\0{_code_digest()}\n".encode())
    for e in entries:
        steps = [(s.revision, s.audited_at, s.label, len(s.changes)) for s in e.history]
        h.update(json.dumps([e.id, e.target, e.revision, e.revision_date, e.audited_at, e.trueopen_version, e.error,
                             steps], separators=(",", ":")).encode() + b"\n")
    return h.hexdigest()


@cache
def _code_digest() -> str:
    """The site's renderer, templates and bundled external data (a change to any rebuilds the site)."""
    here = Path(__file__).resolve().parent
    pkg = here.parent
    data = pkg / "data"
    # Everything that shapes a page: the index, the report views, the assessors the views call.
    files = [*sorted(here.glob("*.py")), *sorted((pkg / "formats").glob("*.py")), *sorted((pkg / "assessors").glob("*.py")),
             *sorted((data / "templates").rglob("*")), *sorted((data / "external").rglob("*"))]
    h = hashlib.sha256()
    for f in files:
        if f.is_file():
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()
