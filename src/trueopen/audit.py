"""The audit pipeline: target → sources → Release → inspectors → assessors → Audit (DESIGN.md §1)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from trueopen import __version__
from trueopen.inspectors.integrity import Hashing, check_integrity
from trueopen.record import Audit, FileEntry, Finding, Location, Tool
from trueopen.release import Release, ReleaseFile
from trueopen.sources import open_locations
from trueopen.sources.options import SourceOptions

SEVERITY_ORDER = {"block": 0, "warn": 1, "info": 2}


def audit(target: str | Path, *, with_: Sequence[str | Path] = (), hash_contents: bool = True,
          progress: Callable[[int], None] | None = None, source: SourceOptions | None = None) -> Audit:
    """Audit a release folder or archive, a Hub repo (`hf://ORG/NAME[@REV]`, a Hub URL, a bare
    ORG/NAME that is no local path) or a repo in the HF cache, with other locations of the same
    release (`with_`: the code folder plus the Hub repo of the weights, ...) merged in. Raises
    InputError when a target cannot be audited. `source` holds the Hub options (revision,
    offline, max_download, ...).

    Cost: reads every local file once to hash it (skip with hash_contents=False); otherwise reads
    only text files up to 1 MiB each and the headers of weights files. On the Hub the same reads
    are HTTP ranges (the record's `transfer` says what they cost); nothing is hashed there but the
    files read whole (the Hub's LFS sha256 stands for the others).
    """
    with open_locations(target, with_, source) as release:
        return audit_release(release, hash_contents=hash_contents, progress=progress)


def audit_release(release: Release, *, hash_contents: bool = True, progress: Callable[[int], None] | None = None) -> Audit:
    """Audit an already opened Release."""
    hashing = Hashing(release, hash_contents=hash_contents, progress=progress)  # overlaps what follows
    # The inspectors are imported only now, while the files hash: their imports (0.3 s, and 0.3 s
    # more for huggingface_hub's card module in read_card, measured on 2 cores) overlap the hashing
    # instead of delaying its start.
    from trueopen.assessors.verdicts import assess
    from trueopen.inspectors.claims import find_claims
    from trueopen.inspectors.components import build_components
    from trueopen.inspectors.datainfo import read_datainfo
    from trueopen.inspectors.inventory import take_inventory
    from trueopen.inspectors.licenses import map_licenses
    from trueopen.inspectors.model_facts import read_model_facts
    from trueopen.inspectors.recipe import read_recipe
    from trueopen.inspectors.safety import assess_safety
    from trueopen.inspectors.scopes import find_scopes
    from trueopen.reproduce.readiness import assess_readiness, load_manifest

    scopes = find_scopes(release)
    card = scopes.primary
    cards = scopes.cards()
    roots = tuple(s.root for s in scopes.items)
    inv = take_inventory(release, card, cards, roots)
    lm = map_licenses(release, inv, card, scopes)
    components, component_findings = build_components(inv, lm)
    manifest, manifest_findings = load_manifest(release)  # read once: recipe evidence and readiness
    recipe = read_recipe(release, inv.code_texts, card, manifest)
    card_folder = card.card.path.rpartition("/")[0] if card.card.path else ""
    model = read_model_facts(release, card, recipe, folders=(card_folder, *roots))
    claims = find_claims(release, roots)
    safety = assess_safety(release)
    datainfo = read_datainfo(release, card, inv, cards, roots)
    verdicts = assess(components, claims, datainfo=datainfo, card=card.card, recipe=recipe)
    if release.hub is not None and release.hub.gated:
        from trueopen.assessors.access import gated_weights  # Hub access conditions (hf-hub targets)

        verdicts = gated_weights(verdicts, release.hub.gated, claims, components)
    # Only the file entries and what follows need the digests: everything above ran while the
    # files hashed, and only what follows is left once the last of them is done.
    integrity = check_integrity(release, inv, hashing=hashing)
    card_findings = [f for c in cards for f in c.findings] or list(card.findings)
    findings = [*release.problems, *card_findings, *inv.findings, *lm.findings, *component_findings, *integrity.findings]
    read_whole = release.meter.sha256_of_whole_files() if release.meter is not None else {}
    labels = sorted((label for label, _ in release.locations if label), key=len, reverse=True)
    files = [_file_entry(f, integrity.sha256.get(f.path) or read_whole.get(f.path), inv.kinds.get(f.path, "other"),
                         next((lb for lb in labels if f.path.startswith(lb + "/")), None))
             for f in release.files]
    readiness = assess_readiness(release, card, recipe, components, files, inv.code_texts, manifest)
    verdicts = verdicts.model_copy(update={"reproducibility": readiness})
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
        findings=sort_findings([*findings, *manifest_findings]),
        verdicts=verdicts,
        locations=locations,
        model=model,
        hub=release.hub,
        transfer=release.meter.snapshot() if release.meter is not None else None,
    )


def _file_entry(f: ReleaseFile, sha256: str | None, kind: str, origin: str | None = None) -> FileEntry:
    """The record's file entry; sha256_source says whether trueopen hashed the bytes or took a name
    it can trust for that (the Hub's LFS metadata, the HF cache's content-addressed blob name)."""
    source = f.sha256_source if f.sha256 and sha256 == f.sha256 else ("hashed" if sha256 else None)
    return FileEntry(path=f.path, size=f.size, sha256=sha256, kind=kind, sha256_source=source, origin=origin)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Most severe first, then by rule and message; duplicates dropped."""
    unique = {(f.rule, f.message): f for f in findings}
    return sorted(unique.values(), key=lambda f: (SEVERITY_ORDER[f.severity], f.rule, f.message))
