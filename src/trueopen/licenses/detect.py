"""Licences found in licence-ish texts: rule matching on normalised text, SPDX headers, markers."""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from dataclasses import dataclass, replace
from functools import cache
from itertools import filterfalse, islice
from typing import Any

from trueopen.data import load_yaml
from trueopen.licenses.anchors import Anchors, anchors
from trueopen.licenses.names import expression_ids, identify_name
from trueopen.licenses.records import LicenseMatch, get_record

MAX_TEXT_CHARS = 1 << 20          # only the first 1 MiB of a text is looked at
HEADER_MAX_LINES = 50
HEADER_MAX_CHARS = 8 * 1024
FRONT_MATTER_MAX_CHARS = 64 * 1024
MAX_MARKERS_PER_KIND = 50         # bounded output on adversarial texts
NOTICE_CONFIDENCE = 0.8
RULE_FILES = ("licenses/rules-models.yml", "licenses/rules-spdx.yml")
_KIND_ORDER = {"text": 0, "policy": 1, "notice": 2, "header": 3, "metadata": 4}

# Normalisation of one whitespace-separated token. Markdown emphasis, headings and escapes go;
# typographic quotes and dashes become ASCII so rules can be written once.
_TOKEN = re.compile(r"\S+")
_DROP = re.compile(r"[*#\\]")
_TRANSLATE = str.maketrans({
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2018": "'", "\u2019": "'", "\u2032": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
})
# Tokens that normalise to nothing: a run of *, # or \ between spaces. Written to start with the
# character set (the regex engine then skips to those characters; a leading lookbehind made it
# try every position, 3x slower), the lookbehind after the first character.
_DROP_ONLY = re.compile(r"[*#\\](?<!\S[*#\\])[*#\\]*(?!\S)")
_TRANSLATE_PAIRS = tuple((chr(k), v) for k, v in _TRANSLATE.items())
_SPDX_HEADER = re.compile(r"SPDX-License-Identifier\s*:\s*(.+)", re.IGNORECASE)
_HEADER_TAIL = re.compile(r"\s*(?:\*/|-->|#\}|\"\"\"|'''|;)\s*$")


class _Norm:
    """Normalised text with a way back to the original offsets and lines.

    The normalised text is built with whole-string operations; the way back is only taken when
    a match is reported (most texts produce a handful), and with C-level calls: the normalised
    text is tokens joined by single spaces, so the token holding a position is the count of
    spaces before it, and an original offset's line is the count of newlines before it
    (str.count; the token and line start tables built in Python took a tenth of identification
    time on the real licence files).
    """

    def __init__(self, original: str) -> None:
        self.original = original
        self.text = " ".join(_fold(original).split())  # tokens joined by single spaces
        self._last = self.text.count(" ")  # index of the last token (when there is a token)
        self._spans: list[tuple[int, int]] = []
        self._tokens: Iterator[tuple[int, int]] | None = None
        self._present: set[str] | None = None

    def present(self) -> set[str]:
        """The rules' anchor literals that occur in the normalised text, found in one pass.

        An Aho-Corasick automaton of every literal (pyahocorasick, C) reports each occurrence of
        each one in a single scan; the rules then test their anchors against this set. One
        substring search per literal scanned each AI licence ~110 times: 330-380 µs per text on
        the real licence files of benchmarks/licenses.py, against 100 µs for the automaton
        (a trie regex of the literals, tried too, was no faster than the searches).
        """
        if self._present is None:
            self._present = {lit for _, lit in _rule_literals().iter(self.text)}
        return self._present

    def _token(self, norm_pos: int) -> int:
        """Index of the normalised token at (or last before) a normalised position."""
        return self.text.count(" ", 0, norm_pos) if norm_pos > 0 else 0

    def _span(self, k: int) -> tuple[int, int]:
        """The original (start, end) of the k-th normalised token."""
        if self._tokens is None:
            # Normalising never splits or joins tokens; it only empties those made of dropped
            # characters alone ("**", "#"), so the original tokens, less those, line up with the
            # normalised ones. Their spans are read on demand, only as far as the matches need
            # (most are in the first lines).
            spans: Iterator[tuple[int, int]] = map(re.Match.span, _TOKEN.finditer(self.original))
            empty = set(map(re.Match.start, _DROP_ONLY.finditer(self.original)))
            self._tokens = filterfalse(lambda sp: sp[0] in empty, spans) if empty else spans
        if len(self._spans) <= k:
            self._spans.extend(islice(self._tokens, k + 1 - len(self._spans)))
        return self._spans[min(k, len(self._spans) - 1)]

    def line_of(self, norm_pos: int) -> int:
        if not self.text:
            return 1
        tok = self._token(norm_pos)
        if tok == self._last:  # the last token: on the line of the text's last character
            return self.original.count("\n", 0, len(self.original.rstrip())) + 1
        return self.original.count("\n", 0, self._span(tok)[0]) + 1

    def quote(self, start: int, end: int, limit: int = 120) -> str:
        """The original text behind a normalised span, whitespace collapsed."""
        if not self.text:
            return ""
        a = self._token(start)
        b = max(a, self._token(max(start, end - 1)))
        raw = " ".join(self.original[self._span(a)[0]:self._span(b)[1]].split())
        raw = raw.replace("**", "").replace("\\_", "_")
        return raw if len(raw) <= limit else raw[: limit - 3] + "..."


def _fold(text: str) -> str:
    """Case-folded, typographic quotes and dashes made ASCII, Markdown emphasis and escapes
    dropped: what `_TRANSLATE` and `_DROP` do token by token, done with whole-string calls
    (str.replace per character present is several times faster than a translate table)."""
    if text.isascii():
        folded = text.lower()
    else:
        folded = text.casefold()
        for ch, repl in _TRANSLATE_PAIRS:
            if ch in folded:
                folded = folded.replace(ch, repl)
    for ch in "*#\\":
        if ch in folded:
            folded = folded.replace(ch, "")
    return folded


def _normalise(text: str) -> _Norm:
    return _Norm(text)


@dataclass(frozen=True)
class _Rule:
    id: str
    kind: str
    title: tuple[re.Pattern[str], ...]
    within: int | None
    require: tuple[re.Pattern[str], ...]
    require_any: tuple[re.Pattern[str], ...]
    version: tuple[re.Pattern[str], ...]
    exclude: tuple[re.Pattern[str], ...]
    notice: tuple[re.Pattern[str], ...]
    confidence: float
    # Mandatory literals (licenses/anchors.py), per pattern: sets of which a match holds one
    # literal each (none: the pattern always runs).
    title_anchors: tuple[tuple[Anchors, ...], ...] = ()
    require_anchors: tuple[tuple[Anchors, ...], ...] = ()
    notice_anchors: tuple[tuple[Anchors, ...], ...] = ()

    def may_match_text(self, text: Container[str]) -> bool:
        """False only when the text lacks what every title match (or a required phrase) needs.
        `text`: the text, or the set of anchor literals it holds (_Norm.present)."""
        if self.title_anchors and not any(_possible(a, text) for a in self.title_anchors):
            return False
        return all(_possible(a, text) for a in self.require_anchors)

    def may_match_notice(self, text: Container[str]) -> bool:
        return any(_possible(a, text) for a in self.notice_anchors)


def _possible(needed: tuple[Anchors, ...], text: Container[str]) -> bool:
    """A pattern with these anchors may match the text (or the set of literals it holds): it
    holds a literal of every set."""
    for options in needed:
        if len(options) == 1:
            if options[0] not in text:
                return False
        elif not any(a in text for a in options):
            return False
    return True


def _compile(patterns: list[str] | None, macros: dict[str, str]) -> tuple[re.Pattern[str], ...]:
    out = []
    for p in patterns or ():
        for name, value in macros.items():
            p = p.replace("{" + name + "}", value)
        out.append(re.compile(p))
    return tuple(out)


@cache
def _rules() -> tuple[_Rule, ...]:
    rules: list[_Rule] = []
    for path in RULE_FILES:
        data: dict[str, Any] = load_yaml(path)
        macros = data.get("macros") or {}
        for r in data["rules"]:
            if data.get("notice_only"):
                r = {"id": r["id"], "notice": r.get("notice")}
            title = _compile(r.get("title"), macros)
            require = _compile(r.get("require"), macros)
            notice = _compile(r.get("notice"), macros)
            rules.append(_Rule(
                id=r["id"],
                kind=r.get("kind", "text"),
                title=title,
                within=r.get("within"),
                require=require,
                require_any=_compile(r.get("require_any"), macros),
                version=_compile(r.get("version"), macros),
                exclude=_compile(r.get("exclude"), macros),
                notice=notice,
                confidence=float(r.get("confidence", 0.9)),
                title_anchors=tuple(anchors(p) for p in title),
                require_anchors=tuple(anchors(p) for p in require),
                notice_anchors=tuple(anchors(p) for p in notice),
            ))
    return tuple(rules)


@cache
def _rule_literals() -> Any:
    """An Aho-Corasick automaton of every anchor literal of the rules (each maps to itself)."""
    import ahocorasick  # lazy: keeps `import trueopen.licenses` cheap

    automaton = ahocorasick.Automaton()
    for r in _rules():
        for group in (r.title_anchors, r.require_anchors, r.notice_anchors):
            for needed in group:
                for options in needed:
                    for lit in options:
                        automaton.add_word(lit, lit)
    automaton.make_automaton()
    return automaton


@cache
def _markers() -> tuple[tuple[str, tuple[tuple[re.Pattern[str], tuple[Anchors, ...]], ...]], ...]:
    """(slug, ((pattern, its anchors or None), ...)) for each marker."""
    data = load_yaml("licenses/markers.yml")
    return tuple((slug, tuple((p, anchors(p)) for p in _compile(pats, {}))) for slug, pats in data["markers"].items())


def _first(patterns: tuple[re.Pattern[str], ...], text: str, end: int | None = None) -> re.Match[str] | None:
    best = None
    for p in patterns:
        m = p.search(text, 0, len(text) if end is None else end)
        if m and (best is None or m.start() < best.start()):
            best = m
    return best


def _name(license_id: str) -> str:
    rec = get_record(license_id)
    return rec.name if rec else license_id


def _match_rule(rule: _Rule, norm: _Norm) -> LicenseMatch | None:
    # The rule's anchor literals, looked up among those the text holds (one pass for all rules),
    # rule most rules out before any regex runs: 2.2x faster identification of the 51 corpus
    # files, same results (benchmarks/licenses.py).
    present = norm.present()
    if (rule.title or rule.require) and rule.may_match_text(present):
        full = _text_match(rule, norm)
        if full is not None:
            return full
    if not rule.notice or not rule.may_match_notice(present):
        return None
    hit = _first(rule.notice, norm.text)
    if hit is None:
        return None
    return LicenseMatch(
        id=rule.id, name=_name(rule.id), confidence=NOTICE_CONFIDENCE,
        line=norm.line_of(hit.start()),
        detail=f'reference "{norm.quote(hit.start(), hit.end())}"', kind="notice",
    )


def _text_match(rule: _Rule, norm: _Norm) -> LicenseMatch | None:
    text = norm.text
    if not (rule.title or rule.require):
        return None
    title = None
    if rule.title:
        end = None
        if rule.within is not None:
            end = min(len(text), rule.within + 200)  # room for the title itself
        title = _first(rule.title, text, end)
        if title is None or (rule.within is not None and title.start() > rule.within):
            return None
    required = []
    for p in rule.require:
        m = p.search(text)
        if m is None:
            return None
        required.append(m)
    if rule.require_any and _first(rule.require_any, text) is None:
        return None
    if _first(rule.exclude, text) is not None:
        return None
    deciding = title or required[0]
    conf = rule.confidence
    parts = [f'{"title" if title else "phrase"} "{norm.quote(deciding.start(), deciding.end())}"']
    decided = None
    if rule.version:
        v = _first(rule.version, text)
        if v is not None:
            conf += 0.09
            parts.append(f'version "{norm.quote(v.start(), v.end())}"')
            decided = f'line {norm.line_of(v.start())}: "{norm.quote(v.start(), v.end())}"'
        else:
            conf -= 0.05
            parts.append("no version line")
    for m in required[1 if not title else 0:]:
        parts.append(f'phrase "{norm.quote(m.start(), m.end(), 60)}"')
    line = norm.line_of(deciding.start())
    if decided is None:
        decided = f'line {line}: "{norm.quote(deciding.start(), deciding.end())}"'
    return LicenseMatch(
        id=rule.id, name=_name(rule.id), confidence=round(min(conf, 0.99), 2),
        line=line, detail=" and ".join(parts), kind=rule.kind,
        end_line=norm.line_of(max(0, len(text) - 1)), decided_by=decided,
    )


def _front_matter(text: str) -> list[LicenseMatch]:
    """`license:` / `license_name:` fields of a Hugging Face card's YAML front matter."""
    head = text[:FRONT_MATTER_MAX_CHARS]
    if not head.startswith("---"):
        return []
    lines = head.split("\n")
    out: list[LicenseMatch] = []
    field = re.compile(r"^(license|license_name)\s*:\s*(.*?)\s*$")
    item = re.compile(r"^\s*-\s*(.+?)\s*$")
    current = None
    for n, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            break
        m = field.match(line)
        if m:
            current, value = m.group(1), m.group(2).strip("'\" ")
        elif current == "license" and (mi := item.match(line)):
            value = mi.group(1).strip("'\" ")
        else:
            current = None if line[:1].strip() else current
            continue
        if not value:
            continue
        hit = identify_name(value)
        if hit is not None:
            out.append(LicenseMatch(id=hit.id, name=hit.name, confidence=hit.confidence, line=n,
                                    detail=f"card {current}: {value}", kind="metadata"))
    return out


def spdx_headers(text: str) -> list[tuple[int, str]]:
    """(line, expression) for each SPDX-License-Identifier line in the first 50 lines / 8 KiB."""
    if not isinstance(text, str):
        return []
    out = []
    for n, line in enumerate(text[:HEADER_MAX_CHARS].split("\n")[:HEADER_MAX_LINES], start=1):
        m = _SPDX_HEADER.search(line)
        if m:
            expr = _HEADER_TAIL.sub("", m.group(1)).strip()
            if expr:
                out.append((n, expr))
    return out


def _header_matches(text: str) -> list[LicenseMatch]:
    out = []
    for line, expr in spdx_headers(text):
        for lid in expression_ids(expr):
            if get_record(lid) is None:
                continue
            out.append(LicenseMatch(id=lid, name=_name(lid), confidence=0.95, line=line,
                                    detail=f"SPDX-License-Identifier: {expr}", kind="header"))
    return out


def identify_text(text: str) -> list[LicenseMatch]:
    """Licences found in a licence-ish file's text (LICENSE, NOTICE, USE_POLICY, MODEL_LICENSE...).

    Layers, all on the same text: every SPDX licence text, whole or partial (fulltext.py); the
    AI-licence rules (titles, version lines, clauses; only when an AI licence keyword occurs);
    one-line notices ("Licensed under ..."); SPDX-License-Identifier headers; a Hugging Face
    card's front matter. One match per licence id, sorted by confidence (desc) then id; [] when
    nothing is known. Looks at the first 1 MiB only. Never guesses: a text that fits nothing gives
    [] (see restrictive_markers for what an unknown text contains). Cost: about a millisecond for
    a licence file; the SPDX index loads once per process (see fulltext.py).
    """
    if not isinstance(text, str) or not text.strip():
        return []
    from trueopen.licenses import fulltext  # lazy: keeps `import trueopen.licenses` cheap

    text = text[:MAX_TEXT_CHARS]
    low = text.lower()
    lines = text.split("\n")
    # Plain substring tests: the same answer as one alternation regex, at a fraction of the
    # cost (the regex took 0.26 ms of a 2.9 ms identification, measured on benchmarks/licenses.py's set).
    ai = any(k in low for k in _AI_KEYWORDS)
    if ai:
        # The AI rules read the whole text, so they run first: when one finds a model licence's
        # text, only whole SPDX texts beside it are kept (below), and the full-text search can
        # skip every partial candidate (same results, about a third of the time on AI licences).
        norm = _normalise(text)
        rule_hits = [m for m in (_match_rule(rule, norm) for rule in _rules()) if m is not None]
        model_text = any(m.kind in ("text", "policy") and m.id.startswith("LicenseRef-") for m in rule_hits)
        found = [_from_fulltext(m, lines) for m in fulltext.match_text(text, AI_BESIDE_COVERAGE if model_text else 0.0)]
        found += rule_hits
        found.extend(_generic_notices(norm, None))
    else:
        found = [_from_fulltext(m, lines) for m in fulltext.match_text(text)]
        covered = [(m.line or 1, m.end_line or m.line or 1) for m in found]
        uncovered = _uncovered(lines, covered)
        if uncovered:
            norm = _normalise(uncovered[1])
            for rule in _rules():
                if rule.id.startswith("LicenseRef-"):
                    continue
                m = _match_rule(rule, norm)
                if m is None:
                    continue
                found.append(replace(m, line=uncovered[0][(m.line or 1) - 1], end_line=None))  # map the line back
            found.extend(_generic_notices(norm, uncovered[0]))
    ai_texts = [m for m in found if m.kind in ("text", "policy") and m.id.startswith("LicenseRef-")]
    if ai_texts:
        # A model licence built on an SPDX text (Falcon on Apache-2.0, Apple's sample-code
        # licence on AML) is the model licence; a whole SPDX text beside it stays.
        found = [m for m in found if m.coverage is None or m.coverage >= AI_BESIDE_COVERAGE
                 or m.id.startswith("LicenseRef-")]
    if "spdx-license-identifier" in low[:HEADER_MAX_CHARS]:
        found.extend(_header_matches(text))
    if text.startswith("---"):
        found.extend(_front_matter(text))
    best: dict[str, LicenseMatch] = {}
    for m in found:
        cur = best.get(m.id)
        if cur is None or (m.confidence, -_KIND_ORDER[m.kind]) > (cur.confidence, -_KIND_ORDER[cur.kind]):
            best[m.id] = m
    # A notice for a licence whose text is also here says nothing new; neither does a notice
    # naming a licence whose identical-text sibling was found.
    return sorted(best.values(), key=lambda m: (-m.confidence, m.id))


def _uncovered(lines: list[str], covered: list[tuple[int, int]]) -> tuple[list[int], str] | None:
    """Line numbers and text of the lines outside the full-text matches (None if none left)."""
    if not covered:
        return list(range(1, len(lines) + 1)), "\n".join(lines)
    first = next((n for n, line in enumerate(lines, 1) if line.strip()), 1)
    last = next((len(lines) - k for k, line in enumerate(reversed(lines)) if line.strip()), len(lines))
    if len(covered) == 1 and covered[0][0] <= first and covered[0][1] >= last:
        return None
    keep = []
    for n, line in enumerate(lines, 1):
        if line.strip() and not any(a <= n <= b for a, b in covered):
            keep.append(n)
    if not keep:
        return None
    return keep, "\n".join(lines[n - 1] for n in keep)


def _quote_line(lines: list[str], n: int | None, limit: int = 100) -> str:
    if not n or n > len(lines):
        return ""
    raw = " ".join(lines[n - 1].replace("**", "").replace("\\_", "_").split())
    return raw if len(raw) <= limit else raw[: limit - 3] + "..."


def _from_fulltext(m: Any, lines: list[str]) -> LicenseMatch:
    from trueopen.licenses import fulltext

    name = _name(m.id)
    if m.exact:
        detail = f"whole text is the SPDX {fulltext.spdx_list_version()} text of {m.id}"
    else:
        detail = (f"{round(100 * m.coverage)}% of the SPDX text of {m.id}, lines {m.start_line}-{m.end_line}"
                  f" ({round(100 * m.density)}% dense)")
    decided = None
    if m.same_text:
        detail += "; the SPDX texts of " + ", ".join(m.same_text) + " are word-for-word the same"
    if m.ambiguous and m.runner_up:
        detail += f"; {m.runner_up} fits the matched part equally well"
    elif m.deciding_line and m.runner_up:
        decided = f'line {m.deciding_line}: "{_quote_line(lines, m.deciding_line)}"'
        detail += f"; told apart from {m.runner_up} by {decided}"
    return LicenseMatch(id=m.id, name=name, confidence=m.confidence, line=m.start_line, detail=detail, kind="text",
                        end_line=m.end_line, decided_by=decided, same_text=m.same_text, coverage=m.coverage, exact=m.exact)


# Words one of the AI licences of rules-models.yml has in its title or notice; the AI rules
# only run on a text holding one of them.
_AI_KEYWORDS = ("llama", "gemma", "mistral", "mrl-0", "mnpl-0", "qwen", "tongyi", "deepseek", "falcon",
                "openrail", "open rail", "rail license", "rail-m", "impact license", "nvidia", "databricks", "apple software", "chatglm", "gpt-oss",
                "stability ai", "sdxl", "stable video")
AI_BESIDE_COVERAGE = 0.98
_GENERIC_NOTICE = re.compile(
    r"(?:licensed under|licensed subject to|released under|available under|distributed under|"
    r"made available under|provided under|covered by|under the terms of)(?: the terms of)?(?: the| a| an)? "
    r"([a-z0-9][a-z0-9 .,+()/-]{1,90})")
_NAME_END = re.compile(r"[ ,.;()]+$")


def _generic_notices(norm: _Norm, line_map: list[int] | None) -> list[LicenseMatch]:
    """ "Licensed under <a licence name>": the longest prefix of the words after it that names a
    licence (SPDX id or name, Hugging Face id, common spelling)."""
    out = []
    for hit in _GENERIC_NOTICE.finditer(norm.text):
        words = hit.group(1).split(" ")[:12]
        for k in range(len(words), 0, -1):
            phrase = _NAME_END.sub("", " ".join(words[:k]))
            if not phrase or len(phrase) < 3:
                continue
            named = identify_name(phrase)
            if named is None or named.confidence < 0.9:
                continue
            line = norm.line_of(hit.start())
            if line_map is not None:
                line = line_map[min(line, len(line_map)) - 1]
            out.append(LicenseMatch(id=named.id, name=named.name, confidence=NOTICE_CONFIDENCE - 0.05, line=line,
                                    detail=f'reference "{norm.quote(hit.start(), hit.start(1) + len(phrase))}"',
                                    kind="notice"))
            break
        if len(out) >= MAX_MARKERS_PER_KIND:
            break
    return out


def restrictive_markers(text: str) -> list[tuple[int, str]]:
    """(line, marker) for restrictive clauses, sorted by line then marker.

    Markers: user-threshold, revenue-threshold, non-commercial, research-only, non-production,
    use-policy, outputs-restriction, naming-requirement, use-based-restrictions,
    safety-guardrail-termination, hosting-use, eu-exclusion, remote-restriction
    (patterns in data/licenses/markers.yml). Each (line, marker) pair once; at most 50 per marker.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    norm = _normalise(text[:MAX_TEXT_CHARS])
    out: set[tuple[int, str]] = set()
    text = norm.text
    for slug, patterns in _markers():
        lines: set[int] = set()
        for p, found in patterns:
            if not _possible(found, text):
                continue  # the pattern cannot match without one of its anchors
            for m in p.finditer(text):
                lines.add(norm.line_of(m.start()))
                if len(lines) >= MAX_MARKERS_PER_KIND:
                    break
            if len(lines) >= MAX_MARKERS_PER_KIND:
                break
        out.update((ln, slug) for ln in lines)
    return sorted(out)


def warm() -> None:
    """Load every index, table and rule set identification uses, now: what the first texts
    would otherwise load on the way (the licence records and name index, ScanCode's key table,
    every licence's position table)."""
    from trueopen.licenses import custom, fulltext, names, records

    fulltext.warm()
    _rules()
    _rule_literals()
    _markers()
    custom._rules()
    names.identify_name("MIT License")
    records.get_record("MIT")
