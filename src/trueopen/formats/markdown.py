"""The audit as GitHub-flavoured Markdown: the verdicts, the component grid, licences and their
terms, the reasons with evidence as path:line, findings and safety per file. It fits a
pull-request comment and a model-card section: tables and text only, no raw HTML."""

from __future__ import annotations

from functools import cache

import jinja2

from trueopen.formats._view import view
from trueopen.record import Audit

MARK = {"good": "🟢", "warn": "🟠", "bad": "🔴", "none": "⚪"}
STATE_TONE = {"present-open": "good", "present-not-open": "warn", "referenced-open": "good", "referenced-not-open": "warn", "missing": "none"}
SEVERITY_TONE = {"block": "bad", "warn": "warn", "info": "none"}
FINDINGS_SHOWN = 50


def _inline(text: object) -> str:
    """Text safe inside Markdown: no HTML, no line breaks, table pipes escaped."""
    s = " ".join(str(text).split())
    return s.replace("\\", "\\\\").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _cell(text: object, limit: int = 200) -> str:
    s = " ".join(str(text).split())
    if len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    return _inline(s)


def _code(text: object) -> str:
    s = " ".join(str(text).split()).replace("`", "'").replace("|", "\\|")
    return f"`{s}`"


def _codes(items: list[str]) -> str:
    return ", ".join(_code(i) for i in items) if items else "-"


@cache
def _env() -> jinja2.Environment:
    # Markdown, not HTML: autoescape would turn quotes into entities inside code spans; the filters
    # above escape what Markdown and GitHub treat specially instead.
    env = jinja2.Environment(loader=jinja2.PackageLoader("trueopen", "data/templates"), autoescape=False,  # noqa: S701
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(inline=_inline, cell=_cell, code=_code, codes=_codes)
    return env


def render(audit: Audit) -> str:
    """The Markdown report: same audit, same bytes."""
    text = _env().get_template("report.md.j2").render(v=view(audit), mark=MARK, tone=STATE_TONE, sev=SEVERITY_TONE,
                                                      limit=FINDINGS_SHOWN)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.rstrip("\n") + "\n"
