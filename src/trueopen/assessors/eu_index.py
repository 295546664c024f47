"""The European Open Source AI Index: its 12 current dimensions graded open / partial / closed
from the release's evidence, by the index's own criteria (data/frameworks/eu_index.yml, from
shared/reference/osai-index/_parameters.yml and readme.md), with the sum (open = 1,
partial = 0.5, closed = 0) out of 12.

The index grades a model family from everything public (websites, papers, Hub pages); trueopen
grades one release from its files. So:
- base model vs end model: when the card names a `base_model`, this release is the end model and
  the base-model dimensions can only be judged from what this release says about the base: its
  weights are named but not here (partial), its training data is not described here (closed).
  Without a base model, base = end, as the index does when the distinction does not apply.
- a gated download is "partial" for weights; access conditions of a Hub repository cannot be
  seen in local files, so weights that are present count as shared (noted).
- content that only a link points to (an arXiv preprint, a peer-reviewed paper) cannot be read
  offline: it counts as partial, never open.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath
from typing import Any

from trueopen.data import load_yaml
from trueopen.inspectors.datainfo import DataInfo
from trueopen.inspectors.inventory import rules as inventory_rules
from trueopen.record import Card, Component, EuIndex, EuIndexDimension, Evidence, Recipe

MAX_EVIDENCE = 8
DATA_ITEMS = ("provenance", "scope-and-characteristics", "obtained-and-selected", "labelling",
              "processing-and-filtering", "public-sources", "third-party-sources")
GEBRU_SECTIONS = ("motivation", "composition", "collection", "preprocessing", "uses", "distribution", "maintenance")


@dataclass(frozen=True)
class Dimension:
    id: str
    name: str
    criteria: Mapping[str, str]
    rule: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Facts:
    """Everything a grading rule may look at."""

    by_id: Mapping[str, Component]
    info: DataInfo
    card: Card
    recipe: Recipe

    def internal(self, cid: str) -> bool:
        """Present in the release itself (not only referenced)."""
        return self.by_id[cid].present

    def open(self, cid: str) -> bool:
        return self.internal(cid) and self.by_id[cid].open

    def code_files(self, cid: str) -> list[str]:
        """The source-code files of a component (a config.json naming an architecture is not code)."""
        if not self.internal(cid):
            return []
        exts = inventory_rules().code_ext
        return sorted({e.path for e in self.by_id[cid].evidence if PurePosixPath(e.path).suffix.lower() in exts})


@dataclass(frozen=True)
class Grade:
    grade: str
    reasons: tuple[str, ...]
    evidence: tuple[Evidence, ...] = ()


@cache
def dimensions() -> tuple[tuple[Dimension, ...], Mapping[str, float]]:
    raw = load_yaml("frameworks/eu_index.yml")
    dims = tuple(Dimension(d["id"], d["name"], d["criteria"], d["rule"],
                           {k: v for k, v in d.items() if k not in ("id", "name", "criteria", "rule", "area", "question")})
                 for d in raw["dimensions"])
    return dims, {k: float(v) for k, v in raw["points"].items()}


def assess_eu_index(by_id: Mapping[str, Component], datainfo: DataInfo | None = None, card: Card | None = None,
                    recipe: Recipe | None = None) -> EuIndex:
    """Grade the 12 dimensions and sum them."""
    facts = Facts(by_id, datainfo or DataInfo(), card or Card(), recipe or Recipe())
    dims, points = dimensions()
    graded: list[EuIndexDimension] = []
    for d in dims:
        g = RULES[d.rule](facts, d)
        reasons = [f"{d.criteria[g.grade]} (index criterion, {g.grade})", *g.reasons]
        graded.append(EuIndexDimension(id=d.id, name=d.name, grade=g.grade, points=points[g.grade],
                                       reasons=reasons, evidence=list(g.evidence[:MAX_EVIDENCE])))
    notes = ["graded from the release's files only; the index's graders also read websites, papers and Hub pages",
             "a gated download would make the weights partial; access conditions cannot be seen in local files"]
    if facts.card.base_model:
        notes.append(f"the card names base model {', '.join(facts.card.base_model)}: the base-model dimensions are "
                     "judged from what this release says about it")
    else:
        notes.append("no base model named in the card: base-model dimensions mirror the end model, as the index does")
    return EuIndex(score=sum(x.points for x in graded), dimensions=graded, notes=notes)


# --- rules ---------------------------------------------------------------------------------------


def _base_line(f: Facts) -> Evidence:
    if f.info.base_model:
        return f.info.base_model[0]
    return Evidence(path=f.card.path or "", detail=f"base_model: {', '.join(f.card.base_model)}")


def end_data(f: Facts, d: Dimension) -> Grade:
    ds = f.by_id["datasets"]
    public = f.info.hits("public-sources")
    withheld = f.info.hits("withheld")
    shipped_open = f.open("datasets")
    ev = [*ds.evidence[:2], *public[:2], *withheld[:2]]
    if (shipped_open or public) and not withheld:
        why = "the training data is in the release under an open licence" if shipped_open else \
            "the data card lists where the training data can be obtained"
        return Grade("open", (why,), tuple(ev))
    if shipped_open or public or ds.available:
        why = ["some training data is shared or listed"]
        if withheld:
            why.append(f"but the documents say some data is not released ({_at(withheld[0])})")
        elif ds.available and not ds.open:
            why.append("but its licence is not open or cannot be verified")
        return Grade("partial", tuple(why), tuple(ev))
    why = "no training data in the release and no list of where to obtain it"
    if withheld:
        why += f"; the documents say data is withheld ({_at(withheld[0])})"
    return Grade("closed", (why,), tuple(ev))


def base_data(f: Facts, d: Dimension) -> Grade:
    if f.card.base_model:
        return Grade("closed", (f"this release is built on {', '.join(f.card.base_model)}; that model's training data is "
                                "neither in this release nor described by it",), (_base_line(f),))
    g = end_data(f, d)
    return Grade(g.grade, ("no base model named: mirrors the end-model data", *g.reasons), g.evidence)


def end_weights(f: Facts, d: Dimension) -> Grade:
    p = f.by_id["model-parameters-final"]
    ev = tuple(p.evidence[:3])
    if not p.available:
        return Grade("closed", ("no final weights in the release",), ev)
    where = "are in the release" if p.present else "are referenced (not verified)"
    if p.open:
        return Grade("open", (f"final weights {where} under {p.license.expression}, an open licence "
                              "(a gated download on the Hub would make this partial)",), ev)
    terms = p.license.expression or "no licence"
    return Grade("partial", (f"final weights {where}, but under {terms}, which is not an open licence: "
                             "shared, not freely",), ev)


def base_weights(f: Facts, d: Dimension) -> Grade:
    if f.card.base_model:
        return Grade("partial", (f"base model {', '.join(f.card.base_model)} is named but its weights are not in this "
                                 "release; whether they are freely shared cannot be verified from these files",),
                     (_base_line(f),))
    g = end_weights(f, d)
    return Grade(g.grade, ("no base model named: mirrors the end-model weights", *g.reasons), g.evidence)


def training_code(f: Facts, d: Dimension) -> Grade:
    full, sparse = d.params["full"], d.params["sparse"]
    present = [cid for cid in sparse if f.code_files(cid)]
    ev = tuple(e for cid in present for e in f.by_id[cid].evidence[:1])
    if all(f.open(cid) and f.code_files(cid) for cid in full):
        return Grade("open", (f"{' and '.join(full)} are in the release under open licences",), ev)
    if present:
        missing = [cid for cid in full if not f.open(cid)]
        return Grade("partial", (f"some source code is in the release ({', '.join(present)}), but not "
                                 f"{', '.join(missing)} under an open licence",), ev)
    return Grade("closed", ("no source code in the release",), ())


def code_documentation(f: Facts, d: Dimension) -> Grade:
    documented: dict[str, list[Evidence]] = {}
    undocumented: list[str] = []
    for cid in d.params["any"]:
        files = [p for p in f.code_files(cid) if p in f.info.code_mentions]
        mentions = [m for p in files for m in f.info.code_mentions[p]]
        if mentions:
            documented[cid] = mentions
        elif files:
            undocumented.append(cid)
    ev = tuple(m for ms in documented.values() for m in ms[:1])
    full = d.params["full"]
    if all(cid in documented for cid in full):
        return Grade("open", (f"the documents describe the code of every step ({', '.join(documented)})",), ev)
    if documented:
        missing = [cid for cid in full if cid not in documented]
        return Grade("partial", (f"the documents describe {', '.join(documented)}, not {', '.join(missing)}",), ev)
    why = "no code in the release" if not undocumented else \
        f"no document of the release names its code files ({', '.join(undocumented)})"
    return Grade("closed", (why,), ())


def hardware_architecture(f: Facts, d: Dimension) -> Grade:
    parts = {
        "model architecture": list(f.by_id["model-architecture"].evidence[:1]) + list(f.info.hits("card-architecture")[:1]),
        "training hardware": list(f.recipe.hardware[:2]),
        "training setup (hyperparameters)": list(f.recipe.hyperparameters[:2]),
    }
    have = [k for k, v in parts.items() if v]
    lack = [k for k, v in parts.items() if not v]
    ev = tuple(e for k in have for e in parts[k][:1])
    if not lack:
        return Grade("open", (f"documented: {', '.join(have)}",), ev)
    if have:
        return Grade("partial", (f"documented: {', '.join(have)}; not documented: {', '.join(lack)}",), ev)
    return Grade("closed", ("neither the architecture, the training hardware nor the training setup is documented",), ())


def preprint(f: Facts, d: Dimension) -> Grade:
    topics = {"data": f.info.hits("report-data"), "training": f.info.hits("report-training"),
              "architecture": f.info.hits("report-architecture")}
    reports = sorted({e.path for cid in ("technical-report", "research-paper") if f.internal(cid)
                      for e in f.by_id[cid].evidence if not e.detail.startswith("link to")})
    covered = [k for k, v in topics.items() if v]
    ev = tuple(v[0] for v in topics.values() if v)
    if reports and len(covered) == len(topics):
        return Grade("open", (f"a report in the release ({', '.join(reports)}) details data, training and architecture",), ev)
    links = list(f.info.hits("preprint-link"))
    if reports:
        missing = [k for k in topics if k not in covered]
        return Grade("partial", (f"a report in the release ({', '.join(reports)}) does not detail {', '.join(missing)}",),
                     ev + tuple(links[:1]))
    if links:
        return Grade("partial", ("a preprint is referenced; its content cannot be checked from the release's files",),
                     tuple(links[:2]))
    return Grade("closed", ("no preprint or technical report in the release and none referenced",), ())


def paper(f: Facts, d: Dimension) -> Grade:
    hits = f.info.hits("peer-reviewed")
    if hits:
        return Grade("partial", ("a peer-reviewed publication is cited; whether it covers all parts of the system "
                                 "cannot be checked from the release's files",), tuple(hits[:2]))
    return Grade("closed", ("no peer-reviewed publication is cited",), ())


def model_card(f: Facts, d: Dimension) -> Grade:
    mc = f.by_id["model-card"]
    if not mc.available:
        return Grade("closed", ("no model card",), ())
    arch = f.info.hits("card-architecture")
    train = f.info.hits("card-training")
    data_items = [s for s in DATA_ITEMS if f.info.hits(s)]
    results = [e for e in f.by_id["evaluation-results"].evidence if f.card.path and e.path == f.card.path]
    topics = {
        "architecture": list(arch[:1]),
        "training": list(train[:1]) if train and (f.recipe.hyperparameters or data_items) else [],
        "evaluation results": results[:1],
    }
    have = [k for k, v in topics.items() if v]
    lack = [k for k, v in topics.items() if not v]
    ev = tuple(mc.evidence[:1]) + tuple(e for k in have for e in topics[k])
    if not lack:
        return Grade("open", (f"the model card covers {', '.join(have)}",), ev)
    return Grade("partial", (f"the model card covers {', '.join(have) or 'usage only'}; not {', '.join(lack)}",), ev)


def datasheet(f: Facts, d: Dimension) -> Grade:
    dc = f.by_id["data-card"]
    sections = [s for s in GEBRU_SECTIONS if f.info.hits(f"datasheet-sections.{s}")]
    items = [s for s in DATA_ITEMS if f.info.hits(s)]
    summary = f.info.hits("training-content-summary")
    ev = tuple(dc.evidence[:1]) + tuple(f.info.hits(f"datasheet-sections.{s}")[0] for s in sections[:4]) + tuple(summary[:1])
    need = int(d.params["open_sections"])
    if dc.available and (len(sections) >= need or len(items) == len(DATA_ITEMS)):
        return Grade("open", (f"a datasheet with {len(sections)} of the 7 Datasheets-for-Datasets sections "
                              f"({', '.join(sections) or 'none'}) and {len(items)} of 7 data-information items",), ev)
    if dc.available or sections or items or summary:
        return Grade("partial", (f"data documentation with {len(sections)} of the 7 datasheet sections and "
                                 f"{len(items)} of 7 data-information items (open needs {need} sections or all items)",), ev)
    return Grade("closed", ("no datasheet, data section or training-content summary",), ())


def licenses(f: Facts, d: Dimension) -> Grade:
    p = f.by_id["model-parameters-final"]
    present = [c for c in f.by_id.values() if f.internal(c.id)]
    not_open = [c.id for c in present if not c.open]
    ev = tuple(Evidence(path=c.license.path, detail=f"{c.id}: {c.license.expression}") for c in present
               if c.license.path and c.license.expression)
    ev = tuple({(e.path, e.detail): e for e in ev}.values())
    if p.available and not p.open:
        return Grade("closed", (f"the weights are under {p.license.expression or 'no licence'}, which is not an open licence",), ev)
    if not p.available:
        pair = [cid for cid in ("training-code", "datasets") if f.open(cid)]
        if len(pair) == 2:
            return Grade("partial", ("no weights in the release; training code and training data are openly licensed",), ev)
        return Grade("closed", ("no weights in the release, and not both training code and data under open licences",), ev)
    referenced = [cid for cid in ("datasets",) if f.by_id[cid].available and not f.internal(cid)]
    if not not_open and not referenced:
        return Grade("open", ("every component in the release is under an open licence: weights, "
                              + ("training code, " if f.internal("training-code") else "")
                              + ("data, " if f.internal("datasets") else "") + "documents as available",), ev)
    why = []
    if not_open:
        why.append(f"the weights are openly licensed, but not {', '.join(sorted(not_open))}")
    if referenced:
        why.append("the training data is only referenced: its licences cannot be verified")
    return Grade("partial", tuple(why), ev)


def _at(e: Evidence) -> str:
    return f"{e.path}:{e.line}" if e.line else e.path


RULES: dict[str, Callable[[Facts, Dimension], Grade]] = {
    "base_data": base_data, "end_data": end_data, "base_weights": base_weights, "end_weights": end_weights,
    "training_code": training_code, "code_documentation": code_documentation,
    "hardware_architecture": hardware_architecture, "preprint": preprint, "paper": paper,
    "model_card": model_card, "datasheet": datasheet, "licenses": licenses,
}


def grades(index: EuIndex) -> Sequence[tuple[str, str]]:
    """(dimension id, grade) pairs, in the index's order."""
    return [(d.id, d.grade) for d in index.dimensions]
