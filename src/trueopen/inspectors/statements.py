"""Licence statements in prose: sentences in READMEs and cards that say which licence covers
which content (rules in data/statements.yml).

"Whisper's code and model weights are released under the MIT License" states MIT for code and
parameters; "The use of ChatGLM-6B model weights is subject to the [Model License](MODEL_LICENSE)"
states whatever MODEL_LICENSE is for the parameters. A licence is named by a link to a licence
file of the release, by a link's text, or by name after the verb. Statements are evidence of
lower precedence than licence files and the card (inspectors/licenses.py decides).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote

from trueopen import licenses as lic
from trueopen.data import load_yaml
from trueopen.release import Release

SUBJECT_ORDER = ("code", "parameters", "data", "document", "release")
MAX_SENTENCE = 600
_LINK = re.compile(r"\[([^\]]{1,200})\]\(\s*<?([^)\s>]{1,500})>?(?:\s+\"[^\"]*\")?\s*\)")
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\[`*(])|[。；;]|，(?=[^，]{4,})")


@dataclass(frozen=True)
class Statement:
    """One sentence that names the licence of some content."""

    path: str
    line: int
    subjects: tuple[str, ...]  # code, parameters, data, document, release
    ids: tuple[str, ...]  # the licences it names
    text: str
    via: str | None = None  # the licence file a link pointed to


@cache
def _rules() -> dict[str, Any]:
    raw = load_yaml("statements.yml")
    c = lambda pats: re.compile("|".join(f"(?:{p})" for p in pats), re.IGNORECASE)
    return {
        "documents": re.compile(raw["documents"], re.IGNORECASE),
        "max_documents": int(raw["max_documents"]),
        "verbs": c(raw["verbs"]),
        "following": re.compile(raw["following"], re.IGNORECASE),
        "following_lines": int(raw["following_lines"]),
        "subjects": {k: c(v) for k, v in raw["subjects"].items()},
        "not": c(raw["not_statements"]),
    }


def is_statement_document(path: str) -> bool:
    """A README or card whose sentences may state licences."""
    return bool(_rules()["documents"].search(PurePosixPath(path).name))


def find_statements(release: Release, documents: list[str], licence_files: dict[str, list[str]]) -> list[Statement]:
    """Statements in the given documents. `licence_files` maps a licence file of the release to
    the ids identified in it, so a link to it names its licence."""
    r = _rules()
    out: list[Statement] = []
    for path in documents[: r["max_documents"]]:
        text = release.read_text(path).text
        if text:
            out.extend(statements_in_text(text, path, licence_files))
    return sorted(set(out), key=lambda s: (s.path, s.line, s.ids, s.subjects))


def statements_in_text(text: str, path: str, licence_files: dict[str, list[str]] | None = None) -> list[Statement]:
    """Statements in one document's text (1-based lines)."""
    r = _rules()
    licence_files = licence_files or {}
    lines = text.splitlines()
    out: list[Statement] = []
    for first, para in _paragraphs(lines):
        for offset, sentence in _sentences(para):
            sentence = sentence[:MAX_SENTENCE]
            verb = r["verbs"].search(sentence)
            if verb is None or r["not"].search(sentence):
                continue
            subjects = _subjects(sentence[: verb.start()] or sentence)
            if not subjects:
                subjects = _subjects(sentence)
            if not subjects:
                continue
            ids, via = _named(sentence, path, licence_files)
            line = first + para[:offset].count("\n")
            if not ids and r["following"].search(sentence):
                ids = _following(lines, line, r["following_lines"])
            if ids:
                out.append(Statement(path, line, subjects, tuple(sorted(set(ids))), " ".join(sentence.split())[:300], via))
    return out


def _paragraphs(lines: list[str]) -> list[tuple[int, str]]:
    """(first line, text) of each paragraph outside code blocks; a list item is a paragraph."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    in_code = False
    for n, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            if buf:
                out.append((start, "\n".join(buf)))
                buf = []
            continue
        if in_code or not stripped or stripped.startswith(("#", "|", "<")) or re.match(r"^[-*+]\s|^\d+[.)]\s", stripped):
            if buf:
                out.append((start, "\n".join(buf)))
                buf = []
            if in_code or not stripped or stripped.startswith("|"):
                continue
            if stripped.startswith("#"):
                continue
        if not buf:
            start = n
        buf.append(stripped)
    if buf:
        out.append((start, "\n".join(buf)))
    return out


def _sentences(para: str) -> list[tuple[int, str]]:
    out = []
    pos = 0
    for m in _SPLIT.finditer(para):
        out.append((pos, para[pos:m.start()]))
        pos = m.end()
    out.append((pos, para[pos:]))
    return [(o, s) for o, s in out if s.strip()]


def _subjects(text: str) -> tuple[str, ...]:
    found = [k for k, pat in _rules()["subjects"].items() if pat.search(_LINK.sub(r"\1", text))]
    specific = [k for k in found if k != "release"]
    chosen = specific or found
    return tuple(k for k in SUBJECT_ORDER if k in chosen)


def _named(sentence: str, doc: str, licence_files: dict[str, list[str]]) -> tuple[list[str], str | None]:
    """Licence ids the sentence names: links to licence files, link texts, names after the verb."""
    ids: list[str] = []
    via = None
    for m in _LINK.finditer(sentence):
        text, target = m.group(1), m.group(2)
        file = _release_path(target, doc, licence_files)
        if file is not None:
            ids.extend(licence_files[file])
            via = file
            continue
        for variant in _name_variants(text, target):
            named = lic.identify_name(variant)
            if named is not None and named.confidence >= 0.9:
                ids.append(named.id)
                break
    if not ids:
        plain = _LINK.sub(r"\1", sentence)
        for m in lic.identify_text(plain):
            if m.kind in ("notice", "text") and m.confidence >= 0.7:
                ids.append(m.id)
    return ids, via


def _name_variants(text: str, target: str) -> list[str]:
    """Ways a link may name a licence: its text, without a parenthesised abbreviation, the
    abbreviation itself, and the last part of its URL ("MNPL-0.1" of .../licenses/MNPL-0.1.md)."""
    text = text.strip().strip("`*_ ")
    out = [text, re.sub(r"^the\s+", "", text, flags=re.IGNORECASE)]
    abbrev = re.search(r"\(([\w.-]{2,20})\)", text)
    if abbrev:
        out.append(" ".join(text.replace(abbrev.group(0), " ").split()))
        out.append(abbrev.group(1))
    stem = PurePosixPath(unquote(target.split("#", 1)[0].split("?", 1)[0])).stem
    if stem and stem.lower() not in ("license", "licence", "license-2.0", "readme", "index"):
        out.append(stem)
    return [v for v in dict.fromkeys(out) if v]


def _release_path(target: str, doc: str, licence_files: dict[str, list[str]]) -> str | None:
    """The licence file a link points to: relative to the document, or a repository URL
    (github.com/ORG/REPO/blob/REV/PATH) whose path is a licence file of the release."""
    target = unquote(target.split("#", 1)[0].split("?", 1)[0]).strip()
    if not target:
        return None
    m = re.match(r"https?://(?:github\.com|gitlab\.com|huggingface\.co)/(?:[^/]+/){2}(?:blob|tree|raw|resolve)/[^/]+/(.+)$", target)
    candidates = []
    if m:
        candidates.append(m.group(1))
    elif "://" not in target and not target.startswith("mailto:"):
        base = PurePosixPath(doc).parent
        candidates.append(_norm((base / target).as_posix()))
        candidates.append(_norm(target.lstrip("/")))
    for c in candidates:
        if c in licence_files:
            return c
    return None


def _norm(path: str) -> str:
    parts: list[str] = []
    for p in path.split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
            continue
        parts.append(p)
    return "/".join(parts)


def _following(lines: list[str], line: int, limit: int) -> list[str]:
    """The licence named in the lines after a "the following licence" sentence."""
    block = "\n".join(lines[line: line + limit])
    return [m.id for m in lic.identify_text(block) if m.kind in ("text", "notice")][:1]
