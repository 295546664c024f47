"""The command line: parses arguments, wires the stages, sets exit codes (DESIGN.md §5)."""

from __future__ import annotations

import atexit
import copy
import json
import os
import sys
import tempfile
import threading
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Iterator, NoReturn, Optional, Sequence

import typer
from typer.main import get_command_name

from trueopen import __version__
from trueopen.cli_options import (CacheOption, Format, MaxDownloadOption, NoHashOption, NoStoreOption, OfflineOption,
                                  OutputOption, RefreshOption, ReleaseArgument, RevisionOption, StoreOption, WithOption)
from trueopen.errors import InputError
from trueopen.terminal import console, stderr_terminal

EXIT_OK, EXIT_GATE, EXIT_USAGE, EXIT_REVIEW = 0, 1, 2, 3

app = typer.Typer(
    name="trueopen",
    help="Is this AI release really open? trueopen audits a release from its files.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)


class AuditFormat(str, Enum):
    table = "table"
    json = "json"
    mot = "mot"  # a Model Openness Tool record (YAML)
    # Reports and AI-BOMs (formats/reports.py)
    cyclonedx = "cyclonedx"  # CycloneDX 1.6 ML-BOM (JSON)
    spdx = "spdx"  # SPDX 3.0.1 JSON-LD, AI and Dataset profiles
    markdown = "markdown"
    html = "html"
    sarif = "sarif"  # SARIF 2.1.0, every finding of the audit


class BadgeFormat(str, Enum):
    svg = "svg"
    shields_json = "shields-json"


class BadgeKind(str, Enum):
    label = "label"
    mof = "mof"
    safety = "safety"


class CheckFormat(str, Enum):
    table = "table"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"



class ScanFormat(str, Enum):
    table = "table"
    json = "json"
    sarif = "sarif"


class Follow(str, Enum):
    base = "base"
    datasets = "datasets"


def _version(value: bool) -> None:
    if value:
        print(f"trueopen {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = None) -> None:
    """Is this AI release really open? trueopen audits a release from its files."""


@app.command()
def audit(
    targets: Annotated[Optional[list[str]], typer.Argument(help="Releases to audit (see `trueopen audit --help`): folders, "
                                                           "archives, hf://ORG/NAME, Hub URLs, HF cache folders.", show_default=False)] = None,
    format: Annotated[AuditFormat, typer.Option("--format", "-f", help="Output format.")] = AuditFormat.table,
    output: OutputOption = None,
    no_hash: NoHashOption = False,
    with_: WithOption = None,
    revision: RevisionOption = None,
    offline: OfflineOption = False,
    max_download: MaxDownloadOption = "2GiB",
    cache: CacheOption = False,
    follow: Annotated[Optional[list[Follow]], typer.Option("--follow", help="Also audit the base models (base) or the datasets' "
                                                           "cards and licences (datasets) the card names, on the Hub.")] = None,
    from_file: Annotated[Optional[Path], typer.Option("--from", help="Read more targets from this file, one a line.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", min=1, max=32, help="Releases audited at once (several targets).")] = 4,
    store: StoreOption = None,
    no_store: NoStoreOption = False,
    refresh: RefreshOption = False,
    id_: Annotated[Optional[str], typer.Option("--id", help="The release's identity URL in the store (default: its Hub "
                                               "URL, its git remote, or the folder's file:// URL).")] = None,
) -> None:
    """Audit AI releases: components, licences, recipe, claims, safety and verdicts.

    A Hub repo is audited where it lives: the file list, sizes and LFS sha256 come from the Hub's
    API, small files are read whole and weights only by byte range (the record's `transfer` says
    how much). Several targets are audited concurrently and compared in one table.

    A release spread over several places (code on GitHub, weights elsewhere) is audited as one
    with `--with`: what the main target only references is then checked where it lives.

    Examples:

        trueopen audit ./my-model

        trueopen audit hf://mistralai/Mistral-7B-v0.1 --revision main

        trueopen audit https://huggingface.co/org/model/tree/v1.0 --format json -o audit.json

        trueopen audit ./OLMo --with hf://allenai/OLMo-2-1124-7B   # code folder + its weights on the Hub
        trueopen audit hf://org/model --offline          # the copy in the HF cache, no network

        trueopen audit hf://org/fine-tune --follow base   # also audit its base model

        trueopen audit ./a hf://org/b --from more.txt     # several releases, one comparison table

        trueopen audit release.tar.gz --no-hash

        trueopen audit ./my-model --format cyclonedx -o my-model.cdx.json   # CycloneDX 1.6 ML-BOM

        trueopen audit ./my-model --format spdx -o my-model.spdx.json       # SPDX 3.0.1, AI + Dataset profiles

        trueopen audit ./my-model --format html -o report.html              # one self-contained page

        trueopen audit ./my-model --format markdown >> $GITHUB_STEP_SUMMARY

        trueopen audit ./my-model --format sarif -o trueopen.sarif          # GitHub code scanning

    Every audit is kept in the audit store (`trueopen history`); a release whose revision (Hub
    commit, git HEAD and files, or the files' sizes and times) is already there is not audited
    again unless `--refresh`.

    Environment: HF_TOKEN (or `hf auth login`) for gated and private repos, HF_ENDPOINT for a
    mirror, HF_HOME / HF_HUB_CACHE for the cache, HF_HUB_OFFLINE=1 as --offline,
    TRUEOPEN_STORE for the audit store.

    Exit codes: 0 audited (whatever the verdict), 2 bad input or a target that could not be
    audited (with several targets: the worst of them).
    """
    from trueopen.audit import audit as run_audit

    with _errors():
        names = list(targets or []) + (_read_targets(from_file) if from_file else [])
        if not names:
            raise InputError("name a release to audit, or --from FILE")
        source = _source(revision, offline, max_download, cache)
        kinds = frozenset(f.value for f in follow or [])
        if len(names) > 1 or from_file:
            if format is AuditFormat.mot or format.value in _report_formats():
                raise InputError(f"--format {format.value} takes one release; audit them one by one")
            if with_:
                raise InputError("--with adds locations to one release; audit several releases without it")
            if id_:
                raise InputError("--id names one release; audit several releases without it")
            _audit_many(names, format, output, no_hash, source, kinds, jobs, _store(store, no_store), refresh)
            return
    target = names[0]
    with _errors(), _progress(target, enabled=not no_hash, extra=with_ or ()) as progress:
        db = _store(store, no_store)
        if db is None:
            result = run_audit(target, with_=with_ or (), hash_contents=not no_hash, progress=progress, source=source)
        else:
            from trueopen.index.stored import audit_with_store

            done = audit_with_store(target, store=db, with_=with_ or (), hash_contents=not no_hash, source=source,
                                    refresh=refresh, release_id=id_, progress=progress)
            result = done.audit
            if done.reused:
                console(stderr=True).print(f"trueopen: reused the stored audit of {done.identity.id} at "
                                           f"{done.identity.revision} from {done.audited_at} (--refresh to audit again)",
                                           highlight=False, soft_wrap=True)
        if kinds:
            from trueopen.follow import follow_related

            result = follow_related(result, kinds, source)
    with _errors():
        _emit_audit(result, format, output)


def _emit_audit(result, format: AuditFormat, output: Path | None) -> None:
    """One audit record in any of the audit's formats."""
    if format is AuditFormat.json:
        _emit(result.to_json(), output)
    elif format is AuditFormat.mot:
        from trueopen.mot.export import audit_to_mot, to_yaml

        _emit(to_yaml(audit_to_mot(result)), output)
    elif format.value in _report_formats():
        from trueopen.formats.reports import render as render_report

        _emit(render_report(result, format.value), output)
    else:
        _emit_table(lambda console: _table().render(result, console), output)


def _read_targets(path: Path) -> list[str]:
    from trueopen.batch import read_targets

    return read_targets(path)


def _source(revision: str | None, offline: bool, max_download: str, cache: bool):
    """The Hub / HF-cache options; notes (e.g. which kind of target was taken) go to stderr."""
    from trueopen.sources.options import SourceOptions, parse_size

    try:
        limit = parse_size(max_download)
    except ValueError as exc:
        raise InputError(f"--max-download: {exc}") from None
    if offline and cache:
        raise InputError("--offline and --cache contradict each other (offline fetches nothing to cache)")
    return SourceOptions(revision=revision, offline=True if offline else None, max_download=limit, cache=cache,
                         note=lambda m: console(stderr=True).print(f"trueopen: {m}", highlight=False, soft_wrap=True))


def _store(store: Path | None, no_store: bool) -> Path | None:
    from trueopen.cli_index import store_path

    return store_path(store, no_store)


def _audit_many(names: list[str], format: AuditFormat, output: Path | None, no_hash: bool, source, kinds: frozenset[str],
                jobs: int, store: Path | None = None, refresh: bool = False) -> None:
    """Several targets at once: a comparison table (or a JSON list), errors on stderr, exit code the worst."""
    from trueopen.batch import audit_many

    with _many_progress(names) as status:
        outcomes = audit_many(names, jobs=jobs, hash_contents=not no_hash, source=source, follow=kinds, status=status,
                              store=store, refresh=refresh)
    audits = [o.audit for o in outcomes if o.audit is not None]
    if audits:
        if format is AuditFormat.json:
            from trueopen.formats.json import render_many

            _emit(render_many(audits), output)
        else:
            _emit_table(lambda console: _table().render_comparison(audits, console), output)
    err = console(stderr=True)
    for o in outcomes:
        if o.error:
            err.print(f"[bold red]trueopen: error:[/] {o.error}", highlight=False, soft_wrap=True)
    if any(o.error for o in outcomes):
        raise typer.Exit(EXIT_USAGE)


@contextmanager
def _many_progress(names: list[str]):
    """One status line per release on stderr, only on a terminal."""
    err = stderr_terminal()
    if err is None:
        yield None
        return
    from rich.progress import SpinnerColumn

    from rich.progress import Progress

    with Progress(SpinnerColumn(), "[progress.description]{task.description}", console=err, transient=True) as bar:
        tasks = {n: bar.add_task(f"{n}: queued", total=None) for n in dict.fromkeys(names)}

        def status(target: str, text: str) -> None:
            if target in tasks:
                bar.update(tasks[target], description=f"{target}: {text}")

        yield status


@app.command()
def demo(
    folder: Annotated[Path, typer.Argument(help="A folder whose sub-folders are releases.")] = Path("examples"),
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    output: OutputOption = None,
) -> None:
    """Audit every release in a folder (the bundled examples by default) and compare them.

    Examples:

        trueopen demo

        trueopen demo examples --format json
    """
    from trueopen.audit import audit as run_audit

    with _errors():
        if not folder.is_dir():
            raise InputError(f"{folder}: no such folder")
        # Folders named with a leading "." or "_" are not releases (examples/_spread holds one
        # release in two locations, audited with --with).
        releases = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
        if not releases:
            raise InputError(f"{folder}: no release folders in it")
        audits = [run_audit(p) for p in releases]
        if format is Format.json:
            from trueopen.formats.json import render_many

            _emit(render_many(audits), output)
        else:
            _emit_table(lambda console: _table().render_comparison(audits, console), output)


@app.command()
def schema(
    output: OutputOption = None,
    policy: Annotated[bool, typer.Option("--policy", help="The JSON Schema of policy files (`trueopen check --policy`) instead.")] = False,
    recipe: Annotated[bool, typer.Option("--recipe", help="The JSON Schema of recipe manifests (trueopen-recipe.json) instead.")] = False,
) -> None:
    """Print the JSON Schema of the audit record (`--format json`), of policy files or of recipe manifests.

    Examples:

        trueopen schema -o schema/audit.schema.json

        trueopen schema --policy -o schema/policy.schema.json

        trueopen schema --recipe -o schema/recipe.schema.json
    """
    from trueopen.record import json_schema

    with _errors():
        if policy and recipe:
            raise InputError("--policy and --recipe: choose one schema")
        if recipe:
            from trueopen.reproduce.manifest import json_schema as recipe_schema

            _emit(json.dumps(recipe_schema(), indent=2, sort_keys=True) + "\n", output)
            return
        if policy:
            from trueopen.policy.model import json_schema as policy_schema

            _emit(json.dumps(policy_schema(), indent=2, sort_keys=True) + "\n", output)
            return
        _emit(json.dumps(json_schema(), indent=2, sort_keys=True) + "\n", output)


@app.command()
def mof(
    files: Annotated[list[Path], typer.Argument(help="Model Openness Tool model records (models/*.yml).", show_default=False)],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    normalise: Annotated[bool, typer.Option("--normalise", help="Read free-text licence names as trueopen ids ('Apache 2.0' -> Apache-2.0) instead of matching them literally as MOT does.")] = False,
    output: OutputOption = None,
) -> None:
    """Evaluate Model Openness Tool records: MOF class, progress per class, what the next class needs.

    By default the result is MOT-exact: licences are matched literally against MOT's lists, so
    "Apache 2.0" is not open, as on mot.isitopen.ai. `--normalise` reads such spellings first.

    Examples:

        trueopen mof models/OLMo-7B.yml

        trueopen mof models/*.yml --format json

        trueopen mof models/Falcon-40B.yml --normalise

    Exit codes: 0 evaluated (whatever the class), 2 a file is not a readable MOT record.
    """
    from trueopen.mot.records import evaluate_file
    from trueopen.mot.render import render_json, render_table

    with _errors():
        evaluations = [evaluate_file(f, strict=not normalise) for f in files]
        if format is Format.json:
            _emit(render_json(evaluations), output)
        else:
            _emit_table(lambda console: render_table(evaluations, console), output)


@app.command()
def explain(
    target: ReleaseArgument,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    output: OutputOption = None,
    no_hash: NoHashOption = False,
    with_: WithOption = None,
    revision: RevisionOption = None,
    offline: OfflineOption = False,
    max_download: MaxDownloadOption = "2GiB",
) -> None:
    """Explain the verdicts in plain language: for each framework (label and openwashing, MOF,
    OSAID 1.0, EU AI Act, European Open Source AI Index) what the result is and what would
    change it, each point citing its evidence (path:line), and what to add with `--with` to
    verify what the release only references.

    Examples:

        trueopen explain ./my-model

        trueopen explain ./OLMo --with ./OLMo-2-1124-7B

        trueopen explain release.tar.gz --format json --output why.json

        trueopen explain hf://org/model@v1.0

    Exit codes: 0 explained (whatever the verdict), 2 bad input.
    """
    from trueopen.audit import audit as run_audit
    from trueopen.formats import explain as explain_format

    with _errors(), _progress(target, enabled=not no_hash, extra=with_ or ()) as progress:
        result = run_audit(target, with_=with_ or (), hash_contents=not no_hash, progress=progress,
                           source=_source(revision, offline, max_download, False))
    with _errors():
        if format is Format.json:
            _emit(explain_format.to_json(result), output)
        else:
            _emit_table(lambda console: explain_format.render(result, console), output)


@app.command("license")
def license_(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Files, folders or Hub repos (hf://ORG/NAME) to identify the licences of.", show_default=False)] = None,
    terms: Annotated[Optional[str], typer.Option("--terms", help="Print the terms of this licence id (SPDX id, LicenseRef-trueopen-*, Hugging Face id).")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,  # noqa: A002
    output: OutputOption = None,
    revision: RevisionOption = None,
    offline: OfflineOption = False,
    max_download: MaxDownloadOption = "2GiB",
) -> None:
    """Identify the licences of files or folders, or print one licence's terms.

    Examples:

        trueopen license LICENSE ./my-model

        trueopen license ./my-model --format json

        trueopen license --terms llama3.1

        trueopen license hf://org/model --revision v1.0

    The JSON is a list of records shaped like the audit's `licenses[]`.
    Exit codes: 0 done (also when nothing is found), 2 bad input or unknown licence id.
    """
    from trueopen.formats import license_report

    with _errors():
        if terms:
            if format is Format.json:
                _emit(license_report.terms_json(terms), output)
            else:
                _emit_table(lambda console: license_report.render_terms(terms, console), output)
            return
        if not paths:
            raise InputError("name at least one file or folder, or --terms ID")
        found = _identify_licences(paths, _source(revision, offline, max_download, False))
        if format is Format.json:
            _emit(license_report.render_json(found), output)
        else:
            _emit_table(lambda console: license_report.render_table(found, console), output)


@app.command()
def scan(
    paths: Annotated[list[str], typer.Argument(help="Model files, archives, release folders, Hub repos (hf://ORG/NAME) or HF cache folders.", show_default=False)],
    format: Annotated[ScanFormat, typer.Option("--format", "-f", help="Output format.")] = ScanFormat.table,  # noqa: A002
    output: OutputOption = None,
    revision: RevisionOption = None,
    offline: OfflineOption = False,
    max_download: MaxDownloadOption = "2GiB",
) -> None:
    """Scan model files for content that runs code when loaded, without ever loading them.

    Pickles (and the torch, numpy and joblib files built on them) are interpreted, not
    unpickled; archives are read in place; GGUF and tokenizer chat templates are analysed,
    never rendered; ONNX, Keras, SavedModel and `auto_map` code are reported.

    Examples:

        trueopen scan pytorch_model.bin

        trueopen scan ./my-model --format sarif --output trueopen.sarif

        trueopen scan hf://org/model --max-download 500MB   # headers and pickles by HTTP range

    Exit codes: 0 clean, 1 something is blocked (unsafe), 2 incomplete analysis or bad input
    (fail closed), 3 only things that need review.
    """
    from trueopen.batch import scan_targets

    with _errors():
        report = scan_targets(paths, _source(revision, offline, max_download, False))
        if format is ScanFormat.json:
            from trueopen.formats.scan_report import render_json

            _emit(render_json(report), output)
        elif format is ScanFormat.sarif:
            from trueopen.formats.sarif import render as render_sarif

            _emit(render_sarif(report), output)
        else:
            from trueopen.formats.scan_report import render_table

            _emit_table(lambda console: render_table(report, console), output)
    raise typer.Exit(report.exit_code)


@app.command()
def cache(
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="The HF cache to list (default: huggingface_hub's, "
                                                      "from HF_HUB_CACHE or HF_HOME).")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,  # noqa: A002
    output: OutputOption = None,
    no_hash: NoHashOption = False,
) -> None:
    """What is on my disk, and may I use it? Every model and dataset revision in the Hugging Face
    cache, audited offline: label, MOF class, safety and the weights' licence, one row each.

    Examples:

        trueopen cache

        trueopen cache --cache-dir /data/hf/hub --format json

    Exit codes: 0 listed (whatever the verdicts), 2 no cache there; a revision that cannot be
    audited is listed with its error.
    """
    from trueopen.batch import audit_cache
    from trueopen.formats import cache_table

    with _errors():
        rows, warnings = audit_cache(str(cache_dir) if cache_dir else None, hash_contents=not no_hash)
        if format is Format.json:
            _emit(cache_table.render_json(rows, warnings), output)
        else:
            _emit_table(lambda console: cache_table.render(rows, warnings, console), output)


# --- Reports, policy gate and diffs (issue 10): badge, check, diff -------------------------------

RecordOrReleaseArgument = Annotated[str, typer.Argument(
    help="A release folder or archive, or an audit record saved with `audit --format json`.", show_default=False)]


@app.command()
def badge(
    target: RecordOrReleaseArgument,
    kind: Annotated[Optional[list[BadgeKind]], typer.Option("--kind", "-k", help="Which badge (repeatable): label, mof, safety. Default: all three.", show_default=False)] = None,
    format: Annotated[BadgeFormat, typer.Option("--format", "-f", help="svg, or shields-json (shields.io endpoint JSON).")] = BadgeFormat.svg,  # noqa: A002
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="A file, or an existing folder: one file per badge (trueopen-KIND.svg / .json).")] = None,
    no_hash: NoHashOption = False,
    with_: WithOption = None,
    revision: RevisionOption = None,
    offline: OfflineOption = False,
    max_download: MaxDownloadOption = "2GiB",
) -> None:
    """Badges of the verdicts for a model card or README: the label, the MOF class and the safety
    status, as SVG (several side by side in one SVG) or as shields.io endpoint JSON.

    Colours mean something: open-source green, open-weights olive, restricted orange, closed,
    strong openwashing or unsafe red.

    Examples:

        trueopen badge ./my-model -o badges/          # trueopen-label.svg, trueopen-mof.svg, trueopen-safety.svg

        trueopen badge audit.json --kind label -o label.svg

        trueopen badge ./my-model --kind label --format shields-json -o label.json

        trueopen badge hf://org/model --revision v1.0 -o badges/

    Exit codes: 0 written, 2 bad input.
    """
    from trueopen.formats import badge as badges
    from trueopen.saved import audit_or_load

    kinds = [k.value for k in kind] if kind else list(badges.KINDS)
    kinds = list(dict.fromkeys(kinds))
    with _errors(), _progress(target, enabled=not no_hash and not _is_record(target), extra=with_ or ()) as progress:
        result = audit_or_load(target, with_=with_ or (), hash_contents=not no_hash, progress=progress,
                               source=_source(revision, offline, max_download, False))
    with _errors():
        svg = format is BadgeFormat.svg
        if output is not None and output.expanduser().is_dir():
            for k in kinds:
                text = badges.svg(result, k) if svg else badges.endpoint_json(result, [k])
                _emit(text, output.expanduser() / f"trueopen-{k}.{'svg' if svg else 'json'}")
            return
        _emit(badges.svg_row(result, kinds) if svg else badges.endpoint_json(result, kinds), output)


@app.command()
def check(
    targets: Annotated[list[str], typer.Argument(help="Releases (folders, archives) or saved audit records (.json).", show_default=False)],
    policy: Annotated[str, typer.Option("--policy", "-p", help="A built-in policy (open-source, commercial-use, safe-to-load) or a policy YAML file.", show_default=False)],
    format: Annotated[CheckFormat, typer.Option("--format", "-f", help="Output format.")] = CheckFormat.table,  # noqa: A002
    output: OutputOption = None,
    no_hash: NoHashOption = False,
    with_: WithOption = None,
    revision: RevisionOption = None,
    offline: OfflineOption = False,
    max_download: MaxDownloadOption = "2GiB",
    store: StoreOption = None,
    no_store: NoStoreOption = False,
    refresh: RefreshOption = False,
) -> None:
    """Gate releases on a policy: every rule of the policy must hold. Each failure is printed with
    its rule, the value observed and the evidence (path:line).

    Built-in policies: `open-source` (OSAID 1.0 conformant, no openwashing), `commercial-use`
    (every licence allows commercial use without a user or revenue threshold; safety clean),
    `safe-to-load` (safety clean). A policy file is YAML (`trueopen schema --policy` prints its
    JSON Schema):

        version: 1
        name: our-models
        rules:
          labels: [open-source, open-weights]
          licenses: {deny: [CC-BY-NC-4.0]}
          terms: {commercial_use: true, no_threshold: true}
          max_safety: clean

    Examples:

        trueopen check ./my-model --policy open-source

        trueopen check audit.json --policy commercial-use --format sarif -o gate.sarif

        trueopen check ./model-a ./model-b --policy .trueopen-policy.yml --format markdown

        trueopen check hf://org/model --revision v1.0 --policy open-source

    Exit codes: 0 every rule holds, 1 a rule fails, 2 bad input or a bad policy file.
    """
    from trueopen.policy import check as run_check
    from trueopen.policy import load_policy
    from trueopen.policy import report

    with _errors():
        pol = load_policy(policy)
        if with_ and len(targets) > 1:
            raise InputError("--with applies to one release; name one target with it")
        source = _source(revision, offline, max_download, False)
    results = []
    for target in targets:
        with _errors(), _progress(target, enabled=not no_hash and not _is_record(target), extra=with_ or ()) as progress:
            results.append(run_check(target, pol, with_=with_ or (), hash_contents=not no_hash,
                                     store=_store(store, no_store), refresh=refresh, source=source, progress=progress))
    with _errors():
        if format is CheckFormat.json:
            _emit(report.render_json(results), output)
        elif format is CheckFormat.sarif:
            _emit(report.render_sarif(results), output)
        elif format is CheckFormat.markdown:
            _emit(report.render_markdown(results), output)
        else:
            _emit_table(lambda console: report.render_table(results, console), output)
    raise typer.Exit(EXIT_OK if all(r.passed for r in results) else EXIT_GATE)


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="The old audit record (.json) or release.", show_default=False)],
    new: Annotated[str, typer.Argument(help="The new audit record (.json) or release.", show_default=False)],
    fail_on: Annotated[Optional[str], typer.Option("--fail-on", help="Exit 1 when one of these holds (comma-separated): "
                                                   "license-change (or licence-change), label-down, mof-down, osaid-lost, "
                                                   "openwashing, safety-down, component-removed, files-changed, any.", show_default=False)] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,  # noqa: A002
    output: OutputOption = None,
    no_hash: NoHashOption = False,
    offline: OfflineOption = False,
    max_download: MaxDownloadOption = "2GiB",
) -> None:
    """Compare two audits of a release (two saved records, or two releases): licence changes per
    component (a relicensing is the headline), components added or removed, claims added or
    withdrawn, verdict and safety changes, files added, removed or changed by sha256.

    Examples:

        trueopen diff old.json new.json

        trueopen diff ./model-v1 ./model-v2 --format json -o changes.json

        trueopen diff pinned.json ./model --fail-on licence-change,label-down,safety-down

        trueopen diff hf://org/model@v1.0 hf://org/model@v2.0   # two revisions on the Hub

    Exit codes: 0 compared (and no --fail-on rule holds), 1 a --fail-on rule holds, 2 bad input.
    """
    from trueopen import diff as differ

    with _errors():
        differ.parse_fail_on(fail_on)  # a bad rule fails before any audit runs
        result = differ.diff(old, new, fail_on=fail_on, hash_contents=not no_hash,
                             source=_source(None, offline, max_download, False))
        if format is Format.json:
            _emit(differ.render_json(result), output)
        else:
            _emit_table(lambda console: differ.render_table(result, console), output)
    raise typer.Exit(EXIT_GATE if result.triggered else EXIT_OK)


def _is_record(target: str) -> bool:
    from trueopen.saved import is_record_path

    return is_record_path(target)


def _report_formats() -> tuple[str, ...]:
    from trueopen.formats.reports import FORMATS

    return FORMATS


def _identify_licences(paths: list[str], source):
    """Licences of local files and folders, and of Hub or cached repos (read through the release,
    opened with the SourceOptions `source`, at its revision)."""
    from trueopen.formats import license_report
    from trueopen.sources import open_release
    from trueopen.sources.targets import CacheFolder, HubTarget, parse_target

    found = []
    for p in paths:
        spec = parse_target(p, source.revision)
        if isinstance(spec, (HubTarget, CacheFolder)):
            with open_release(p, source) as release:
                found.extend(license_report.identify_release(release, prefix=f"hf://{release.target.ref}/"))
        else:
            if source.revision:
                raise InputError(f"{p}: --revision applies to Hub and HF-cache targets only")
            found.extend(license_report.identify_paths([Path(p)]))
    found.sort(key=lambda f: (f.path, f.evidence[0].line or 0 if f.evidence else 0, f.id))
    return found


def _table():
    from trueopen.formats import table

    return table


@contextmanager
def _errors() -> Iterator[None]:
    """Turn expected failures into one line on stderr and exit code 2; never a traceback."""
    try:
        yield
    except InputError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
    except (typer.Exit, typer.Abort, SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - a bug must still not print a traceback to users
        if os.environ.get("TRUEOPEN_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set TRUEOPEN_DEBUG=1 for details)")


def _fail(message: str) -> None:
    console(stderr=True).print(f"[bold red]trueopen: error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_USAGE)


@contextmanager
def _progress(target: str, enabled: bool, extra: Sequence[str] = ()):
    """A byte progress bar on stderr, only when stderr is a terminal."""
    err = stderr_terminal() if enabled else None
    if err is None:
        yield None
        return
    sizes = [_total_bytes(t) for t in (target, *extra)]
    total = None if any(s is None for s in sizes) else sum(s for s in sizes if s is not None)
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn  # terminals only

    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  TimeRemainingColumn(), console=err, transient=True) as bar:
        task = bar.add_task("hashing", total=total)
        yield lambda n: bar.advance(task, n)


def _total_bytes(target: str) -> int | None:
    p = Path(target)
    if not p.is_dir():
        return None
    total = 0
    for root, _dirs, files in os.walk(p):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def _emit(text: str, output: Path | None) -> None:
    """Write to stdout, or atomically to a file (the old file survives a failure)."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    output = output.expanduser()
    parent = output.parent if str(output.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{output}: folder {parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=parent)
    try:
        # mkstemp makes the file private; give it the mode a plain open() would (or the old file's).
        mode = output.stat().st_mode & 0o7777 if output.exists() else 0o666 & ~_umask()
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _emit_table(draw, output: Path | None) -> None:
    if output is None:
        screen = console()
        if not screen.is_terminal and "COLUMNS" not in os.environ:
            screen = console(width=120)  # a pipe or a file: no terminal to fit, so don't crop
        draw(screen)
        return
    recorder = console(record=True, file=open(os.devnull, "w"), width=120, color_system=None)  # noqa: SIM115
    draw(recorder)
    _emit(recorder.export_text(), output)


from trueopen.cli_data import data_app  # noqa: E402 - `trueopen data ...` (issue 11), its own module
from trueopen.cli_reproduce import recipe_app, reproduce  # noqa: E402 - replay and capture (issue 12), their own module

app.add_typer(data_app, name="data")
app.add_typer(recipe_app, name="recipe")
app.command()(reproduce)
from trueopen.cli_index import history, index_app  # noqa: E402 - the store, batch index and site (issue 16)

app.add_typer(index_app, name="index")
app.command()(history)


def main() -> None:
    """Console-script entry point."""
    try:
        _app_for(sys.argv[1:])()
    except SystemExit as done:
        _exit(done.code)
    _exit(0)


def _app_for(args: Sequence[str]) -> typer.Typer:
    """`app` with only the command (or command group) that `args` name, when they start with one.

    typer builds the options of every registered command before running any: 23 ms for all 17
    (the groups' included) against 2.5 ms for `audit` alone (measured), paid by every start
    before its work begins. Anything else (help, --version, a name that is no command) gets the
    whole app, and with it typer's own messages.
    """
    if not args or args[0].startswith("-"):
        return app
    commands = [c for c in app.registered_commands
                if (c.name or (c.callback and get_command_name(c.callback.__name__))) == args[0]]
    groups = [g for g in app.registered_groups if isinstance(g.name, str) and g.name == args[0]]
    if len(commands) + len(groups) != 1:
        return app
    narrow = copy.copy(app)
    narrow.registered_commands, narrow.registered_groups = commands, groups
    return narrow


def _exit(code: object) -> NoReturn:
    """Leave the process with `code` once the output is out, without tearing the interpreter down.

    Freeing every object of an audit at teardown took 0.06-0.07 s of a 1.7 s audit of 4 GiB on 2
    cores (benchmarks/hash_throughput.py), as long as a small audit's whole parse; mypy skips it the
    same way. The atexit functions still run (temporary folders, logging). Anything unusual (a
    message as exit code, a thread still running, a profiler or tracer attached, output that
    cannot be flushed) takes Python's own exit.
    """
    if (not (code is None or isinstance(code, int)) or threading.active_count() > 1
            or sys.getprofile() is not None or sys.gettrace() is not None):
        raise SystemExit(code)  # cProfile, coverage or a debugger reports at teardown
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None: started without that descriptor (a daemon, `>&-`)
                stream.flush()
    except (OSError, ValueError):
        raise SystemExit(code) from None  # a closed pipe: Python reports it as it always does
    os._exit(code or 0)


if __name__ == "__main__":
    main()
