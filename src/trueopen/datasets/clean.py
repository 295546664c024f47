"""The cleaned release: the dataset written again in its own format without the removed rows,
with `removals.csv` and a data card section (counts only). Written under a temporary name in the
destination's folder and renamed at the end, so an interrupted run leaves no half-written output."""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
import tarfile
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from trueopen.datasets.inputs import Dataset, Shard, csv_records, jsonl_lines, wds_samples

SECTION = "## Rows removed by trueopen"


def _write_shard(shard: Shard, dst: Path, drop: set[int]) -> int:
    """Copy one shard without the rows in `drop`; returns the rows written."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    kept = 0
    if shard.fmt == "parquet":
        pf = pq.ParquetFile(shard.path)
        with pq.ParquetWriter(dst, pf.schema_arrow) as w:
            offset = 0
            for batch in pf.iter_batches(batch_size=65_536):
                mask = pa.array([offset + i not in drop for i in range(batch.num_rows)])
                offset += batch.num_rows
                part = batch.filter(mask)
                kept += part.num_rows
                w.write_batch(part)
        return kept
    if shard.fmt == "wds":
        with tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as tf:
            for i, (_key, members) in enumerate(wds_samples(shard)):
                if i in drop:
                    continue
                kept += 1
                for m, data in members:
                    tf.addfile(m, io.BytesIO(data))
        return kept
    raw = open(dst, "wb")  # noqa: SIM115 - closed below
    try:
        if shard.compression == "gzip":
            out: Any = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
        elif shard.compression == "zstd":
            import zstandard

            out = zstandard.ZstdCompressor().stream_writer(raw, closefd=False)
        else:
            out = raw
        if shard.fmt == "jsonl":
            for i, line in enumerate(jsonl_lines(shard)):
                if i not in drop:
                    out.write(line)
                    kept += 1
        else:  # each record's own bytes: kept rows stay byte-identical (quoting, line ends)
            i = -1  # the header
            for rec, rec_bytes in csv_records(shard):
                if not rec:  # a blank line: not a row, kept as it is
                    out.write(rec_bytes)
                    continue
                if i < 0 or i not in drop:
                    out.write(rec_bytes)
                    kept += 1 if i >= 0 else 0
                i += 1
        if out is not raw:
            out.close()
    finally:
        raw.close()
    return kept


def _card_section(ds: Dataset, rows_in: int, removed_rows: int, by_reason: Counter, skipped: Sequence[tuple[str, str]]) -> str:
    from trueopen import __version__

    lines = [SECTION, "",
             f"This release is `{ds.root.name}` with {removed_rows} of {rows_in} rows removed by trueopen {__version__} "
             "(`trueopen data audit --write-clean`).", "",
             "| reason | list or rule | rows |", "|---|---|---|"]
    lines += [f"| {r} | {s} | {n} |" for (r, s), n in sorted(by_reason.items())]
    if not by_reason:
        lines.append("| (none) | | 0 |")
    lines.append("")
    if skipped:
        lines += ["Shards that could not be read and are not in this release: " +
                  ", ".join(f"`{n}`" for n, _ in skipped) + ".", ""]
    lines += ["Each removed row is listed in `removals.csv` by its name, with the sha256 of the key that matched "
              "(never the key itself).", ""]
    return "\n".join(lines)


def write_clean(ds: Dataset, out: Path, shards: Sequence[Shard], hits: Sequence[Any], skipped: Sequence[tuple[str, str]],
                rows_in: int) -> dict[str, Any]:
    """Write the cleaned release to `out` (which must not exist); returns what was written."""
    drop: dict[str, set[int]] = defaultdict(set)
    for h in hits:
        drop[h.shard].add(h.row)
    order = {s.name: i for i, s in enumerate(ds.shards)}
    manifest = sorted({(h.shard, h.row, h.name, h.reason, h.source, h.key_sha256) for h in hits},
                      key=lambda x: (order.get(x[0], 0), x[1], x[3], x[4], x[5]))
    by_reason = Counter()
    for reason_source, rows in _rows_by(manifest).items():
        by_reason[reason_source] = len(rows)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        kept = 0
        for shard in shards:
            kept += _write_shard(shard, tmp / shard.name, drop.get(shard.name, set()))
        with open(tmp / "removals.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["row", "reason", "source", "key_sha256"])
            for _s, _r, name, reason, source, key in manifest:
                w.writerow([name, reason, source, key])
        removed_rows = sum(len(v) for v in drop.values())
        section = _card_section(ds, rows_in, removed_rows, by_reason, skipped)
        card = ds.card.read_text(encoding="utf-8", errors="replace") if ds.card else ""
        if SECTION in card:  # cleaned twice: the newer section replaces the older one
            card = card[: card.index(SECTION)].rstrip("\n")
        (tmp / "README.md").write_text((card.rstrip("\n") + "\n\n" if card.strip() else "") + section, encoding="utf-8")
        os.chmod(tmp, 0o777 & ~_umask())
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"path": str(out), "rows_written": kept, "rows_removed": removed_rows,
            "removals": len(manifest), "by_reason": [{"reason": r, "source": s, "rows": n} for (r, s), n in sorted(by_reason.items())]}


def _rows_by(manifest) -> dict[tuple[str, str], set[tuple[str, int]]]:
    out: dict[tuple[str, str], set[tuple[str, int]]] = defaultdict(set)
    for s, r, _n, reason, source, _k in manifest:
        out[(reason, source)].add((s, r))
    return out


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
