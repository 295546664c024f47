"""Checks on each row that need no join: licence (column, Creative Commons mark, domain table),
opt-out domains and counts of personal data (rules in data/datasets/row_rules.yml)."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from trueopen.data import load_yaml
from trueopen.datasets.lists import host_of, in_domains, key_sha256

# A licence value longer than this is a licence text: its name or mark is at its top. Read whole,
# each distinct 10 kB text cost identify_name 34 ms (and a place in licence_of_value's cache).
MAX_LICENCE_VALUE = 512
META_COLUMNS = ("metadata", "meta", "json", "exif", "rights", "copyright", "attribution", "license_url", "licence_url")


@cache
def rules() -> dict[str, Any]:
    return load_yaml("datasets/row_rules.yml")


@cache
def _marks() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], dict[str, str]]:
    m = rules()["cc_marks"]
    return (re.compile(m["url"], re.IGNORECASE), re.compile(m["short"], re.IGNORECASE),
            re.compile(m["zero"], re.IGNORECASE), dict(m["ids"]))


def cc_mark(text: str | None) -> str | None:
    """The SPDX id of the first Creative Commons mark in text, or None."""
    if not text:
        return None
    url, short, zero, ids = _marks()
    if m := url.search(text):
        kind, version = m.group(2).lower(), m.group(3)
        return ids.get(kind) or f"CC-{kind.upper()}-{version}"
    if m := short.search(text):
        # SPDX spells the elements in one order (BY-NC-SA, BY-NC-ND); SA with ND is no licence
        parts = re.split(r"[ -]+", m.group(1).upper())[1:]
        if len(set(parts)) == len(parts) and not {"SA", "ND"} <= set(parts):
            return "CC-" + "-".join(["BY", *(e for e in ("NC", "SA", "ND") if e in parts)]) + f"-{m.group(2)}"
    if zero.search(text):
        return ids["zero"]
    return None


@lru_cache(maxsize=65_536)
def licence_of_value(value: str) -> str | None:
    """A licence column's value as an SPDX id (or the trueopen id of a named licence)."""
    from trueopen.licenses.names import identify_name

    if mark := cc_mark(value):
        return mark
    hit = identify_name(value)
    return hit.id if hit else None


@dataclass
class RowStats:
    """What the row checks found in one shard (merged into the report when the shard completes)."""

    licences: Counter[str] = field(default_factory=Counter)
    licence_sources: Counter[str] = field(default_factory=Counter)
    unknown: int = 0
    opt_out: list[tuple[str, str, str, int]] = field(default_factory=list)  # (row name, list, domain sha256, row index)
    pii_totals: Counter[str] = field(default_factory=Counter)
    pii_rows: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    pdq_unhashed: Counter[str] = field(default_factory=Counter)  # why rows got no PDQ hash

    def merge(self, other: RowStats) -> None:
        self.licences.update(other.licences)
        self.licence_sources.update(other.licence_sources)
        self.unknown += other.unknown
        self.opt_out.extend(other.opt_out)
        self.pii_totals.update(other.pii_totals)
        self.pii_rows.extend(other.pii_rows)
        self.pdq_unhashed.update(other.pdq_unhashed)


def _strings(batch: pa.RecordBatch, name: str | None) -> list[str | None] | None:
    if not name or name not in batch.schema.names:
        return None
    col = batch.column(name)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return col.to_pylist()
    try:
        return pc.cast(col, pa.string(), safe=False).to_pylist()
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        # a struct/list/map column (Parquet `metadata` often is one) has no cast to text: its
        # values as JSON text, where a licence mark is found as in JSONL's nested values
        return [None if v is None else json.dumps(v, sort_keys=True, ensure_ascii=False, default=str)
                for v in col.to_pylist()]


def check_rows(batch: pa.RecordBatch, names: list[str], columns: dict[str, str | None], *,
               licences: bool, domain_licences: dict[str, str] | None, opt_out: frozenset[str] | None,
               opt_out_name: str, pii: bool) -> RowStats:
    """Run the row checks on one batch; `names` are the rows' names."""
    st = RowStats()
    urls = _strings(batch, columns.get("url"))
    if licences:
        lic = _strings(batch, columns.get("license"))
        metas = [v for v in (_strings(batch, columns.get("text")),
                             *(_strings(batch, c) for c in batch.schema.names if c.lower() in META_COLUMNS)) if v]
        for i in range(batch.num_rows):
            found, source = None, None
            if lic and lic[i] and (found := licence_of_value(lic[i][:MAX_LICENCE_VALUE])):
                source = "column"
            if not found:
                for m in metas:
                    if found := cc_mark(m[i]):
                        source = "mark"
                        break
            if not found and domain_licences and urls:
                d = in_domains(host_of(urls[i]), domain_licences)
                if d:
                    found, source = domain_licences[d], "domain"
            if found:
                st.licences[found] += 1
                st.licence_sources[source or ""] += 1
            else:
                st.unknown += 1
    if opt_out and urls:
        idx = batch.column("__row").to_pylist()
        for i, u in enumerate(urls):
            d = in_domains(host_of(u), opt_out)
            if d:
                st.opt_out.append((names[i], opt_out_name, key_sha256(d), idx[i]))
    text_col = columns.get("text")
    if pii and text_col and text_col in batch.schema.names:
        text = batch.column(text_col)
        if not pa.types.is_string(text.type):
            text = pc.cast(text, pa.string())
        counts: dict[str, list[int | None]] = {}
        for k, p in rules()["personal_data"].items():  # most specific first; what one kind counted is blanked
            counts[k] = pc.count_substring_regex(text, pattern=p).to_pylist()
            if any(counts[k]):
                text = pc.replace_substring_regex(text, pattern=p, replacement=" ")
        for i in range(batch.num_rows):
            row = {k: int(v[i] or 0) for k, v in counts.items() if v[i]}
            if row:
                st.pii_rows.append((names[i], row))
                st.pii_totals.update(row)
    return st
