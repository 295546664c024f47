"""The recipe: hyperparameters, seeds, framework versions, data order and hardware, each with
the file and line where it is stated."""

from __future__ import annotations

import re
from functools import cache
from pathlib import PurePosixPath

from trueopen.data import load_yaml
from trueopen.inspectors.card import ParsedCard
from trueopen.record import Evidence, Recipe
from trueopen.release import Release

MAX_PER_FILE = 40  # evidence lines kept per element and file; the rest adds nothing an auditor needs


class _Rules:
    def __init__(self, raw: dict) -> None:
        kv, ap = raw["key_value"], raw["argparse"]
        self.elements: dict[str, list[re.Pattern[str]]] = {}
        self.prose: dict[str, list[re.Pattern[str]]] = {}
        for element in ("hyperparameters", "seeds", "data_order", "hardware"):
            spec = raw[element]
            keys = "|".join(re.escape(k) for k in sorted(spec["keys"], key=len, reverse=True))
            pats = [re.compile(kv.format(keys=keys), re.IGNORECASE), re.compile(ap.format(keys=keys), re.IGNORECASE)]
            pats += [re.compile(p, re.IGNORECASE) for p in spec.get("calls", [])]
            self.elements[element] = pats
            self.prose[element] = [re.compile(p, re.IGNORECASE) for p in spec.get("prose", [])]
        self.order_names = [re.compile(p, re.IGNORECASE) for p in raw["data_order"]["names"]]
        fv = raw["framework_versions"]
        self.manifests = re.compile("|".join(fv["manifests"]), re.IGNORECASE)
        self.locks = re.compile("|".join(fv["locks"]), re.IGNORECASE)
        self.config_keys = [re.compile(p) for p in fv["config_keys"]]
        self.requirement = re.compile(fv["requirement"])


@cache
def _rules() -> _Rules:
    return _Rules(load_yaml("recipe.yml"))


def read_recipe(release: Release, texts: dict[str, str], card: ParsedCard, manifest=None) -> Recipe:
    """Collect recipe evidence from code and config texts (already read by the inventory), the
    card and the release's recipe manifest (`reproduce.readiness.load_manifest`'s, when valid)."""
    r = _rules()
    found: dict[str, list[Evidence]] = {k: [] for k in ("hyperparameters", "seeds", "framework_versions", "data_order", "hardware")}
    for path in sorted(texts):
        text = texts[path]
        for element, patterns in r.elements.items():
            found[element].extend(_scan(path, text, patterns))
        found["framework_versions"].extend(_versions(path, text, r))
    if card.card.path and card.text:
        for element, patterns in r.prose.items():
            found[element].extend(_scan(card.card.path, card.text, patterns, prose=True))
    for f in release.files:
        name = PurePosixPath(f.path).name
        if any(p.search(f.path) for p in r.order_names):
            found["data_order"].append(Evidence(path=f.path, detail="data order file"))
        if r.locks.search(name):
            found["framework_versions"].append(Evidence(path=f.path, detail="lock file pins every dependency"))
        elif r.manifests.search(name) and f.path not in texts:
            read = release.read_text(f.path)
            if read.text is not None:
                found["framework_versions"].extend(_requirements(f.path, read.text, r))
    for element, items in _from_manifest(manifest).items():
        found[element].extend(items)
    return Recipe(**{k: _dedupe(v) for k, v in found.items()})


def _from_manifest(manifest) -> dict[str, list[Evidence]]:
    """Recipe evidence from a trueopen-recipe.json (`trueopen recipe capture`): exact versions,
    seeds and the machine, as recorded when the release was built."""
    if manifest is None:
        return {}
    path, man = manifest
    p = man.platform
    gpus = f", {', '.join(p.gpus)}" if p.gpus else ""
    out = {"framework_versions": [Evidence(path=path, detail=f"{len(man.pins())} packages recorded at exact versions, "
                                           f"Python {man.python.version} (pinned)")],
           "seeds": [Evidence(path=path, detail=f"seed {s.name}={s.value} ({s.source})") for s in man.seeds],
           "hardware": [Evidence(path=path, detail=f"{p.machine}, {p.cpu or p.system}, {p.cpu_count or '?'} CPUs{gpus}")]}
    return out


def _scan(path: str, text: str, patterns: list[re.Pattern[str]], prose: bool = False) -> list[Evidence]:
    out: list[Evidence] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if any(pat.search(line) for pat in patterns):
            shown = " ".join(line.split())[:120]
            out.append(Evidence(path=path, line=number, detail=f"stated in the card: {shown}" if prose else shown))
        if len(out) >= MAX_PER_FILE:
            break
    return out


def _versions(path: str, text: str, r: _Rules) -> list[Evidence]:
    name = PurePosixPath(path).name
    if r.manifests.search(name):
        return _requirements(path, text, r)
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        for pat in r.config_keys:
            m = pat.search(line)
            if m:
                out.append(Evidence(path=path, line=number, detail=f"{m.group('k')} = {m.group('v')} (pinned)"))
    return out


def _requirements(path: str, text: str, r: _Rules) -> list[Evidence]:
    """Each requirement line, saying whether its version is pinned exactly."""
    out = []
    name = PurePosixPath(path).name.lower()
    if not name.startswith(("requirements", "constraints")):
        # Other manifests (pyproject, environment.yml, setup.py) list requirements inside
        # strings or YAML lists; pick `name==version`-like tokens out of them.
        for number, line in enumerate(text.splitlines(), start=1):
            for m in re.finditer(r"[\"'\s-](?P<k>[A-Za-z][\w.-]*)\s*(?P<op>==|>=|~=|=)\s*(?P<v>\d[\w.*+-]*)", line):
                pinned = m.group("op") in ("==", "=")
                out.append(Evidence(path=path, line=number, detail=f"{m.group('k')}{m.group('op')}{m.group('v')} ({'pinned' if pinned else 'range'})"))
        return out[:MAX_PER_FILE]
    for number, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith(("#", "-", "git+", "http")):
            continue
        m = r.requirement.match(s)
        if not m:
            continue
        spec = (m.group("v") or "").replace(" ", "")
        state = "pinned" if spec.startswith("==") and "," not in spec and "*" not in spec else ("range" if spec else "unpinned")
        out.append(Evidence(path=path, line=number, detail=f"{m.group('k')}{spec} ({state})"))
    return out[:MAX_PER_FILE]


def _dedupe(items: list[Evidence]) -> list[Evidence]:
    seen: dict[tuple, Evidence] = {}
    for e in items:
        seen.setdefault((e.path, e.line or 0, e.offset or 0, e.detail), e)
    return [seen[k] for k in sorted(seen)]
