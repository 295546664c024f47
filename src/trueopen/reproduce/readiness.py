"""How ready a release is to be rebuilt from its recipe, judged from its files without running
anything (`verdicts.reproducibility`), and the replay plan `trueopen reproduce` would follow.

Four facts are essential (a command, exact framework versions, seeds, the data); three support
them (hyperparameters, data order, hardware). Missing an essential fact makes a release
not-replayable; stating all seven makes it replayable; anything between is partial.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath

from trueopen.data import load_yaml
from trueopen.inspectors.card import ParsedCard
from trueopen.record import (Component, Evidence, ExpectedOutput, FileEntry, Finding, Recipe, ReplayFact, ReplayPlan,
                             Reproducibility)
from trueopen.release import Release
from trueopen.reproduce.manifest import MANIFEST_NAME, RecipeManifest, command_line, parse_manifest

ESSENTIAL = ("command", "framework_versions", "seeds", "data")
SUPPORTING = ("hyperparameters", "data_order", "hardware")
WEIGHT_KINDS = ("weights", "weights-intermediate")
MAX_EVIDENCE = 5
MAX_REQUIREMENTS = 500
_IMMUTABLE = re.compile(r"(?:@|/(?:tree|blob|commit|resolve)/|revision[=:]\s*)[0-9a-f]{40}\b|\bsha256[:=\s]+[0-9a-f]{64}\b",
                        re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")


@dataclass(frozen=True)
class _Rules:
    runners: tuple[re.Pattern[str], ...]
    trains: tuple[re.Pattern[str], ...]
    setup: tuple[re.Pattern[str], ...]
    sections: tuple[re.Pattern[str], ...]
    make_targets: tuple[str, ...]
    scripts: tuple[re.Pattern[str], ...]
    languages: frozenset[str]
    placeholders: re.Pattern[str]
    not_environment: tuple[re.Pattern[str], ...]
    shell_setup: tuple[re.Pattern[str], ...]
    incidental: tuple[re.Pattern[str], ...]
    python_version: re.Pattern[str]
    requirement: re.Pattern[str]


@cache
def _rules() -> _Rules:
    raw = load_yaml("recipe.yml")
    c = raw["commands"]

    def comp(items: list[str]) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.IGNORECASE) for p in items)

    return _Rules(comp(c["runners"]), comp(c["trains"]), comp(c["setup"]), comp(c["sections"]),
                  tuple(c["make_targets"]), comp(c["scripts"]), frozenset(c["languages"]),
                  re.compile(c["placeholders"]), comp(c["not_environment"]), comp(c["shell_setup"]),
                  comp(c["incidental"]),
                  re.compile(raw["python_version"], re.IGNORECASE), re.compile(raw["framework_versions"]["requirement"]))


@dataclass(frozen=True)
class _Commands:
    lines: tuple[str, ...]
    where: Evidence | None
    status: str
    detail: str


def assess_readiness(release: Release, card: ParsedCard, recipe: Recipe, components: Sequence[Component],
                     files: Sequence[FileEntry], texts: dict[str, str], manifest: Manifest | None = None) -> Reproducibility:
    """The readiness grade with each fact's evidence and the replay plan (`manifest`: load_manifest's)."""
    by_id = {c.id: c for c in components}
    commands = _commands(release, card, manifest)
    requirements, skipped, versions = _versions(release, recipe, manifest)
    facts = [
        ReplayFact(id="command", status=commands.status, detail=commands.detail,
                   evidence=[commands.where] if commands.where else []),
        versions,
        _simple("seeds", recipe.seeds, what="random seeds"),
        _data(release, by_id.get("datasets")),
        _simple("hyperparameters", recipe.hyperparameters, what="hyperparameters"),
        _simple("data_order", recipe.data_order, what="the data order (shuffle seed or sample order)"),
        _simple("hardware", recipe.hardware, what="the hardware"),
    ]
    missing = [f.id for f in facts if f.status == "missing"]
    if any(f.status == "missing" for f in facts if f.id in ESSENTIAL):
        grade = "not-replayable"
    elif all(f.status == "stated" for f in facts):
        grade = "replayable"
    else:
        grade = "partial"
    plan = ReplayPlan(
        python=_python(release, card, texts, manifest),
        requirements=requirements, skipped_requirements=skipped,
        commands=list(commands.lines), commands_from=commands.where,
        outputs=[ExpectedOutput(path=f.path, sha256=f.sha256, size=f.size) for f in files if f.kind in WEIGHT_KINDS],
    )
    return Reproducibility(grade=grade, missing=missing, facts=facts, plan=plan)


Manifest = tuple[str, RecipeManifest]  # a release's trueopen-recipe.json: its path and content


def load_manifest(release: Release) -> tuple[Manifest | None, list[Finding]]:
    """The release's recipe manifest (the one nearest the root) when it validates, and a finding
    when it is there but cannot be read or does not validate (its recipe is then not counted)."""
    paths = sorted((f.path for f in release.files if PurePosixPath(f.path).name == MANIFEST_NAME),
                   key=lambda p: (p.count("/"), p))
    if not paths:
        return None, []
    path = paths[0]
    read = release.read_text(path)
    if read.text is None:
        return None, [Finding(rule="recipe-manifest-invalid", severity="warn",
                              message=f"{path} could not be read ({read.error}); its recipe is not counted",
                              evidence=[Evidence(path=path, detail=read.error or "unreadable")])]
    try:
        return (path, parse_manifest(read.text)), []
    except ValueError as exc:
        return None, [Finding(rule="recipe-manifest-invalid", severity="warn",
                              message=f"{path} does not follow the recipe manifest schema ({exc}); its recipe is not counted",
                              evidence=[Evidence(path=path, detail=str(exc))])]


def _simple(fid: str, ev: list[Evidence], *, what: str) -> ReplayFact:
    incidental = _rules().incidental
    real = [e for e in ev if not any(p.search(e.path) for p in incidental)]
    if ev and not real:
        return ReplayFact(id=fid, status="partial", evidence=ev[:MAX_EVIDENCE],
                          detail=f"{what}: only in tests, demos or documentation, not for the training run")
    ev = real
    if ev:
        return ReplayFact(id=fid, status="stated", detail=f"{what}: {len(ev)} statement{'s' if len(ev) > 1 else ''}",
                          evidence=ev[:MAX_EVIDENCE])
    return ReplayFact(id=fid, status="missing", detail=f"{what} not stated in the card, configs or code")


def _line(release: Release, path: str, line: int | None) -> str:
    """The line a reference was read from (its revision may be written beside the id)."""
    if not line:
        return ""
    lines = (release.read_text(path).text or "").splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _data(release: Release, datasets: Component | None) -> ReplayFact:
    if datasets is None or datasets.status == "missing":
        return ReplayFact(id="data", status="missing", detail="the training data is neither in the release nor referenced")
    if datasets.status == "present":
        return ReplayFact(id="data", status="stated", detail="the training data is in the release",
                          evidence=datasets.evidence[:MAX_EVIDENCE])
    refs = datasets.references
    pinned = [r for r in refs if _IMMUTABLE.search(r.target) or _IMMUTABLE.search(_line(release, r.path, r.line))]
    ev = [Evidence(path=r.path, line=r.line, detail=f"data referenced: {r.target}") for r in (pinned or refs)][:MAX_EVIDENCE]
    if pinned and len(pinned) == len(refs):
        return ReplayFact(id="data", status="stated", detail="the training data is referenced by an immutable revision or hash",
                          evidence=ev)
    return ReplayFact(id="data", status="partial", evidence=ev,
                      detail="the training data is referenced by name only: no commit or hash pins the version used")


def _versions(release: Release, recipe: Recipe,
              m: Manifest | None) -> tuple[list[str], list[str], ReplayFact]:
    """Exact pins for the plan, the lines left out, and the framework-versions fact."""
    if m:
        path, man = m
        pins = man.pins()
        ev = [e for e in recipe.framework_versions if e.path == path] or [Evidence(path=path, detail="recipe manifest")]
        return pins, [], ReplayFact(id="framework_versions", status="stated", evidence=ev,
                                    detail=f"{len(pins)} packages at exact versions, Python {man.python.version} ({path})")
    pins, skipped = _requirement_files(release)
    ev = _environment_evidence(recipe.framework_versions)
    locks = [e for e in ev if e.detail.startswith("lock file")]
    unpinned = [e for e in ev if e.detail.endswith("(unpinned)")]
    ranges = [e for e in ev if e.detail.endswith("(range)")]
    exact = [e for e in ev if e.detail.endswith("(pinned)")]
    if locks:
        # The replay installs exact pins only; a lock file is for its own tool (poetry, uv, conda-lock).
        skipped = skipped + [f"{e.path}: a lock file, installed with its own tool, not by the replay" for e in locks]
        return pins, skipped, ReplayFact(id="framework_versions", status="stated", detail="a lock file pins every dependency",
                                         evidence=locks[:MAX_EVIDENCE])
    if unpinned:
        names = ", ".join(e.detail.split(" ")[0] for e in unpinned[:MAX_EVIDENCE])
        return pins, skipped, ReplayFact(id="framework_versions", status="missing", evidence=unpinned[:MAX_EVIDENCE],
                                         detail=f"no version for {names}: any version would be installed")
    if ranges:
        return pins, skipped, ReplayFact(id="framework_versions", status="partial", evidence=ranges[:MAX_EVIDENCE],
                                         detail=f"{len(ranges)} requirement{'s' if len(ranges) > 1 else ''} given as a range, not an exact version")
    if exact and pins:
        return pins, skipped, ReplayFact(id="framework_versions", status="stated", evidence=exact[:MAX_EVIDENCE],
                                         detail=f"{len(pins)} requirement{'s' if len(pins) > 1 else ''} pinned exactly")
    if exact:
        return pins, skipped, ReplayFact(id="framework_versions", status="partial", evidence=exact[:MAX_EVIDENCE],
                                         detail="versions are recorded (configs, manifests) but no requirements file pins the environment")
    return pins, skipped, ReplayFact(id="framework_versions", status="missing",
                                     detail="no requirements file, lock file or recorded framework version")


def _environment_evidence(ev: list[Evidence]) -> list[Evidence]:
    """The version evidence that describes the training environment: lock files anywhere; the
    release root's manifests when it has any (a sub-folder's are for a variant or a tool);
    never a docs folder's."""
    r = _rules()
    ev = [e for e in ev if not any(p.search(e.path) for p in r.not_environment)]
    locks = [e for e in ev if e.detail.startswith("lock file")]
    root = [e for e in ev if "/" not in e.path and not e.detail.startswith("lock file")]
    return locks + (root or [e for e in ev if not e.detail.startswith("lock file")])


def _requirement_files(release: Release) -> tuple[list[str], list[str]]:
    r = _rules()
    pins: dict[str, str] = {}
    skipped: list[str] = []
    files = sorted(f.path for f in release.files
                   if PurePosixPath(f.path).name.lower().startswith(("requirements", "constraints"))
                   and PurePosixPath(f.path).suffix in (".txt", ".in") and f.path.count("/") <= 1
                   and not any(p.search(f.path) for p in r.not_environment))
    files = [f for f in files if "/" not in f] or files  # the root's, as for the versions fact
    for path in files:
        read = release.read_text(path)
        for line in (read.text or "").splitlines():
            s = line.split(" #", 1)[0].strip()
            if not s or s.startswith("#"):
                continue
            m = r.requirement.match(s)
            spec = (m.group("v") or "").replace(" ", "") if m else ""
            if m and spec.startswith("==") and "," not in spec and "*" not in spec and ";" not in s:
                pins.setdefault(m.group("k").lower(), f"{m.group('k')}{spec}")
            else:
                skipped.append(s[:120])
            if len(pins) + len(skipped) >= MAX_REQUIREMENTS:
                break
    return sorted(pins.values(), key=str.lower), skipped


def _commands(release: Release, card: ParsedCard, m: Manifest | None) -> _Commands:
    if m and m[1].command:
        line = command_line(m[1])
        return _Commands((line,), Evidence(path=m[0], detail=f"captured command: {line}"), "stated",
                         f"the captured command: {line}")
    r = _rules()
    block = _card_block(card, r) if card.card.path and card.text else None
    if block:
        lines, first_line = block
        missing = [s for s in _scripts_named(lines) if not release.has(s)]
        where = Evidence(path=card.card.path, line=first_line, detail="; ".join(lines)[:200])
        holes = sorted({m.group(0) for line in lines for m in r.placeholders.finditer(line)})
        if holes:
            return _Commands(tuple(lines), where, "partial",
                             f"the documented command has parts to fill in: {', '.join(holes[:4])}")
        outside = sorted({tok for line in lines for tok in re.findall(r"(?<![\w.~$])/(?:[\w.-]+/)+[\w.-]*", line)
                          if not tok.startswith(("/dev/", "/tmp/", "/proc/", "/usr/", "/bin/"))})
        if outside:
            return _Commands(tuple(lines), where, "partial",
                             f"the documented command uses paths of its author's machine: {', '.join(outside[:3])}")
        if missing:
            return _Commands(tuple(lines), where, "partial",
                             f"the documented command runs {', '.join(missing)}, not in the release")
        return _Commands(tuple(lines), where, "stated", f"documented in {card.card.path}: {'; '.join(lines)}"[:200])
    for path in sorted((f.path for f in release.files if PurePosixPath(f.path).name in ("Makefile", "makefile")),
                       key=lambda p: (p.count("/"), p)):
        read = release.read_text(path)
        targets: dict[str, int] = {}
        for number, line in enumerate((read.text or "").splitlines(), start=1):
            target = line.split(":", 1)[0].strip()
            if ":" in line and not line.startswith(("\t", " ")) and target in r.make_targets:
                targets.setdefault(target, number)
        if targets:
            target = min(targets, key=r.make_targets.index)  # reproduce before train before all
            folder = path.rpartition("/")[0]
            cmd = f"make -C {folder} {target}" if folder else f"make {target}"
            return _Commands((cmd,), Evidence(path=path, line=targets[target], detail=f"make target {target}"), "stated",
                             f"the {target} target of {path}")
    scripts = [f.path for f in release.files if any(p.search(f.path) for p in r.scripts)]
    if scripts:
        s = sorted(scripts, key=lambda p: (p.count("/"), p))[0]
        cmd = f"python {s}" if s.endswith(".py") else f"bash {s}"
        return _Commands((cmd,), Evidence(path=s, detail="training script, no documented command"), "partial",
                         f"{s} looks like the training script, but no command to run it is documented")
    return _Commands((), None, "missing", "no documented command, Makefile target or training script")


def _card_block(card: ParsedCard, r: _Rules) -> tuple[list[str], int] | None:
    """The command lines of the card's best code block: a training command under a reproduce /
    train heading, else any command under such a heading, else the first training command."""
    blocks: list[tuple[bool, list[str], int]] = []
    heading = ""
    fence = None
    current: list[str] | None = []
    start = 0
    pending = ""
    for number, line in enumerate(card.text.splitlines(), start=1):
        f = _FENCE.match(line)
        if fence is None:
            if line.startswith("#"):
                heading = line.lower()
            elif f and f.group(2).lower() in r.languages:
                fence, current, start, pending = f.group(1), [], number + 1, ""
            elif f:
                fence, current, start = f.group(1), None, 0  # another language: skipped
            continue
        if line.strip().startswith(fence):
            if current:
                blocks.append((any(s.search(heading) for s in r.sections), current, start))
            fence = None
            continue
        if current is not None:
            if pending:
                line, pending = pending + " " + line.strip(), ""
            if line.rstrip().endswith("\\"):
                pending = line.rstrip()[:-1].rstrip()  # a command continued on the next line
                continue
            cmd = _command_of(line, r)
            if cmd:
                current.append(cmd)
    trains = [b for b in blocks if any(p.search(c) for c in b[1] for p in r.trains)]
    under_heading = [b for b in blocks if b[0]]
    chosen = next((b for b in trains if b[0]), None) or (under_heading or trains or [None])[0]
    return (chosen[1], chosen[2]) if chosen else None


def _command_of(line: str, r: _Rules) -> str | None:
    s = line.strip()
    if s.startswith(("$ ", "> ")):
        s = s[2:].strip()
    s = re.split(r"\s+#", s, maxsplit=1)[0].strip()
    if not s or any(p.search(s) for p in r.setup):
        return None
    if any(p.search(s) for p in r.runners) or any(p.search(s) for p in r.shell_setup):
        return s
    return None


def _scripts_named(lines: Sequence[str]) -> list[str]:
    out = []
    for line in lines:
        for tok in line.split():
            tok = tok.removeprefix("./")
            if re.fullmatch(r"[\w./-]+\.(?:py|sh)", tok) and not tok.startswith("/"):
                out.append(tok)
    return out


def _python(release: Release, card: ParsedCard, texts: dict[str, str], m: Manifest | None) -> str | None:
    if m:
        return ".".join(m[1].python.version.split(".")[:2])
    if release.has(".python-version"):
        found = re.match(r"\s*(3\.\d{1,2})", release.read_text(".python-version").text or "")
        if found:
            return found.group(1)
    pat = _rules().python_version
    for text in [card.text, *(texts[p] for p in sorted(texts))]:
        found = pat.search(text or "")
        if found:
            return found.group("v")
    return None
