"""The model card: its front matter (licence, datasets, base model, tags) and its text."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from trueopen.record import Card, Evidence, Finding
from trueopen.release import Release

CARD_NAMES = ("README.md", "readme.md", "README.MD", "Readme.md", "MODEL_CARD.md", "model_card.md", "MODEL-CARD.md",
              "model-card.md", "MODELCARD.md", "modelcard.md")
FRONT_MATTER_LIMIT = 256 * 1024  # bytes of YAML we are willing to parse
# huggingface_hub.repocard.REGEX_YAML_BLOCK (2.4), the Hub's own test for a card's YAML block.
REGEX_YAML_BLOCK = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")

for _name in ("huggingface_hub.repocard", "huggingface_hub.repocard_data"):
    logging.getLogger(_name).setLevel(logging.ERROR)


@dataclass(frozen=True)
class ParsedCard:
    """The card as read: the record part, its raw metadata and text, and what went wrong."""

    card: Card
    metadata: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    findings: tuple[Finding, ...] = ()
    front_matter_lines: int = 0  # lines taken by the YAML block, so body lines can be numbered


def find_card(release: Release, folder: str = "") -> str | None:
    """The path of the model card: a README or MODEL_CARD in `folder` (the release root by default)."""
    prefix = f"{folder}/" if folder else ""
    for name in CARD_NAMES:
        if release.has(prefix + name):
            return prefix + name
    return None


def read_card(release: Release, folder: str = "") -> ParsedCard:
    """Parse the card's front matter with huggingface_hub (yaml.safe_load), within limits."""
    path = find_card(release, folder)
    if path is None:
        return ParsedCard(Card())
    read = release.read_text(path)
    if read.text is None:
        detail = "binary content, not a text card" if read.error == "binary" else read.error or "unreadable"
        finding = Finding(rule="unreadable-card", severity="warn", message=f"{path}: {detail}; the card is ignored",
                          evidence=[Evidence(path=path, detail=detail)])
        return ParsedCard(Card(path=path), findings=(finding,))
    text = read.text
    block_end = _front_matter_end(text)
    if block_end and block_end > FRONT_MATTER_LIMIT:
        finding = Finding(rule="invalid-front-matter", severity="warn",
                          message=f"{path}: front matter larger than {FRONT_MATTER_LIMIT} bytes (limit front_matter_bytes); not parsed",
                          evidence=[Evidence(path=path, line=1, detail="front matter too large")])
        return ParsedCard(Card(path=path), text=text, findings=(finding,))
    # The card data class, not ModelCard: huggingface_hub.repocard imports its whole Hub client
    # (0.39 s at start-up, measured with -X importtime; repocard_data alone: 0.13 s), a third of a
    # local audit's work beside hashing. ModelCard(text) is this: the block found with its
    # regex, safe-loaded, required to be a mapping, then given to the card data class.
    from huggingface_hub.repocard_data import ModelCardData

    try:
        match = REGEX_YAML_BLOCK.search(text)
        # The raw mapping, not CardData.to_dict(): the Hub drops a model-index it finds
        # incomplete, but its results are still evidence of evaluation results.
        metadata = (yaml.safe_load(match.group(2)) if match else None) or {}
        if not isinstance(metadata, dict):
            raise ValueError("repo card metadata block should be a dict")
        ModelCardData(**metadata, ignore_metadata_errors=True)  # validates the block as the Hub does
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        detail = _one_line(exc)
        finding = Finding(rule="invalid-front-matter", severity="warn",
                          message=f"{path}: the YAML front matter is invalid ({detail}); card metadata ignored",
                          evidence=[Evidence(path=path, line=(line + 2) if line is not None else 1, detail=detail)])
        return ParsedCard(Card(path=path), text=text, findings=(finding,))
    fm_lines = text[:block_end].count("\n") if block_end else 0
    return ParsedCard(
        card=Card(
            path=path,
            license=_str(metadata.get("license")),
            license_name=_str(metadata.get("license_name")),
            license_link=_str(metadata.get("license_link")),
            datasets=_strs(metadata.get("datasets")),
            base_model=_strs(metadata.get("base_model")),
            tags=_strs(metadata.get("tags")),
        ),
        metadata=metadata,
        text=text,
        front_matter_lines=fm_lines,
    )


def _front_matter_end(text: str) -> int:
    """Offset just past the closing '---' of a leading YAML block, or 0 when there is none."""
    stripped = text.lstrip()
    if not stripped.startswith("---"):
        return 0
    start = len(text) - len(stripped)
    close = text.find("\n---", start + 3)
    if close < 0:
        return 0
    eol = text.find("\n", close + 4)
    return len(text) if eol < 0 else eol + 1


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return " OR ".join(str(v) for v in value) if value else None
    return str(value)


def _strs(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return sorted({str(v) for v in value if v is not None})
    return [str(value)]


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]
