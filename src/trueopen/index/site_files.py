"""The names of the files a site is made of, and its marker (shared by the renderer and the
publisher, which must not load the renderer's jinja2 just to check a site)."""

from __future__ import annotations

import json
from pathlib import Path

MARKER = ".trueopen-site.json"  # names the pages a site wrote, and the digest of what it was built from
SITE_FILES = ("records.jsonl", "records.csv", "compare.html", "index.html")


def read_marker(out: Path) -> dict | None:
    """What the site in `out` was built from and which pages it wrote, or None (no trueopen site)."""
    try:
        data = json.loads((Path(out) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
