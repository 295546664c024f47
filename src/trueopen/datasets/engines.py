"""The key joins of the blocklist check (URL, sha256, md5) on an engine: DuckDB embedded (the
default; SQL over the files, URL normalisation in that SQL) or Apache Spark (PySpark; `local[*]`
or a cluster URL). Both return the same matches: (row index, id, kind, list, key sha256)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import pyarrow as pa

from trueopen.datasets.inputs import ROW, Shard
from trueopen.datasets.lists import Blocklist
from trueopen.datasets.urlnorm import duckdb_key_query
from trueopen.errors import InputError

JOIN_KINDS = ("url", "sha256", "md5")
Match = tuple[int, "str | None", str, str, str]  # (row index, id value, kind, list name, key sha256)


class Engine(Protocol):
    name: str

    def match(self, shard: Shard, keys: pa.Table | None, columns: dict[str, str | None]) -> list[Match]:
        """Rows of one shard whose keys are on a list. `keys` holds `__row` and the key columns by
        role name; None means: read the shard file itself (Parquet)."""

    def close(self) -> None: ...


def _list_rows(lists: Sequence[Blocklist]) -> pa.Table:
    rows = [(kind, key, bl.name, h) for bl in lists for kind, key, h in bl.entries if kind in JOIN_KINDS]
    return pa.table({"kind": pa.array([r[0] for r in rows], pa.string()), "key": pa.array([r[1] for r in rows], pa.string()),
                     "list": pa.array([r[2] for r in rows], pa.string()), "key_sha256": pa.array([r[3] for r in rows], pa.string())})


def parquet_ids(shard: Shard, id_col: str, rows: set[int]) -> dict[int, str | None]:
    """The id of each of these rows of a Parquet shard, as text the way the rest of the audit
    writes it (Arrow's cast, run._names): an engine's own cast differs (DuckDB and Spark write the
    double 1.0 as "1.0", Arrow as "1"; timestamps differ too), and one row must have one name.
    Read batch by batch (bounded memory), only for shards with matches."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out: dict[int, str | None] = {}
    if not rows:
        return out
    import numpy as np

    wanted = np.array(sorted(rows), dtype=np.int64)
    offset = 0
    for batch in pq.ParquetFile(shard.path).iter_batches(batch_size=65_536, columns=[id_col]):
        lo, hi = np.searchsorted(wanted, [offset, offset + batch.num_rows])  # this batch's rows, without a scan of all
        if hi > lo:
            want = wanted[lo:hi] - offset
            ids = pc.cast(batch.column(0).take(pa.array(want)), pa.string()).to_pylist()
            out.update(zip((want + offset).tolist(), ids))
        offset += batch.num_rows
        if offset > wanted[-1]:
            break
    return out


def in_schema(shard: Shard, columns: dict[str, str | None]) -> dict[str, str | None]:
    """The roles whose column this Parquet shard has: shards may differ (a column added later), and
    a shard without the url column has no URL to check, not an unreadable file."""
    import pyarrow.parquet as pq

    # by the shard's own spelling: roles are found case-insensitively, and `URL` in this shard is
    # the `url` of the first
    names = {n.lower(): n for n in reversed(pq.read_schema(shard.path).names)}
    return {role: names[c.lower()] for role, c in columns.items() if c and c.lower() in names}


def _kinds(lists: Sequence[Blocklist]) -> set[str]:
    return {k for bl in lists for k, _, _ in bl.entries if k in JOIN_KINDS}


class DuckDBEngine:
    """DuckDB: Parquet shards are read by DuckDB itself (all threads, only the key columns);
    other formats come in as the Arrow table of their keys."""

    name = "duckdb"

    def __init__(self, lists: Sequence[Blocklist], memory_limit: str | None = None, threads: int | None = None) -> None:
        from trueopen.datasets.urlnorm import duckdb_connection

        self.con = duckdb_connection()
        # Streams: no insertion order to keep, spill to a temp folder past the memory limit.
        self.con.execute("SET preserve_insertion_order = false")
        if memory_limit:
            from trueopen.sources.options import parse_size

            try:
                limit = parse_size(memory_limit)
            except ValueError as exc:
                raise InputError(f"--memory-limit: {exc}") from None
            # past the limit DuckDB spills the join to its temporary folder instead of failing
            self.con.execute(f"SET memory_limit = '{limit}B'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self.kinds = _kinds(lists)
        lt = _list_rows(lists)  # noqa: F841 - read by name below
        self.con.execute("CREATE TABLE lists AS SELECT * FROM lt")

    def _sql(self, source: str, columns: dict[str, str | None], id_expr: str, row_expr: str) -> str | None:
        arms = []
        for kind in sorted(self.kinds):
            col = columns.get(kind)
            if not col:
                continue
            q = '"' + col.replace('"', '""') + '"'
            if kind == "url":
                keyed = duckdb_key_query(source, q, [(row_expr, "r"), (id_expr, "id")])
            else:
                keyed = f"SELECT {row_expr} AS r, {id_expr} AS id, lower(trim(CAST({q} AS VARCHAR))) AS key FROM {source}"
            arms.append(f"SELECT s.r, CAST(s.id AS VARCHAR) AS id, l.kind, l.list, l.key_sha256 FROM ({keyed}) s "
                        f"JOIN (SELECT * FROM lists WHERE kind = '{kind}') l ON l.key = s.key")
        return " UNION ALL ".join(arms) if arms else None

    def _run(self, sql: str, shard: Shard) -> list[tuple]:
        """The query's rows. Running out of memory is the engine's failure, not the shard's: it stops the
        audit (a shard skipped for it would silently drop its matches)."""
        import duckdb

        try:
            return self.con.execute(sql).fetchall()
        except duckdb.OutOfMemoryException as exc:
            limit = self.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
            raise InputError(f"{shard.name}: DuckDB ran out of memory in the blocklist join (limit {limit}; "
                             f"raise --memory-limit): {' '.join(str(exc).split())[:160]}") from None

    def match(self, shard: Shard, keys: pa.Table | None, columns: dict[str, str | None]) -> list[Match]:
        idc = columns.get("id")
        if keys is None:
            path = str(shard.path).replace("'", "''")
            source = f"read_parquet('{path}', file_row_number = true)"
            columns = in_schema(shard, columns)
            idc = columns.get("id")  # this shard may lack the id column too
            sql = self._sql(source, columns, "NULL", "file_row_number")  # ids: parquet_ids, for the matches only
            if sql is None:
                return []
            found = [(int(r), k, lst, h) for r, _i, k, lst, h in self._run(sql, shard)]
            ids = parquet_ids(shard, idc, {r for r, _, _, _ in found}) if idc else {}
            return [(r, ids.get(r), k, lst, h) for r, k, lst, h in found]
        else:
            # registered by name: DuckDB's replacement scan of a Python variable sees only the frame that
            # calls execute(), and a helper that runs the query (main's _run) is another frame
            self.con.register("kt", keys)
            cols = {k: k for k in JOIN_KINDS if k in keys.column_names}
            id_expr = "id" if "id" in keys.column_names else "NULL"
            sql = self._sql("kt", cols, id_expr, ROW)
        if sql is None:
            return []
        return [(int(r), i, k, lst, h) for r, i, k, lst, h in self._run(sql, shard)]

    def close(self) -> None:
        self.con.close()


def _normalise_batches(batches):  # runs in Spark's Python workers
    from trueopen.datasets.urlnorm import normalise_url

    for b in batches:
        urls = b.column(b.schema.get_field_index("url")).to_pylist()
        yield b.append_column("key", pa.array([normalise_url(u) for u in urls], pa.string()))


class SparkEngine:
    """Spark: the same joins as DataFrames. URL normalisation is the Python reference
    (urlnorm.normalise_url) applied to Arrow batches in Spark's Python workers (mapInArrow)."""

    name = "spark"

    def __init__(self, lists: Sequence[Blocklist], master: str = "local[*]") -> None:
        from trueopen.spark import start_spark

        self.spark, self._own = start_spark("trueopen-data", master)
        self.kinds = _kinds(lists)
        self.lists = self.spark.createDataFrame(_list_rows(lists)).cache()

    def match(self, shard: Shard, keys: pa.Table | None, columns: dict[str, str | None]) -> list[Match]:
        from pyspark.sql import functions as F

        if keys is None:
            columns = in_schema(shard, columns)
            df = self.spark.read.parquet(str(shard.path))
            sel = [F.col("_metadata.row_index").alias(ROW)]  # ids: parquet_ids, for the matches only
            for k in JOIN_KINDS:
                if columns.get(k):
                    sel.append(F.col(f"`{columns[k]}`").cast("string").alias(k))
            df = df.select(*sel)
        else:
            df = self.spark.createDataFrame(keys)
        names = df.columns
        out: list[Match] = []
        id_col = F.col("id") if "id" in names else F.lit(None).cast("string")
        for kind in sorted(self.kinds):
            if kind not in names:
                continue
            if kind == "url":
                part = df.select(F.col(ROW), id_col.alias("id"), F.col("url"))
                part = part.mapInArrow(_normalise_batches, f"{ROW} long, id string, url string, key string")
            else:
                part = df.select(F.col(ROW), id_col.alias("id"), F.lower(F.trim(F.col(kind))).alias("key"))
            lst = self.lists.filter(F.col("kind") == kind)
            joined = part.join(lst, on="key", how="inner").select(ROW, "id", "kind", "list", "key_sha256")
            out.extend((int(r[0]), r[1], r[2], r[3], r[4]) for r in joined.collect())
        if keys is None and columns.get("id"):
            ids = parquet_ids(shard, columns["id"], {m[0] for m in out})  # type: ignore[arg-type]
            out = [(r, ids.get(r), k, lst, h) for r, _i, k, lst, h in out]
        return out

    def close(self) -> None:
        self.lists.unpersist()
        if self._own:
            self.spark.stop()


def make_engine(name: str, lists: Sequence[Blocklist], master: str | None = None, memory_limit: str | None = None) -> Engine:
    if name == "duckdb":
        return DuckDBEngine(lists, memory_limit=memory_limit)
    if name == "spark":
        return SparkEngine(lists, master or "local[*]")
    raise InputError(f"--engine {name}: unknown (duckdb, spark)")
