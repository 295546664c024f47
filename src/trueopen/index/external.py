"""What other openness indexes say of a release, beside what trueopen measured from its files.

Two published projects grade releases without reading their files:

- the Model Openness Tool (MOT): publishers' self-reported MOF records, with the class MOT
  computes from them;
- the European Open Source AI Index: hand gradings of about 200 model families on 12 dimensions.

:func:`match_external` finds a release's record in each (bundled in ``data/external/``, see its
SOURCE.md; refresh with ``scripts/refresh_external.py``) by URL only: the release's identity URL,
its Hub id when it is a Hub target, and the Hub/GitHub URLs its locations name. A name alone never
matches (a false match is worse than none); two records behind one URL match only when exactly one
carries the release's own name, else they are returned as ``candidates``. Each difference between
a record and the audit becomes one sentence naming both sides and, where there is one, the file
that is the evidence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trueopen.errors import InputError, validation_error_line
from trueopen.index.urlkeys import hub_key, url_key
from trueopen.record import EuIndexGrade, MofClass

__all__ = [
    "External",
    "ExternalEuIndex",
    "ExternalMot",
    "disagreements",
    "load_bundle",
    "match_external",
    "release_keys",
]

MAX_BUNDLE_BYTES = 8 << 20  # the bundled files are ~0.3 MB; a bigger one is not ours
MatchedBy = Literal["id", "target", "location", "code"]
_CLASS_RANK = {"Unclassified": 0, "Class III": 1, "Class II": 2, "Class I": 3}
_CLASS_NUMBER = {"Class III": 3, "Class II": 2, "Class I": 1}
MAX_CANDIDATES = 10
MAX_NAMED = 5  # components named in the class sentence


# --- the bundled data ----------------------------------------------------------------------------


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _MotComponent(_Data):
    license: str | None = None
    open: bool


class _MotRecord(_Data):
    file: str
    name: str
    producer: str = ""
    date: str | None = None
    urls: dict[str, str] = {}
    keys: list[str]
    class_: MofClass = Field(alias="class")
    class_read: MofClass
    components: dict[str, _MotComponent] = {}


class _OsaiRecord(_Data):
    file: str
    name: str
    org: str = ""
    end_model: str | None = None
    url: str | None = None
    keys: list[str]
    code_keys: list[str] = []
    grades: dict[str, EuIndexGrade] = {}


class _Source(_Data):
    project: str
    repository: str
    license: str
    commit: str
    date: str
    path: str = "models"
    citation: str | None = None


class _MotBundle(_Data):
    format: Literal[1]
    source: _Source
    records: list[_MotRecord]


class _OsaiBundle(_Data):
    format: Literal[1]
    source: _Source
    records: list[_OsaiRecord]


def _read(name: str, data_dir: Path | None) -> bytes:
    where = str(data_dir / name) if data_dir else f"trueopen/data/external/{name}"
    try:
        if data_dir is None:
            raw = resources.files("trueopen.data").joinpath("external", name).read_bytes()
        else:
            with (data_dir / name).open("rb") as fh:
                raw = fh.read(MAX_BUNDLE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{where}: external-index data missing or unreadable ({exc.strerror or exc}); "
                         "regenerate it with scripts/refresh_external.py") from None
    if len(raw) > MAX_BUNDLE_BYTES:
        raise InputError(f"{where}: larger than {MAX_BUNDLE_BYTES} bytes, not trueopen's external-index data")
    return raw


def _parse(name: str, data_dir: Path | None, model: type[BaseModel]) -> Any:
    where = str(data_dir / name) if data_dir else f"trueopen/data/external/{name}"
    try:
        doc = json.loads(_read(name, data_dir))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise InputError(f"{where}: not valid JSON{line}; regenerate it with scripts/refresh_external.py") from None
    except RecursionError:
        raise InputError(f"{where}: JSON nested too deeply") from None
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        raise InputError(f"{where}: not trueopen's external-index data: {validation_error_line(exc)}") from None


@cache
def load_bundle(data_dir: Path | None = None) -> tuple[_MotBundle, _OsaiBundle]:
    """The bundled MOT records and EU index gradings (``data_dir``: another folder holding the two files).

    Raises InputError naming the file when one is missing, not JSON, or not in the bundle's shape.
    """
    return _parse("mot.json", data_dir, _MotBundle), _parse("osai_index.json", data_dir, _OsaiBundle)


# --- the `external` block of an index record ---------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class ExternalMotComponent(_Out):
    """A component the MOT record lists as released."""

    id: str = Field(description="trueopen's component id (the MOF component).")
    name: str
    license: str | None = Field(description="The licence as the record writes it (own or inherited), null when none.")
    open: bool = Field(description="That licence is open once its name is read through trueopen's licence names.")


class ExternalMot(_Out):
    """The Model Openness Tool's self-reported record of the release."""

    name: str
    producer: str
    class_: MofClass = Field(alias="class",
                             description="The class MOT computes from the record (MOT-exact licence matching).")
    class_read: MofClass = Field(description="The class once the record's licence spellings are read as meant "
                                             "('Apache 2.0' as Apache-2.0).")
    url: str = Field(description="The record in the MOT repository, at the bundled snapshot.")
    release_urls: list[str] = Field(default=[], description="The Hub / repository URLs the record gives.")
    matched_by: MatchedBy = Field(description="id: the release's identity URL; target: its Hub id; location: a "
                                              "location merged into the audit; code (EU index only): the release is "
                                              "the GitHub repository the grading cites for its code.")
    key: str = Field(description="The normalised URL both sides share (hf:owner/name, gh:owner/name, url:...).")
    components: list[ExternalMotComponent] = []
    source: str


class ExternalEuDimension(_Out):
    id: str = Field(description="trueopen's eu_index dimension id (the index's own parameter ref).")
    name: str
    grade: EuIndexGrade


class ExternalEuIndex(_Out):
    """The European Open Source AI Index's grading of the release's model family."""

    name: str
    org: str
    url: str = Field(description="The grading file in the index's repository, at the bundled snapshot.")
    system_url: str | None = Field(default=None, description="The system link the grading gives.")
    matched_by: MatchedBy
    key: str
    score: float = Field(description="open = 1, partial = 0.5, closed = 0, summed over the graded dimensions.")
    max_score: int
    grades: dict[str, EuIndexGrade] = Field(default={}, description="Grade by dimension id (the same as `dimensions`).")
    dimensions: list[ExternalEuDimension] = []
    source: str


class External(_Out):
    """The `external` block of an index record: other indexes' view of the release and where it differs."""

    mot: ExternalMot | None = None
    eu_index: ExternalEuIndex | None = None
    disagreements: list[str] = Field(default=[], description="One sentence per difference between a record and "
                                                             "what the files show, in a fixed order.")
    candidates: list[str] = Field(default=[], description="Records sharing the release's URL that could not be "
                                                          "told apart (none was matched), as 'MOT: name' / "
                                                          "'EU index: name'.")


def _record_url(source: _Source, file: str) -> str:
    return f"{source.repository}/blob/{source.commit}/{source.path}/{quote(file)}"


def _attribution(source: _Source) -> str:
    cite = f"; cite {source.citation}" if source.citation else ""
    return f"{source.project} ({source.repository} at {source.commit[:12]}, {source.date}), {source.license}{cite}"


# --- matching ------------------------------------------------------------------------------------


def _norm_name(name: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", (name or "").lower())


def release_keys(release_id: str, audit: Mapping[str, Any] | None) -> list[tuple[MatchedBy, list[str]]]:
    """The release's URL keys, strongest first: its identity, its Hub id, its locations' Hub / GitHub URLs."""
    levels: list[tuple[MatchedBy, list[str]]] = [("id", [k for k in [url_key(release_id, bare_hub=True)] if k])]
    target = audit.get("target") if isinstance(audit, Mapping) else None
    if isinstance(target, Mapping) and target.get("kind") in ("hf-hub", "hf-cache") \
            and isinstance(target.get("ref"), str):
        levels.append(("target", [k for k in [hub_key(target["ref"])] if k]))
    locs = audit.get("locations") if isinstance(audit, Mapping) else None
    keys: list[str] = []
    for loc in locs if isinstance(locs, list) else []:
        if not isinstance(loc, Mapping) or not isinstance(loc.get("ref"), str):
            continue
        if loc.get("kind") in ("hf-hub", "hf-cache"):
            k = hub_key(loc["ref"])
        elif "://" in loc["ref"]:  # an archive or folder given as a URL; a local path names nothing
            k = url_key(loc["ref"])
            k = k if k and not k.startswith("url:") else None
        else:
            k = None
        if k and k not in keys:
            keys.append(k)
    levels.append(("location", keys))
    return [(by, ks) for by, ks in levels if ks]


def _by_key(records: Sequence[Any], field: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for r in records:
        for k in getattr(r, field):
            out.setdefault(k, []).append(r)
    return out


@cache
def _indexes(data_dir: Path | None) -> tuple[dict[str, list[Any]], dict[str, list[Any]], dict[str, list[Any]]]:
    # Built once per bundle: rebuilding them per release cost 0.5 ms a call, 5 s of a 10,000-release site.
    mot, osai = load_bundle(data_dir)
    return _by_key(mot.records, "keys"), _by_key(osai.records, "keys"), _by_key(osai.records, "code_keys")


def _pick(by_key: Mapping[str, list[Any]], levels: list[tuple[MatchedBy, list[str]]],
          names: Any) -> tuple[Any | None, MatchedBy | None, str | None, list[Any]]:
    """(record, level, key, ambiguous candidates): the first level with one record, or one carrying the name."""
    ambiguous: list[Any] = []
    for by, keys in levels:
        found = {r.file: (r, k) for k in keys for r in by_key.get(k, [])}
        # A repository a grading cites as its code may be a shared framework (Megatron-LM, fairseq2):
        # at that level even a single record matches only when it carries the repository's name.
        if len(found) == 1 and by != "code":
            r, k = next(iter(found.values()))
            return r, by, k, []
        if found:
            # Several records behind one URL (a family repository): only the one whose own name is
            # the repository's name matches.
            named = [(r, k) for r, k in found.values()
                     if _norm_name(k.rsplit("/", 1)[-1]) in {_norm_name(n) for n in names(r)}]
            if len(named) == 1:
                return named[0][0], by, named[0][1], []
            ambiguous = ambiguous or sorted((r for r, _ in found.values()), key=lambda r: r.file)
    return None, None, None, ambiguous


def _mot_out(r: _MotRecord, by: MatchedBy, key: str, source: _Source) -> ExternalMot:
    from trueopen.assessors.mof import components as mof_components

    order = [(d.id, d.name) for d in mof_components()]
    comps = [ExternalMotComponent(id=cid, name=name, license=r.components[cid].license, open=r.components[cid].open)
             for cid, name in order if cid in r.components]
    return ExternalMot(name=r.name, producer=r.producer, class_=r.class_, class_read=r.class_read,
                       url=_record_url(source, r.file), release_urls=[r.urls[f] for f in sorted(r.urls)],
                       matched_by=by, key=key, components=comps, source=_attribution(source))


def _eu_out(r: _OsaiRecord, by: MatchedBy, key: str, source: _Source) -> ExternalEuIndex:
    from trueopen.assessors.eu_index import dimensions

    points = {"open": 1.0, "partial": 0.5, "closed": 0.0}
    dims = [ExternalEuDimension(id=d.id, name=d.name, grade=r.grades[d.id])
            for d in dimensions()[0] if d.id in r.grades]
    return ExternalEuIndex(name=r.name, org=r.org, url=_record_url(source, r.file), system_url=r.url, matched_by=by,
                           key=key, score=sum(points[d.grade] for d in dims), max_score=len(dims),
                           grades={d.id: d.grade for d in dims}, dimensions=dims, source=_attribution(source))


def match_external(release_id: str, audit: dict | None, *, data_dir: Path | None = None) -> dict | None:
    """The `external` block for a release (see :class:`External`), or None when no record shares its URLs.

    ``release_id``: the release's identity URL; ``audit``: its audit JSON (None for a failed audit:
    the records are still matched, nothing is compared). Raises InputError when the bundled data
    is missing or damaged.
    """
    mot, osai = load_bundle(data_dir)
    mot_keys, osai_keys, osai_code = _indexes(data_dir)
    levels = release_keys(release_id, audit)
    m, m_by, m_key, m_amb = _pick(mot_keys, levels, lambda r: [r.name])
    e, e_by, e_key, e_amb = _pick(osai_keys, levels, lambda r: [r.name, r.end_model])
    if e is None and not e_amb:
        # A checkout of the GitHub repository the grading cites for the family's code.
        code: list[tuple[MatchedBy, list[str]]] = [("code", [k for k in keys if k.startswith("gh:")])
                                                   for by, keys in levels if by == "id"]
        e, e_by, e_key, e_amb = _pick(osai_code, [c for c in code if c[1]], lambda r: [r.name, r.end_model])
    if m is None and e is None and not m_amb and not e_amb:
        return None
    out_mot = _mot_out(m, m_by, m_key, mot.source) if m is not None else None
    out_eu = _eu_out(e, e_by, e_key, osai.source) if e is not None else None
    candidates = sorted({f"MOT: {r.name}" for r in m_amb}) + sorted({f"EU index: {r.name}" for r in e_amb})
    ext = External(mot=out_mot, eu_index=out_eu, disagreements=disagreements(out_mot, out_eu, audit),
                   candidates=candidates[:MAX_CANDIDATES])
    return ext.model_dump(mode="json", by_alias=True)


# --- disagreements -------------------------------------------------------------------------------


def _first_path(evidence: Iterable[Any]) -> str | None:
    for ev in evidence or []:
        if isinstance(ev, Mapping) and ev.get("path"):
            return str(ev["path"])
    return None


def _where(path: str | None) -> str:
    return f" ({path})" if path else ""


def _measured_components(audit: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    comps = audit.get("components")
    return {c["id"]: c for c in comps if isinstance(c, Mapping) and isinstance(c.get("id"), str)} \
        if isinstance(comps, list) else {}


def _class_sentence(mot: ExternalMot, audit: Mapping[str, Any],
                    measured: Mapping[str, Mapping[str, Any]]) -> str | None:
    from trueopen.assessors.mof import components as mof_components

    mof = (audit.get("verdicts") or {}).get("mof") or {}
    ours = mof.get("class")
    if ours not in _CLASS_RANK or ours == mot.class_:
        return None
    read = f" ({mot.class_read} once its licence names are read as meant)" if mot.class_read != mot.class_ else ""
    why = ""
    if _CLASS_RANK[mot.class_] > _CLASS_RANK[ours]:
        need = [d for d in mof_components() if d.required and d.mof_class >= _CLASS_NUMBER[mot.class_]]
        absent = [d.name.lower() for d in need if (measured.get(d.id) or {}).get("status") != "present"]
        closed = [d.name.lower() for d in need
                  if (measured.get(d.id) or {}).get("status") == "present" and not measured[d.id].get("open")]
        parts = []
        if absent:
            parts.append("no " + ", ".join(absent[:MAX_NAMED]) + (", ..." if len(absent) > MAX_NAMED else ""))
        if closed:
            parts.append("not open: " + ", ".join(closed[:MAX_NAMED]) + (", ..." if len(closed) > MAX_NAMED else ""))
        why = f": the files show {'; '.join(parts)}" if parts else ""
    return f"MOT self-report: {mot.class_}{read}; the files measure {ours}{why}."


def _component_sentences(mot: ExternalMot, measured: Mapping[str, Mapping[str, Any]]) -> list[str]:
    from trueopen.assessors.mof import components as mof_components

    listed = {c.id: c for c in mot.components}
    out: list[str] = []
    for d in mof_components():
        got = measured.get(d.id)
        if got is None:
            continue
        status = got.get("status") or ("present" if got.get("present") else "missing")
        expr = (got.get("license") or {}).get("expression")
        path = _first_path(got.get("evidence"))
        claim = listed.get(d.id)
        if claim is None:
            if status == "present":
                out.append(f"MOT self-report does not list {d.name.lower()}; the files include it{_where(path)}.")
            continue
        lic = f"under {claim.license}" if claim.license else "with no licence"
        if status == "missing":
            out.append(f"MOT self-report lists {d.name} {lic}; the files show no {d.name.lower()}.")
        elif status == "referenced":
            refs = got.get("references") or []
            ref = refs[0] if refs and isinstance(refs[0], Mapping) else {}
            at = f" ({ref.get('target')} in {ref.get('path')})" if ref.get("target") else _where(path)
            out.append(f"MOT self-report lists {d.name} {lic}; the files only point to it{at}, unverified.")
        elif claim.open and not got.get("open"):
            theirs = f"license it {expr}" if expr else "give it no licence"
            out.append(f"MOT self-report lists {d.name} {lic} (open); the files {theirs}, not open{_where(path)}.")
        elif not claim.open and got.get("open"):
            out.append(f"MOT self-report lists {d.name} {lic} (not open); "
                       f"the files license it {expr}, open{_where(path)}.")
    return out


def _eu_sentences(eu: ExternalEuIndex, audit: Mapping[str, Any]) -> list[str]:
    dims = ((audit.get("verdicts") or {}).get("eu_index") or {}).get("dimensions")
    ours = {d["id"]: d for d in dims if isinstance(d, Mapping) and "id" in d} if isinstance(dims, list) else {}
    out = []
    for dim in eu.dimensions:
        got = ours.get(dim.id)
        if got is None or got.get("grade") == dim.grade:
            continue
        path = _first_path(got.get("evidence"))
        out.append(f"EU Open Source AI Index grades {dim.name} {dim.grade}; from the files trueopen grades it "
                   f"{got.get('grade')}{_where(path)}.")
    return out


def disagreements(mot: ExternalMot | None, eu: ExternalEuIndex | None, audit: Mapping[str, Any] | None) -> list[str]:
    """Each difference between the records and the audit, one sentence each.

    Order: the MOT class, MOT components in MOF order, EU index dimensions in the index's order.
    """
    if not isinstance(audit, Mapping):
        return []
    measured = _measured_components(audit)
    out: list[str] = []
    if mot is not None:
        sentence = _class_sentence(mot, audit, measured)
        if sentence:
            out.append(sentence)
        out.extend(_component_sentences(mot, measured))
    if eu is not None:
        out.extend(_eu_sentences(eu, audit))
    return out
