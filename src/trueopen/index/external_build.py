"""Build the bundled external-index data (data/external/*.json) from the two projects' published files.

- Model Openness Tool (lfai/model_openness_tool, MIT): `models/*.yml`, one self-reported MOF
  record per model. Each is evaluated with :mod:`trueopen.mot.records`: the class MOT-exact
  (strict, as mot.isitopen.ai shows it) and each listed component's licence read through
  trueopen's licence names (so "Apache 2.0" counts as open, as the record means it).
- European Open Source AI Index (Language-Technology-Assessment/main-database, CC-BY 4.0):
  `models/*.yaml`, one hand grading per model over 12 dimensions, open / partial / closed.

Only what matching and disagreements need is kept. Same input folders, same bytes: records sorted
by file name, keys sorted, no clock. Run through `scripts/refresh_external.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from trueopen.errors import InputError
from trueopen.index.urlkeys import url_key

__all__ = ["FORMAT", "MAX_FILES", "build_mot", "build_osai", "dump", "write_bundle"]

FORMAT = 1
MAX_FILES = 5000  # upstream has 273 and 194 files; a folder with more is not these projects' data
GRADES = ("open", "partial", "closed")

MOT_SOURCE = {
    "project": "Model Openness Tool",
    "publisher": "LF AI & Data",
    "repository": "https://github.com/lfai/model_openness_tool",
    "site": "https://mot.isitopen.ai",
    "license": "MIT",
    "path": "models",
}
OSAI_SOURCE = {
    "project": "European Open Source AI Index",
    "publisher": "Language Technology Assessment (Liesenfeld & Dingemanse)",
    "repository": "https://github.com/Language-Technology-Assessment/main-database",
    "site": "https://osai-index.eu",
    "license": "CC-BY-4.0",
    "citation": "Liesenfeld, A. and Dingemanse, M., 2024. Rethinking open source generative AI: open-washing "
                "and the EU AI Act. FAccT 2024, pp. 1774-1787. doi:10.5281/zenodo.15386042",
    "path": "models",
}
# What the copy's SOURCE.md / readme must say for the licence above to still hold.
_LICENCE_TEXT = {"mot": ("MIT",), "osai": ("CC-BY 4.0", "CC-BY-4.0", "CC BY 4.0")}
_SNAPSHOT = re.compile(r"\b([0-9a-f]{40})\b\D{0,30}?(\d{4}-\d{2}-\d{2})")


def _snapshot(folder: Path, which: str) -> dict[str, str]:
    """Commit and date of the copy, and a check that its licence is still the one we bundle under."""
    texts = []
    for name in ("SOURCE.md", "readme.md", "README.md", "LICENSE"):
        p = folder / name
        if p.is_file() and p.stat().st_size < 1 << 20:
            texts.append(p.read_text(encoding="utf-8", errors="replace"))
    text = "\n".join(texts)
    if not any(t in text for t in _LICENCE_TEXT[which]):
        raise InputError(f"{folder}: no SOURCE.md/readme.md/LICENSE stating the licence "
                         f"({' or '.join(_LICENCE_TEXT[which])}); check it before bundling")
    m = _SNAPSHOT.search(text)
    if not m:
        raise InputError(f"{folder}/SOURCE.md: no snapshot commit (40 hex digits) with its date")
    return {"commit": m.group(1), "date": m.group(2)}


def _files(folder: Path, pattern: str) -> list[Path]:
    d = folder / "models"
    if not d.is_dir():
        raise InputError(f"{folder}: no models/ folder (give the copy's top folder)")
    files = sorted((p for p in d.glob(pattern) if p.is_file()), key=lambda p: p.name)
    if len(files) > MAX_FILES:
        raise InputError(f"{d}: more than {MAX_FILES} files; not a copy of the upstream data")
    if not files:
        raise InputError(f"{d}: no {pattern} files")
    return files


def _keys(values: Iterable[tuple[object, bool]]) -> list[str]:
    return sorted({k for v, bare in values if (k := url_key(v, bare_hub=bare)) is not None})


def build_mot(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The MOT header and one compact record per `models/*.yml` (unreadable files are listed as skipped)."""
    from trueopen.mot.records import UNLICENSED, evaluate_record, load_record

    files = _files(folder, "*.yml")
    header = {**MOT_SOURCE, **_snapshot(folder, "mot"), "skipped": []}
    records = []
    for path in files:
        try:
            doc = load_record(path)
            strict = evaluate_record(doc, strict=True, file=path.name)
            read = evaluate_record(doc, strict=False, file=path.name)
        except InputError as exc:
            header["skipped"].append(f"{path.name}: {str(exc).split(': ', 1)[-1]}")
            continue
        rel = doc["release"]
        urls = {f: str(rel[f]).strip() for f in ("huggingface", "repository")
                if url_key(rel.get(f), bare_hub=f == "huggingface")}
        opened = {u.component: u for u in read.licenses}
        records.append({
            "file": path.name,
            "name": str(rel.get("name") or "").strip(),
            "producer": str(rel.get("producer") or "").strip(),
            "date": str(rel.get("date") or "") or None,
            "urls": urls,
            "keys": _keys((rel.get(f), f == "huggingface") for f in ("huggingface", "repository")),
            "class": strict.result.mof_class,
            "class_read": read.result.mof_class,
            # Listed components: the licence as written (own or inherited) and whether it is open
            # once read through trueopen's licence names.
            # (MOT's literal "unlicensed" is kept as null: no licence.)
            "components": {u.component: {"license": None if u.given == UNLICENSED else u.given,
                                         "open": opened[u.component].open}
                           for u in strict.licenses},
        })
    return header, records


def _links(value: object) -> list[object]:
    if isinstance(value, Mapping):
        value = value.get("link")
    return list(value) if isinstance(value, list) else [value]


def build_osai(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The EU index header and one compact grading per `models/*.yaml` (the template excluded)."""
    from trueopen.assessors.eu_index import dimensions
    from trueopen.mot.records import load_yaml_file

    files = _files(folder, "*.yaml")
    ours = {d.id for d in dimensions()[0]}
    params = load_yaml_file(folder / "_parameters.yml") if (folder / "_parameters.yml").is_file() else None
    if not isinstance(params, list):
        raise InputError(f"{folder}/_parameters.yml: missing or not the index's list of areas")
    dims = [{"ref": str(p["ref"]), "name": str(p.get("name", "")),
             "trueopen": str(p["ref"]) if p["ref"] in ours else None}
            for area in params if isinstance(area, Mapping) for p in area.get("params") or []
            if isinstance(p, Mapping) and p.get("ref")]
    header = {**OSAI_SOURCE, **_snapshot(folder, "osai"), "dimensions": dims, "skipped": []}
    records = []
    for path in files:
        if path.name.startswith("a_submission_template"):
            continue
        try:
            doc = load_yaml_file(path)
        except InputError as exc:
            header["skipped"].append(f"{path.name}: {str(exc).split(': ', 1)[-1]}")
            continue
        system = doc.get("system") if isinstance(doc, Mapping) else None
        if not isinstance(system, Mapping):
            header["skipped"].append(f"{path.name}: no `system` mapping")
            continue
        org = doc.get("org") if isinstance(doc.get("org"), Mapping) else {}
        own = _keys([(system.get("link"), False), *((v, False) for v in _links(doc.get("weights_endmodel")))])
        owners = {k.split(":", 1)[1].rsplit("/", 1)[0] for k in own if not k.startswith("url:")}
        # The base model's weights identify this entry only when its own org published them: a
        # fine-tune of someone else's base must not match audits of that base.
        base = [k for k in _keys((v, False) for v in _links(doc.get("weights_basemodel")))
                if not k.startswith("url:") and k.split(":", 1)[1].rsplit("/", 1)[0] in owners]
        grades = {}
        for d in dims:
            entry = doc.get(d["ref"])
            grade = entry.get("class") if isinstance(entry, Mapping) else None
            if grade in GRADES:
                grades[d["trueopen"] or f"osai:{d['ref']}"] = grade
        records.append({
            "file": path.name,
            "name": str(system.get("name") or "").strip(),
            "org": str(org.get("name") or "").strip(),
            "end_model": str(system.get("endmodelname") or "").strip() or None,
            "url": str(system.get("link")).strip() if url_key(system.get("link")) else None,
            "keys": sorted(set(own) | set(base)),
            # GitHub repositories of the entry's own org that the grading cites for training code or
            # code documentation: a checkout of one is this family's code (matched only when no URL
            # matches). Another org's repository is a dependency (AMD OLMo cites allenai/OLMo).
            "code_keys": [k for k in _keys((v, False) for f in ("trainingcode", "code") for v in _links(doc.get(f)))
                          if k.startswith("gh:") and k[3:].rsplit("/", 1)[0] in owners],
            "grades": grades,
        })
    return header, records


def dump(header: Mapping[str, Any], records: list[dict[str, Any]]) -> bytes:
    """The bundle's bytes: the header, then one record per line (diffs stay readable)."""
    head = json.dumps({"format": FORMAT, "source": header}, sort_keys=True, ensure_ascii=False)
    lines = [json.dumps(r, sort_keys=True, ensure_ascii=False, separators=(",", ":")) for r in records]
    return (head[:-1] + ',\n"records":[\n' + ",\n".join(lines) + "\n]}\n").encode("utf-8")


def write_bundle(mot: Path, osai: Path, out: Path) -> dict[str, int]:
    """Regenerate mot.json and osai_index.json in ``out``; returns the record count of each."""
    built = {"mot.json": build_mot(mot), "osai_index.json": build_osai(osai)}
    out.mkdir(parents=True, exist_ok=True)
    for name, (header, records) in built.items():
        tmp = out / f".{name}.tmp"
        tmp.write_bytes(dump(header, records))
        tmp.replace(out / name)
    return {name: len(records) for name, (_, records) in built.items()}
