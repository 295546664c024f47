"""Claims of openness in the card and READMEs: "open source", "fully open", ... not negated."""

from __future__ import annotations

import re
from functools import cache


from trueopen.data import load_yaml
from trueopen.record import Claim
from trueopen.release import Release

# READMEs that speak for the release: the root ones and the card.
CLAIM_FILES = re.compile(r"^(readme|model_?card|modelcard)(\.[a-z]+)?$", re.IGNORECASE)


@cache
def _rules() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    rules = load_yaml("claims.yml")
    claim = re.compile("|".join(f"(?:{p})" for p in rules["claims"]), re.IGNORECASE)
    negation = re.compile("|".join(f"(?:{p})" for p in rules["negations"]), re.IGNORECASE)
    not_about_release = re.compile("|".join(f"(?:{p})" for p in rules["not_about_release"]), re.IGNORECASE)
    return claim, negation, not_about_release


def find_claims(release: Release) -> list[Claim]:
    """Every line of a root README or card that claims the release is open source."""
    claims: list[Claim] = []
    for f in release.files:
        if "/" in f.path or not CLAIM_FILES.match(f.path):
            continue
        read = release.read_text(f.path)
        if read.text is None:
            continue
        claims.extend(claims_in_text(read.text, f.path))
    return sorted(claims, key=lambda c: (c.path, c.line, c.text))


def claims_in_text(text: str, path: str) -> list[Claim]:
    """Claims in one text, with 1-based line numbers; code blocks and URLs are skipped."""
    claim_re, negation_re, other_re = _rules()
    out: list[Claim] = []
    in_code = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code:
            continue
        scrubbed = _scrub(line)
        for match in claim_re.finditer(scrubbed):
            if _negated(scrubbed, match.start(), negation_re):
                continue
            if other_re.match(scrubbed[match.end():]):
                continue  # "open-source libraries": about other software, not this release
            out.append(Claim(text=line.strip()[:300], path=path, line=number))
            break
    return out


def _scrub(line: str) -> str:
    """The line without URLs, link targets and Markdown emphasis, so only prose is matched."""
    line = re.sub(r"\]\([^)]*\)", "]", line)
    line = re.sub(r"https?://\S+", " ", line)
    line = re.sub(r"[*_`]+", "", line)
    return line


def _negated(line: str, start: int, negation_re: re.Pattern[str]) -> bool:
    """A negation in the same clause, before the claim, within a few words."""
    before = re.split(r"[.;:!?]|,\s+(?:but|and|while|whereas)\b", line[:start])[-1]
    window = " ".join(before.split()[-6:])
    return bool(negation_re.search(window))


