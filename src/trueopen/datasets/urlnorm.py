"""URL normalisation before blocklist matching: one reference in Python, the same steps as a
DuckDB macro (the rules, with examples, are data/datasets/url_rules.yml)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from trueopen.data import load_yaml

WHITESPACE = " \t\r\n"
_HEAD = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*")
_PORT_HTTP = re.compile(r"^(http://[^/]*):80$")
_PORT_HTTPS = re.compile(r"^(https://[^/]*):443$")
_WWW = re.compile(r"^([a-z][a-z0-9+.\-]*://(?:[^@/]*@)?)www\.")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = re.compile(r"^[A-Za-z0-9\-._~]$")


@cache
def rules() -> dict[str, Any]:
    """The documented rules (id, what, examples)."""
    return load_yaml("datasets/url_rules.yml")


@cache
def _tracking() -> re.Pattern[str]:
    spec = next(r for r in rules()["rules"] if r["id"] == "tracking-parameters")
    return re.compile(spec["parameters"], re.IGNORECASE)


def _pct(m: re.Match[str]) -> str:
    ch = chr(int(m.group(1), 16))
    return ch if _UNRESERVED.match(ch) else "%" + m.group(1).upper()


def normalise_url(url: str | None) -> str | None:
    """The URL as blocklists compare it (data/datasets/url_rules.yml, in that order)."""
    if url is None:
        return None
    u = url.strip(WHITESPACE).split("#", 1)[0]
    m = _HEAD.match(u)
    head, rest = (m.group(0).lower(), u[m.end():]) if m else ("", u)
    head = _PORT_HTTPS.sub(r"\1", _PORT_HTTP.sub(r"\1", head))
    head = _WWW.sub(r"\1", head)
    path, sep, query = rest.partition("?")
    if sep:
        track = _tracking()
        query = "&".join(p for p in query.split("&") if p and not track.search(p))
    path = _PCT.sub(_pct, path).rstrip("/")
    query = _PCT.sub(_pct, query)
    return head + path + ("?" + query if query else "")


def duckdb_macros() -> list[str]:
    """SQL that defines `trueopen_url(u)` in a DuckDB connection: the same steps as normalise_url
    (tests/datasets/test_urlnorm.py checks that they agree). SQL, not a Python UDF: a Python UDF
    runs single-threaded under the GIL; the macro runs on all of DuckDB's threads."""
    track = _tracking().pattern.replace("'", "''")
    pct = ("CASE WHEN strpos(x, '%') = 0 THEN x ELSE array_to_string(list_transform(string_split(x, '%'), "
           "lambda s, i: CASE WHEN i = 1 THEN s "
           "WHEN NOT regexp_matches(s, '^[0-9A-Fa-f]{2}') THEN '%' || s "
           "WHEN regexp_matches(chr(('0x' || substr(s, 1, 2))::INTEGER), '^[A-Za-z0-9._~-]$') "
           "THEN chr(('0x' || substr(s, 1, 2))::INTEGER) || substr(s, 3) "
           "ELSE '%' || upper(substr(s, 1, 2)) || substr(s, 3) END), '') END")
    return [
        f"CREATE OR REPLACE MACRO trueopen_pct(x) AS ({pct})",
        "CREATE OR REPLACE MACRO trueopen_head(v) AS regexp_replace(regexp_replace(regexp_replace("
        "lower(regexp_extract(v, '^[A-Za-z][A-Za-z0-9+.\\-]*://[^/?#]*')), "
        "'^(http://[^/]*):80$', '\\1'), '^(https://[^/]*):443$', '\\1'), "
        "'^([a-z][a-z0-9+.\\-]*://(?:[^@/]*@)?)www\\.', '\\1')",
        "CREATE OR REPLACE MACRO trueopen_query(q) AS array_to_string(list_filter(string_split(q, '&'), "
        f"lambda p: p <> '' AND NOT regexp_matches(p, '(?i){track}')), '&')",
        "CREATE OR REPLACE MACRO trueopen_url3(head, rest) AS head || "
        "rtrim(trueopen_pct(split_part(rest, '?', 1)), '/') || "
        "CASE WHEN strpos(rest, '?') = 0 THEN '' ELSE "
        "coalesce(nullif('?' || trueopen_pct(trueopen_query(substr(rest, strpos(rest, '?') + 1))), '?'), '') END",
        "CREATE OR REPLACE MACRO trueopen_url2(v) AS trueopen_url3(trueopen_head(v), "
        "substr(v, length(regexp_extract(v, '^[A-Za-z][A-Za-z0-9+.\\-]*://[^/?#]*')) + 1))",
        "CREATE OR REPLACE MACRO trueopen_url(u) AS trueopen_url2(split_part(trim(u, ' \t\r\n'), '#', 1))",
    ]
