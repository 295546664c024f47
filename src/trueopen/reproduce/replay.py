"""Replay a release's recipe and grade how close the rebuilt weights come (`trueopen reproduce`).

The steps: audit the release (nothing runs); show the plan and get the user's agreement; copy the
release, without the weights it publishes, to a scratch folder; build a fresh virtual environment
with the pinned versions; run the commands contained (sandbox.py); compare every published
weights file with the one the run wrote (compare.py). The user's files and the release are only
read. Evidence (log, environment manifest, comparison) goes to `out` when given.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath

from trueopen.errors import InputError
from trueopen.record import Audit, Evidence, Finding, ReplayLimits, ReplayPlan, Reproduction, WeightsComparison
from trueopen.release import Release
from trueopen.reproduce import compare
from trueopen.reproduce.manifest import canonical_name, describe_venv, is_pin
from trueopen.reproduce.sandbox import bubblewrap, run_contained, sandbox_argv
from trueopen.sources.options import format_size

LOG_TAIL = 20
COPY_CHUNK = 1 << 20
# What the replayed commands see of the environment: nothing of the user's (no tokens, no proxies).
BASE_ENV = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
            "PIP_NO_INPUT": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


@dataclass(frozen=True)
class ReplayOptions:
    """The options of `trueopen reproduce` (see its --help)."""

    yes: bool = False
    sandbox: bool = True
    timeout_seconds: int = 3600
    memory_bytes: int = 8 * 2**30
    disk_bytes: int = 20 * 2**30
    rtol: float = compare.DEFAULT_RTOL
    atol: float = compare.DEFAULT_ATOL
    out: Path | None = None
    commands: tuple[str, ...] = ()
    python: str | None = None
    local_packages: bool = True
    scratch: Path | None = None
    note: Callable[[str], None] = field(default=lambda _m: None)


def reproduce(target: str | Path, options: ReplayOptions, *, confirm: Callable[[str], bool] | None = None,
              source=None) -> Audit:
    """Audit `target`, then (with the user's agreement) replay its recipe and grade the weights.
    Raises InputError, having run nothing, when the user does not agree, no sandbox is available
    and --no-sandbox was not given, or `out` already holds files."""
    from trueopen.audit import audit_release
    from trueopen.sources import open_release

    _check_out(options.out)
    with open_release(target, source) as release:
        audit = audit_release(release)
        readiness = audit.verdicts.reproducibility
        assert readiness is not None
        plan = readiness.plan
        if options.commands:
            plan = plan.model_copy(update={"commands": list(options.commands),
                                           "commands_from": Evidence(path="(command line)", detail="--command")})
        limits = ReplayLimits(timeout_seconds=options.timeout_seconds, memory_bytes=options.memory_bytes,
                              disk_bytes=options.disk_bytes)
        if not plan.commands:
            why = next(f.detail for f in readiness.facts if f.id == "command")
            return _finish(audit, _result(plan, options, limits, "could-not-run",
                                          f"nothing to run: {why}; give one with --command", sandbox=options.sandbox))
        bwrap, why_not = bubblewrap() if options.sandbox else (None, "")
        if options.sandbox and bwrap is None:
            raise InputError(f"nothing was run: no sandbox ({why_not}); pass --no-sandbox to run without isolation")
        text = describe_plan(audit.target.ref, plan, options, limits)
        if not options.yes and not (confirm and confirm(text)):
            raise InputError("nothing was run: the replay runs the release's own code; add --yes to allow it")
        if options.yes:
            options.note(text)
        scratch = Path(tempfile.mkdtemp(prefix="trueopen-replay-", dir=options.scratch))
        try:
            result = _replay(release, plan, options, limits, bwrap, scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return _finish(audit, result)


def describe_plan(ref: str, plan: ReplayPlan, options: ReplayOptions, limits: ReplayLimits) -> str:
    """What the replay will do, for the user to agree to."""
    iso = ("bubblewrap: no network, only the system's programs visible (read-only), writes only to a scratch "
           "copy" if options.sandbox else "NONE (--no-sandbox): the commands can reach the network and "
           "every file you can")
    where = f" ({plan.commands_from.where()})" if plan.commands_from else ""
    pins = ", ".join(plan.requirements) or "no pinned packages"
    lines = [f"trueopen will replay the recipe of {ref}:",
             f"  environment  a fresh virtual environment, Python {options.python or plan.python or _this_python()}; {pins}",
             f"  commands{where}:", *(f"    {c}" for c in plan.commands),
             f"  isolation    {iso}",
             f"  limits       {limits.timeout_seconds} s, {format_size(limits.memory_bytes)} memory, "
             f"{format_size(limits.disk_bytes)} disk",
             f"  compares     {len(plan.outputs)} published weights file{'s' if len(plan.outputs) != 1 else ''}"
             + (f": {', '.join(o.path for o in plan.outputs[:6])}" if plan.outputs else ""),
             "These commands are the release's own code."]
    return "\n".join(lines)


def _replay(release: Release, plan: ReplayPlan, options: ReplayOptions, limits: ReplayLimits, bwrap: str | None,
            scratch: Path) -> Reproduction:
    work, home, venv, log = scratch / "release", scratch / "home", scratch / "venv", scratch / "replay.log"
    home.mkdir()
    log.write_bytes(b"")
    outputs = {o.path for o in plan.outputs}
    _copy_release(release, work, skip=outputs)
    try:
        python, version = _make_venv(venv, options.python, plan.python, log)
        site = venv / "lib" / f"python{'.'.join(version.split('.')[:2])}" / "site-packages"
        installed = _install(python, site, plan.requirements, options.local_packages, log)
    except _EnvError as exc:
        return _result(plan, options, limits, "could-not-run", f"the environment could not be built: {exc}",
                       sandbox=bwrap is not None, log=log)
    env = {**BASE_ENV, "HOME": str(home), "TMPDIR": "/tmp" if bwrap else str(home),
           "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "VIRTUAL_ENV": str(venv)}
    # Described from metadata files: the venv's interpreter never starts outside the sandbox once
    # the release's packages are in it (a package's .pth file runs in every interpreter start).
    environment = describe_venv(site, version, env).model_dump(mode="json")
    environment["installed_from"] = installed
    script = "\n".join(plan.commands)
    if bwrap is not None:
        argv = sandbox_argv(bwrap, work=work, home=home, read_only=[venv, _prefix(python)], command=script,
                            tmp_bytes=min(limits.disk_bytes, limits.memory_bytes) // 4)
    else:
        argv = ["/bin/sh", "-ec", script]
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"$ {' && '.join(plan.commands)}\n")
    run = run_contained(argv, env=env, cwd=work, log=log, limits=limits, watch=[work, home])
    contained = "inside the sandbox (no network; only the scratch copy writable)" if bwrap else "without a sandbox"
    base = dict(sandbox=bwrap is not None, log=log, environment=environment, exit_code=run.exit_code, seconds=run.seconds)
    if run.stopped:
        return _result(plan, options, limits, "could-not-run", f"{run.stopped}, {contained}", **base)
    if run.exit_code != 0:
        last = _last_line(log)
        return _result(plan, options, limits, "could-not-run",
                       f"the commands failed (exit status {run.exit_code}) {contained}" + (f": {last}" if last else ""), **base)
    files = [_compare_output(release, o.path, o.sha256, work, scratch, options) for o in plan.outputs]
    grade, reason = _overall(files)
    return _result(plan, options, limits, grade, reason, files=files, **base)


def _overall(files: list[WeightsComparison]) -> tuple[str, str]:
    if not files:
        return "could-not-run", "the release publishes no weights file to compare with"
    grades = [f.grade for f in files]
    bad = [f for f in files if f.grade in ("differs", "not-produced")]
    if bad:
        names = ", ".join(f"{f.path} ({f.grade})" for f in bad[:4])
        return "differs", f"{len(bad)} of {len(files)} weights files differ: {names}"
    if all(g == "bitwise" for g in grades):
        return "bitwise", f"all {len(files)} weights files rebuilt byte for byte (same sha256)"
    return "within-tolerance", f"all {len(files)} weights files within tolerance; {grades.count('bitwise')} byte for byte"


def _compare_output(release: Release, path: str, sha256: str | None, work: Path, scratch: Path,
                    options: ReplayOptions) -> WeightsComparison:
    produced = work / path
    if os.path.lexists(produced) and (produced.is_symlink() or not produced.is_file()
                                      or not Path(os.path.realpath(produced)).is_relative_to(os.path.realpath(work))):
        # A link (to the published file, say) is not a rebuilt file: never followed.
        return WeightsComparison(path=path, grade="not-produced", published_sha256=sha256,
                                 detail="the replay left a link or a non-file here, not a rebuilt file")
    if sha256 and produced.is_file():
        produced_sha = compare.sha256_file(produced)
        if produced_sha == sha256:  # the published file need not be read (nor, from the Hub, fetched)
            return WeightsComparison(path=path, grade="bitwise", published_sha256=sha256, produced_sha256=produced_sha)
    published = _published(release, path, scratch)
    result = compare.compare_file(published, produced, rtol=options.rtol, atol=options.atol, published_sha256=sha256)
    return result.model_copy(update={"path": path})


def _published(release: Release, path: str, scratch: Path) -> Path:
    """The published file on disk: in the release's folder when it has one, else copied from the source."""
    local = release.local_path(path)
    if local is not None and os.path.isfile(local):
        real = Path(os.path.realpath(local))
        if any(real.is_relative_to(os.path.realpath(folder)) for _, folder in release.folders()):
            return Path(local)  # read where it is: weights are not copied for nothing
    dest = scratch / "published" / path
    _copy_one(release, path, dest)
    return dest


def _copy_release(release: Release, dest: Path, skip: set[str]) -> None:
    """Copy the release's files (as the source lists them: no link leads outside) except `skip`."""
    dest.mkdir(parents=True)
    for f in release.files:
        if f.path in skip:
            continue
        _copy_one(release, f.path, dest / f.path)


def _copy_one(release: Release, path: str, dest: Path) -> None:
    parts = PurePosixPath(path).parts
    if not parts or any(p in ("..", "") for p in parts) or PurePosixPath(path).is_absolute():
        raise InputError(f"{path}: not a path inside the release")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with release.open(path) as src, dest.open("wb") as out:
        head = src.read(2)
        out.write(head)
        shutil.copyfileobj(src, out, COPY_CHUNK)
    if head == b"#!" or _executable(release, path):
        dest.chmod(0o755)  # scripts stay runnable (./run.sh); no other mode bit is copied


def _executable(release: Release, path: str) -> bool:
    local = release.local_path(path)
    try:
        return local is not None and bool(os.stat(local).st_mode & 0o111)
    except OSError:
        return False


class _EnvError(Exception):
    pass


def _this_python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def _make_venv(venv: Path, given: str | None, stated: str | None, log: Path) -> tuple[Path, str]:
    """A fresh venv (no pip) from the given interpreter, else python<stated> when on PATH, else this
    one; with the Python version it reports in pyvenv.cfg. The stated version comes from the release:
    only `3.N` is looked up (never a path)."""
    wanted = stated if stated and re.fullmatch(r"3\.\d{1,2}", stated) and stated != _this_python() else None
    exe = given or (shutil.which(f"python{wanted}") if wanted else None) or sys.executable
    _run_logged([exe, "-m", "venv", "--without-pip", str(venv)], log, "create the virtual environment")
    python = venv / "bin" / "python"
    cfg = venv / "pyvenv.cfg"
    if not python.exists() or not cfg.is_file():
        raise _EnvError(f"{exe} made no interpreter in the virtual environment")
    m = re.search(r"^version(?:_info)?\s*=\s*(\d+\.\d+\.\d+)", cfg.read_text(encoding="utf-8", errors="replace"), re.M)
    if not m:
        raise _EnvError(f"{cfg}: no Python version in it")
    return python, m.group(1)


def _prefix(python: Path) -> Path:
    """The installation the venv's interpreter belongs to (it must stay readable in the sandbox)."""
    return Path(os.path.realpath(python)).parent.parent


def _install(python: Path, site: Path, pins: list[str], local: bool, log: Path) -> dict[str, str]:
    """Install the exact pins: copied from this machine's installed packages when the same version
    is there (the same files a wheel installs, no download), else by pip from wheels only (no
    package build runs code). Returns pin -> where it came from."""
    where: dict[str, str] = {}
    remaining = []
    for pin in pins:
        if not is_pin(pin):  # defence in depth: the plan holds pins only
            raise _EnvError(f"{pin!r} is not an exact pin")
        name, _, version = pin.partition("==")
        dist = _local_dist(name, version) if local else None
        if dist is not None and _copy_dist(dist, site):
            where[pin] = "copied from the local environment"
        else:
            remaining.append(pin)
    if remaining:
        _run_logged([sys.executable, "-m", "pip", "--python", str(python), "install", "--only-binary=:all:", "--no-input",
                     "--disable-pip-version-check", "--retries", "1", "--timeout", "30", *remaining], log,
                    f"install {', '.join(remaining)}")
        where.update({p: "installed by pip (wheels only)" for p in remaining})
    return dict(sorted(where.items()))


def _local_dist(name: str, version: str) -> metadata.Distribution | None:
    for dist in metadata.distributions():
        if canonical_name(dist.metadata["Name"] or "") == canonical_name(name) and dist.version == version:
            return dist
    return None


def _copy_dist(dist: metadata.Distribution, site: Path) -> bool:
    """Copy an installed distribution's files (its RECORD) into `site`; False when it has no RECORD."""
    files = dist.files
    if not files:
        return False
    for entry in files:
        rel = PurePosixPath(str(entry))
        if rel.is_absolute() or ".." in rel.parts or rel.parts[0] == "__pycache__" or rel.suffix == ".pyc":
            continue  # scripts outside site-packages, byte-code caches
        src = Path(str(dist.locate_file(entry)))
        if not src.is_file():
            continue
        dest = site / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
    return True


def _run_logged(argv: list[str], log: Path, what: str) -> None:
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"$ {' '.join(argv)}\n")
        fh.flush()
        try:
            res = subprocess.run(argv, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=1800,
                                 env={**os.environ, "PIP_NO_INPUT": "1"})
        except (OSError, subprocess.SubprocessError) as exc:
            raise _EnvError(f"could not {what}: {exc}") from None
    if res.returncode != 0:
        last = _last_line(log)
        raise _EnvError(f"could not {what}" + (f": {last}" if last else ""))


def _last_line(log: Path) -> str:
    tail = _tail(log)
    return tail[-1][:300] if tail else ""


def _tail(log: Path) -> list[str]:
    try:
        with log.open("rb") as fh:
            fh.seek(max(0, log.stat().st_size - 64 * 1024))
            lines = fh.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return []
    return [line.rstrip() for line in lines if line.strip()][-LOG_TAIL:]


def _result(plan: ReplayPlan, options: ReplayOptions, limits: ReplayLimits, grade: str, reason: str, *, sandbox: bool,
            log: Path | None = None, environment: dict | None = None, exit_code: int | None = None,
            seconds: float | None = None, files: list[WeightsComparison] | None = None) -> Reproduction:
    rep = Reproduction(grade=grade, reason=reason, commands=plan.commands, sandbox="bubblewrap" if sandbox else "none",
                       network="blocked" if sandbox else "allowed",
                       limits=limits,
                       exit_code=exit_code, seconds=seconds, rtol=options.rtol, atol=options.atol, files=files or [],
                       environment=environment or {}, log_tail=_tail(log) if log else [],
                       out=str(options.out) if options.out else None)
    if options.out is not None:
        _write_evidence(options.out, rep, log)
    return rep


def _check_out(out: Path | None) -> None:
    if out is None:
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out}: --out must be a new or empty folder (nothing in it is overwritten)")
    if not out.parent.is_dir():
        raise InputError(f"{out}: folder {out.parent} does not exist")


def _write_evidence(out: Path, rep: Reproduction, log: Path | None) -> None:
    """replay.log, environment.json, comparison.json and reproduction.json: what a third party checks."""
    out.mkdir(exist_ok=True)
    if log is not None and log.exists():
        shutil.copyfile(log, out / "replay.log")
    dumps = {"environment.json": rep.environment,
             "comparison.json": [f.model_dump(mode="json") for f in rep.files],
             "reproduction.json": rep.model_dump(mode="json")}
    for name, data in dumps.items():
        (out / name).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _finish(audit: Audit, rep: Reproduction) -> Audit:
    severity = "info" if rep.grade in ("bitwise", "within-tolerance") else "warn"
    finding = Finding(rule=f"reproduce-{rep.grade}", severity=severity, message=f"replay: {rep.grade}: {rep.reason}",
                      evidence=[Evidence(path=f.path, detail=f"{f.grade}: {f.detail or f.produced_sha256 or ''}".strip())
                                for f in rep.files if f.grade != "bitwise"][:10])
    from trueopen.audit import sort_findings

    return audit.model_copy(update={"reproduction": rep, "findings": sort_findings([*audit.findings, finding])})

