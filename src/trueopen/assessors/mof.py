"""MOF class of a release (Model Openness Framework 1.0), computed as the Model Openness Tool does.

The component table is data (``trueopen/data/mof/components.yml``). Class and progress follow
MOT's ``ModelEvaluator.php`` (lfai/model_openness_tool) step by step, including its quirks, so
that our numbers equal MOT's for the same input; the quirks are marked ``MOT quirk`` below.
Everything else in :class:`MofResult` (missing, not_open, warnings, next_needs) is ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

from trueopen.data import load_yaml

__all__ = [
    "CLASS_NAMES",
    "MOT_LABELS",
    "ComponentDef",
    "ComponentStatus",
    "MofResult",
    "classify",
    "components",
    "source_commit",
]

CLASS_NAMES: dict[int, str] = {1: "Class I", 2: "Class II", 3: "Class III", 0: "Unclassified"}
"""Our class names by MOT class number (0 = Unclassified)."""

MOT_LABELS: dict[int, str] = {
    1: "Class I - Open Science Model",
    2: "Class II - Open Tooling Model",
    3: "Class III - Open Model",
    0: "Unclassified",
}
"""MOT's display labels by class number (ModelEvaluator::getClassLabel)."""

_TECH_REPORT = "technical-report"
_RESEARCH_PAPER = "research-paper"

_State = Literal["included", "invalid", "unlicensed", "missing"]


@dataclass(frozen=True)
class ComponentDef:
    """One MOF component: our slug, MOT's id and name, its content type and the class that first needs it."""

    id: str
    mot_id: int
    name: str
    content_type: str
    mof_class: int
    required: bool


@dataclass(frozen=True)
class ComponentStatus:
    """What the evidence says about one component of a release."""

    present: bool
    open: bool  # licence open under the MOF rule (OSI-approved, FSF-libre, open-data list, OpenMDW)
    type_appropriate: bool = True  # licence of the component's content type; False = warning only
    licensed: bool = True  # False when no licence applies at all ("unlicensed")
    license: str | None = None  # the resolved licence id, only used to word warnings

    def __post_init__(self) -> None:
        if self.open and not self.licensed:
            raise ValueError("a component without a licence cannot be open")


@dataclass(frozen=True)
class MofResult:
    """The MOF verdict for one release."""

    mof_class: str  # "Class I" | "Class II" | "Class III" | "Unclassified"
    class_number: int  # 1, 2, 3, or 0 for Unclassified (as MOT's API)
    progress: dict[str, float]  # {"Class III": ..., "Class II": ..., "Class I": ...}, percent, 2 decimals
    missing: tuple[str, ...]  # required component ids not present (technical report excused by a paper)
    not_open: tuple[str, ...]  # present components whose licence is not open, or that have none
    warnings: tuple[str, ...]  # open but not type-appropriate ("conditional pass")
    next_class: str | None  # the next class up; None at Class I
    next_needs: tuple[str, ...]  # what the next class still needs, one plain sentence per component


@cache
def _table() -> tuple[tuple[ComponentDef, ...], dict[str, int], str]:
    # Loaded once: the definitions, MOT's sort weights, and the upstream commit.
    raw = load_yaml("mof/components.yml")
    defs: list[ComponentDef] = []
    weights: dict[str, int] = {}
    for row in raw["components"]:
        defs.append(
            ComponentDef(
                id=str(row["id"]),
                mot_id=int(row["mot_id"]),
                name=str(row["name"]),
                content_type=str(row["content_type"]),
                mof_class=int(row["class"]),
                required=bool(row["required"]),
            )
        )
        weights[str(row["id"])] = int(row["mot_weight"])
    if len({d.id for d in defs}) != len(defs) or len({d.mot_id for d in defs}) != len(defs):
        raise ValueError("mof/components.yml: duplicate component id")
    return tuple(defs), weights, str(raw["source"]["commit"])


def components() -> tuple[ComponentDef, ...]:
    """The 17 MOF components in DESIGN.md §2 order (class III, II, I; required before optional)."""
    return _table()[0]


def source_commit() -> str:
    """The lfai/model_openness_tool commit the component table was taken from."""
    return _table()[2]


def _required_mot_order(mof_class: int) -> list[str]:
    # MOT evaluates required components in weight order (its ComponentManager sorts the list by
    # weight in place before the API classifies). The order only matters for the index-0 quirk.
    defs, weights, _ = _table()
    ids = [d.id for d in defs if d.mof_class == mof_class and d.required]
    return sorted(ids, key=lambda i: weights[i])


def _state(status: ComponentStatus | None) -> _State:
    if status is None or not status.present:
        return "missing"
    if status.open:
        return "included"
    return "invalid" if status.licensed else "unlicensed"


def _php_search(item: str, items: list[str]) -> int | None:
    # PHP array_search: the index, or None for false. Callers apply PHP truthiness on purpose.
    return items.index(item) if item in items else None


def _mot_evaluate(states: Mapping[str, _State]) -> dict[int, dict[_State, list[str]]]:
    """MOT ModelEvaluator::evaluate(): per class, the cumulative required components by state."""
    evaluation: dict[int, dict[_State, list[str]]] = {}
    required: list[str] = []
    for cls in (3, 2, 1):
        required = required + _required_mot_order(cls)
        lists: dict[_State, list[str]] = {"included": [], "invalid": [], "unlicensed": [], "missing": []}
        for cid in required:
            lists[states[cid]].append(cid)
        evaluation[cls] = lists

    # The technical report may be omitted when a research paper is provided.
    # MOT quirk: `if (!array_search(11, included))` is also true when the report sits at index 0
    # of the class III list, so the paper is then counted as well as the report.
    if not _php_search(_TECH_REPORT, evaluation[3]["included"]):
        paper: _State = states[_RESEARCH_PAPER]
        if paper != "missing":
            for cls in (3, 2, 1):
                if _TECH_REPORT in evaluation[cls]["missing"]:
                    evaluation[cls]["missing"].remove(_TECH_REPORT)
            for cls in (3, 2):
                evaluation[cls][paper].append(_RESEARCH_PAPER)
    return evaluation


def _mot_progress(evaluation: Mapping[int, Mapping[_State, list[str]]], mof_class: int) -> float:
    """MOT ModelEvaluator::getProgress(): percent of the class's required components included."""
    total = 0
    included = 0
    cls = 3
    while cls >= mof_class:
        total += len(_required_mot_order(cls))
        included = len(evaluation[cls]["included"])
        if included < total:  # this class is not met: stop here
            break
        cls -= 1
    if cls > mof_class:  # a lower class is not met: MOT reports 0 for the higher ones
        return 0.0

    # Class I needs one fewer component when the paper stands in for the report.
    # MOT quirk: PHP truthiness on array_search, so an index of 0 counts as "not found".
    inc1 = list(evaluation[1]["included"])
    if mof_class == 1 and not _php_search(_TECH_REPORT, inc1) and _php_search(_RESEARCH_PAPER, inc1):
        total -= 1
    # Both report and paper can be counted; MOT caps the result at 100.
    return min(included / total * 100, 100.0)


def _need(cid: str, state: _State) -> str:
    if state == "missing":
        return f"{cid}: missing"
    if state == "unlicensed":
        return f"{cid}: present but unlicensed"
    return f"{cid}: present but its licence is not open"


def classify(statuses: Mapping[str, ComponentStatus]) -> MofResult:
    """The MOF class, progress and gaps of a release; ids absent from ``statuses`` are missing.

    Raises ValueError for an id that is not a MOF component slug.
    """
    defs = components()
    known = {d.id for d in defs}
    unknown = sorted(set(statuses) - known)
    if unknown:
        raise ValueError(f"not MOF component ids: {', '.join(unknown)}")
    states: dict[str, _State] = {d.id: _state(statuses.get(d.id)) for d in defs}

    evaluation = _mot_evaluate(states)
    raw = {cls: _mot_progress(evaluation, cls) for cls in (3, 2, 1)}
    class_number = 0
    for cls in (3, 2, 1):  # the lowest class number at exactly 100 wins, as in MOT
        if raw[cls] == 100.0:
            class_number = cls
    progress = {CLASS_NAMES[cls]: round(raw[cls], 2) for cls in (3, 2, 1)}

    paper_present = states[_RESEARCH_PAPER] != "missing"
    paper_open = states[_RESEARCH_PAPER] == "included"
    missing = tuple(
        d.id
        for d in defs
        if d.required
        and states[d.id] == "missing"
        and not (d.id == _TECH_REPORT and paper_present)  # MOT excuses the report when a paper is given
    )
    not_open = tuple(d.id for d in defs if states[d.id] in ("invalid", "unlicensed"))

    warnings: list[str] = []
    for d in defs:
        status = statuses.get(d.id)
        if status is not None and status.present and status.open and not status.type_appropriate:
            lic = status.license or "its licence"
            warnings.append(f"{d.id}: {lic} is open but not a {d.content_type} licence (conditional pass)")

    next_number = {0: 3, 3: 2, 2: 1, 1: None}[class_number]
    needs: list[str] = []
    if next_number is not None:
        for d in defs:
            if not d.required or d.mof_class < next_number or states[d.id] == "included":
                continue
            if d.id == _TECH_REPORT:
                if paper_open:  # an open paper stands in for the report
                    continue
                needs.append(_need(d.id, states[d.id]) + f" (an open {_RESEARCH_PAPER} can stand in)")
                continue
            needs.append(_need(d.id, states[d.id]))

    return MofResult(
        mof_class=CLASS_NAMES[class_number],
        class_number=class_number,
        progress=progress,
        missing=missing,
        not_open=not_open,
        warnings=tuple(warnings),
        next_class=CLASS_NAMES[next_number] if next_number is not None else None,
        next_needs=tuple(needs),
    )
