"""`trueopen reproduce` and `trueopen recipe capture` (issue 12). The command code lives here;
cli.py registers it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from trueopen.cli_options import MaxDownloadOption, OfflineOption, OutputOption, RevisionOption
from trueopen.terminal import console

recipe_app = typer.Typer(name="recipe", help="Record the recipe of a release: the environment, the command, the seeds "
                         "and the digests of inputs and outputs.", no_args_is_help=True, rich_markup_mode="markdown",
                         context_settings={"help_option_names": ["-h", "--help"]})


def reproduce(
    target: Annotated[str, typer.Argument(help="A release folder, an archive, an HF cache folder or a Hub repo.",
                                          show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Run the release's commands without asking.")] = False,
    no_sandbox: Annotated[bool, typer.Option("--no-sandbox", help="Run without bubblewrap when it is not available: "
                                             "the commands can then reach the network and your files.")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="A new folder for the evidence: replay.log, "
                                                "environment.json, comparison.json, reproduction.json.")] = None,
    command: Annotated[Optional[list[str]], typer.Option("--command", help="A shell command to run instead of the "
                                                         "documented ones; repeatable, run in order.")] = None,
    python: Annotated[Optional[str], typer.Option("--python", help="The interpreter the fresh environment is made from "
                                                  "(default: python<stated version> when on PATH, else this one).")] = None,
    timeout: Annotated[int, typer.Option("--timeout", min=1, help="Seconds the commands may run.")] = 3600,
    memory: Annotated[str, typer.Option("--memory", metavar="SIZE", help="Address space the commands may use.")] = "8GiB",
    disk: Annotated[str, typer.Option("--disk", metavar="SIZE", help="Bytes the commands may write.")] = "20GiB",
    rtol: Annotated[float, typer.Option("--rtol", min=0.0, help="Relative tolerance per element.")] = 1e-5,
    atol: Annotated[float, typer.Option("--atol", min=0.0, help="Absolute tolerance per element.")] = 1e-8,
    no_local_packages: Annotated[bool, typer.Option("--no-local-packages", help="Install every pin with pip instead of "
                                                    "copying the same version from this machine's environment.")] = False,
    format: Annotated[str, typer.Option("--format", "-f", help="Output format: any of `trueopen audit`'s.")] = "table",
    output: OutputOption = None,
    revision: RevisionOption = None,
    offline: OfflineOption = False,
    max_download: MaxDownloadOption = "2GiB",
) -> None:
    """Rebuild a release's weights from its recipe and grade how close they come.

    The one trueopen command that runs release code. It prints what it will run and asks (or
    needs `--yes`); copies the release, without the weights it publishes, to a scratch folder;
    makes a fresh virtual environment with the pinned versions; runs the documented commands in
    bubblewrap (no network, the system read-only, only the copy writable) within the time,
    memory and disk limits; then compares every published weights file with the rebuilt one:
    `bitwise` (same sha256), else tensor by tensor (safetensors, npz) `within-tolerance` or
    `differs`, or `could-not-run` with the reason. Your files and the release are only read.

    Examples:

        trueopen reproduce ./my-model

        trueopen reproduce ./my-model --yes --out evidence/ --format json -o replay.json

        trueopen reproduce ./my-model --yes --command "python train.py --steps 400" --rtol 1e-4

        trueopen reproduce ./my-model --yes --no-sandbox --timeout 600   # where bubblewrap cannot run

    Exit codes: 0 reproduced (bitwise or within tolerance), 1 differs or could not run, 2 bad
    input, or nothing was run (no --yes, no sandbox).
    """
    from trueopen.cli import EXIT_GATE, AuditFormat, _emit_audit, _errors, _source
    from trueopen.errors import InputError
    from trueopen.reproduce.replay import ReplayOptions
    from trueopen.reproduce.replay import reproduce as run_replay
    from trueopen.sources.options import parse_size

    err = console(stderr=True)
    with _errors():
        try:
            fmt = AuditFormat(format)
        except ValueError:
            raise InputError(f"--format {format}: choose one of {', '.join(f.value for f in AuditFormat)}") from None
        try:
            memory_bytes, disk_bytes = parse_size(memory), parse_size(disk)
        except ValueError as exc:
            raise InputError(f"--memory/--disk: {exc}") from None
        options = ReplayOptions(yes=yes, sandbox=not no_sandbox, timeout_seconds=timeout, memory_bytes=memory_bytes,
                                disk_bytes=disk_bytes, rtol=rtol, atol=atol, out=out, commands=tuple(command or ()),
                                python=python, local_packages=not no_local_packages,
                                note=lambda m: err.print(m, highlight=False, markup=False, soft_wrap=True))

        def confirm(plan: str) -> bool:
            if not sys.stdin.isatty():
                return False
            err.print(plan, highlight=False, markup=False, soft_wrap=True)
            return typer.confirm("Run them?", default=False, err=True)

        result = run_replay(target, options, confirm=confirm, source=_source(revision, offline, max_download, False))
        _emit_audit(result, fmt, output)
    rep = result.reproduction
    if rep is not None and rep.grade not in ("bitwise", "within-tolerance"):
        raise typer.Exit(EXIT_GATE)


@recipe_app.command()
def capture(
    command: Annotated[Optional[list[str]], typer.Argument(help="The command that builds the release, after `--`.",
                                                           show_default=False)] = None,
    folder: Annotated[Path, typer.Option("--folder", "-C", help="The release folder: where the command runs and the "
                                         "files are hashed.")] = Path("."),
    python: Annotated[Optional[str], typer.Option("--python", help="Describe this interpreter's packages instead of "
                                                  "the one trueopen runs in.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Where to write it (default: "
                                                   "FOLDER/trueopen-recipe.json; - for standard output).")] = None,
) -> None:
    """Write trueopen-recipe.json: the exact packages, Python, platform and CPU/GPU, the settings
    that change results (PYTHONHASHSEED, CUBLAS_WORKSPACE_CONFIG, thread counts...), the seeds it
    can see and, when a command is given, the command with the sha256 of the files it read and
    wrote. `trueopen audit` reads it as recipe evidence and `trueopen reproduce` runs its command
    in the versions it lists. Schema: `trueopen schema --recipe`.

    Examples:

        trueopen recipe capture                              # the environment only

        trueopen recipe capture -- python train.py --seed 1234

        trueopen recipe capture -C ./my-model --python .venv/bin/python -- make train

    Exit codes: 0 written, 1 written but the command failed, 2 bad input.
    """
    from trueopen.cli import EXIT_GATE, _emit, _errors
    from trueopen.reproduce.manifest import MANIFEST_NAME
    from trueopen.reproduce.manifest import capture as run_capture

    err = console(stderr=True)
    with _errors():
        manifest = run_capture(list(command or []), folder=folder, python=python)
        target = None if output is not None and str(output) == "-" else (output or folder / MANIFEST_NAME)
        _emit(manifest.to_json(), target)
    if target is not None:
        err.print(f"trueopen: wrote {target} ({len(manifest.packages)} packages, {len(manifest.seeds)} seeds"
                  + (f", {len(manifest.inputs)} inputs, {len(manifest.outputs)} outputs" if manifest.command else "")
                  + ")", highlight=False, soft_wrap=True)
    if manifest.command is not None and manifest.command.exit_code != 0:
        err.print(f"trueopen: the command failed (exit status {manifest.command.exit_code})", highlight=False)
        raise typer.Exit(EXIT_GATE)
