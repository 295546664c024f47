"""Free-text licence names (MOT records, the European Open Source AI Index) -> trueopen licence ids.

MOT records and the EU index spell licences freely: "Apache 2.0", "MIT license", "llama3.1",
"Gemma Terms of Use", "Undisclosed". :func:`normalise_license_name` reads them through
:func:`trueopen.licenses.identify_name` (SPDX ids and names, Hugging Face ids, catalog aliases, the
free spellings of ``data/licenses/names.yml``); :func:`report` measures how much of a corpus of
such records that covers and lists the rest.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from trueopen.data import load_yaml
from trueopen.licenses import identify_name

__all__ = ["license_strings", "no_license_kind", "normalise_license_name", "report"]

MAX_TEXT_CHARS = 512
_WS = re.compile(r"\s+")
_QUOTES = "\"'“”‘’`"
_PAREN_TAIL = re.compile(r"\s*\([^()]*\)\s*$")
# Phrases that name several licences: "Apache-2.0 and CC-BY-4.0", "MIT; CC0-1.0".
_SEVERAL = re.compile(r"\s+(?:and|&|\+)\s+|\s*;\s*", re.IGNORECASE)


def _fold(text: str) -> str:
    return _WS.sub(" ", text.strip().strip(_QUOTES).casefold()).strip(" .;,:")


@cache
def _markers() -> dict[str, str]:
    return {_fold(str(k)): str(v) for k, v in load_yaml("mot/mot.yml")["no_license"].items()}


def no_license_kind(text: str | None) -> str | None:
    """What a value that names no licence means: "none", "undisclosed", "proprietary", "custom", "mixed".

    None when the value is not one of those markers (it may name a licence). An empty value is "none".
    """
    if text is None:
        return "none"
    folded = _fold(str(text)[:MAX_TEXT_CHARS])
    if not folded:
        return "none"
    markers = _markers()
    if folded in markers:
        return markers[folded]
    # "Unknown (research purposes only)", "not specified (inaccessible pages)"
    bare = _fold(_PAREN_TAIL.sub("", folded))
    return markers.get(bare)


def normalise_license_name(text: str | None) -> str | None:
    """The trueopen licence id a free-text licence name stands for, or None.

    A phrase naming several licences gives an SPDX-style ``A AND B`` of trueopen ids, but only
    when every part is known. None for values that name no licence ("Undisclosed", "unlicensed")
    and for names trueopen does not know.
    """
    if not isinstance(text, str):
        return None
    raw = text.strip()[:MAX_TEXT_CHARS]
    if no_license_kind(raw) is not None:
        return None
    for candidate in dict.fromkeys((raw, raw.strip(_QUOTES).strip())):
        match = identify_name(candidate)
        if match is not None:
            return match.id
    parts = [p for p in _SEVERAL.split(raw) if p.strip()]
    if len(parts) > 1:
        ids = [identify_name(p.strip().strip(_QUOTES)) for p in parts]
        if all(ids):
            return " AND ".join(dict.fromkeys(m.id for m in ids if m))
    return None


# --- the corpus -----------------------------------------------------------------------------

_NOTE_SEGMENTS = re.compile(r"\.\s+|\.$|;\s*")  # sentence ends; "CC-BY-4.0" keeps its dots
_NOTE_LABELLED = re.compile(r"^\s*(?:weights|code|data|model|models)\s*:\s*(.+?)\s*$", re.IGNORECASE)
_NOTE_LEAD = re.compile(r"^\s*(.{2,80}?),\s+(?:not\s+)?an?\s+(?:osi|open)", re.IGNORECASE)
_NOTE_CUT = re.compile(r",|\s+for\s+|\s+but\s+", re.IGNORECASE)
# "Model released under the MIT license" -> "the MIT license" -> "MIT license"
_NOTE_PREFIX = re.compile(
    r"^(?:(?:the\s+)?(?:model|models|weights)\s+(?:is\s+|are\s+)?)?(?:released|licensed|available|distributed)\s+"
    r"(?:under|through|with|via)\s+(?:the\s+|an?\s+)?",
    re.IGNORECASE,
)


def _note_names(notes: str) -> list[str]:
    """Licence names in an EU index ``licenses.notes`` text (heuristic, see report())."""
    out: list[str] = []
    for seg in _NOTE_SEGMENTS.split(notes[: MAX_TEXT_CHARS * 4]):
        if m := _NOTE_LABELLED.match(seg):
            # "Apache-2.0 for end model, base model data not disclosed" -> "Apache-2.0"
            out.append(_NOTE_CUT.split(m.group(1))[0].strip())
        elif m := _NOTE_LEAD.match(seg):
            out.append(m.group(1).strip())
    return [_NOTE_PREFIX.sub("", s).strip() for s in out if s.strip()]


def license_strings(doc: Any) -> tuple[str, list[str]]:
    """(corpus, licence strings) of one parsed record.

    corpus is "mot" (release.license.*.name and components[].license), "eu_index"
    (system.endmodellicense) or "" (neither shape). EU index notes are returned by
    :func:`_eu_note_strings`, separately, because they are extracted heuristically.
    """
    if not isinstance(doc, Mapping):
        return "", []
    release = doc.get("release")
    if isinstance(release, Mapping):
        found: list[str] = []
        lic = release.get("license")
        for value in (lic.values() if isinstance(lic, Mapping) else ()):
            name = value.get("name") if isinstance(value, Mapping) else value
            if name is not None:
                found.append(str(name))
        for comp in release.get("components") or ():
            if isinstance(comp, Mapping) and comp.get("license") is not None:
                found.append(str(comp["license"]))
        return "mot", found
    system = doc.get("system")
    if isinstance(system, Mapping):
        value = system.get("endmodellicense")
        return "eu_index", ["" if value is None else str(value)]
    return "", []


def _eu_note_strings(doc: Any) -> list[str]:
    lic = doc.get("licenses") if isinstance(doc, Mapping) else None
    notes = lic.get("notes") if isinstance(lic, Mapping) else None
    return _note_names(notes) if isinstance(notes, str) else []


def _verdict(text: str) -> tuple[str, str | None]:
    """("normalised", id) | ("no_licence", kind) | ("unresolved", None)."""
    lid = normalise_license_name(text)
    if lid is not None:
        return "normalised", lid
    kind = no_license_kind(text)
    if kind is not None:
        return "no_licence", kind
    return "unresolved", None


def _share(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _summary(counter: Counter[str], records: int) -> dict[str, Any]:
    occ: Counter[str] = Counter()
    dist: Counter[str] = Counter()
    for text, n in counter.items():
        kind = _verdict(text)[0]
        occ[kind] += n
        dist[kind] += 1
    total_occ, total_dist = sum(counter.values()), len(counter)
    naming_occ = total_occ - occ["no_licence"]
    naming_dist = total_dist - dist["no_licence"]
    return {
        "records": records,
        "occurrences": {
            "total": total_occ,
            "normalised": occ["normalised"],
            "no_licence": occ["no_licence"],
            "unresolved": occ["unresolved"],
            # share of all strings that map to a licence id
            "share_normalised": _share(occ["normalised"], total_occ),
            # share of strings that were read (an id or a known "no licence" marker)
            "share_understood": _share(occ["normalised"] + occ["no_licence"], total_occ),
            # share among strings that try to name a licence (markers left out)
            "share_of_licence_names": _share(occ["normalised"], naming_occ),
        },
        "distinct": {
            "total": total_dist,
            "normalised": dist["normalised"],
            "no_licence": dist["no_licence"],
            "unresolved": dist["unresolved"],
            "share_normalised": _share(dist["normalised"], total_dist),
            "share_understood": _share(dist["normalised"] + dist["no_licence"], total_dist),
            "share_of_licence_names": _share(dist["normalised"], naming_dist),
        },
    }


def report(paths: Iterable[Path | str]) -> dict[str, Any]:
    """How many licence strings of MOT records and EU index records normalise, and the rest.

    Each path is a MOT model record or an EU index record (told apart by shape; other YAML is
    counted under ``skipped``). Returns, per corpus ("mot", "eu_index" for
    ``system.endmodellicense``, "eu_index_notes" for names pulled heuristically from the
    ``licenses.notes`` text: "Weights: X. Code: Y." and "X, an OSI-approved licence"), the
    counts and shares over occurrences and distinct strings, then ``normalised`` (string -> id)
    and ``rest`` (unresolved strings, most frequent first, with their corpora). Reads each file
    once (1 MiB limit each); raises InputError for a file that is not YAML.
    """
    from trueopen.mot.records import load_yaml_file

    counters: dict[str, Counter[str]] = {"mot": Counter(), "eu_index": Counter(), "eu_index_notes": Counter()}
    records: Counter[str] = Counter()
    skipped: list[str] = []
    for path in sorted(Path(p) for p in paths):
        doc = load_yaml_file(path)
        corpus, found = license_strings(doc)
        if not corpus:
            skipped.append(str(path))
            continue
        records[corpus] += 1
        counters[corpus].update(s.strip() for s in found)
        if corpus == "eu_index":
            records["eu_index_notes"] += 1
            counters["eu_index_notes"].update(_eu_note_strings(doc))

    normalised: dict[str, str] = {}
    rest: dict[str, dict[str, Any]] = {}
    for corpus, counter in counters.items():
        for text, n in counter.items():
            kind, value = _verdict(text)
            if kind == "normalised" and value is not None:
                normalised[text] = value
            elif kind == "unresolved":
                entry = rest.setdefault(text, {"text": text, "count": 0, "corpora": []})
                entry["count"] += n
                entry["corpora"] = sorted({*entry["corpora"], corpus})
    return {
        **{corpus: _summary(counter, records[corpus]) for corpus, counter in counters.items()},
        "skipped": skipped,
        "normalised": dict(sorted(normalised.items(), key=lambda kv: kv[0].casefold())),
        "rest": sorted(rest.values(), key=lambda e: (-e["count"], e["text"].casefold(), e["text"])),
    }
