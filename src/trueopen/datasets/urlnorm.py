"""URL normalisation before blocklist matching: one reference in Python, the same steps as DuckDB
SQL (the rules, with examples, are data/datasets/url_rules.yml)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from trueopen.data import load_yaml

WHITESPACE = " \t\r\n"
BULK = 2_000  # lists longer than this are normalised in DuckDB
_HEAD = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*")
_PORT_HTTP = re.compile(r"^(http://[^/]*):80$")
_PORT_HTTPS = re.compile(r"^(https://[^/]*):443$")
# `www.` of the host only: the part after it holds no `@`, so a `www.` in user info is left alone
_WWW = re.compile(r"^([a-z][a-z0-9+.\-]*://(?:[^@/]*@)?)www\.([^@/]*)$")
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


@cache
def _tracking_anywhere() -> str:
    """The tracking-parameter rule as one test of a whole query string (RE2, case-insensitive): the
    costly per-parameter filter runs only on queries this matches."""
    pattern = _tracking().pattern
    if not (pattern.startswith("^(") and pattern.endswith(")(=|$)")):
        raise ValueError("url_rules.yml: tracking-parameters must read ^(NAMES)(=|$)")
    return "(?i)(^|&)" + pattern[1: -len("(=|$)")] + "(=|&|$)"


def _pct(m: re.Match[str]) -> str:
    ch = chr(int(m.group(1), 16))
    return ch if _UNRESERVED.match(ch) else "%" + m.group(1).upper()


def _lower(s: str) -> str:
    """Lower case as DuckDB's lower() does: of all code points, only U+0130 (dotted capital I)
    lowers differently in Python (to two, "i" + U+0307; DuckDB gives "i"), checked over all of them."""
    return s.replace("\u0130", "i").lower()


def normalise_url(url: str | None) -> str | None:
    """The URL as blocklists compare it (data/datasets/url_rules.yml, in that order)."""
    if url is None:
        return None
    u = url.strip(WHITESPACE).split("#", 1)[0]
    m = _HEAD.match(u)
    head, rest = (_lower(m.group(0)), u[m.end():]) if m else ("", u)
    head = _PORT_HTTPS.sub(r"\1", _PORT_HTTP.sub(r"\1", head))
    head = _WWW.sub(r"\1\2", head)
    path, sep, query = rest.partition("?")
    if sep:
        track = _tracking()
        query = "&".join(p for p in query.split("&") if p and not track.search(p))
    path = _PCT.sub(_pct, path).rstrip("/")
    query = _PCT.sub(_pct, query)
    return head + path + ("?" + query if query else "")


def normalise_urls(urls: Sequence[str]) -> list[str | None]:
    """normalise_url over many URLs ('' becomes None). A long list goes through the same rules in
    DuckDB (duckdb_key_query; the two agree, tests/datasets/test_data_urlnorm.py): 10^5 list URLs
    took 0.90 s one by one in Python, 0.32 s this way (DuckDB already imported)."""
    if len(urls) < BULK:
        return [normalise_url(u) or None for u in urls]
    import pyarrow as pa

    con = duckdb_connection()
    try:
        con.register("urls_in", pa.table({"i": pa.array(range(len(urls)), pa.int64()), "url": pa.array(urls, pa.string())}))
        out = con.sql(duckdb_key_query("urls_in", "url", [("i", "i")]) + " ORDER BY i").to_arrow_table()
        return [k or None for k in out.column("key").to_pylist()]
    finally:
        con.close()


def duckdb_connection() -> Any:
    """A DuckDB connection ready for duckdb_key_query: its helper macros defined, its progress bar
    off (DuckDB draws it on stdout for queries over 2 s, inside `--format json` output)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    for sql in duckdb_macros():
        con.execute(sql)
    return con


def duckdb_macros() -> list[str]:
    """SQL that defines the two helpers duckdb_key_query calls in a DuckDB connection:
    `trueopen_pct(x)` (percent-encoding) and `trueopen_query(q)` (the tracking-parameter filter).
    SQL, not a Python UDF: a Python UDF runs single-threaded under the GIL; SQL runs on all of
    DuckDB's threads."""
    track = _tracking().pattern.replace("'", "''")
    pct = ("CASE WHEN strpos(x, '%') = 0 THEN x ELSE array_to_string(list_transform(string_split(x, '%'), "
           "lambda s, i: CASE WHEN i = 1 THEN s "
           "WHEN NOT regexp_matches(s, '^[0-9A-Fa-f]{2}') THEN '%' || s "
           "WHEN regexp_matches(chr(('0x' || substr(s, 1, 2))::INTEGER), '^[A-Za-z0-9._~-]$') "
           "THEN chr(('0x' || substr(s, 1, 2))::INTEGER) || substr(s, 3) "
           "ELSE '%' || upper(substr(s, 1, 2)) || substr(s, 3) END), '') END")
    return [
        f"CREATE OR REPLACE MACRO trueopen_pct(x) AS ({pct})",
        "CREATE OR REPLACE MACRO trueopen_query(q) AS array_to_string(list_filter(string_split(q, '&'), "
        f"lambda p: p <> '' AND NOT regexp_matches(p, '(?i){track}')), '&')",
    ]


def duckdb_key_query(source: str, url_expr: str, carry: Sequence[tuple[str, str]]) -> str:
    """SELECT the carried columns (expression, alias) and `key` FROM source, where key is url_expr
    normalised as normalise_url does.

    The same steps as normalise_url, written for speed (10^7 URLs, benchmarks/data.py):
    - A URL with none of the marks a rule acts on (`#`, `%`, `?`, a trailing `/`, `www.`, `:80`,
      `:443`, a capital letter before the path, a non-ASCII character, surrounding whitespace) is
      its own key: it takes the cheap `plain` test and nothing else (the non-ASCII test, by
      strlen <> length, cost nothing measurable on 2*10^6 plain URLs: 0.80-0.89 s either way).
    - The others go through one step per nested SELECT, so each intermediate value is computed
      once. (A first version as nested macros took 184 s on 10^7 URLs where this takes under 6 s: a
      macro is inlined, and its nested calls repeat the shared sub-expressions.)
    - Percent decoding and the tracking-parameter filter run only where `%` or a tracking
      parameter is present."""
    track_any = _tracking_anywhere().replace("'", "''")
    chars = ", ".join(f"'{c}'" for c in WHITESPACE)
    raw = f"CAST({url_expr} AS VARCHAR)"
    # trim() with a character set costs 5x a plain read: only URLs that start or end with one pay it
    edge = f"{raw}[1] IN ({chars}) OR {raw}[-1] IN ({chars})"
    inner = ", ".join(f"{e} AS {a}" for e, a in carry)
    c = ", ".join(a for _, a in carry)
    head_re = _HEAD.pattern.replace("'", "''")
    www_re = _WWW.pattern.replace("'", "''")
    plain = ("NOT (contains(v, '#') OR contains(v, '%') OR contains(v, '?') OR suffix(v, '/') OR contains(v, 'www.') "
             "OR contains(v, ':80') OR contains(v, ':443') OR regexp_matches(v, '^[^/]*[A-Z]|^[^/]*//[^/]*[A-Z]') "
             # any non-ASCII character (more bytes than characters): an É in the host lowers too
             "OR strlen(v) <> length(v))")
    return f"""
SELECT {c}, CASE WHEN plain THEN v ELSE
         head || CASE WHEN suffix(p, '/') THEN rtrim(p, '/') ELSE p END ||
         CASE WHEN q IS NULL OR q = '' THEN '' WHEN contains(q, '%') THEN '?' || trueopen_pct(q) ELSE '?' || q END
       END AS key
FROM (
 SELECT {c}, v, plain, head, p,
        CASE WHEN query IS NULL THEN NULL
             WHEN regexp_matches(query, '{track_any}') OR contains(query, '&&') OR starts_with(query, '&')
                  OR suffix(query, '&') THEN trueopen_query(query)
             ELSE query END AS q
 FROM (
  SELECT {c}, v, plain, CASE WHEN contains(h, 'www.') THEN regexp_replace(h, '{www_re}', '\\1\\2') ELSE h END AS head,
         CASE WHEN contains(path, '%') THEN trueopen_pct(path) ELSE path END AS p, query
  FROM (
   SELECT {c}, v, plain,
          CASE WHEN suffix(head, ':80') AND starts_with(head, 'http://') THEN left(head, length(head) - 3)
               WHEN suffix(head, ':443') AND starts_with(head, 'https://') THEN left(head, length(head) - 4)
               ELSE head END AS h,
          CASE WHEN qpos = 0 THEN rest ELSE left(rest, qpos - 1) END AS path,
          CASE WHEN qpos = 0 THEN NULL ELSE substr(rest, qpos + 1) END AS query
   FROM (
    SELECT {c}, v, plain, head, rest, strpos(rest, '?') AS qpos
    FROM (
     SELECT {c}, v, plain, lower(left(u, hl)) AS head, substr(u, hl + 1) AS rest
     FROM (
      SELECT {c}, v, plain, u, length(regexp_extract(u, '{head_re}')) AS hl
      FROM (
       SELECT {c}, v, plain, CASE WHEN plain THEN NULL WHEN contains(v, '#') THEN split_part(v, '#', 1) ELSE v END AS u
       FROM (
        SELECT {c}, v, {plain} AS plain
        FROM (SELECT {inner}, CASE WHEN {edge} THEN trim({raw}, '{WHITESPACE}') ELSE {raw} END AS v FROM {source}) s0
       ) s1
      ) s2
     ) s3
    ) s4
   ) s5
  ) s6
 ) s7
) s8"""
