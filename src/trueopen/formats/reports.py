"""The audit formats beyond table, JSON and MOT, by name: what `audit --format NAME` writes and
what the Python API offers (`render(audit, "cyclonedx")`)."""

from __future__ import annotations

from collections.abc import Callable

from trueopen.record import Audit

FORMATS = ("cyclonedx", "spdx", "markdown", "html", "sarif")


def renderer(name: str) -> Callable[[Audit], str]:
    """The render function of a report format; ValueError for an unknown name."""
    if name == "cyclonedx":
        from trueopen.formats.cyclonedx import render
    elif name == "spdx":
        from trueopen.formats.spdx import render
    elif name == "markdown":
        from trueopen.formats.markdown import render
    elif name == "html":
        from trueopen.formats.html import render
    elif name == "sarif":
        from trueopen.formats.sarif_audit import render
    else:
        raise ValueError(f"unknown report format {name!r} (one of {', '.join(FORMATS)})")
    return render


def render(audit: Audit, name: str) -> str:
    """One audit in the named format: same audit, same bytes."""
    return renderer(name)(audit)
