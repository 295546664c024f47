"""`trueopen data audit`: stream a dataset shard by shard, run the checks, build the report and
(optionally) write the cleaned release."""

from __future__ import annotations

import importlib
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trueopen.datasets.inputs import IMAGE, ROW, Dataset, Shard, discover, iter_batches, resolve_columns, shard_columns
from trueopen.datasets.lists import (Blocklist, key_sha256, load_blocklists, load_domain_licenses, load_domains,
                                     normalise_key)
from trueopen.datasets.rowchecks import META_COLUMNS, RowStats, check_rows
from trueopen.errors import InputError

CHECKS = ("blocklists", "opt-out", "licences", "personal-data", "duplicates", "disguised-copies", "card")
ENGINES = ("duckdb", "spark")
REMOVABLE = ("blocklists", "opt-out", "duplicates", "disguised-copies")
DEFAULT_PDQ_DISTANCE = 31  # Meta's PDQ documentation: distance <= 31 of 256 bits is a match
DEFAULT_NEAR_DUP = 0.8
DEFAULT_MAX_DOWNLOAD = 10 << 30  # bytes of data files fetched from the Hub for one audit


@dataclass(frozen=True)
class Hit:
    """A row a check flagged: where it is, its name, the check, the list or rule, the key's sha256."""

    shard: str
    row: int
    name: str
    reason: str
    source: str
    key_sha256: str


@dataclass
class _State:
    rows: int = 0
    shards_read: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    stats: RowStats = field(default_factory=RowStats)
    sha_rows: dict[str, list[tuple[str, int, str]]] = field(default_factory=lambda: defaultdict(list))
    pdq_rows: list[tuple[str, int, str, str]] = field(default_factory=list)  # (shard, row, name, pdq)
    not_run: dict[str, str] = field(default_factory=dict)


def _algo(name: str) -> Any | None:
    """The algorithm modules (neardup, spun, pdq) are optional at import time."""
    try:
        return importlib.import_module(f"trueopen.datasets.{name}")
    except ImportError:
        return None


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


def audit(path: str | Path, *, blocklists: Sequence[str | Path] = (), opt_out: str | Path | None = None,
          domain_licenses: str | Path | None = None, columns: Mapping[str, str | None] | None = None,
          checks: Iterable[str] | None = None, engine: str = "duckdb", spark_master: str | None = None,
          pdq_distance: int = DEFAULT_PDQ_DISTANCE, near_dup_threshold: float = DEFAULT_NEAR_DUP,
          spun_min_score: float | None = None, write_clean: str | Path | None = None,
          remove: Iterable[str] = ("blocklists",), strict: bool = False, max_evidence: int = 1000,
          progress: Callable[[int], None] | None = None, stage: Callable[[str], None] | None = None,
          revision: str | None = None,
          max_download: int = DEFAULT_MAX_DOWNLOAD, offline: bool | None = None, token: str | None = None,
          memory_limit: str | None = None) -> dict[str, Any]:
    """Audit a dataset (Parquet, JSONL, CSV or WebDataset; a file or a folder of shards, a Hub
    dataset `hf://datasets/ORG/NAME` or an HF cache folder) against blocklists and rules; returns
    the report (a JSON-ready dict) and, with `write_clean`, writes the cleaned release there.
    Raises InputError on unusable input."""
    from trueopen.datasets.hub import resolve

    hub = resolve(str(path), revision=revision, max_download=max_download, offline=offline, token=token)
    if hub is not None:
        found = discover(hub.folder, links_within=hub.cache_repo)
        ds = Dataset(found.root, found.fmt, found.shards, found.card, label=hub.label)
    else:
        if revision:
            raise InputError(f"{path}: --revision applies to Hub datasets and HF cache folders only")
        ds = discover(path)
    if engine not in ENGINES:
        raise InputError(f"--engine {engine}: unknown ({', '.join(ENGINES)})")
    run = set(CHECKS if checks is None else checks)
    bad = run - set(CHECKS)
    if bad:
        raise InputError(f"unknown check {sorted(bad)[0]} (checks: {', '.join(CHECKS)})")
    removing = set(remove)
    if removing - set(REMOVABLE):
        raise InputError(f"--remove {sorted(removing - set(REMOVABLE))[0]}: not a check that removes rows ({', '.join(REMOVABLE)})")
    if not 0 <= pdq_distance <= 256:
        raise InputError("--pdq-distance must be between 0 and 256")
    lists = load_blocklists(blocklists) if "blocklists" in run else []
    optout = load_domains(opt_out) if opt_out and "opt-out" in run else None
    dom_lic = load_domain_licenses(domain_licenses) if domain_licenses else None
    if write_clean is not None:
        out = Path(write_clean).expanduser()
        if out.exists():
            raise InputError(f"{out}: already exists; --write-clean writes a new folder")
        if not out.parent.is_dir():
            raise InputError(f"{out.parent}: no such folder")
        # A folder of shards: OUT outside it (else the cleaned copy would be part of the dataset next time).
        # One file: OUT anywhere else, the file's own folder included.
        single = hub is None and Path(str(path)).expanduser().is_file()
        if not single and (out.resolve() == ds.root.resolve() or ds.root.resolve() in out.resolve().parents):
            raise InputError(f"{out}: the cleaned release must be outside the dataset folder")
    st = _State()
    cols = _columns(ds, columns or {}, st, strict)
    pdq_mod = _algo("pdq")
    pdq_lists = [(bl.name, k, h) for bl in lists for kind, k, h in bl.entries if kind == "pdq"]
    pdq_index = None
    if pdq_lists:
        if pdq_mod is None:
            raise InputError("a blocklist has pdq entries but PDQ matching (trueopen.datasets.pdq) is not available")
        by_hash: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for name, k, h in pdq_lists:
            by_hash[k].append((name, h))
        entries = sorted(by_hash)
        pdq_index = (pdq_mod.PdqIndex((k, k) for k in entries), [by_hash[k] for k in entries])
    join_lists = [bl for bl in lists if any(k != "pdq" for k, _, _ in bl.entries)]
    eng = None
    if join_lists:
        from trueopen.datasets.engines import make_engine

        eng = make_engine(engine, join_lists, spark_master, memory_limit)
    python_pass = bool({"licences", "personal-data"} & run) or optout is not None or pdq_index is not None or \
        ("duplicates" in run) or ds.fmt != "parquet"
    try:
        for shard in ds.shards:
            try:
                _scan_shard(shard, cols, st, eng, python_pass, run, optout, opt_out, dom_lic, pdq_index, pdq_mod,
                            pdq_distance, progress)
                st.shards_read.append(shard.name)
            except InputError:
                raise
            except Exception as exc:  # noqa: BLE001 - a corrupt shard: reported, skipped (or fatal with strict)
                if strict:
                    raise InputError(f"{shard.name}: unreadable shard ({_one_line(exc)}); without --strict it is skipped") from None
                st.skipped.append((shard.name, _one_line(exc)))
    finally:
        if eng is not None:
            eng.close()
    good = [s for s in ds.shards if s.name in set(st.shards_read)]
    say = stage or (lambda _name: None)
    if "duplicates" in run:
        say("duplicates")
    dups = _duplicates(good, cols, st, run, near_dup_threshold, pdq_distance, pdq_mod) if "duplicates" in run else None
    if "disguised-copies" in run:
        say("disguised copies")
    spun = _spun(good, cols, st, spun_min_score, near_dup_threshold) if "disguised-copies" in run else None
    report = _report(ds, cols, st, lists, opt_out, optout, run, dups, spun, engine, pdq_distance, near_dup_threshold,
                     max_evidence)
    if write_clean is not None:
        from trueopen.datasets.clean import write_clean as _write

        say("writing the cleaned release")

        hits = [h for h in st.hits if _check_of(h.reason) in removing]
        report["clean"] = _write(ds, Path(write_clean).expanduser(), good, hits, st.skipped, st.rows)
    return report


def _check_of(reason: str) -> str:
    if reason.startswith("blocklist"):
        return "blocklists"
    if reason.startswith("duplicate"):
        return "duplicates"
    return {"opt-out": "opt-out", "disguised-copy": "disguised-copies"}.get(reason, reason)


def _columns(ds: Dataset, overrides: Mapping[str, str | None], st: _State, strict: bool) -> dict[str, str | None]:
    first: str | None = None
    empty = False
    for shard in ds.shards:
        try:
            names = shard_columns(shard)
        except Exception as exc:  # noqa: BLE001 - this shard is reported when it is scanned
            first = first or f"{shard.name}: {_one_line(exc)}"
            continue
        if not names:  # an empty shard (no records) says nothing of the columns: ask the next
            empty = True
            continue
        return resolve_columns(names, overrides).names
    if empty:
        return resolve_columns([], {}).names
    raise InputError(f"{ds.root}: no shard could be read ({first})")


def row_name(shard: Shard, row: int, ident: str | None, has_id: bool) -> str:
    """The row's name in every output: its id when the dataset has an id column, else SHARD:ROW."""
    return ident if has_id and ident not in (None, "") else f"{shard.name}:{row}"


def _names(batch: pa.RecordBatch, shard: Shard, id_col: str | None) -> list[str]:
    rows = batch.column(ROW).to_pylist()
    if id_col and id_col in batch.schema.names:
        ids = pc.cast(batch.column(id_col), pa.string()).to_pylist()
        return [row_name(shard, r, i, True) for r, i in zip(rows, ids)]
    return [f"{shard.name}:{r}" for r in rows]


def _scan_shard(shard: Shard, cols: dict[str, str | None], st: _State, eng, python_pass: bool,
                run: set[str], optout, opt_out_path, dom_lic, pdq_index, pdq_mod, pdq_distance: int,
                progress: Callable[[int], None] | None) -> None:
    """One shard, all or nothing: its results join the state only when the whole shard was read."""
    local = RowStats()
    hits: list[Hit] = []
    shas: list[tuple[str, str, int, str]] = []
    pdqs: list[tuple[str, int, str, str]] = []
    key_parts: list[pa.Table] = []
    rows = 0
    id_col = cols.get("id")
    if python_pass:
        wanted = [c for c in cols.values() if c]
        batches = iter_batches(shard, None if shard.fmt == "wds" else _wanted(shard, wanted))
        for batch in batches:
            names = _names(batch, shard, id_col)
            local.merge(check_rows(batch, names, cols, licences="licences" in run, domain_licences=dom_lic,
                                   opt_out=optout, opt_out_name=Path(opt_out_path).name if opt_out_path else "",
                                   pii="personal-data" in run))
            idx = batch.column(ROW).to_pylist()
            if eng is not None and (shard.fmt != "parquet"):
                key_parts.append(_keys(batch, cols))
            sha_col = cols.get("sha256")
            if "duplicates" in run and sha_col and sha_col in batch.schema.names:
                for n, r, v in zip(names, idx, pc.cast(batch.column(sha_col), pa.string()).to_pylist()):
                    if v:
                        shas.append((v.strip().lower(), shard.name, r, n))
            pdq_vals = _pdq_values(batch, cols, pdq_mod, local)
            if pdq_vals is not None:
                present = [(n, r, v) for n, r, v in zip(names, idx, pdq_vals) if v]
                if "duplicates" in run:  # kept for image clustering only
                    pdqs.extend((shard.name, r, n, v) for n, r, v in present)
                if pdq_index is not None and present:
                    index, lists_of = pdq_index
                    for qi, ei, _dist in pdq_mod.match(index, [v for _, _, v in present], pdq_distance):
                        n, r, _v = present[qi]
                        for list_name, h in lists_of[ei]:
                            hits.append(Hit(shard.name, r, n, "blocklist-pdq", list_name, h))
            rows += batch.num_rows
            if progress:
                progress(batch.num_rows)
    else:
        rows = pq.ParquetFile(shard.path).metadata.num_rows
    if eng is not None:
        keys = pa.concat_tables(key_parts) if key_parts else None
        if shard.fmt != "parquet" and keys is None:
            matches = []
        else:
            matches = eng.match(shard, keys, cols if keys is None else {k: k for k in keys.column_names})
        for r, ident, kind, list_name, h in matches:
            hits.append(Hit(shard.name, r, row_name(shard, r, ident, bool(id_col)), f"blocklist-{kind}", list_name, h))
    if not python_pass and progress:
        progress(rows)
    for name, list_name, dom_sha, r in local.opt_out:
        hits.append(Hit(shard.name, r, name, "opt-out", list_name, dom_sha))
    st.rows += rows
    st.stats.merge(local)
    st.hits.extend(hits)
    for v, s, r, n in shas:
        st.sha_rows[v].append((s, r, n))
    st.pdq_rows.extend(pdqs)


def _wanted(shard: Shard, wanted: list[str]) -> list[str]:
    if shard.fmt == "parquet":
        names = pq.ParquetFile(shard.path).schema_arrow.names
        return [c for c in names if c in wanted or c.lower() in META_COLUMNS]
    return wanted + [c for c in META_COLUMNS]


def _keys(batch: pa.RecordBatch, cols: dict[str, str | None]) -> pa.Table:
    data: dict[str, pa.Array] = {ROW: batch.column(ROW)}
    for role in ("id", "url", "sha256", "md5"):
        c = cols.get(role)
        if c and c in batch.schema.names:
            data[role] = pc.cast(batch.column(c), pa.string())
        elif c:  # a WebDataset batch whose samples lack the field: the same columns in every batch (concat)
            data[role] = pa.nulls(batch.num_rows, pa.string())
    return pa.table(data)


def _pdq_values(batch: pa.RecordBatch, cols: dict[str, str | None], pdq_mod, stats: RowStats) -> list[str | None] | None:
    """PDQ hashes of the batch's rows: the pdq column when the data has one, else computed from
    WebDataset image bytes. A value that is not 64 hex digits, an image that does not decode and a
    hash below PDQ's quality floor count as unhashed (in the report), never as a match."""
    c = cols.get("pdq")
    if c and c in batch.schema.names:
        out: list[str | None] = []
        for v in pc.cast(batch.column(c), pa.string()).to_pylist():
            key = normalise_key("pdq", v) if v and v.strip() else None
            if v and v.strip() and key is None:
                stats.pdq_unhashed["not-a-pdq-hash"] += 1
            out.append(key)
        return out
    if IMAGE in batch.schema.names and pdq_mod is not None:
        out = []
        for data in batch.column(IMAGE).to_pylist():
            if not data:
                out.append(None)
                continue
            try:
                h, quality = pdq_mod.hash_image(data)
            except ValueError:
                stats.pdq_unhashed["image-not-decoded"] += 1
                out.append(None)
                continue
            if quality < pdq_mod.MIN_QUALITY:
                stats.pdq_unhashed["low-quality"] += 1
                out.append(None)
            else:
                out.append(h)
        return out
    return None


class _Where:
    """Where each streamed text came from (shard position and row), 12 bytes a text."""

    def __init__(self, shards: Sequence[Shard]) -> None:
        self.names = [s.name for s in shards]
        self.shard = array("i")
        self.row = array("q")

    def add(self, shard_index: int, row: int) -> None:
        self.shard.append(shard_index)
        self.row.append(row)

    def __getitem__(self, doc: int) -> tuple[str, int]:
        return self.names[self.shard[doc]], self.row[doc]


def _texts(shards: Sequence[Shard], cols: dict[str, str | None], where: _Where) -> Iterator[tuple[str, str]]:
    """(row name, text) of every row with a non-empty text; `where` records each one's place."""
    text_col, id_col = cols.get("text"), cols.get("id")
    if not text_col:
        return
    for si, shard in enumerate(shards):
        wanted = [c for c in (text_col, id_col) if c]
        for batch in iter_batches(shard, None if shard.fmt == "wds" else wanted):
            if text_col not in batch.schema.names:
                continue
            names = _names(batch, shard, id_col)
            for n, r, t in zip(names, batch.column(ROW).to_pylist(), pc.cast(batch.column(text_col), pa.string()).to_pylist()):
                if t:
                    where.add(si, r)
                    yield n, t


def _duplicates(shards, cols, st: _State, run, threshold: float, pdq_distance: int, pdq_mod) -> dict[str, Any]:
    out: dict[str, Any] = {"text": None, "text_exact": 0, "images_exact": [], "images_near": None}
    where = _Where(shards)
    neardup = _algo("neardup")
    if neardup is None:
        st.not_run["duplicates.text"] = "text near-duplicate detection (trueopen.datasets.neardup) is not available"
    elif cols.get("text"):
        found = neardup.text_clusters(_texts(shards, cols, where), threshold)
        out["text_exact"] = sum(1 for c in found if c.exact)
        # the first row of a cluster in the data's order is the one kept; the others are its duplicates
        clusters = sorted((sorted(zip(c.rows, c.docs), key=lambda x: x[1]) for c in found), key=lambda c: c[0][1])
        out["text"] = [[n for n, _ in c] for c in clusters]
        for c in clusters:
            for n, d in c[1:]:
                s, r = where[d]
                st.hits.append(Hit(s, r, n, "duplicate-text", f"neardup threshold {threshold}", key_sha256(c[0][0])))
    exact = [sorted(v, key=lambda x: (x[0], x[1])) for v in st.sha_rows.values() if len(v) > 1]
    for group in sorted(exact):
        out["images_exact"].append([n for _, _, n in group])
        for s, r, n in group[1:]:
            st.hits.append(Hit(s, r, n, "duplicate-image", "sha256", key_sha256(group[0][2])))
    if st.pdq_rows:
        if pdq_mod is None:
            st.not_run["duplicates.images"] = "PDQ (trueopen.datasets.pdq) is not available"
        else:
            # Exact copies are already one sha256 cluster: only their first row takes part in PDQ clustering.
            flagged = {(h.shard, h.row) for h in st.hits if h.reason == "duplicate-image"}
            rows = [(s, r, n, v) for s, r, n, v in st.pdq_rows if (s, r) not in flagged]
            # clusters by position, not by name: two rows may share an id
            found = pdq_mod.image_clusters(((n, v) for _, _, n, v in rows), pdq_distance)
            clusters = sorted((sorted(c.positions, key=lambda p: (_order(rows[p][2]), p)) for c in found),
                              key=lambda c: (_order(rows[c[0]][2]), c[0]))
            out["images_near"] = [[rows[p][2] for p in c] for c in clusters]
            for c in clusters:
                for p in c[1:]:
                    s, r, n, _v = rows[p]
                    st.hits.append(Hit(s, r, n, "duplicate-image", f"pdq distance {pdq_distance}", key_sha256(rows[c[0]][2])))
    return out


def _order(name: str) -> tuple:
    shard, _, row = name.rpartition(":")
    return (shard, int(row)) if row.isdigit() else (name, -1)


def _spun(shards, cols, st: _State, min_score: float | None, near_dup_threshold: float) -> list[dict[str, Any]] | None:
    spun = _algo("spun")
    if spun is None:
        st.not_run["disguised-copies"] = "disguised-copy detection (trueopen.datasets.spun) is not available"
        return None
    if not cols.get("text"):
        return []
    where = _Where(shards)

    def stream() -> Iterator[tuple[str, str]]:
        # read twice by the detector; `where` keeps the positions of the last reading
        where.shard, where.row = array("i"), array("q")
        return _texts(shards, cols, where)

    kw = {} if min_score is None else {"min_score": min_score}
    # A pair whose words are shared as much as near duplicates' is a plain copy (the duplicates check's); a
    # disguised copy shares the skeleton and not the words.
    found = [p for p in spun.find_pairs(stream, **kw) if p.words < near_dup_threshold]
    pairs = []
    rule = f"sentence skeleton, min score {min_score if min_score is not None else spun.DEFAULT_MIN_SCORE}"
    for p in sorted(found, key=lambda p: p.positions):
        pairs.append({"rows": [p.a, p.b], "score": p.score, "words_jaccard": p.words, "evidence": list(p.evidence)})
        s, r = where[p.positions[1]]  # the later row is the copy
        st.hits.append(Hit(s, r, p.b, "disguised-copy", rule, key_sha256(p.a)))
    return pairs


def _card_info(ds: Dataset) -> dict[str, Any] | None:
    if ds.card is None:
        return None
    from trueopen.assessors.osaid import rules as osaid_rules
    from trueopen.inspectors.datainfo import read_datainfo
    from trueopen.inspectors.inventory import take_inventory
    from trueopen.inspectors.scopes import find_scopes
    from trueopen.sources import open_locations

    with open_locations(ds.card.parent) as release:
        scopes = find_scopes(release)
        card = scopes.primary
        cards = scopes.cards()
        roots = tuple(s.root for s in scopes.items)
        inv = take_inventory(release, card, cards, roots)
        info = read_datainfo(release, card, inv, cards, roots)
    items = []
    for item in osaid_rules().data_information:
        hits = info.hits(item.signal)
        items.append({"item": item.gap, "what": item.what, "described": bool(hits),
                      "evidence": [{"path": e.path, "line": e.line} for e in hits[:3]]})
    return {"path": ds.card.name, "data_information": items}


def _report(ds: Dataset, cols, st: _State, lists: list[Blocklist], opt_out_path, optout, run, dups, spun, engine,
            pdq_distance, threshold, cap: int) -> dict[str, Any]:
    from trueopen import __version__

    by_list: dict[tuple[str, str], set[tuple[str, int]]] = defaultdict(set)
    for h in st.hits:
        if h.reason.startswith("blocklist"):
            by_list[(h.source, h.reason.removeprefix("blocklist-"))].add((h.shard, h.row))
    bl_hits = sorted({(h.name, h.source, h.reason.removeprefix("blocklist-"), h.key_sha256) for h in st.hits
                      if h.reason.startswith("blocklist")}, key=lambda x: (_order(x[0]), x[1:]))
    bl_rows = {(h.shard, h.row) for h in st.hits if h.reason.startswith("blocklist")}
    s = st.stats
    total = st.rows
    known = sum(s.licences.values())
    report: dict[str, Any] = {
        "schema_version": 1,
        "tool": {"name": "trueopen", "version": __version__},
        "dataset": {"path": ds.label or str(ds.root if len(ds.shards) > 1 or ds.shards[0].path.parent != ds.root else ds.shards[0].path),
                    "format": ds.fmt, "shards": len(ds.shards), "shards_read": len(st.shards_read),
                    "columns": {k: v for k, v in sorted(cols.items())}},
        "engine": engine,
        "rows_scanned": total,
        "shards_skipped": [{"shard": n, "error": e} for n, e in sorted(st.skipped)],
        "checks_run": [c for c in CHECKS if c in run],
        "not_run": [{"check": k, "reason": v} for k, v in sorted(st.not_run.items())],
        "blocklists": {
            "rows_matched": len(bl_rows),
            "lists": [{"list": bl.name, "entries": len(bl.entries), "kinds": bl.kinds(),
                       "rows_matched": sum(len(v) for (n, _), v in by_list.items() if n == bl.name),
                       "by_kind": {k: len(v) for (n, k), v in sorted(by_list.items()) if n == bl.name}} for bl in lists],
            "matches": [{"row": n, "list": lst, "kind": k, "key_sha256": h} for n, lst, k, h in bl_hits[:cap]],
            "matches_truncated": max(0, len(bl_hits) - cap),
        },
        "opt_out": None if optout is None else {
            "list": Path(opt_out_path).name, "domains": len(optout), "rows_matched": len(s.opt_out),
            "rows": sorted((r for r, _, _, _ in s.opt_out), key=_order)[:cap]},
        "duplicates": dups and {
            "text_threshold": threshold, "pdq_distance": pdq_distance,
            "text_clusters": None if dups["text"] is None else len(dups["text"]),
            "text_exact_clusters": None if dups["text"] is None else dups["text_exact"],
            "text_rows_duplicated": None if dups["text"] is None else sum(len(c) - 1 for c in dups["text"]),
            "image_exact_clusters": len(dups["images_exact"]),
            "image_near_clusters": None if dups["images_near"] is None else len(dups["images_near"]),
            "images_unhashed": dict(sorted(st.stats.pdq_unhashed.items())),
            "clusters": ([{"kind": "text", "rows": c} for c in (dups["text"] or [])] +
                         [{"kind": "image-sha256", "rows": c} for c in dups["images_exact"]] +
                         [{"kind": "image-pdq", "rows": c} for c in (dups["images_near"] or [])])[:cap]},
        "disguised_copies": None if spun is None else {"pairs": len(spun), "items": spun[:cap]},
        "licences": None if "licences" not in run else {
            "rows_with_licence": known, "rows_without_licence": s.unknown,
            "unknown_share": round(s.unknown / total, 4) if total else 0.0,
            "by_licence": [{"license": k, "rows": v, "share": round(v / total, 4) if total else 0.0}
                           for k, v in sorted(s.licences.items(), key=lambda kv: (-kv[1], kv[0]))],
            "by_source": dict(sorted(s.licence_sources.items()))},
        "personal_data": None if "personal-data" not in run else {
            "text_column": cols.get("text"), "totals": dict(sorted(s.pii_totals.items())), "rows_with_any": len(s.pii_rows),
            "rows": [{"row": n, **c} for n, c in sorted(s.pii_rows, key=lambda x: _order(x[0]))[:cap]]},
        "card": _card_info(ds) if "card" in run else None,
    }
    return report
