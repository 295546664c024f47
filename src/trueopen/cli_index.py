"""`trueopen index build|serve` and `trueopen history` (issue 16). The command code lives here;
cli.py registers it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from trueopen.cli_options import StoreOption
from trueopen.terminal import console, stderr_terminal

if TYPE_CHECKING:
    from rich.console import Console

index_app = typer.Typer(name="index", help="An openness index of many releases: batch audits through the store, and "
                        "a static site with history and side-by-side comparison.", no_args_is_help=True,
                        rich_markup_mode="markdown", context_settings={"help_option_names": ["-h", "--help"]})



def store_path(store: Path | None, no_store: bool = False) -> Path | None:
    """The store a command uses: --store, else TRUEOPEN_STORE, else the default; None with --no-store,
    or when the default's folder cannot be made (a read-only home): an audit does not fail for
    want of a cache, and stderr says so. A store the user named must work."""
    if no_store:
        return None
    if store is not None:
        return store.expanduser()
    import os

    from trueopen.index.store import default_path

    path = default_path()
    if "TRUEOPEN_STORE" in os.environ:
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(path.parent, os.W_OK):
            raise PermissionError(13, "permission denied")
    except OSError as exc:
        console(stderr=True).print(f"trueopen: no audit store ({path.parent}: {exc.strerror or exc}); audits are not kept",
                                   highlight=False, soft_wrap=True)
        return None
    return path


@index_app.command()
def build(
    from_file: Annotated[Path, typer.Option("--from", help="The releases, one a line: TARGET [--with OTHER]... [--id URL].",
                                            show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="The folder the site is written to.", show_default=False)],
    jobs: Annotated[int, typer.Option("--jobs", min=0, max=256, help="Releases audited at once (0: one per core).")] = 0,
    refresh: Annotated[bool, typer.Option("--refresh", help="Audit every release again, even when the store has it.")] = False,
    engine: Annotated[str, typer.Option("--engine", help="local (processes on this machine) or spark (a Spark job: "
                                        "local[*], or any cluster through Spark's usual settings).")] = "local",
    no_hash: Annotated[bool, typer.Option("--no-hash", help="Skip sha256 of every file.")] = False,
    offline: Annotated[bool, typer.Option("--offline", help="Hub targets from the HF cache only.")] = False,
    store: StoreOption = None,
    format: Annotated[str, typer.Option("--format", "-f", help="What to print when done: table (a summary line on "
                                        "stderr) or json (every release: id, target, revision, reused, label, error).")] = "table",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the json summary to this file.")] = None,
) -> None:
    """Audit every release of a list through the store and write a static site: index.html (a
    row per release, sortable and filterable), a page per release with its evidence and
    history, compare.html (two to four side by side), records.jsonl and records.csv.

    Releases the store already has at the same revision are reused (`--refresh` audits them
    again), so an interrupted build resumes where it stopped. A release that fails is an error
    row with its reason; the others go on.

    Examples:

        trueopen index build --from releases.txt --out site/

        trueopen index build --from releases.txt --out site/ --jobs 8 --refresh

        trueopen index build --from releases.txt --out site/ --engine spark

        trueopen index build --from releases.txt --out site/ --format json -o build.json   # which were reused

    A LIST line: `./my-model`, `hf://org/model@v1.0`, `./code --with hf://org/weights --id https://github.com/org/code`.

    Exit codes: 0 every release audited, 1 the site was written but some releases failed, 2 bad
    input (a LIST line that does not parse is named with its line number before anything runs).
    """
    import os

    from trueopen.cli import EXIT_GATE, _emit, _errors
    from trueopen.errors import InputError
    from trueopen.index.build import BuildOptions, build as run_build, label_of, read_list
    from trueopen.index.publish import publish

    err = console(stderr=True)
    with _errors():
        if engine not in ("local", "spark"):
            raise InputError(f"--engine {engine}: choose local or spark")
        if format not in ("table", "json"):
            raise InputError(f"--format {format}: choose table or json")
        lines = read_list(from_file)
        if out.exists() and not out.is_dir():
            raise InputError(f"{out}: not a folder")
        options = BuildOptions(store=store_path(store), jobs=jobs or (os.cpu_count() or 1), refresh=refresh,
                               hash_contents=not no_hash, offline=offline, engine=engine)
        with _progress(len(lines)) as tick:
            entries = run_build(lines, options, tick, read_audits=False)  # read only if pages are written
        publish(entries, out, store=options.store)
        if format == "json":
            summary = [{"id": e.id, "target": e.target, "revision": e.revision, "audited_at": e.audited_at or None,
                        "reused": e.reused, "label": label_of(e), "error": e.error} for e in entries]
            _emit(json.dumps({"out": str(out), "releases": summary}, indent=2, ensure_ascii=False) + "\n", output)
    failed = [e for e in entries if e.error]
    reused = sum(1 for e in entries if e.reused)
    err.print(f"trueopen: {len(entries)} releases, {reused} reused from the store, {len(failed)} failed; site in {out}",
              highlight=False, soft_wrap=True)
    for e in failed:
        err.print(f"[bold red]trueopen: error:[/] {e.target}: {e.error}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(EXIT_GATE)


@index_app.command()
def serve(
    folder: Annotated[Path, typer.Argument(help="A site written by `trueopen index build`.", show_default=False)],
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")] = 0,
) -> None:
    """Serve a built site on 127.0.0.1 (only this machine can reach it) until interrupted.

    Examples:

        trueopen index serve site/

        trueopen index serve site/ --port 8000
    """
    from trueopen.cli import _errors
    from trueopen.errors import InputError
    from trueopen.index.serve import serve_folder

    with _errors():
        if not (folder / "index.html").is_file():
            raise InputError(f"{folder}: no index.html in it (build one with `trueopen index build`)")
        serve_folder(folder, port, lambda url: console(stderr=True).print(f"trueopen: serving {folder} at {url} "
                                                                         "(Ctrl-C to stop)", highlight=False,
                                                                         soft_wrap=True))


def history(
    release: Annotated[str, typer.Argument(help="The release's identity URL (https://huggingface.co/ORG/NAME, a git "
                                           "remote, a --id), or a target whose identity is worked out.", show_default=False)],
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of standard output.")] = None,
    store: StoreOption = None,
) -> None:
    """The stored audits of a release, newest first, with what changed between consecutive ones
    (verdicts, licences, components, claims, safety, files).

    Examples:

        trueopen history https://huggingface.co/org/model

        trueopen history ./my-model --format json
    """
    from trueopen.cli import _emit, _emit_table, _errors
    from trueopen.errors import InputError
    from trueopen.index.build import stored_history
    from trueopen.index.store import Store, default_path

    with _errors():
        if format not in ("table", "json"):
            raise InputError(f"--format {format}: choose table or json")
        # Read only: the store as named, never made (store_path makes the default's folder, for writers).
        path = store.expanduser() if store is not None else default_path()
        if not path.exists():
            raise InputError(f"{path}: no store yet (audits write one)")
        release_id = _identity_of(release)
        with Store.open(path) as db:
            steps = stored_history(db, release_id)
        if not steps:
            raise InputError(f"{release_id}: not in the store {path}")
        if format == "json":
            data = {"id": release_id, "history": [s.model_dump(mode="json") for s in steps]}
            _emit(json.dumps(data, indent=2, ensure_ascii=False) + "\n", output)
        else:
            _emit_table(lambda console: _render_history(release_id, steps, console), output)


def _identity_of(text: str) -> str:
    if "://" in text:
        return text
    from trueopen.index.identity import identify
    from trueopen.sources import open_locations
    from trueopen.sources.options import SourceOptions

    with open_locations(text, (), SourceOptions()) as release:
        return identify(release).id


def _render_history(release_id: str, steps, console: Console) -> None:
    """One block per stored audit, newest first: when, which revision, the label, what changed."""
    from rich.text import Text

    console.print(Text(f"History of {release_id} ({len(steps)} audits, newest first)", style="bold"), soft_wrap=True)
    for s in steps:
        console.print()
        console.print(Text.assemble((s.audited_at or "-", "cyan"), f"  revision {s.revision or '-'}  trueopen "
                                    f"{s.trueopen_version}  label ", (s.label or "-", "bold")), soft_wrap=True)
        if not s.changes:
            console.print("  (the first audit stored)" if s is steps[-1] else "  no change", highlight=False)
        for c in s.changes:
            console.print(f"  {c.field}: {c.before or '-'} -> {c.after or '-'}", highlight=False, markup=False, emoji=False,
                          soft_wrap=True)


class _progress:
    """Releases done out of the total on stderr, only on a terminal."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._bar = None

    def __enter__(self):
        err = stderr_terminal()
        if err is None:
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                             TimeRemainingColumn(), console=err, transient=True)
        self._bar.start()
        task = self._bar.add_task("auditing", total=self.total)

        def tick(line, entry) -> None:
            state = "failed" if entry.error else "reused" if entry.reused else "audited"
            self._bar.update(task, advance=1, description=f"{line.target}: {state}")

        return tick

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
