"""Claims of openness in the cards and READMEs of each scope: "open source", "an open bilingual
language model", "开源", "código abierto" ... not negated, each `explicit` (the release calls
itself open) or `implied` (a comparison with other open models, talk of openness). Rules in
data/claims.yml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath
from typing import Any

from trueopen.data import load_yaml
from trueopen.record import Claim
from trueopen.release import Release

# READMEs that speak for the release: the card and the READMEs (any language) of a scope root.
CLAIM_FILES = re.compile(r"^(?:readme|model_?card|modelcard)(?:[-_.][\w-]{1,16})?(?:\.(?:md|markdown|rst|txt))?$", re.IGNORECASE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class _Rules:
    claims: tuple[tuple[str, re.Pattern[str]], ...]
    qualified: re.Pattern[str]
    qualifier_stop: frozenset[str]
    negation: re.Pattern[str]
    cjk_before: tuple[str, ...]
    cjk_after: tuple[str, ...]
    not_about: re.Pattern[str]
    not_about_before: re.Pattern[str]
    implied_before: re.Pattern[str]
    implied_after: re.Pattern[str]
    window: int
    implied_phrases: re.Pattern[str]


def _alt(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


@cache
def _rules() -> _Rules:
    raw: dict[str, Any] = load_yaml("claims.yml")
    neg = raw["negations"]
    return _Rules(
        claims=tuple((lang, _alt(pats)) for lang, pats in raw["claims"].items()),
        qualified=re.compile(raw["qualified"], re.IGNORECASE),
        qualifier_stop=frozenset(raw["qualifier_stop"]),
        negation=_alt(neg["before"]),
        cjk_before=tuple(neg["cjk_before"]),
        cjk_after=tuple(neg["cjk_after"]),
        not_about=_alt(raw["not_about_release"]),
        not_about_before=re.compile(raw["not_about_release_before"], re.IGNORECASE),
        implied_before=_alt(raw["implied_before"]),
        implied_after=_alt(raw["implied_after"]),
        window=int(raw["implied_window"]),
        implied_phrases=_alt(raw["implied_phrases"]),
    )


def is_claim_file(path: str) -> bool:
    """A card or README whose claims speak for the release (any language variant)."""
    return bool(CLAIM_FILES.match(PurePosixPath(path).name))


def find_claims(release: Release, scope_roots: tuple[str, ...] = ("",)) -> list[Claim]:
    """Every line of a card or README at a scope root that calls the release open."""
    claims: list[Claim] = []
    for f in release.files:
        parent = PurePosixPath(f.path).parent.as_posix()
        if ("" if parent == "." else parent) not in scope_roots or not is_claim_file(f.path):
            continue
        read = release.read_text(f.path)
        if read.text is None:
            continue
        claims.extend(claims_in_text(read.text, f.path))
    return sorted(claims, key=lambda c: (c.path, c.line, c.text))


def claims_in_text(text: str, path: str) -> list[Claim]:
    """Claims in one text, one a line at most, with 1-based line numbers; code blocks and URLs
    are skipped. An explicit claim on a line wins over an implied one."""
    r = _rules()
    out: list[Claim] = []
    in_code = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code:
            continue
        scrubbed = _scrub(line)
        best: Claim | None = None
        for lang, start, end in _matches(scrubbed, r):
            if _negated(scrubbed, start, end, r):
                continue
            if r.not_about.match(scrubbed[end:]) or r.not_about_before.search(_clause_before(scrubbed, start)):
                continue  # "open-source libraries", "our tools are open sourced": about other software
            kind = "implied" if _implied(scrubbed, start, end, r) else "explicit"
            claim = Claim(text=line.strip()[:300], path=path, line=number, kind=kind, language=lang,
                          phrase=" ".join(scrubbed[start:end].split())[:80])
            if best is None or (best.kind == "implied" and kind == "explicit"):
                best = claim
        if best is None:
            m = r.implied_phrases.search(scrubbed)
            if m and not _negated(scrubbed, m.start(), m.end(), r):
                best = Claim(text=line.strip()[:300], path=path, line=number, kind="implied", language="en",
                             phrase=m.group(0))
        if best is not None:
            out.append(best)
    return out


def _matches(line: str, r: _Rules) -> list[tuple[str, int, int]]:
    """(language, start, end) of every claim phrase on the line, in order."""
    out = []
    for lang, pattern in r.claims:
        for m in pattern.finditer(line):
            out.append((lang, m.start(), m.end()))
    for m in r.qualified.finditer(line):
        # A hyphenated compound ("text-to-image") is one qualifier.
        words = [w.lower().strip("-") for w in m.group(1).split() if w.strip("-")]
        if not any(w in r.qualifier_stop for w in words):
            out.append(("en", m.start(), m.end()))
    return sorted(set(out), key=lambda t: (t[1], t[2]))


def _scrub(line: str) -> str:
    """The line without HTML tags, URLs, link targets and Markdown emphasis, so only prose is matched."""
    line = re.sub(r"<[^>]{0,400}>", " ", line)
    line = re.sub(r"\]\([^)]*\)", "]", line)
    line = re.sub(r"(?:https?|ftp)://\S+", " ", line)
    line = re.sub(r"[*_`]+", "", line)
    return line


def _clause_before(line: str, start: int) -> str:
    return re.split(r"[.;:!?。；：！？]|,\s+(?:but|and|while|whereas)\b", line[:start])[-1]


def _negated(line: str, start: int, end: int, r: _Rules) -> bool:
    """A negation in the same clause, before the claim within a few words (CJK: right before it;
    Japanese and Korean: right after it)."""
    window = " ".join(_clause_before(line, start).split()[-6:])
    if r.negation.search(window):
        return True
    if _CJK.search(line[start:end]):
        before = line[max(0, start - 3):start]
        after = line[end:end + 8]
        return any(n in before for n in r.cjk_before) or any(after.startswith(n) or n in after[:6] for n in r.cjk_after)
    return False


def _implied(line: str, start: int, end: int, r: _Rules) -> bool:
    """A comparison with other open models: a comparison word in the clause before the phrase
    (within `implied_window` words) or "such as / like" right after it."""
    before = _clause_before(line, start)
    words = before.split()[-r.window:]
    near = " ".join(words)
    if r.implied_before.search(near) or (_CJK.search(line[start:end]) and r.implied_before.search(before[-12:])):
        return True
    return bool(r.implied_after.search(line[end:end + 60]))
