"""`trueopen index build --engine spark`: the same audits as a Spark job.

The driver looks each release up in the store (opening it only far enough to know its revision);
Spark's executors audit the rest, with no store; the driver stores what they return. So the
store needs no file system shared with the cluster, and the records are the local engine's.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence

from trueopen.index.build import BuildOptions, ListLine, entry_of, reuse_from_store
from trueopen.index.entry import IndexEntry

MASTER_ENV = "TRUEOPEN_SPARK_MASTER"  # else Spark's own settings (spark-defaults.conf, SPARK_MASTER), else local[*]


def _audit_on_executor(line: ListLine, options: BuildOptions) -> tuple[int, dict]:
    """Runs in a Spark Python worker: one audit, no store; plain JSON back to the driver."""
    from trueopen.index.build import error_entry, failure
    from trueopen.index.stored import audit_with_store

    try:
        done = audit_with_store(line.target, store=None, with_=line.with_, hash_contents=options.hash_contents,
                                source=options.source(), release_id=line.id)
    except Exception as exc:  # noqa: BLE001 - the same one-line reasons as the local engine
        return line.number, {"entry": error_entry(line, failure(line, exc)).model_dump(mode="json")}
    return line.number, {"audit": done.audit.model_dump(mode="json", by_alias=True), "identity": dataclasses.asdict(done.identity),
                         "audited_at": done.audited_at}


def build_on_spark(lines: Sequence[ListLine], options: BuildOptions,
                   progress: Callable[[ListLine, IndexEntry], None] | None = None) -> list[IndexEntry]:
    """Audit every line as a Spark job; entries in LIST order, stored like the local engine's."""
    from trueopen.index.identity import Identity
    from trueopen.index.stored import StoredAudit, options_key, save
    from trueopen.record import Audit
    from trueopen.spark import start_spark

    results, todo = reuse_from_store(lines, options, progress)
    if todo:
        spark, own = start_spark("trueopen-index", os.environ.get(MASTER_ENV) or "local[*]")
        try:
            opts = dataclasses.replace(options, store=None)
            rdd = spark.sparkContext.parallelize(list(todo), numSlices=len(todo))
            returned = dict(rdd.map(lambda line: _audit_on_executor(line, opts)).collect())
        finally:
            if own:
                spark.stop()
        for line in todo:
            got = returned[line.number]
            if "entry" in got:
                entry = IndexEntry.model_validate(got["entry"])
            else:
                done = StoredAudit(Audit.model_validate(got["audit"]), Identity(**got["identity"]), got["audited_at"], False)
                if options.store is not None:
                    save(options.store, line.target, options_key(line.with_, options.hash_contents, options.source()), done)
                entry = entry_of(line, done)
            results[line.number] = entry
            if progress:
                progress(line, entry)
    return [results[line.number] for line in lines]
