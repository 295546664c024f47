"""What the release states about the model itself, as read: task, architecture, evaluation
results, hyperparameters, limitations, intended use, energy. No judgement: AI-BOMs and reports
carry these facts beside the verdicts."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from trueopen.data import load_yaml
from trueopen.inspectors.card import ParsedCard
from trueopen.record import Evidence, Metric, ModelFacts, Passage, Recipe, Setting
from trueopen.release import Release

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


@cache
def _rules() -> dict[str, Any]:
    raw = load_yaml("model_facts.yml")
    return {
        "sections": {k: [re.compile(p, re.IGNORECASE) for p in v] for k, v in raw["sections"].items()},
        "setting": re.compile(raw["setting"]),
        "argparse": re.compile(raw["argparse"]),
        "limits": raw["limits"],
    }


def read_model_facts(release: Release, card: ParsedCard, recipe: Recipe, folders: tuple[str, ...] = ("",)) -> ModelFacts:
    """The model facts of a release from its primary card, the first config.json found in
    `folders` (the card's folder first, then each scope root) and its recipe."""
    r = _rules()
    meta = card.metadata if isinstance(card.metadata, dict) else {}
    config = next((c for c in (_config(release, f, r["limits"]["config_bytes"]) for f in dict.fromkeys(folders)) if c), {})
    sections = _sections(card, r)
    return ModelFacts(
        name=_model_name(meta) or _first_heading(card),
        task=_scalar(meta.get("pipeline_tag")),
        library=_scalar(meta.get("library_name")),
        languages=_strings(meta.get("language")),
        architecture_family=_scalar(config.get("model_type")),
        architectures=_strings(config.get("architectures")),
        base_model_relation=_scalar(meta.get("base_model_relation")),
        hyperparameters=_settings(recipe, r),
        metrics=_metrics(meta, card, r["limits"]["metrics"]),
        limitations=sections["limitations"],
        intended_use=sections["intended_use"],
        energy=_co2(meta, card) + sections["energy"],
    )


def _config(release: Release, folder: str, limit: int) -> dict[str, Any]:
    path = f"{folder}/config.json" if folder else "config.json"
    f = release.get(path)
    if f is None or f.size > limit:
        return {}
    read = release.read_text(path, limit=limit)
    try:
        data = json.loads(read.text or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _scalar(value: Any) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()[:200]
    return None


def _strings(value: Any) -> list[str]:
    if isinstance(value, (str, int, float)):
        value = [value]
    if not isinstance(value, list):
        return []
    return sorted({s for s in (_scalar(v) for v in value[:100]) if s})


def _model_name(meta: dict[str, Any]) -> str | None:
    index = meta.get("model-index")
    if isinstance(index, list) and index and isinstance(index[0], dict):
        return _scalar(index[0].get("name"))
    return _scalar(meta.get("model_name"))


def _first_heading(card: ParsedCard) -> str | None:
    for line in _body_lines(card):
        m = HEADING.match(line[1])
        if m and len(m.group(1)) == 1:
            return m.group(2)[:200]
    return None


def _body_lines(card: ParsedCard) -> list[tuple[int, str]]:
    """(1-based line number in the card file, line) for the body after the front matter, outside code fences."""
    lines = card.text.splitlines()
    out, fenced = [], False
    for i in range(card.front_matter_lines, len(lines)):
        if FENCE.match(lines[i]):
            fenced = not fenced
            continue
        if not fenced:
            out.append((i + 1, lines[i]))
    return out


def _line_of(card: ParsedCard, needle: str) -> int | None:
    for i, line in enumerate(card.text.splitlines()[: card.front_matter_lines + 1], 1):
        if line.startswith(needle):
            return i
    return None


def _metrics(meta: dict[str, Any], card: ParsedCard, limit: int) -> list[Metric]:
    index = meta.get("model-index")
    if not isinstance(index, list) or not card.card.path:
        return []
    ev = [Evidence(path=card.card.path, line=_line_of(card, "model-index"), detail="model-index in the card")]
    out: list[Metric] = []
    for entry in index[:20]:
        results = entry.get("results") if isinstance(entry, dict) else None
        for res in results if isinstance(results, list) else []:
            if not isinstance(res, dict):
                continue
            task = res.get("task") if isinstance(res.get("task"), dict) else {}
            ds = res.get("dataset") if isinstance(res.get("dataset"), dict) else {}
            for m in res.get("metrics") or []:
                if not isinstance(m, dict) or _scalar(m.get("type")) is None or _scalar(m.get("value")) is None:
                    continue
                out.append(Metric(type=_scalar(m["type"]) or "", value=_scalar(m["value"]) or "", name=_scalar(m.get("name")),
                                  task=_scalar(task.get("type")), dataset=_scalar(ds.get("name")) or _scalar(ds.get("type")),
                                  split=_scalar(ds.get("split")), evidence=ev))
                if len(out) >= limit:
                    return out
    return out


def _co2(meta: dict[str, Any], card: ParsedCard) -> list[Passage]:
    co2 = meta.get("co2_eq_emissions")
    if co2 is None or not card.card.path:
        return []
    if isinstance(co2, dict):
        text = ", ".join(f"{k}: {v}" for k, v in sorted(co2.items(), key=lambda kv: str(kv[0])) if _scalar(v))
    else:
        text = f"emissions: {co2} g CO2eq" if _scalar(co2) else ""
    if not text:
        return []
    return [Passage(text=f"co2_eq_emissions {text}"[:600],
                    evidence=[Evidence(path=card.card.path, line=_line_of(card, "co2_eq_emissions"), detail="co2_eq_emissions in the card")])]


def _sections(card: ParsedCard, r: dict[str, Any]) -> dict[str, list[Passage]]:
    """Passages under the headings each section kind names, in card order."""
    found: dict[str, list[Passage]] = {k: [] for k in r["sections"]}
    if not card.card.path or not card.text:
        return found
    body = _body_lines(card)
    limits = r["limits"]
    heads = [(i, len(m.group(1)), m.group(2)) for i, (_, line) in enumerate(body) if (m := HEADING.match(line))]
    for pos, (i, level, title) in enumerate(heads):
        kind = next((k for k, pats in r["sections"].items() if any(p.search(title) for p in pats)), None)
        if kind is None or len(found[kind]) >= limits["passages"]:
            continue
        end = next((j for j, lv, _ in heads[pos + 1:] if lv <= level), len(body))
        text = " ".join(" ".join(line.split()) for _, line in body[i + 1:end] if not HEADING.match(line)).strip()
        if not text:
            continue
        cut = text if len(text) <= limits["passage_chars"] else text[: limits["passage_chars"] - 1].rsplit(" ", 1)[0] + "…"
        found[kind].append(Passage(text=f"{title}: {cut}",
                                   evidence=[Evidence(path=card.card.path, line=body[i][0], detail=f"section \"{title}\"")]))
    return found


def _settings(recipe: Recipe, r: dict[str, Any]) -> list[Setting]:
    """`key: value` settings among the hyperparameter evidence; the first statement of a key wins."""
    seen: dict[str, Setting] = {}
    for ev in recipe.hyperparameters:
        m = r["setting"].match(ev.detail) or r["argparse"].search(ev.detail)
        if not m:
            continue
        key, value = m.group("key").replace("-", "_"), m.group("value").strip().strip("\"'")
        if not value or key in seen or value.endswith(("(", "[", "{")):
            continue
        seen[key] = Setting(key=key, value=value, evidence=[ev])
    return sorted(seen.values(), key=lambda s: s.key)
