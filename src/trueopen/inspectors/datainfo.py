"""Data information and documentation signals, from the release's own texts.

Reads the model card, the data card files the inventory found (datasheets, data/README.md),
the other Markdown / text documents at the release root and the technical reports in the
release, and finds, line by line, evidence for:

- each OSAID 1.0 data-information element (provenance, scope and characteristics, how the data
  was obtained and selected, labelling, processing and filtering, a list of public training data
  and where to get it, a list of third-party data) and statements that data is withheld;
- EU AI Act signals: stated training compute (a number and its line), signs of monetisation,
  copyright-policy / TDM opt-out statements, a training-content summary;
- documentation signals used by the European Open Source AI Index (card topics, datasheet
  sections, report coverage, preprint and peer-reviewed references, which code files the
  documents mention).

The rules are data (data/frameworks/datainfo.yml). Bounded and deterministic: at most
`max_files` documents, each read up to the release's text limit, at most `max_hits` hits per
signal, in file and line order. Nothing is executed or rendered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any

from trueopen import licenses as lic
from trueopen.data import load_yaml
from trueopen.inspectors.card import ParsedCard
from trueopen.inspectors.inventory import Inventory, _sections, _yaml_key_line, is_document
from trueopen.inspectors.inventory import rules as inventory_rules
from trueopen.record import Evidence
from trueopen.release import Release

DOC_EXTENSIONS = (".md", ".markdown", ".rst", ".txt", ".tex", ".html", ".htm")
CODE_COMPONENTS = ("training-code", "data-preprocessing-code", "inference-code", "model-architecture",
                   "evaluation-code", "supporting-libraries-and-tools")
SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
MAX_LINE_CHARS = 2000  # a longer line is cut before matching (minified text, data dumps)


@dataclass(frozen=True)
class Segment:
    """A piece of text from one file, starting at a known line."""

    path: str
    first_line: int
    lines: tuple[str, ...]
    label: str  # how it is described in the scope list ("README.md section 'Training data'")


@dataclass(frozen=True)
class ComputeStatement:
    """Training compute as stated in a document: the value in FLOP and where."""

    flop: float
    evidence: Evidence


@dataclass(frozen=True)
class DataInfo:
    """What the release's documents say; every hit is a piece of evidence (path, line, detail)."""

    signals: Mapping[str, tuple[Evidence, ...]] = field(default_factory=dict)
    data_scope: tuple[str, ...] = ()  # the texts searched for data information
    compute: tuple[ComputeStatement, ...] = ()
    licence_markers: tuple[tuple[str, Evidence], ...] = ()  # (marker slug, where) in licence files
    code_mentions: Mapping[str, tuple[Evidence, ...]] = field(default_factory=dict)  # code file -> where documented
    base_model: tuple[Evidence, ...] = ()  # the card's base_model field, when it names one

    def hits(self, signal: str) -> tuple[Evidence, ...]:
        """Evidence for one signal (empty when nothing was found)."""
        return self.signals.get(signal, ())

    @property
    def training_compute_flop(self) -> float | None:
        """The largest training compute stated anywhere, or None when none is stated."""
        return max((c.flop for c in self.compute), default=None)


class _Rules:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.max_hits = int(raw["max_hits"])
        self.max_files = int(raw["max_files"])
        self.veto = re.compile(raw["veto"], re.IGNORECASE)
        self.vetoed = frozenset(raw["vetoed"])
        self.signals: dict[str, tuple[str, tuple[tuple[str, re.Pattern[str]], ...]]] = {}
        for name, spec in raw["signals"].items():
            pats = spec["patterns"]
            if isinstance(pats, dict):  # sub-signals: name.key
                compiled = tuple((f"{name}.{k}", re.compile(v, re.IGNORECASE)) for k, v in pats.items())
            else:
                compiled = tuple((name, re.compile(p, re.IGNORECASE | re.MULTILINE)) for p in pats)
            self.signals[name] = (spec["scope"], compiled)
        c = raw["compute"]
        self.compute_scope = c["scope"]
        self.unit = re.compile(c["unit"], re.IGNORECASE)
        self.not_rate = re.compile(c["not_rate"], re.IGNORECASE)
        self.unit_gap = int(c["unit_gap"])
        self.unit_before = re.compile(c["unit_before"], re.IGNORECASE)
        self.numbers = tuple(re.compile(p) for p in c["numbers"])
        self.after_unit = re.compile(rf"^[^0-9\n]{{0,{self.unit_gap}}}?{c['unit']}", re.IGNORECASE)


@cache
def rules() -> _Rules:
    return _Rules(load_yaml("frameworks/datainfo.yml"))


def read_datainfo(release: Release, card: ParsedCard, inv: Inventory, cards: list[ParsedCard] | None = None,
                  scope_roots: tuple[str, ...] = ("",)) -> DataInfo:
    """Find the data information and documentation signals in the release's documents: the
    cards of every scope, the documents at each scope root, data cards and reports (never
    vocabularies, tokenizer, requirement or data files: see inventory.is_document)."""
    r = rules()
    texts = _Texts(release, card, inv, r.max_files, cards, scope_roots)
    scopes: dict[str, list[Segment]] = {
        "data": texts.data_segments(),
        "docs": texts.docs_segments(),
        "card-headings": texts.card_headings(),
        "datasheet-headings": texts.datasheet_headings(),
        "report": texts.report_segments(),
    }
    signals: dict[str, list[Evidence]] = {}
    for name, (scope, patterns) in r.signals.items():
        for sub, pattern in patterns:
            signals.setdefault(sub, [])
        for seg in scopes[scope]:
            in_code = False
            for offset, line in enumerate(seg.lines):
                if line.lstrip().startswith(("```", "~~~")):
                    in_code = not in_code
                    continue
                if in_code and scope == "data":
                    continue  # code in a data section is not data information
                text = line[:MAX_LINE_CHARS]
                vetoed = bool(r.veto.search(text))
                for sub, pattern in patterns:
                    hits = signals[sub]
                    if len(hits) >= r.max_hits or (vetoed and sub.split(".")[0] in r.vetoed):
                        continue
                    m = pattern.search(text)
                    if m:
                        hits.append(Evidence(path=seg.path, line=seg.first_line + offset,
                                             detail=f"{_signal_word(sub)}: {_quote(text, m)}"))
    _add_public_sources(card, inv, signals, r.max_hits)
    compute = _compute(scopes[r.compute_scope], r)
    return DataInfo(
        signals=MappingProxyType({k: tuple(_dedupe(v)) for k, v in sorted(signals.items())}),
        data_scope=tuple(seg.label for seg in scopes["data"]),
        compute=compute,
        licence_markers=texts.licence_markers(),
        code_mentions=MappingProxyType(texts.code_mentions()),
        base_model=_base_model(card),
    )


def _base_model(card: ParsedCard) -> tuple[Evidence, ...]:
    if not card.card.path or not card.card.base_model:
        return ()
    line = _yaml_key_line(card.text, "base_model")
    return (Evidence(path=card.card.path, line=line, detail=f"base model named in the card: {', '.join(card.card.base_model)}"),)


def parse_compute(line: str) -> list[tuple[float, str]]:
    """Training-compute figures stated on one line: (FLOP, the matched text).

    Understands "1.2e24 FLOPs", "3.8 × 10^25 FLOP", "10^25 FLOP", "6e23 floating point
    operations", "3.8 × 10²⁵ FLOP" and a number after the unit ("training compute (FLOP): 1e24").
    Rates ("FLOPs per token", "FLOP/s") are not training compute.
    """
    r = rules()
    text = line[:MAX_LINE_CHARS]
    taken: list[tuple[int, int]] = []
    out: list[tuple[int, float, str]] = []
    for pattern in r.numbers:
        for m in pattern.finditer(text):
            start, end = m.span()
            if any(start < e and s < end for s, e in taken):
                continue
            value = _value(m)
            if value is None:
                continue
            after = r.after_unit.match(text[end:])
            stated = False
            if after and not r.not_rate.match(text[end + after.end():]):
                stated = True
            elif r.unit_before.search(text[:start]):
                stated = True
            if stated:
                taken.append((start, end))
                out.append((start, value, m.group(0).strip()))
    return [(v, s) for _, v, s in sorted(out)]


def _value(m: re.Match[str]) -> float | None:
    groups = m.groupdict()
    exp = groups.get("e") or groups.get("e2")
    if exp is None:
        return None
    exp = exp.translate(SUPERSCRIPT)
    mantissa = groups.get("m") or "1"
    try:
        value = float(f"{mantissa}e{int(exp)}")
    except (ValueError, OverflowError):
        return None
    return value if value != float("inf") else None


def _compute(segments: Iterable[Segment], r: _Rules) -> tuple[ComputeStatement, ...]:
    out: list[ComputeStatement] = []
    seen: set[tuple[str, int, float]] = set()
    for seg in segments:
        for offset, line in enumerate(seg.lines):
            if not r.unit.search(line[:MAX_LINE_CHARS]):
                continue
            for value, text in parse_compute(line):
                key = (seg.path, seg.first_line + offset, value)
                if key in seen:
                    continue
                seen.add(key)
                out.append(ComputeStatement(value, Evidence(path=seg.path, line=seg.first_line + offset,
                                                            detail=f"training compute stated: {text} = {value:.3g} FLOP")))
                if len(out) >= r.max_hits:
                    return tuple(out)
    return tuple(out)


def _add_public_sources(card: ParsedCard, inv: Inventory, signals: dict[str, list[Evidence]], max_hits: int) -> None:
    """Hub dataset ids in the card metadata and training data shipped in the release are listed sources."""
    extra: list[Evidence] = []
    if card.card.path:
        line = _yaml_key_line(card.text, "datasets")
        for dataset in card.card.datasets:
            extra.append(Evidence(path=card.card.path, line=line, detail=f"public sources: Hub dataset id {dataset!r} in the card metadata"))
    shipped = sorted({f for h in inv.hits.get("datasets", []) if not h.external and not h.weak for f in h.files})
    for path in shipped[:max_hits]:
        extra.append(Evidence(path=path, detail="public sources: training data shipped in the release"))
    signals["public-sources"] = (extra + signals.get("public-sources", []))[: max_hits * 2]


class _Texts:
    """The release's documents, read once each, in path order."""

    def __init__(self, release: Release, card: ParsedCard, inv: Inventory, max_files: int,
                 cards: list[ParsedCard] | None = None, scope_roots: tuple[str, ...] = ("",)) -> None:
        self.release, self.card, self.inv, self.max_files = release, card, inv, max_files
        self._cache: dict[str, tuple[str, ...] | None] = {}
        self.card_path = card.card.path if card.text else None
        self.cards = [c for c in (*(cards or [card]), *inv.extra_cards) if c.card.path and c.text]
        self.card_texts = {c.card.path: c.text for c in self.cards}
        internal = lambda cid: sorted({h.evidence.path for h in inv.hits.get(cid, []) if not h.external and not h.weak})
        self.data_files = [p for p in internal("data-card") if p not in self.card_texts and _is_doc(p)][:max_files]
        self.report_files = sorted(set(p for cid in ("technical-report", "research-paper") for p in internal(cid)
                                       if p not in self.card_texts and _is_doc(p)))[:max_files]
        roots = [f.path for f in release.files if _parent(f.path) in scope_roots and f.path not in self.card_texts
                 and inv.kinds.get(f.path) not in ("license", "data", "manifest") and is_document(f.path, release)]
        self.root_docs = sorted(roots)[:max_files]

    def lines(self, path: str) -> tuple[str, ...] | None:
        if path not in self._cache:
            if path in self.card_texts:
                self._cache[path] = tuple(self.card_texts[path].splitlines())
            else:
                text = self.release.read_text(path).text
                self._cache[path] = tuple(text.splitlines()) if text is not None else None
        return self._cache[path]

    def _whole(self, paths: Iterable[str], label: str) -> list[Segment]:
        out = []
        for p in paths:
            lines = self.lines(p)
            if lines:
                out.append(Segment(p, 1, lines, f"{p} ({label})"))
        return out

    def _card_data_sections(self) -> list[tuple[str, str, int, tuple[str, ...]]]:
        heading = inventory_rules().sections["data-card"]
        out = []
        for card in self.cards:
            covered: set[int] = set()
            for title, line, body in _sections(card.text):
                if heading.search(title) and line not in covered:
                    lines = tuple(body.splitlines())
                    covered.update(range(line, line + len(lines) + 1))
                    out.append((card.card.path, title, line, lines))
        return out

    def data_segments(self) -> list[Segment]:
        out = [Segment(path, line + 1, body, f"{path} section {title!r}")
               for path, title, line, body in self._card_data_sections() if body]
        return out + self._whole(self.data_files, "data card")

    def docs_segments(self) -> list[Segment]:
        paths = [c.card.path for c in self.cards] + self.root_docs + self.data_files + self.report_files
        return self._whole(dict.fromkeys(paths), "document")

    def report_segments(self) -> list[Segment]:
        return self._whole(self.report_files, "report")

    def card_headings(self) -> list[Segment]:
        return [Segment(c.card.path, line, (title,), "") for c in self.cards for title, line, _ in _sections(c.text)]

    def datasheet_headings(self) -> list[Segment]:
        out = []
        for path, title, line, body in self._card_data_sections():
            out.append(Segment(path, line, (title,), ""))
            out.extend(Segment(path, line + i, (t,), "") for t, i, _ in _sections("\n".join(body)))
        for p in self.data_files:
            lines = self.lines(p)
            if lines:
                out.extend(Segment(p, line, (title,), "") for title, line, _ in _sections("\n".join(lines)))
        return out

    def licence_markers(self) -> tuple[tuple[str, Evidence], ...]:
        out: list[tuple[str, Evidence]] = []
        for path in sorted(self.inv.license_files)[: self.max_files]:
            text = self.release.read_text(path).text
            if not text:
                continue
            for line, marker in lic.restrictive_markers(text):
                out.append((marker, Evidence(path=path, line=line, detail=f"licence clause: {marker}")))
        return tuple(out)

    def code_mentions(self) -> dict[str, tuple[Evidence, ...]]:
        """For each code file of the release, the document lines that name it."""
        code_files = sorted({f for cid in CODE_COMPONENTS for h in self.inv.hits.get(cid, [])
                             if not h.external and not h.weak for f in h.files})
        docs = self.docs_segments()
        out: dict[str, tuple[Evidence, ...]] = {}
        for f in code_files[: self.max_files]:
            name = PurePosixPath(f).name
            pat = re.compile(rf"(?<![\w./-]){re.escape(f)}(?![\w-])|(?<![\w.-]){re.escape(name)}(?![\w-])")
            hits: list[Evidence] = []
            for seg in docs:
                for offset, line in enumerate(seg.lines):
                    if pat.search(line[:MAX_LINE_CHARS]):
                        hits.append(Evidence(path=seg.path, line=seg.first_line + offset, detail=f"documents {f}"))
                        break  # one mention per document is enough
            out[f] = tuple(hits)
        return out


def _parent(path: str) -> str:
    parent = PurePosixPath(path).parent.as_posix()
    return "" if parent == "." else parent


def _is_doc(path: str) -> bool:
    return path.lower().endswith(DOC_EXTENSIONS)


def _signal_word(signal: str) -> str:
    return signal.replace("-", " ").replace(".", ": ")


def _quote(line: str, m: re.Match[str]) -> str:
    """The matched words with a little context, on one line, at most 100 characters."""
    start = max(0, m.start() - 30)
    end = min(len(line), m.end() + 40)
    snippet = " ".join(line[start:end].split())
    return ("…" if start else "") + snippet + ("…" if end < len(line) else "")


def _dedupe(items: list[Evidence]) -> list[Evidence]:
    seen: set[tuple[str, int | None]] = set()
    out = []
    for e in items:
        key = (e.path, e.line, e.detail)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out
