"""References: the components a release points to but does not hold (rules in data/references.yml).

OLMo's GitHub repository holds the training code; its weights are on the Hub, linked from the
README. A Hub model id, a weights download URL, a magnet link or a Kaggle page makes the
weights `referenced`; a Hub dataset id makes the datasets referenced; "checkpoints every 1000
steps" or a `revision="step1000"` makes the intermediate checkpoints referenced. The release's own
org is told from the links (the org most of its Hub model links name), so a README that also
mentions other people's models does not make them this release's weights.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from trueopen.data import load_yaml
from trueopen.record import Reference
from trueopen.release import Release

DOC_EXTENSIONS = (".md", ".markdown", ".rst", ".txt", ".html", ".htm")
COMPONENT = {"hub-model": "model-parameters-final", "kaggle-model": "model-parameters-final",
             "modelscope-model": "model-parameters-final", "magnet": "model-parameters-final",
             "cloud-storage": "model-parameters-final", "url": "model-parameters-final", "hub-dataset": "datasets"}
EVAL_PATH = re.compile(r"(?:^|/)(?:evals?|evaluations?|benchmarks?|tests?)(?:/|$)|(?:^|/)eval[\w-]*\.", re.IGNORECASE)
EVAL_WORDS = re.compile(r"\b(?:evaluat\w*|benchmark\w*|test[- ]?sets?|leaderboard|eval)\b|评测|评估|測試", re.IGNORECASE)


@dataclass(frozen=True)
class Found:
    component: str
    ref: Reference
    doc: bool  # seen in a document (not code)


@cache
def _rules() -> dict[str, Any]:
    raw = load_yaml("references.yml")
    return {
        "max_files": int(raw["max_files"]),
        "max_refs": int(raw["max_refs"]),
        "not_repos": frozenset(x.lower() for x in raw["hub_not_repos"]),
        "patterns": {k: [re.compile(p) for p in v] for k, v in raw["patterns"].items()},
        "download": re.compile(raw["download_lines"], re.IGNORECASE),
        "code_repos": re.compile(raw["code_repos"]),
        "code_roles": {k: re.compile(v, re.IGNORECASE) for k, v in raw["code_roles"].items()},
        "intermediate": [re.compile(p, re.IGNORECASE) for p in raw["intermediate"]],
    }


def find_references(release: Release, texts: dict[str, str], exclude_ids: frozenset[str] = frozenset(),
                    in_eval_folder: Callable[[str], bool] = lambda path: False) -> list[Found]:
    """References in the release's documents and code (`texts`: code already read by the
    inventory). `exclude_ids` are Hub ids that are not this release (the card's base model); a
    dataset named in a file for which `in_eval_folder(path)` holds (the inventory's rule: a data
    folder whose README says its data is for evaluation) is evaluation data."""
    r = _rules()
    docs = [f.path for f in release.files if f.path.lower().endswith(DOC_EXTENSIONS) and f.size <= (1 << 20)]
    docs.sort(key=lambda p: (p.count("/"), p))
    found: list[Found] = []
    for path in docs[: r["max_files"]]:
        text = release.read_text(path).text
        if text:
            found.extend(_scan(text, path, True, r, in_eval_folder(path)))
    for path in sorted(texts)[: r["max_files"]]:
        if not path.lower().endswith(DOC_EXTENSIONS):
            found.extend(_scan(texts[path], path, False, r, in_eval_folder(path)))
    found = [f for f in found if f.ref.target.lower() not in {x.lower() for x in exclude_ids}]
    return _own(found)[: r["max_refs"]]


def _scan(text: str, path: str, doc: bool, r: dict[str, Any], in_eval_folder: bool = False) -> list[Found]:
    out: list[Found] = []
    seen: set[tuple[str, str]] = set()
    in_eval = in_eval_folder or bool(EVAL_PATH.search(path))
    for number, line in enumerate(text.splitlines(), 1):
        line = line[:4000]
        for kind, patterns in r["patterns"].items():
            for pat in patterns:
                for m in pat.finditer(line):
                    target = m.group("id").rstrip(".,;:)`'\"")
                    if kind == "hub-model":
                        target = _repo_id(target)
                        if target is None or target.split("/")[0].lower() in r["not_repos"]:
                            continue
                    if kind == "hub-dataset":
                        target = _repo_id(target)
                        if target is None:
                            continue
                    if (kind, target) in seen:
                        continue
                    seen.add((kind, target))
                    component = COMPONENT[kind]
                    if component == "datasets" and (in_eval or EVAL_WORDS.search(line)):
                        component = "evaluation-data"
                    ref = Reference(kind=kind, target=target, path=path, line=number, add_with=_with(kind, target))
                    out.append(Found(component, ref, doc))
                    if component == "datasets":  # a Hub dataset repo carries its dataset card
                        out.append(Found("data-card", ref, doc))
        if doc:
            for m in r["code_repos"].finditer(line):
                target = _repo_id(m.group("id").rstrip(".,;:)`'\""))
                if target is None or ("code-repo", target) in seen:
                    continue
                roles = [role for role, pat in r["code_roles"].items() if pat.search(line)]
                if roles:
                    seen.add(("code-repo", target))
                    ref = Reference(kind="code-repo", target=target, path=path, line=number)
                    out.extend(Found(role, ref, doc) for role in roles)
        if not doc and r["download"].search(line) and ("download", path) not in seen:
            seen.add(("download", path))
            out.append(Found("model-parameters-final", Reference(kind="url", target=line.strip()[:200], path=path, line=number), doc))
        for pat in r["intermediate"]:
            m = pat.search(line)
            if m and ("intermediate", path) not in seen:
                seen.add(("intermediate", path))
                out.append(Found("model-parameters-intermediate", Reference(kind="page", target=m.group(0)[:200], path=path,
                                                                            line=number), doc))
                break
    return out


def _repo_id(target: str) -> str | None:
    parts = target.split("/")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return None
    name = re.sub(r"\.git$", "", parts[1])
    return f"{parts[0]}/{name}"


def _with(kind: str, target: str) -> str | None:
    if kind == "hub-model":
        return f"hf://{target}"
    if kind == "hub-dataset":
        return f"hf://datasets/{target}"
    return None


MODEL_KINDS = ("hub-model", "kaggle-model", "modelscope-model")
DIRECT_KINDS = ("url", "magnet", "cloud-storage")  # downloads the release links: its own by construction


def _own(found: list[Found]) -> list[Found]:
    """Keep the release's own model repos: those of the org most Hub links name (documents first,
    then code); mark what the release publishes itself (`own`): its model repos, its direct
    downloads, and datasets and code repos of the same org. Code repos of other orgs are
    dependencies and are dropped."""
    hub = [f for f in found if f.ref.kind in MODEL_KINDS]
    pool = [f for f in hub if f.doc] or hub
    orgs: set[str] = set()
    if pool:
        counts = Counter(_org(f.ref.target) for f in pool)
        top = max(counts.values())
        orgs = {org for org, n in counts.items() if n == top}
    out = []
    for f in found:
        if f.ref.kind in MODEL_KINDS and orgs and _org(f.ref.target) not in orgs:
            continue
        own = f.ref.kind in MODEL_KINDS or f.ref.kind in DIRECT_KINDS or _org(f.ref.target) in orgs
        if f.ref.kind == "code-repo" and not own:
            continue
        out.append(Found(f.component, f.ref.model_copy(update={"own": own}), f.doc))
    return out


def _org(target: str) -> str:
    return target.split("/")[0].lower()
