"""Several releases in one run: many targets audited concurrently, and every repo of the HF cache.

One failing target never stops the others: each outcome carries either its audit or its one-line
error. Concurrency is bounded twice: `jobs` releases at a time, and the HTTP connections of each
Hub release so that all of them together stay within `connections`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from trueopen.errors import InputError
from trueopen.record import Audit
from trueopen.sources.options import SourceOptions

MAX_TARGETS = 1000  # lines read from --from FILE


@dataclass(frozen=True)
class Outcome:
    """The audit of one target, or why there is none."""

    target: str
    audit: Audit | None = None
    error: str | None = None


def read_targets(path: Path) -> list[str]:
    """Targets from a file, one a line; blank lines and `#` comments skipped. Raises InputError."""
    try:
        raw = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    out = [line.strip() for line in raw.splitlines() if line.strip() and not line.strip().startswith("#")]
    if len(out) > MAX_TARGETS:
        raise InputError(f"{path}: more than {MAX_TARGETS} targets (limit max_targets)")
    if not out:
        raise InputError(f"{path}: no targets in it")
    return out


def audit_many(targets: Sequence[str], *, jobs: int = 4, hash_contents: bool = True,
               source: SourceOptions | None = None, follow: frozenset[str] = frozenset(),
               status: Callable[[str, str], None] | None = None, store: Path | None = None,
               refresh: bool = False) -> list[Outcome]:
    """Audit every target, `jobs` at a time (through the audit store at `store` when given);
    outcomes in the order of `targets`. `status(target, text)` is told when each starts and ends
    (for progress bars)."""
    from trueopen.audit import audit
    from trueopen.follow import follow_related

    source = source or SourceOptions()
    jobs = max(1, min(jobs, len(targets) or 1))
    per_release = dataclasses.replace(source, connections=max(1, source.connections // jobs))

    def one(target: str) -> Outcome:
        if status:
            status(target, "auditing")
        try:
            if store is not None:
                from trueopen.index.stored import audit_with_store

                result = audit_with_store(target, store=store, hash_contents=hash_contents, source=per_release,
                                          refresh=refresh).audit
            else:
                result = audit(target, hash_contents=hash_contents, source=per_release)
            if follow:
                result = follow_related(result, follow, per_release)
        except InputError as exc:
            if status:
                status(target, "failed")
            return Outcome(target, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - one target's bug must not stop the others
            if status:
                status(target, "failed")
            return Outcome(target, error=f"internal error: {type(exc).__name__}: {exc}"[:300])
        if status:
            status(target, f"{result.verdicts.label}, safety {result.safety.status}")
        return Outcome(target, audit=result)

    if jobs == 1:
        return [one(t) for t in targets]
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="trueopen-audit") as pool:
        return list(pool.map(one, targets))


@dataclass(frozen=True)
class CachedRevision:
    """One revision of one repo in the HF cache, audited offline."""

    repo: str  # ORG/NAME, or datasets/ORG/NAME
    repo_type: str
    revision: str
    refs: tuple[str, ...]
    size_on_disk: int
    files: int
    audit: Audit | None = None
    error: str | None = None


def audit_cache(cache_dir: str | None = None, *, hash_contents: bool = True) -> tuple[list[CachedRevision], list[str]]:
    """Every model and dataset revision in the HF cache (huggingface_hub's `scan_cache_dir`),
    audited from disk without network; plus the scanner's warnings about damaged entries.
    Raises InputError when there is no cache there."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    from trueopen.audit import audit_release
    from trueopen.sources.hf_cache import open_cache_folder
    from trueopen.sources.targets import CacheFolder

    try:
        info = scan_cache_dir(cache_dir)
    except CacheNotFound as exc:
        raise InputError(f"{getattr(exc, 'cache_dir', cache_dir) or 'HF cache'}: no Hugging Face cache there") from None
    except OSError as exc:
        raise InputError(f"{cache_dir or 'HF cache'}: cannot be read ({exc.strerror or exc})") from None
    out: list[CachedRevision] = []
    for repo in sorted(info.repos, key=lambda r: (r.repo_type, r.repo_id)):
        if repo.repo_type not in ("model", "dataset"):
            continue
        name = f"datasets/{repo.repo_id}" if repo.repo_type == "dataset" else repo.repo_id
        for rev in sorted(repo.revisions, key=lambda r: r.commit_hash):
            base = CachedRevision(repo=name, repo_type=repo.repo_type, revision=rev.commit_hash,
                                  refs=tuple(sorted(rev.refs)), size_on_disk=rev.size_on_disk, files=rev.nb_files)
            cf = CacheFolder(repo_dir=Path(repo.repo_path), repo_id=repo.repo_id, repo_type=repo.repo_type,
                             snapshot=rev.commit_hash)
            try:
                release = open_cache_folder(cf, SourceOptions(offline=True))
                out.append(dataclasses.replace(base, audit=audit_release(release, hash_contents=hash_contents)))
            except InputError as exc:
                out.append(dataclasses.replace(base, error=str(exc)))
            except Exception as exc:  # noqa: BLE001 - one damaged snapshot must not hide the others
                out.append(dataclasses.replace(base, error=f"internal error: {type(exc).__name__}: {exc}"[:300]))
    warnings = sorted(" ".join(str(w).split())[:300] for w in info.warnings)
    return out, warnings


def scan_targets(targets: Sequence[str], source: SourceOptions | None = None):
    """`trueopen scan` over files, folders, Hub repos and HF cache folders: one ScanReport.
    Hub repos are scanned by HTTP range (headers, pickles, archive directories only)."""
    from trueopen.scan.engine import ScanReport, scan_paths, scan_release
    from trueopen.sources import open_release
    from trueopen.sources.targets import CacheFolder, HubTarget, is_hub_like, parse_target

    source = source or SourceOptions()
    files, problems = [], []
    for t in targets:
        spec = parse_target(t, source.revision) if is_hub_like(t) or not Path(t).exists() else None
        if spec is None and Path(t).is_dir():
            from trueopen.sources.targets import cache_folder

            spec = cache_folder(Path(t))
        if isinstance(spec, (HubTarget, CacheFolder)):
            with open_release(t, source) as release:
                problems.extend(p.message for p in release.problems)
                prefix = f"hf://{release.target.ref}/" if release.target.kind == "hf-hub" else f"{t.rstrip('/')}/"
                files.extend(scan_release(release, prefix=prefix))
            continue
        report = scan_paths([t])
        files.extend(report.files)
        problems.extend(report.problems)
    return ScanReport(tuple(targets), tuple(files), tuple(problems))
