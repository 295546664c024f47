"""The static index site: index.html (a sortable, filterable table of every release), a page per
release (its HTML report with its history and what other indexes say), compare.html (2 to 4
releases side by side, chosen in the URL), records.jsonl and records.csv.

Self-contained: styles and scripts inline and allowed by hash in a Content-Security-Policy, no
request leaves the folder, works from file:// (compare.html carries its data as JSON, since
file:// forbids fetch()). Deterministic: the same entries, in any order, give the same bytes."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pydantic_core
from pydantic import ValidationError

from trueopen.index.entry import IndexEntry
from trueopen.index.site_files import MARKER, SITE_FILES, read_marker
from trueopen.index.records import LABEL_ORDER, MOF_ORDER, SAFETY_ORDER, IndexRow, record_line, row_of

SLUG_MAX = 80
PAGE = 200  # rows the index lays out at once with JavaScript on (index.js: PAGE)
# Rendering one release page costs 1-4 ms (the HTML report); past this many releases the pages
# are rendered by one process per core (10,000 pages: see benchmarks/RESULTS.md, "index site").
PARALLEL_FROM = 500
LABEL_TONE = {"open-source": "good", "open-weights": "warn", "restricted-weights": "bad", "closed": "bad", "error": "bad"}
STATE_CODE = {"present-open": "O", "present-not-open": "P", "referenced-open": "r", "referenced-not-open": "R", "missing": "-"}


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("trueopen", "data/templates"),
                              autoescape=jinja2.select_autoescape(["html", "html.j2"], default=True),
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


@cache
def _script(name: str) -> tuple[str, str]:
    """A script's text and its CSP source ('sha256-...'): only these exact scripts may run."""
    text = _env().loader.get_source(_env(), f"index/{name}")[0]
    return text, "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def slugs(ids: Sequence[str]) -> list[str]:
    """A filesystem-safe page name per id: lower-case [a-z0-9._-] from the id without its scheme;
    an id whose name is shortened, or shared with another id (case, punctuation), gets the first
    10 hex of its sha256 appended, so the result does not depend on the order of the ids."""
    base = []
    for i in ids:
        s = re.sub(r"^[a-z][a-z0-9+.-]*://", "", i.strip(), flags=re.I).lower()
        s = re.sub(r"[^a-z0-9._-]+", "-", s).strip("-.") or "release"
        base.append(s)
    counts = Counter(base)
    out = []
    for i, s in zip(ids, base, strict=True):
        if counts[s] > 1 or len(s) > SLUG_MAX:
            s = s[:SLUG_MAX].rstrip("-.") + "-" + hashlib.sha256(i.encode()).hexdigest()[:10]
        out.append(s)
    seen: Counter[str] = Counter()  # the same id twice: number the later ones
    for k, s in enumerate(out):
        seen[s] += 1
        if seen[s] > 1:
            out[k] = f"{s}-{seen[s]}"
    return out


def _short_rev(rev: str) -> str:
    return rev[:12] if rev != "-" else rev


def _sort_keys(r: IndexRow) -> list[Any]:
    """Sort keys of the table's columns, precomputed so the browser only compares (errors last)."""
    last = "\uffff"
    rank = lambda order, v: order.index(v) if v in order else len(order)  # noqa: E731
    return [_name(r.id).lower() + "\u0000" + r.id, r.publisher.lower(), r.revision_date if r.revision_date != "-" else last,
            rank(LABEL_ORDER, r.label), rank(MOF_ORDER, r.mof_class), rank(("yes", "no"), r.osaid),
            rank(("yes", "no"), r.eu_exempt), r.license.lower() if r.license != "-" else last,
            rank(("yes", "conditional", "no", "unknown"), r.commercial), rank(SAFETY_ORDER, r.safety),
            rank(("none", "mild", "strong"), r.openwashing), -(r.components if r.components is not None else -1),
            rank(("replayable", "partial", "not-replayable"), r.reproducibility)]


def _name(release_id: str) -> str:
    """The short name shown in the table: OWNER/NAME of a URL, else the id."""
    m = re.match(r"^(?:[a-z][a-z0-9+.-]*://(?:[^/@]*@)?[^/]+/|[^/@\s]+@[^:/\s]+:)(.+?)(?:\.git)?/?$", release_id.strip(), re.I)
    return m.group(1) if m else release_id


def _audit_view(entry: IndexEntry) -> tuple[Any, str | None]:
    """The Audit of an entry, or the one-line reason it cannot be shown."""
    from trueopen.errors import validation_error_line
    from trueopen.record import Audit

    if entry.error or entry.audit is None:
        return None, entry.error or "no audit record"
    try:
        return Audit.model_validate(entry.audit), None
    except ValidationError as e:
        return None, "the audit record does not read: " + validation_error_line(e)


def _external(ext: dict[str, Any] | None) -> dict[str, Any] | None:
    """The external block (trueopen.index.external's shape: mot, eu_index, disagreements,
    candidates) reduced to what the page shows, tolerant of missing or odd keys."""
    if not isinstance(ext, dict) or not ext:
        return None

    def text(v: Any) -> str | None:
        return str(v) if isinstance(v, (str, int, float, bool)) and v != "" else None

    def record(d: Any, skip: tuple[str, ...]) -> dict[str, Any] | None:
        if not d:
            return None
        if not isinstance(d, dict):
            return {"facts": [("value", str(d))], "links": [], "rows": []}
        facts = [(str(k), t) for k, v in d.items() if k not in skip and (t := text(v)) is not None
                 and not t.startswith(("https://", "http://"))]
        links = [(str(k), str(v)) for k, v in d.items() if isinstance(v, str) and v.startswith(("https://", "http://"))]
        links += [(str(k), u) for k, v in d.items() if isinstance(v, list) for u in v if isinstance(u, str) and u.startswith(("https://", "http://"))]
        rows = []
        for item in d.get("components") or d.get("dimensions") or []:
            if isinstance(item, dict):
                rows.append([text(item.get("name")) or text(item.get("id")) or "-",
                             text(item.get("license")) or text(item.get("grade")) or "-",
                             {True: "open", False: "not open"}.get(item.get("open"), "")])
        return {"facts": facts, "links": links, "rows": rows}

    mot, eu = ext.get("mot"), ext.get("eu_index")
    dis, cand = ext.get("disagreements"), ext.get("candidates")
    return {"disagreements": [str(x) for x in dis] if isinstance(dis, list) else [],
            "candidates": [str(x) for x in cand] if isinstance(cand, list) else [],
            "mot": record(mot, ("class", "components")), "mot_class": mot.get("class") if isinstance(mot, dict) else None,
            "eu_index": record(eu, ("dimensions", "grades", "score", "max_score")),
            "eu_score": f"{eu['score']:g} / {eu['max_score']:g}" if isinstance(eu, dict) and isinstance(eu.get("score"), (int, float))
            and isinstance(eu.get("max_score"), (int, float)) else None}


def _history(entry: IndexEntry) -> list[dict[str, Any]]:
    return [{"revision": h.revision or "-", "revision_date": h.revision_date or "-", "audited_at": h.audited_at,
             "version": h.trueopen_version, "label": h.label or "-",
             "changes": [{"field": c.field, "before": c.before if c.before is not None else "-",
                          "after": c.after if c.after is not None else "-"} for c in h.changes]} for h in entry.history]


def render_release(entry: IndexEntry, row: IndexRow, title: str) -> str:
    """The page of one release: its HTML report with links back, its history and the external
    block; for an error (or an unreadable record), a page with the reason."""
    from trueopen.formats._view import view
    from trueopen.formats.html import SEVERITY_TONE

    audit, error = _audit_view(entry)
    extra = {"entry": entry, "row": row, "title": title, "history": _history(entry), "external": _external(entry.external),
             "name": _name(entry.id)}
    if audit is None:
        return _env().get_template("index/error.html.j2").render(error=error, **extra).rstrip("\n") + "\n"
    return _env().get_template("index/release.html.j2").render(
        v=view(audit), sev=SEVERITY_TONE, schema_version=audit.schema_version, **extra).rstrip("\n") + "\n"


def _render_chunk(items: list[tuple[IndexEntry, IndexRow, str]], title: str, folder: str) -> None:
    for entry, row, slug in items:
        _write(Path(folder) / f"{slug}.html", render_release(entry, row, title))


# The pages a forked worker renders: set before the pool forks, so the entries (30 kB of audit
# JSON each) are inherited instead of pickled to the workers.
_JOB: tuple[list[tuple[IndexEntry, IndexRow, str]], str, str] | None = None


def _render_range(start: int, stop: int) -> None:
    assert _JOB is not None
    items, title, folder = _JOB
    _render_chunk(items[start:stop], title, folder)


def _render_pages(items: list[tuple[IndexEntry, IndexRow, str]], title: str, folder: str, meanwhile: Callable[[], None]) -> None:
    """Every release page, and `meanwhile` (the other files) in this process; from PARALLEL_FROM
    pages, by one forked process per core (at most 8) while this one runs `meanwhile`."""
    global _JOB
    import multiprocessing

    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_FROM or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        _render_chunk(items, title, folder)
        meanwhile()
        return
    size = -(-len(items) // (workers * 4))
    _JOB = (items, title, folder)
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_render_range, i, i + size) for i in range(0, len(items), size)]
            meanwhile()
            for f in futures:
                f.result()
    finally:
        _JOB = None


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def _compare_data(entries: Sequence[IndexEntry], rows: Sequence[IndexRow], slugs_: Sequence[str]) -> dict[str, Any]:
    """What compare.html shows, compact: per release its verdicts, the 17 component states as a
    string of codes, component licences as indexes into one shared list, and the weights'
    licence id whose terms are shared once per licence."""
    from trueopen.formats._view import _terms, short
    from trueopen.licenses import expression_ids
    from trueopen.record import LicenseTerms

    components: list[list[str]] = []
    licences: list[str] = []
    lic_index: dict[str, int] = {}
    terms: dict[str, list[list[str]]] = {}
    releases: dict[str, Any] = {}
    for entry, row, slug in zip(entries, rows, slugs_, strict=True):
        rec = {"id": entry.id, "v": [row.label, row.mof_class, row.osaid, row.eu_exempt, row.license, row.commercial,
                                     row.safety, row.openwashing, "-" if row.components is None else f"{row.components}/17",
                                     row.reproducibility, _short_rev(row.revision), row.mot_class, _eu_score(entry.external)]}
        a = entry.audit if not row.error else None
        if row.error:
            rec["e"] = row.error
        if a:
            comps = a.get("components") or []
            if not components:
                components = [[c["id"], c["name"]] for c in comps]
            codes, cl = [], []
            by_id = {c["id"]: c for c in comps}
            for cid, _ in components:
                c = by_id.get(cid)
                state = "missing" if c is None or c.get("status") == "missing" else f"{c['status']}-{'open' if c.get('open') else 'not-open'}"
                codes.append(STATE_CODE.get(state, "-"))
                lic = short((c or {}).get("license", {}).get("expression")) or "-"
                cl.append(lic_index.setdefault(lic, len(lic_index)))
                if len(lic_index) > len(licences):
                    licences.append(lic)
            rec["c"], rec["l"] = "".join(codes), cl
            weights = by_id.get("model-parameters-final") or {}
            weights_ids = [short(x) for x in expression_ids((weights.get("license") or {}).get("expression") or "")]
            for lf in a.get("licenses") or []:
                lid = short(lf.get("id"))
                if lf.get("terms") and lid:
                    if lid not in weights_ids:
                        weights_ids.append(lid)
                    if lid not in terms:
                        try:
                            terms[lid] = [list(t) for t in _terms(LicenseTerms.model_validate(lf["terms"]))]
                        except ValidationError:
                            terms[lid] = []
            rec["t"] = weights_ids
        releases[slug] = rec
    return {"columns": ["Label", "MOF class", "OSAID conformant", "EU AI Act exemption", "Licence (weights)", "Commercial use",
                        "Safety", "Openwashing", "Components present", "Ready to rebuild", "Revision",
                        "Model Openness Tool (self-reported)", "European Open Source AI Index (by hand)"],
            "components": components, "licences": licences, "terms": terms, "releases": releases}


def _eu_score(ext: dict[str, Any] | None) -> str:
    eu = (ext or {}).get("eu_index") if isinstance(ext, dict) else None
    if isinstance(eu, dict) and isinstance(eu.get("score"), (int, float)) and isinstance(eu.get("max_score"), (int, float)):
        return f"{eu['score']:g} / {eu['max_score']:g}"
    return "-"


def _json_in_html(data: Any) -> str:
    """JSON for a <script type="application/json"> block: '<', '>' and '&' escaped so no text in
    it can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _csv(rows: Sequence[IndexRow]) -> str:
    buf = io.StringIO()
    fields = list(IndexRow.model_fields)
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(v) for k, v in r.model_dump().items()})
    return buf.getvalue()


def _cell(v: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: one starting with = + - @ (a release's own id or
    licence name) would otherwise be run as a formula; a quote in front keeps it text (OWASP)."""
    if v is None:
        return ""
    if isinstance(v, str) and v != "-" and v[:1] in ("=", "+", "-", "@", "\t", "\r"):  # "-" is "not known"
        return "'" + v
    return v


def _options(values: Iterator[str], order: Sequence[str] = ()) -> list[str]:
    present = set(values) - {"-"}
    return [v for v in order if v in present] + sorted(present - set(order))


def write_site(entries: Sequence[IndexEntry], out: Path, *, title: str = "trueopen index", digest: str = "") -> None:
    """Write the site into `out`: a new or empty folder, or one holding a site trueopen wrote (its
    `.trueopen-site.json`); any other folder is refused, so nothing of the user's is overwritten.
    Every file is rendered into a temporary folder inside `out` first (same file system: a mount
    point works), then each is moved in by one rename, so a failure leaves no half page. Pages
    of the previous site that are no longer in the index are removed; other files are left alone.
    InputError (one line) when `out` cannot be written."""
    from trueopen.errors import InputError

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; the site needs a folder")
    previous = read_marker(out)
    if previous is None and out.is_dir() and any(out.iterdir()):
        raise InputError(f"{out}: holds files and no trueopen site; name a new or empty folder (nothing was written)")
    # The table's first order: by the name shown (OWNER/NAME), as the Release column sorts.
    entries = sorted(entries, key=lambda e: (_name(e.id).lower(), e.id, e.target, e.audited_at, e.revision or ""))
    rows = [row_of(e) for e in entries]
    names = slugs([e.id for e in entries])
    try:
        out.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".trueopen-tmp-", dir=out))
    except OSError as e:
        raise InputError(f"{out}: cannot write the site there ({e.strerror or e})") from None
    try:
        _render_all(entries, rows, names, tmp, title)
        _move_in(tmp, out, previous or {})
        pages = sorted(f"{n}.html" for n in names)
        marker = tmp / MARKER
        marker.write_text(json.dumps({"digest": digest, "pages": pages}, indent=1) + "\n", encoding="utf-8")
        os.replace(marker, out / MARKER)
    except OSError as e:
        raise InputError(f"{out}: writing the site failed ({e.strerror or e}); no page is left half-written") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _render_all(entries: Sequence[IndexEntry], rows: Sequence[IndexRow], names: Sequence[str], tmp: Path, title: str) -> None:
    env = _env()
    (tmp / "releases").mkdir()

    def others() -> None:
        counts = Counter(r.label for r in rows)
        summary = [{"label": lab, "count": counts[lab], "tone": LABEL_TONE.get(lab, "none")}
                   for lab in _options(iter(counts), (*LABEL_ORDER, "error"))]
        table = [{"r": r, "slug": s, "name": _name(r.id), "rev": _short_rev(r.revision), "tone": LABEL_TONE.get(r.label, "none"),
                  "sortkey": json.dumps(_sort_keys(r), separators=(",", ":"))}
                 for r, s in zip(rows, names, strict=True)]
        js, js_hash = _script("index.js")
        head, head_hash = _script("head.js")
        _write(tmp / "index.html", env.get_template("index/index.html.j2").render(
            title=title, rows=table, total=len(rows), summary=summary, script=js, script_hash=f"{head_hash} {js_hash}",
            head_script=head, page=PAGE,
            labels=_options((r.label for r in rows), (*LABEL_ORDER, "error")),
            licences=_options(r.license for r in rows), safeties=_options((r.safety for r in rows), SAFETY_ORDER),
            version=entries[0].trueopen_version if entries else "").rstrip("\n") + "\n")
        cjs, cjs_hash = _script("compare.js")
        _write(tmp / "compare.html", env.get_template("index/compare.html.j2").render(
            title=title, data=_json_in_html(_compare_data(entries, rows, names)), script=cjs, script_hash=cjs_hash).rstrip("\n") + "\n")
        with open(tmp / "records.jsonl", "w", encoding="utf-8", newline="\n") as f:
            for e in entries:
                # IndexRecord's fields as a plain dict (validating 30 kB of audit through the model
                # cost 5 s for 10,000 records), written by pydantic_core: the audit keeps its own
                # field order (the record's contract).
                f.write(pydantic_core.to_json(record_line(e)).decode() + "\n")
        _write(tmp / "records.csv", _csv(rows))

    _render_pages(list(zip(entries, rows, names, strict=True)), title, str(tmp / "releases"), others)


def _move_in(tmp: Path, out: Path, previous: dict) -> None:
    """Move the rendered files into `out`, each by one rename; then remove the previous site's
    pages that the new one does not have (only pages trueopen wrote, as its marker lists them)."""
    pages = out / "releases"
    pages.mkdir(exist_ok=True)
    new = sorted(p.name for p in (tmp / "releases").iterdir())
    for name in new:
        os.replace(tmp / "releases" / name, pages / name)
    for name in SITE_FILES:
        os.replace(tmp / name, out / name)
    kept = set(new)
    for name in previous.get("pages", []):
        if isinstance(name, str) and name not in kept and "/" not in name and name.endswith(".html"):
            (pages / name).unlink(missing_ok=True)
