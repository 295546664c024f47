"""The openness index: an audit store, batch audits of many releases, and a static site."""

from __future__ import annotations

from typing import Any

__all__ = ["write_site"]


def __getattr__(name: str) -> Any:
    # Lazy: the store and batch layers import trueopen.index.entry without loading jinja2.
    if name == "write_site":
        from trueopen.index.site import write_site

        return write_site
    raise AttributeError(name)
