"""The audit as one self-contained HTML page: styles inline, no scripts, nothing fetched (a
Content-Security-Policy of default-src 'none' says so to the browser). Readable on a phone and a
laptop, printable, accessible: headings, table semantics, text beside every colour."""

from __future__ import annotations

from functools import cache

import jinja2

from trueopen.formats._view import view
from trueopen.record import Audit

SEVERITY_TONE = {"block": "bad", "warn": "warn", "info": "none"}


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("trueopen", "data/templates"),
                              autoescape=jinja2.select_autoescape(["html", "html.j2"], default=True),
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render(audit: Audit) -> str:
    """The HTML page: same audit, same bytes."""
    return _env().get_template("report.html.j2").render(v=view(audit), sev=SEVERITY_TONE,
                                                        schema_version=audit.schema_version).rstrip("\n") + "\n"
