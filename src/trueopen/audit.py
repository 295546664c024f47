"""The audit pipeline: target → sources → Release → inspectors → assessors → Audit (DESIGN.md §1)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from trueopen import __version__
from trueopen.assessors.verdicts import assess
from trueopen.inspectors.scopes import find_scopes
from trueopen.inspectors.claims import find_claims
from trueopen.inspectors.components import build_components
from trueopen.inspectors.datainfo import read_datainfo
from trueopen.inspectors.integrity import check_integrity
from trueopen.inspectors.inventory import take_inventory
from trueopen.inspectors.licenses import map_licenses
from trueopen.inspectors.model_facts import read_model_facts
from trueopen.inspectors.recipe import read_recipe
from trueopen.inspectors.safety import assess_safety
from trueopen.record import Audit, FileEntry, Finding, Location, Tool
from trueopen.release import Release
from trueopen.sources import open_locations

SEVERITY_ORDER = {"block": 0, "warn": 1, "info": 2}


def audit(target: str | Path, *, with_: Sequence[str | Path] = (), hash_contents: bool = True,
          progress: Callable[[int], None] | None = None) -> Audit:
    """Audit a release folder or archive, with other locations of the same release (`with_`:
    the code folder plus the weights folder, ...) merged in. Raises InputError when a target
    cannot be audited.

    Cost: reads every file once to hash it (skip with hash_contents=False); otherwise reads only
    text files up to 1 MiB each and the headers of weights files.
    """
    with open_locations(target, with_) as release:
        return audit_release(release, hash_contents=hash_contents, progress=progress)


def audit_release(release: Release, *, hash_contents: bool = True, progress: Callable[[int], None] | None = None) -> Audit:
    """Audit an already opened Release."""
    scopes = find_scopes(release)
    card = scopes.primary
    cards = scopes.cards()
    roots = tuple(s.root for s in scopes.items)
    inv = take_inventory(release, card, cards, roots)
    lm = map_licenses(release, inv, card, scopes)
    components, component_findings = build_components(inv, lm)
    recipe = read_recipe(release, inv.code_texts, card)
    card_folder = card.card.path.rpartition("/")[0] if card.card.path else ""
    model = read_model_facts(release, card, recipe, folders=(card_folder, *roots))
    claims = find_claims(release, roots)
    integrity = check_integrity(release, inv, hash_contents=hash_contents, progress=progress)
    safety = assess_safety(release)
    datainfo = read_datainfo(release, card, inv, cards, roots)
    verdicts = assess(components, claims, datainfo=datainfo, card=card.card, recipe=recipe)
    card_findings = [f for c in cards for f in c.findings] or list(card.findings)
    findings = [*release.problems, *card_findings, *inv.findings, *lm.findings, *component_findings, *integrity.findings]
    labels = sorted((label for label, _ in release.locations if label), key=len, reverse=True)
    files = [FileEntry(path=f.path, size=f.size, sha256=integrity.sha256.get(f.path), kind=inv.kinds.get(f.path, "other"),
                       origin=next((lb for lb in labels if f.path.startswith(lb + "/")), None))
             for f in release.files]
    locations = [Location(label=label, kind=t.kind, ref=t.ref, revision=t.revision)
                 for label, t in (release.locations or (("", release.target),))]
    return Audit(
        tool=Tool(version=__version__),
        target=release.target,
        card=card.card,
        files=files,
        components=components,
        recipe=recipe,
        licenses=lm.found,
        claims=claims,
        safety=safety,
        findings=sort_findings(findings),
        verdicts=verdicts,
        locations=locations,
        model=model,
    )


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Most severe first, then by rule and message; duplicates dropped."""
    unique = {(f.rule, f.message): f for f in findings}
    return sorted(unique.values(), key=lambda f: (SEVERITY_ORDER[f.severity], f.rule, f.message))
