"""`trueopen data ...`: dataset audits (issue 11). The command code lives here; cli.py registers it."""

from __future__ import annotations

import json
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Iterator, Optional

import typer

from trueopen.cli_options import Format
from trueopen.terminal import stderr_terminal

data_app = typer.Typer(name="data", help="Audit training data: blocklists, duplicates, licences, personal data; "
                       "write a cleaned release.", no_args_is_help=True, rich_markup_mode="markdown",
                       context_settings={"help_option_names": ["-h", "--help"]})


class EngineName(str, Enum):
    duckdb = "duckdb"
    spark = "spark"


@contextmanager
def _rows_progress() -> Iterator:
    """Rows and rows/s on stderr, only when stderr is a terminal."""
    err = stderr_terminal()
    if err is None:
        yield None
        return
    from rich.progress import Progress, ProgressColumn, SpinnerColumn, TextColumn
    from rich.text import Text

    class RowsPerSecond(ProgressColumn):
        def render(self, task) -> Text:  # noqa: ANN001 - rich's Task
            return Text(f"{task.speed or 0:,.0f} rows/s")

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:,} rows"),
                  RowsPerSecond(), console=err, transient=True) as bar:
        task = bar.add_task("scanning", total=None)

        class Bar:
            """Rows as they are scanned; then the stage that runs over the whole dataset."""

            @staticmethod
            def advance(n: int) -> None:
                bar.advance(task, n)

            @staticmethod
            def stage(name: str) -> None:
                bar.update(task, description=name)

        yield Bar


@data_app.command("audit")
def audit_cmd(
    path: Annotated[str, typer.Argument(help="A Parquet file or folder of shards, JSONL (.jsonl, .jsonl.gz, .jsonl.zst), "
                                        "CSV, or WebDataset .tar shards.", show_default=False)],
    blocklist: Annotated[Optional[list[Path]], typer.Option("--blocklist", "-b", help="A list to match: a text file of URLs, "
                         "or a CSV whose header names the key columns (url, sha256, md5, pdq). Repeatable.",
                         show_default=False)] = None,
    opt_out: Annotated[Optional[Path], typer.Option("--opt-out", help="Domains whose owners opted out (TDM reservations, "
                       "robots/ai.txt exports), one a line.", show_default=False)] = None,
    domain_licenses: Annotated[Optional[Path], typer.Option("--domain-licenses", help="CSV `domain,license`: the licence "
                               "of rows from that domain when the row states none.", show_default=False)] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    write_clean: Annotated[Optional[Path], typer.Option("--write-clean", metavar="OUT", help="Write the dataset again "
                           "to OUT (a new folder) without the removed rows, with OUT/removals.csv and a card section.",
                           show_default=False)] = None,
    remove: Annotated[Optional[list[str]], typer.Option("--remove", help="Checks whose rows --write-clean removes: "
                      "blocklists, opt-out, duplicates, disguised-copies (repeatable; default blocklists).",
                      show_default=False)] = None,
    skip: Annotated[Optional[list[str]], typer.Option("--skip", help="Checks not to run: blocklists, opt-out, licences, "
                    "personal-data, duplicates, disguised-copies, card (repeatable).", show_default=False)] = None,
    engine: Annotated[EngineName, typer.Option("--engine", help="Where the blocklist joins run: DuckDB embedded, or "
                      "Apache Spark (pip install 'trueopen[spark]').")] = EngineName.duckdb,
    spark_master: Annotated[Optional[str], typer.Option("--spark-master", help="Spark master URL (default local[*]).",
                            show_default=False)] = None,
    memory_limit: Annotated[Optional[str], typer.Option("--memory-limit", metavar="SIZE", help="DuckDB's memory for "
                            "the joins (default 80% of RAM); past it DuckDB spills to disk.", show_default=False)] = None,
    pdq_distance: Annotated[int, typer.Option("--pdq-distance", min=0, max=256, help="PDQ Hamming distance that "
                            "counts as a match (Meta recommends 31).")] = 31,
    near_dup_threshold: Annotated[float, typer.Option("--near-dup-threshold", min=0.0, max=1.0, help="Jaccard "
                                  "similarity of word shingles at which texts are near duplicates.")] = 0.8,
    spun_min_score: Annotated[float, typer.Option("--spun-min-score", min=0.01, max=1.0, help="Share of the smaller "
                              "text's sentence-skeleton 8-grams another text must share to be its disguised copy.")] = 0.5,
    strict: Annotated[bool, typer.Option("--strict", help="Fail (exit 2) on a corrupt shard instead of reporting "
                      "and skipping it.")] = False,
    url_column: Annotated[Optional[str], typer.Option("--url-column", show_default=False)] = None,
    text_column: Annotated[Optional[str], typer.Option("--text-column", show_default=False)] = None,
    id_column: Annotated[Optional[str], typer.Option("--id-column", show_default=False)] = None,
    sha256_column: Annotated[Optional[str], typer.Option("--sha256-column", show_default=False)] = None,
    md5_column: Annotated[Optional[str], typer.Option("--md5-column", show_default=False)] = None,
    pdq_column: Annotated[Optional[str], typer.Option("--pdq-column", show_default=False)] = None,
    license_column: Annotated[Optional[str], typer.Option("--license-column", show_default=False)] = None,
    max_evidence: Annotated[int, typer.Option("--max-evidence", min=0, help="Rows listed per check in the JSON "
                            "report (removals.csv always lists all).")] = 1000,
    revision: Annotated[Optional[str], typer.Option("--revision", help="Hub dataset: a branch, tag or commit.",
                        show_default=False)] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Hub datasets come from the HF cache only; no network "
                       "(as HF_HUB_OFFLINE=1).")] = False,
    max_download: Annotated[str, typer.Option("--max-download", metavar="SIZE", help="Hub dataset: the most its data "
                            "files may weigh in all (they are fetched whole into the HF cache).")] = "10GB",
) -> None:
    """Audit a dataset against blocklists and rules, the way the LAION-5B audit was done.

    Rows are named by their id column, else `SHARD:ROW` (0-based). Evidence is row names and the
    sha256 of list entries: matched URLs, captions and images are never printed or copied.
    Columns are found by name (url, caption/text, sha256, md5, pdq, license, id) or set with the
    `--*-column` options.

    Examples:

        trueopen data audit ./laion-subset --blocklist hashes.csv --blocklist urls.txt

        trueopen data audit shards/ -b hashes.csv --format json -o report.json

        trueopen data audit shards/ -b hashes.csv --write-clean ./laion-subset-clean

        trueopen data audit data.jsonl.zst --text-column body --opt-out ai-txt-domains.txt --domain-licenses licences.csv

        trueopen data audit shards/ -b urls.txt --engine spark --spark-master spark://host:7077

        trueopen data audit hf://datasets/org/captions -b hashes.csv --max-download 50GB

    Exit codes: 0 audited (whatever it found), 2 bad input (an unreadable path, a blocklist with a
    bad header, a corrupt shard with --strict).
    """
    from trueopen.cli import _emit, _emit_table, _errors

    with _errors():
        from trueopen.datasets.run import CHECKS
        from trueopen.datasets.run import audit as run_audit

        from trueopen.errors import InputError

        checks = [c for c in CHECKS if c not in set(skip or [])]
        unknown = set(skip or []) - set(CHECKS)
        if unknown:
            raise InputError(f"--skip {sorted(unknown)[0]}: unknown check ({', '.join(CHECKS)})")
        columns = {"url": url_column, "text": text_column, "id": id_column, "sha256": sha256_column,
                   "md5": md5_column, "pdq": pdq_column, "license": license_column}
        from trueopen.sources.options import parse_size

        try:
            limit = parse_size(max_download)
        except ValueError as exc:
            raise InputError(f"--max-download: {exc}") from None
        with _rows_progress() as bar:
            report = run_audit(path, progress=bar and bar.advance, stage=bar and bar.stage, revision=revision, offline=True if offline else None, max_download=limit, blocklists=blocklist or [], opt_out=opt_out, domain_licenses=domain_licenses,
                               columns=columns, checks=checks, engine=engine.value, spark_master=spark_master,
                               pdq_distance=pdq_distance, near_dup_threshold=near_dup_threshold,
                               spun_min_score=spun_min_score, memory_limit=memory_limit,
                               write_clean=write_clean, remove=remove or ["blocklists"], strict=strict,
                               max_evidence=max_evidence)
        if format is Format.json:
            _emit(json.dumps(report, indent=2, sort_keys=False, ensure_ascii=False) + "\n", output)
        else:
            from trueopen.datasets.table import render

            _emit_table(lambda console: render(report, console), output)
