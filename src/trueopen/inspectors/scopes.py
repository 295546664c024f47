"""Scopes: the parts of a release that speak for themselves (issue 8).

A release folder may hold more than one model: a Python package with its model folder inside
(`pkg/model/README.md` + config + weights), or several locations of one release merged with
`--with` (a GitHub code folder plus a Hub model repo). Each scope has its own root, its own card
and its own licences; a file belongs to the innermost scope that contains it. The release root
is always a scope.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath

from trueopen.inspectors.card import CARD_NAMES, ParsedCard, read_card
from trueopen.inspectors.inventory import rules as inventory_rules
from trueopen.inspectors.inventory import suffix
from trueopen.release import Release

MAX_SCOPES = 64  # nested model folders looked at; more are audited as plain folders
MODEL_FILES = frozenset({"config.json", "model_index.json", "params.json", "adapter_config.json"})


@dataclass(frozen=True)
class Scope:
    root: str  # "" for the release root, else a folder path
    kind: str  # release | model (a nested model folder) | location (added with --with)
    card: ParsedCard

    def contains(self, path: str) -> bool:
        return not self.root or path == self.root or path.startswith(self.root + "/")


@dataclass(frozen=True)
class Scopes:
    """Every scope of a release, the release root first, then by path."""

    items: tuple[Scope, ...]

    @property
    def primary(self) -> ParsedCard:
        """The card the record shows: the root card when it has metadata, else the first scope card
        with metadata (a nested model folder, a Hub location), else the root card."""
        with_meta = [s.card for s in self.items if s.card.card.path and s.card.metadata]
        root = self.items[0].card
        if root.card.path and root.metadata:
            return root
        return with_meta[0] if with_meta else root

    def of(self, path: str) -> Scope:
        """The innermost scope holding `path`."""
        best = self.items[0]
        for s in self.items[1:]:
            if s.contains(path) and len(s.root) > len(best.root):
                best = s
        return best

    def chain(self, path: str) -> list[Scope]:
        """The scopes holding `path`, innermost first."""
        return sorted((s for s in self.items if s.contains(path)), key=lambda s: -len(s.root))

    def cards(self) -> list[ParsedCard]:
        """Every scope's card that exists, in scope order."""
        return [s.card for s in self.items if s.card.card.path]


def find_scopes(release: Release) -> Scopes:
    """The root, every `--with` location and every nested model folder (a card beside a config or
    weights), each with its card read."""
    roots: dict[str, str] = {"": "release"}
    for label, _target in release.locations:
        if label:
            roots[label] = "location"
    by_folder: dict[str, set[str]] = defaultdict(set)
    for f in release.files:
        p = PurePosixPath(f.path)
        folder = p.parent.as_posix()
        if folder != ".":
            by_folder[folder].add(p.name)
    weights = inventory_rules().weight_ext
    for folder in sorted(by_folder):
        if folder in roots or len(roots) >= MAX_SCOPES:
            continue
        names = by_folder[folder]
        has_card = any(n in names for n in CARD_NAMES)
        has_model = bool(names & MODEL_FILES) or any(suffix(n) in weights for n in names)
        if has_card and has_model:
            roots[folder] = "model"
    items = [Scope(root, kind, read_card(release, root)) for root, kind in sorted(roots.items(), key=lambda kv: kv[0])]
    return Scopes(tuple(items))
