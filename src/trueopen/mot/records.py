"""Model Openness Tool model records (``models/*.yml``): load them safely, evaluate them as MOT does.

Two modes:

- ``strict=True`` (the default) is MOT-exact: licence strings are matched literally against MOT's
  own lists (``data/mot/mot.yml``), so "Apache 2.0" or "apache-2.0" is *not* open, exactly as on
  mot.isitopen.ai. Use it to reproduce MOT's numbers.
- ``strict=False`` reads each licence string through trueopen's licence names first
  ("Apache 2.0" -> Apache-2.0, "Gemma Terms of Use" -> LicenseRef-trueopen-gemma) and judges the
  id with trueopen's MOF rule (:func:`trueopen.licenses.is_open`). Use it to see what a record
  means once its free-text spellings are read as intended.

Licence resolution follows MOT (openness-frameworks.md §1.5): the component's own ``license``;
else the release licence for the component's content type; else ``release.license.distribution``;
else unlicensed. The class itself comes from :func:`trueopen.assessors.mof.classify`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from trueopen.assessors.mof import MOT_LABELS, ComponentDef, ComponentStatus, MofResult, classify, components
from trueopen.data import load_yaml
from trueopen.errors import InputError

__all__ = [
    "MAX_RECORD_BYTES",
    "LicenseUse",
    "MotEvaluation",
    "evaluate_file",
    "evaluate_record",
    "load_record",
    "load_yaml_file",
    "mot_description",
    "mot_is_open",
    "mot_type_appropriate",
]

MAX_RECORD_BYTES = 1 << 20
"""Largest record we read (the biggest upstream record is about 5 KB)."""

UNLICENSED = "unlicensed"  # MOT's literal for "no licence" in a component's `license` field
_GLOBAL_KEYS = ("distribution", "code", "data", "document")


@dataclass(frozen=True)
class LicenseUse:
    """How one listed component's licence was resolved and judged."""

    component: str  # trueopen slug, e.g. "model-parameters-final"
    given: str | None  # the string the record gives (own or inherited), None when none applies
    source: str  # "component", "content-type", "distribution" or "none"
    resolved_id: str | None  # the id judged: the literal string (strict) or trueopen's id (normalised)
    open: bool
    type_appropriate: bool
    licensed: bool

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by ``trueopen mof --format json``."""
        return {
            "component": self.component,
            "given": self.given,
            "source": self.source,
            "resolved_id": self.resolved_id,
            "open": self.open,
            "type_appropriate": self.type_appropriate,
        }


@dataclass(frozen=True)
class MotEvaluation:
    """One MOT record evaluated: its release facts, the MOF result and each licence decision."""

    file: str
    release: dict[str, Any]
    result: MofResult
    licenses: tuple[LicenseUse, ...]
    strict: bool
    statuses: dict[str, ComponentStatus] = field(repr=False, compare=False, default_factory=dict)

    def classification(self) -> dict[str, Any]:
        """Shaped like MOT's API ``classification``: class 0-3, label, progress per class number.

        Progress keeps two decimals (MOT's API prints unrounded floats such as 83.33333333333334);
        whole numbers are ints, as MOT prints them (0, 60, 100).
        """
        names = {"3": "Class III", "2": "Class II", "1": "Class I"}
        return {
            "class": self.result.class_number,
            "label": MOT_LABELS[self.result.class_number],
            "progress": {k: _number(self.result.progress[names[k]]) for k in ("1", "2", "3")},
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``trueopen mof --format json`` prints for one file."""
        return {
            "file": self.file,
            "mode": "strict" if self.strict else "normalised",
            "release": self.release,
            "classification": self.classification(),
            "next_class": self.result.next_class,
            "next_needs": list(self.result.next_needs),
            "missing": list(self.result.missing),
            "not_open": list(self.result.not_open),
            "warnings": list(self.result.warnings),
            "licenses": [u.to_dict() for u in self.licenses],
        }


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# --- MOT's licence tables -------------------------------------------------------------------


@cache
def _mot_tables() -> tuple[frozenset[str], dict[str, frozenset[str]], dict[str, str]]:
    raw = load_yaml("mot/mot.yml")
    open_ids = frozenset(str(i) for i in (*raw["open_spdx"], *raw["open_data"]))
    types = {str(k): frozenset(str(t) for t in v) for k, v in raw["type_appropriate"].items()}
    return open_ids, types, {str(k): str(v) for k, v in raw["descriptions"].items()}


def mot_is_open(license_id: str) -> bool:
    """Open as MOT decides: the literal id is OSI-approved or FSF-libre in MOT's SPDX list, or on its open-data list."""
    return license_id in _mot_tables()[0]


def mot_type_appropriate(license_id: str, content_type: str) -> bool:
    """Whether MOT's mof-licenses.json lists this literal id for this content type."""
    return content_type in _mot_tables()[1].get(license_id, frozenset())


def mot_description(name: str) -> str:
    """MOT's description of a component, by MOT name ("" when unknown)."""
    return _mot_tables()[2].get(name, "")


# --- loading --------------------------------------------------------------------------------


def load_yaml_file(path: Path | str, *, max_bytes: int = MAX_RECORD_BYTES) -> Any:
    """Parse one YAML file with yaml.safe_load, refusing files over ``max_bytes``.

    Raises InputError (naming the file) for unreadable, oversized or invalid YAML.
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(f"{p}: larger than {max_bytes} bytes (limit for a MOT record)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not UTF-8 text (byte {exc.start})") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader either way
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InputError(f"{p}: not valid YAML{where}") from None
    except RecursionError:
        raise InputError(f"{p}: YAML nested too deeply") from None


def load_record(path: Path | str) -> dict[str, Any]:
    """Load and check one MOT model record; raises InputError naming the file when it is not one."""
    doc = load_yaml_file(path)
    _check(doc, str(path))
    return doc


def _check(doc: Any, where: str) -> None:
    if doc is None:
        raise InputError(f"{where}: empty file, not a MOT model record")
    if not isinstance(doc, Mapping):
        raise InputError(f"{where}: not a MOT model record (the YAML is not a mapping)")
    release = doc.get("release")
    if not isinstance(release, Mapping):
        raise InputError(f"{where}: not a MOT model record (no `release` mapping)")
    lic = release.get("license")
    if lic is not None and not isinstance(lic, Mapping):
        raise InputError(f"{where}: release.license must be a mapping of distribution/code/data/document")
    comps = release.get("components")
    if comps is not None and not isinstance(comps, list):
        raise InputError(f"{where}: release.components must be a list")
    by_name = _by_name()
    for i, comp in enumerate(comps or []):
        if not isinstance(comp, Mapping):
            raise InputError(f"{where}: release.components[{i}] is not a mapping")
        name = comp.get("name")
        if name not in by_name:
            raise InputError(f"{where}: release.components[{i}]: unknown MOF component name {name!r}")


@cache
def _by_name() -> dict[str, ComponentDef]:
    return {d.name: d for d in components()}


# --- evaluation -----------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    # Licences are strings; tolerate {name: ...} mappings (the global form) and scalars.
    if isinstance(value, Mapping):
        value = value.get("name")
    if value is None:
        return None
    return str(value).strip()


def _release_facts(release: Mapping[str, Any]) -> dict[str, Any]:
    # The scalar facts as in the file (licences and components are reported on their own).
    out: dict[str, Any] = {}
    for key, value in release.items():
        if key in ("license", "components"):
            continue
        if isinstance(value, (_dt.date, _dt.datetime)):
            value = value.isoformat()  # an unquoted YAML date
        if value is None or isinstance(value, (str, int, float, bool)):
            out[str(key)] = value
    return out


def _judge(lic: str, content_type: str, strict: bool) -> tuple[str | None, bool, bool, bool]:
    """(resolved id, open, type-appropriate, licensed) for a non-empty licence string."""
    if strict:
        return lic, mot_is_open(lic), mot_type_appropriate(lic, content_type), True
    from trueopen.licenses import expression_ids, is_open, is_type_appropriate
    from trueopen.mot.normalize import no_license_kind, normalise_license_name

    kind = no_license_kind(lic)
    if kind in ("none", "undisclosed"):
        return None, False, False, False
    lid = normalise_license_name(lic)
    if lid is None:
        return None, False, False, True
    ids = expression_ids(lid)
    appropriate = bool(ids) and all(is_type_appropriate(i, content_type) for i in ids)
    return lid, is_open(lid), appropriate, True


def evaluate_record(doc: Mapping[str, Any], *, strict: bool = True, file: str = "") -> MotEvaluation:
    """Evaluate one MOT record (as loaded by :func:`load_record`) as MOT does.

    Raises InputError when ``doc`` is not a MOT model record.
    """
    _check(doc, file or "<record>")
    release = doc["release"]
    globals_ = {k: _text(v) for k, v in (release.get("license") or {}).items() if k in _GLOBAL_KEYS}
    by_name = _by_name()
    statuses: dict[str, ComponentStatus] = {}
    uses: dict[str, LicenseUse] = {}
    for comp in release.get("components") or []:
        d = by_name[comp["name"]]
        if comp.get("license") is not None:
            lic, source = _text(comp["license"]) or None, "component"  # set but empty: unlicensed
        elif globals_.get(d.content_type):
            lic, source = globals_[d.content_type], "content-type"
        elif globals_.get("distribution"):
            lic, source = globals_["distribution"], "distribution"
        else:
            lic, source = None, "none"
        if lic is None or lic == UNLICENSED:
            status = ComponentStatus(present=True, open=False, licensed=False)
            use = LicenseUse(d.id, lic, source, None, False, False, False)
        else:
            rid, is_open, appropriate, licensed = _judge(lic, d.content_type, strict)
            status = ComponentStatus(present=True, open=is_open, type_appropriate=appropriate,
                                     licensed=licensed, license=rid or lic)
            use = LicenseUse(d.id, lic, source, rid, is_open, appropriate, licensed)
        # A component listed twice: the last entry wins, as MOT's importer overwrites it.
        statuses[d.id] = status
        uses[d.id] = use
    order = {d.id: i for i, d in enumerate(components())}
    return MotEvaluation(
        file=file,
        release=_release_facts(release),
        result=classify(statuses),
        licenses=tuple(sorted(uses.values(), key=lambda u: order[u.component])),
        strict=strict,
        statuses=statuses,
    )


def evaluate_file(path: Path | str, *, strict: bool = True) -> MotEvaluation:
    """Load and evaluate one MOT model record file; raises InputError naming the file when it is bad."""
    return evaluate_record(load_record(path), strict=strict, file=str(path))
