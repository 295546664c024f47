"""Custom licences: a licence file is identified as a whole (rules in data/licenses/custom.yml).

A file that borrows sentences of a standard licence (MIT's notice, Apache's disclaimer) but has a
title, a grant or restrictions of its own is its own licence, `LicenseRef-custom-<title>`, never
the borrowed one; what it borrows is kept as evidence, and its restrictions are read from the
text as its terms. A custom licence is never open: it is no licence the frameworks list.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from pathlib import PurePosixPath
from typing import Any

from trueopen.data import load_yaml
from trueopen.licenses.detect import identify_text, restrictive_markers
from trueopen.licenses.records import FREEDOMS, LicenseMatch, LicenseTerms

FULL_COVERAGE = 0.8  # a borrowed text this complete is that licence unless the rest restricts it
CUSTOM_PREFIX = "LicenseRef-custom-"
# Files that collect other projects' notices (NOTICE, THIRD_PARTY_NOTICES) are not one licence.
NOTICE_NAME = re.compile(r"notice|third[-_ ]?party|credits|authors", re.IGNORECASE)


@cache
def _rules() -> dict[str, Any]:
    raw = load_yaml("licenses/custom.yml")
    return {
        "restrictions": frozenset(raw["restrictions"]),
        "grant": re.compile("|".join(f"(?:{p})" for p in raw["grant"]), re.IGNORECASE),
        "title": re.compile(raw["title"], re.IGNORECASE),
        "title_max": int(raw["title_max_chars"]),
        "title_lines": int(raw["title_lines"]),
        "law": tuple(re.compile(p, re.IGNORECASE) for p in raw["governing_law"]),
        "terms": raw["terms"],
    }


def identify_file(text: str, name: str = "LICENSE") -> list[LicenseMatch]:
    """The licences of one licence file, identified as a whole: identify_text, unless the file is
    a custom licence (then only that, with what it borrows in `borrowed`)."""
    matches = identify_text(text)
    if not isinstance(text, str) or NOTICE_NAME.search(PurePosixPath(name).name):
        return matches
    custom = custom_licence(text, matches, name)
    return [custom] if custom is not None else matches


def custom_licence(text: str, matches: list[LicenseMatch], name: str = "LICENSE") -> LicenseMatch | None:
    """A custom-licence match when the text has a title, grant or restrictions beyond the
    standard text it matched; None when it is the standard licence (or nothing licence-like)."""
    if any(m.kind in ("text", "policy") and (m.coverage is None or m.exact) for m in matches):
        return None  # a known AI licence (its rules read the whole text), or the whole text is an SPDX text
    r = _rules()
    lines = text.split("\n")
    covered: set[int] = set()
    borrowed: list[str] = []
    best = 0.0
    for m in matches:
        if m.kind == "text" and m.line:
            covered.update(_borrowed_lines(lines, m))
            best = max(best, m.coverage or 0.0)
            pct = f"{round(100 * (m.coverage or 0))}% of its text, " if m.coverage is not None else ""
            borrowed.append(f"{m.id} ({pct}lines {m.line}-{m.end_line or m.line})")
        elif m.kind == "notice" and m.line:
            covered.add(m.line)
            borrowed.append(f"{m.id} (a reference, line {m.line})")
    rest = [(n, line) for n, line in enumerate(lines, 1) if line.strip() and n not in covered]
    if not rest:
        return None
    rest_text = "\n".join(line for _, line in rest)
    line_of = [n for n, _ in rest]
    markers = restrictive_markers(rest_text)  # once: it reads the whole rest
    restrictions = sorted({(line_of[ln - 1], mk) for ln, mk in markers
                           if mk in r["restrictions"] and ln <= len(line_of)})
    all_markers = sorted({(line_of[ln - 1], mk) for ln, mk in markers if ln <= len(line_of)})
    grant = next(((n, ln) for n, ln in rest if r["grant"].search(ln)), None)
    title = _title(lines, covered, matches)
    if not (restrictions or grant or (title and best < FULL_COVERAGE)):
        return None
    if not borrowed and not (grant and (title or restrictions)):
        return None  # an unidentified text that does not read as a licence of its own
    label = title[1] if title else PurePosixPath(name).name
    why = []
    if title:
        why.append(f'own title "{title[1]}" (line {title[0]})')
    if grant:
        why.append(f"own grant (line {grant[0]})")
    if restrictions:
        why.append("restrictions: " + ", ".join(f"{mk} (line {n})" for n, mk in restrictions[:8]))
    detail = "custom licence: " + "; ".join(why)
    if borrowed:
        detail += "; borrows " + ", ".join(borrowed)
    first = title[0] if title else (grant[0] if grant else restrictions[0][0])
    return LicenseMatch(
        id=CUSTOM_PREFIX + _slug(label), name=label, confidence=0.9, line=first, detail=detail, kind="custom",
        end_line=len(lines), borrowed=tuple(borrowed), restrictions=tuple(all_markers),
        terms=custom_terms(CUSTOM_PREFIX + _slug(label), [mk for _, mk in all_markers], text),
    )


def _borrowed_lines(lines: list[str], m: LicenseMatch) -> set[int]:
    """Lines of the matched span whose words are in the matched licence's text: a partial match
    spans the file's own clauses between the borrowed ones, and those stay the file's own."""
    from trueopen.licenses import fulltext

    span = range(m.line or 1, (m.end_line or m.line or 1) + 1)
    body = _spdx_words(m.id)
    if body is None:
        return set(span)
    # The span's words, line by line, tokenised in one call (a call per line was half the cost).
    first = span.start
    per_line = fulltext.line_tokens("\n".join(lines[first - 1:span.stop - 1]))
    out = set()
    at = 0  # where the last line found was in the licence's words: the next one is usually next
    for n, words in enumerate(per_line, first):
        if len(words) < 4:
            out.add(n)
            continue
        phrase = f" {' '.join(words)} "
        # `phrase in body`, searched from the last line's place first (a whole copy's lines
        # follow each other: searching the licence from its start for every line of an Apache
        # copy was a seventh of its identification), then before it.
        k = body.find(phrase, at)
        if k < 0:
            k = body.find(phrase, 0, at + len(phrase) - 1)
        if k >= 0:
            at = k + len(phrase) - 1
            out.add(n)
        elif _mostly_in(words, body):
            out.add(n)
    out.update(n for n in span if n - first >= len(per_line))  # past the end of the file
    return out


@cache
def _spdx_words(spdx_id: str) -> str | None:
    """An SPDX licence's words, space-separated and padded, for substring tests."""
    from trueopen.licenses import fulltext

    words = fulltext.spdx_words(spdx_id)  # from the index: decoding the SPDX bundle took 90 ms
    return " " + words + " " if words is not None else None


def _mostly_in(words: list[str], body: str) -> bool:
    """Most of the line's 4-word runs occur in the licence text (re-wrapped lines, small edits)."""
    runs = [" ".join(words[i:i + 4]) for i in range(len(words) - 3)]
    return bool(runs) and sum(f" {run} " in body for run in runs) >= 0.8 * len(runs)


def _title(lines: list[str], covered: set[int], matches: list[LicenseMatch]) -> tuple[int, str] | None:
    """(line, text) of a title of the file's own among its first non-empty lines."""
    r = _rules()
    names = [m.name.casefold() for m in matches] + [m.id.casefold() for m in matches]
    seen = 0
    for n, raw in enumerate(lines, 1):
        line = raw.strip().strip("#*= ").strip()
        if not line:
            continue
        seen += 1
        if seen > r["title_lines"]:
            return None
        if n in covered or len(line) > r["title_max"] or line.endswith((".", "。", ":")):
            continue
        if r["title"].search(line) and not any(x and x in line.casefold() for x in names) \
                and not _in_borrowed_text(line, matches):
            return n, line
    return None


def _in_borrowed_text(line: str, matches: list[LicenseMatch]) -> bool:
    """The line is word for word in the SPDX text of a licence the file matched (its own title)."""
    from trueopen.licenses import fulltext

    words = " ".join(fulltext.tokens(line))
    if not words:
        return True
    return any((body := _spdx_words(m.id)) is not None and f" {words} " in body for m in matches)


def _slug(label: str) -> str:
    text = re.sub(r"^(?:the)\s+", "", label.strip(), flags=re.IGNORECASE)
    slug = re.sub(r"[^0-9a-z]+", "-", text.casefold()).strip("-")
    return (slug or "licence")[:60].strip("-")


def custom_terms(license_id: str, markers: list[str], text: str) -> LicenseTerms:
    """The terms of a custom licence, read from its restrictions; nothing is derived from a category."""
    r = _rules()
    fields: dict[str, Any] = {"commercial": "yes" if not markers else "unknown"}
    notes: list[str] = []
    freedoms = {k: "yes" for k in FREEDOMS}
    for mk in dict.fromkeys(markers):
        spec = r["terms"].get(mk) or {}
        for key, value in spec.items():
            if key == "note":
                notes.append(value)
            elif key == "commercial":
                order = {"no": 0, "conditional": 1, "unknown": 2, "yes": 3}
                if order[value] < order.get(fields.get("commercial", "yes"), 3):
                    fields["commercial"] = value
            else:
                fields[key] = "; ".join(x for x in (fields.get(key), value) if x)
        if mk in r["restrictions"]:
            freedoms["use"] = "conditional"
            freedoms["share"] = "conditional"
    if fields["commercial"] == "unknown":
        fields["commercial"] = "conditional" if markers else "yes"
    freedoms["commercial"] = {"yes": "yes", "no": "no"}.get(fields["commercial"], "conditional")
    law = None
    for pattern in r["law"]:
        m = pattern.search(" ".join(text[:200_000].split()))
        if m:
            law = m.group(1).strip()
            break
    return LicenseTerms(
        id=license_id, category="custom", osi_approved=False, fsf_libre=False, mof_content_types=(),
        commercial=fields["commercial"], threshold=fields.get("threshold"),
        aup_incorporated="use-policy" in markers, aup_url=None, aup_licensor_may_change="licence-may-change" in markers or None,
        outputs=fields.get("outputs"), naming=None, geographic=None, redistribution=fields.get("redistribution"),
        derivatives_inherit=None, termination=fields.get("termination"), governing_law=law,
        freedoms=freedoms, verified="primary", derived=False,
        source="read from the licence text by trueopen (data/licenses/custom.yml)" + (f": {'; '.join(notes)}" if notes else ""),
    )


def as_custom(match: LicenseMatch, **changes: Any) -> LicenseMatch:
    """A copy of a match with some fields changed (for callers that relocate lines)."""
    return replace(match, **changes)
