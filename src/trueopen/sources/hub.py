"""A release on the Hugging Face Hub, read where it lives: the file list, sizes and LFS sha256 from
one API call, small files whole, and of the weights only the bytes the inspectors and the safety
engine read, by HTTP range (sources/hub_reader.py).

Everything goes through huggingface_hub: `HfApi.model_info` / `dataset_info` (files metadata and
the Hub's security scan), `HfApi.auth_check` for gated repos, `try_to_load_from_cache` to reuse
files already in the user's HF cache, `hf_hub_download` only with --cache, and its errors.
Settings are huggingface_hub's: HF_ENDPOINT, HF_TOKEN or the `hf auth login` token,
HF_HUB_OFFLINE, HF_HOME / HF_HUB_CACHE, HF_HUB_DOWNLOAD_TIMEOUT.

Cost (measured in benchmarks/hub.py): 1 API request (+1 for a gated repo), then per file about one
ranged GET (two for an LFS file: /resolve redirects to the storage host once, the signed location
is then reused), all in parallel over `connections` connections.
"""

from __future__ import annotations

import errno
import re
import time
from pathlib import PurePosixPath
from typing import Any

from trueopen.errors import InputError
from trueopen.record import Evidence, Finding, Hub, HubCardData, HubScanFile, HubSecurityScan, Target
from trueopen.release import Release, ReleaseFile
from trueopen.sources.hub_reader import HubFile, HubReader, describe_http_error
from trueopen.sources.options import SourceOptions
from trueopen.sources.targets import HubTarget
from trueopen.sources.targets import hub_endpoint as endpoint
from trueopen.sources.transfer import Meter

MAX_FILES = 200_000  # same bound as a local folder
COMMIT = re.compile(r"[0-9a-f]{40}")
RATE_LIMIT_RETRIES = 3  # HfApi.model_info does not retry (hf_api.py 2.4.0 calls get_session().get once)
RATE_LIMIT_WAIT_CAP = 30.0


def open_hub(target: HubTarget, options: SourceOptions) -> Release:
    """The release at `target`'s revision (default branch when none), read lazily by range.

    Raises InputError with one line when the repo, the revision or the Hub cannot be reached.
    A gated repo without access still gives a release: its listing and card data, with every
    read failing (so the safety status is `incomplete`) and a finding saying why.
    """
    from huggingface_hub import HfApi

    from trueopen import __version__

    ep = endpoint()
    api = HfApi(endpoint=ep, token=options.token, library_name="trueopen", library_version=__version__)
    meter = Meter(bytes_total=0, max_download=options.max_download)
    info = repo_info(api, target, meter)
    commit = getattr(info, "sha", None) or ""
    if not COMMIT.fullmatch(commit):
        raise InputError(f"hf://{target.ref}: the Hub did not name the commit of revision "
                         f"{target.revision or 'main'!r} (got {commit!r})")
    problems: list[Finding] = []
    files = _files(info, problems, target)
    meter.bytes_total = sum(f.size for f in files)
    if options.select is not None:
        files = [f for f in files if options.select(f.path)]
        if not files:
            raise InputError(f"hf://{target.ref}: none of its files are wanted here")
    gated = info.gated if info.gated in ("auto", "manual") else None
    denied = _access(api, target, gated, meter) if gated else None
    if denied:
        problems.append(Finding(rule="hub-files-unreadable", severity="warn",
                                message=f"{target.ref}: files could not be read: {denied}; only the Hub's listing, sizes "
                                        "and card data were audited",
                                evidence=[Evidence(path=".", detail=denied)]))
    if gated:
        problems.append(Finding(rule="hub-gated", severity="info",
                                message=f"{target.ref}: gated on the Hub ({gated} approval): the files are obtainable only "
                                        "after accepting its conditions, with a token",
                                evidence=[Evidence(path=".", detail=f"gated: {gated}")]))
    if target.path_in_repo:
        problems.append(Finding(rule="hub-path-ignored", severity="info",
                                message=f"the target names {target.path_in_repo!r}; the whole repository was audited",
                                evidence=[Evidence(path=target.path_in_repo, detail="named in the target")]))
    scan = _security_scan(info)
    for f in scan.files_with_issues if scan else ():
        problems.append(Finding(rule="hub-security-scan", severity="info",
                                message=f"{f.path}: the Hub's own scan reports {f.level} (shown beside trueopen's "
                                        "safety scan, not instead of it)",
                                evidence=[Evidence(path=f.path, detail=f"Hub scan: {f.level}")]))
    local = _cached_copies(target, commit, files, options)
    blob_ids = _blob_ids(info)
    hub_files = [HubFile(path=f.path, size=f.size, lfs_sha256=f.sha256, blob_id=blob_ids.get(f.path),
                         local=local.get(f.path)) for f in files]
    reader = HubReader(target.repo_id, target.repo_type, commit, hub_files, endpoint=ep, token=options.token,
                       meter=meter, max_download=options.max_download, denied=denied)
    if options.cache and not denied:
        _cache_small_files(target, commit, reader, options, ep)
    if options.prefetch:
        reader.prefetch(max(1, options.connections))
    card = _card_data(info)
    date = getattr(info, "last_modified", None)
    return Release(
        target=Target(kind="hf-hub", ref=target.ref, revision=commit, requested_revision=target.revision,
                      commit_date=date.isoformat() if date else None),
        files=tuple(files),
        reader=reader,
        problems=tuple(problems),
        hub=Hub(repo_type=target.repo_type, gated=gated, private=getattr(info, "private", None),
                disabled=getattr(info, "disabled", None), files_readable=denied is None, access=denied,
                card_data=card, security_scan=scan, used_storage=getattr(info, "used_storage", None)),
        meter=meter,
        remote=True,
    )


def repo_info(api: Any, target: HubTarget, meter: Meter) -> Any:
    """model_info / dataset_info with the files' sizes and LFS sha256 and the Hub's security scan."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    where = f"hf://{target.ref}" + (f"@{target.revision}" if target.revision else "")
    for attempt in range(RATE_LIMIT_RETRIES + 1):
        try:
            meter.api_call()
            if target.repo_type == "dataset":
                return api.dataset_info(target.repo_id, revision=target.revision, files_metadata=True)
            return api.model_info(target.repo_id, revision=target.revision, files_metadata=True, securityStatus=True)
        except HfHubHTTPError as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status == 429 and attempt < RATE_LIMIT_RETRIES:
                time.sleep(_retry_after(exc))
                continue
            if isinstance(exc, RepositoryNotFoundError) and type(exc) is RepositoryNotFoundError \
                    and target.repo_type == "model" and _is_dataset(api, target, meter):
                raise InputError(f"{where}: not a model repository; it is a dataset: use hf://datasets/{target.repo_id}") from None
            message = describe_http_error(exc, target.repo_id).removeprefix(f"{target.repo_id}: ")
            if "revision not found" in message:
                message = f"revision {target.revision!r} not found (a branch, tag or commit)"
            raise InputError(f"{where}: {message}") from None
        except httpx2.HTTPError as exc:
            raise InputError(f"{where}: cannot reach the Hub at {endpoint()} ({type(exc).__name__}); "
                             "use --offline to audit the copy in the HF cache") from None
        except OSError as exc:  # OfflineModeIsEnabled
            raise InputError(f"{where}: {' '.join(str(exc).split())[:200]}") from None
    raise InputError(f"{where}: the Hub kept rate-limiting (HTTP 429)")  # pragma: no cover - loop returns or raises


def _retry_after(exc: Exception) -> float:
    headers = getattr(getattr(exc, "response", None), "headers", {}) or {}
    try:
        return min(RATE_LIMIT_WAIT_CAP, max(0.0, float(headers.get("Retry-After", "1"))))
    except ValueError:
        return 1.0


def _is_dataset(api: Any, target: HubTarget, meter: Meter) -> bool:
    """After a model lookup failed: is there a dataset of that name? (one more request, only on failure)"""
    try:
        meter.api_call()
        api.dataset_info(target.repo_id)
        return True
    except Exception:  # noqa: BLE001 - only a hint for the error message
        return False


def _access(api: Any, target: HubTarget, gated: str, meter: Meter) -> str | None:
    """None when the token may read the gated files, else why not (one line)."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        meter.api_call()
        api.auth_check(target.repo_id, repo_type=target.repo_type)
    except HfHubHTTPError as exc:
        return describe_http_error(exc, target.repo_id)
    except Exception as exc:  # noqa: BLE001 - reads will tell again, file by file
        return f"access check failed ({type(exc).__name__})"
    return None


def _files(info: Any, problems: list[Finding], target: HubTarget) -> list[ReleaseFile]:
    out: list[ReleaseFile] = []
    for s in getattr(info, "siblings", None) or []:
        path = s.rfilename
        if not _safe_path(path):
            problems.append(Finding(rule="hub-unsafe-path", severity="warn", message=f"{path!r}: not a plain relative path; skipped",
                                    evidence=[Evidence(path=str(path)[:200], detail="unsafe path in the Hub listing")]))
            continue
        lfs = getattr(s, "lfs", None)
        size = s.size if s.size is not None else (lfs.size if lfs is not None else None)
        if size is None:
            problems.append(Finding(rule="hub-size-unknown", severity="warn", message=f"{path}: the Hub listing gives no size; skipped",
                                    evidence=[Evidence(path=path, detail="no size in the listing")]))
            continue
        sha = lfs.sha256 if lfs is not None and re.fullmatch(r"[0-9a-f]{64}", lfs.sha256 or "") else None
        out.append(ReleaseFile(path, int(size), sha, "hub-lfs" if sha else None))
        if len(out) > MAX_FILES:
            raise InputError(f"hf://{target.ref}: more than {MAX_FILES} files (limit max_files)")
    if not out:
        raise InputError(f"hf://{target.ref}: the repository has no files to audit at this revision")
    return out


def _blob_ids(info: Any) -> dict[str, str]:
    return {s.rfilename: s.blob_id for s in getattr(info, "siblings", None) or [] if getattr(s, "blob_id", None)}


def _safe_path(path: Any) -> bool:
    if not isinstance(path, str) or not path or "\x00" in path or "\\" in path:
        return False
    p = PurePosixPath(path)
    return not p.is_absolute() and all(part not in ("", ".", "..") for part in path.split("/"))


def _card_data(info: Any) -> HubCardData:
    cd = getattr(info, "card_data", None)

    def get(key: str) -> Any:
        return getattr(cd, key, None) if cd is not None else None

    def strs(v: Any) -> list[str]:
        if v is None:
            return []
        return sorted({str(x) for x in (v if isinstance(v, (list, tuple)) else [v]) if x is not None})

    lic = get("license")
    return HubCardData(license=" OR ".join(strs(lic)) or None if lic is not None else None,
                       license_name=_s(get("license_name")), license_link=_s(get("license_link")),
                       base_model=strs(get("base_model")), datasets=strs(get("datasets")),
                       pipeline_tag=_s(getattr(info, "pipeline_tag", None)),
                       library_name=_s(getattr(info, "library_name", None) or get("library_name")))


def _s(v: Any) -> str | None:
    return None if v is None else str(v)


def _security_scan(info: Any) -> HubSecurityScan | None:
    raw = getattr(info, "security_repo_status", None)
    if not isinstance(raw, dict):
        return None
    files = [HubScanFile(path=str(f.get("path")), level=str(f.get("level")))
             for f in raw.get("filesWithIssues") or [] if isinstance(f, dict) and f.get("path")]
    return HubSecurityScan(scans_done=raw.get("scansDone"), files_with_issues=sorted(files, key=lambda f: f.path))


def _cached_copies(target: HubTarget, commit: str, files: list[ReleaseFile], options: SourceOptions) -> dict[str, str]:
    """Files of this very commit already in the user's HF cache: read there, at no cost (no network)."""
    from huggingface_hub import try_to_load_from_cache

    out: dict[str, str] = {}
    for f in files:
        try:
            hit = try_to_load_from_cache(target.repo_id, f.path, cache_dir=options.cache_dir, revision=commit,
                                         repo_type=target.repo_type)
        except Exception:  # noqa: BLE001 - an unreadable cache is just a miss
            continue
        if isinstance(hit, str):
            try:
                import os

                if os.path.getsize(hit) == f.size:
                    out[f.path] = hit
            except OSError:
                continue
    return out


def _cache_small_files(target: HubTarget, commit: str, reader: HubReader, options: SourceOptions, ep: str) -> None:
    """--cache: the files trueopen reads whole go into the user's HF cache through hf_hub_download
    (same layout as huggingface_hub's own downloads); weights are still read by range only."""
    from huggingface_hub import hf_hub_download

    for path, rf in sorted(reader.files.items()):
        if not rf.whole or rf.meta.local is not None:
            continue
        try:
            local = hf_hub_download(target.repo_id, path, repo_type=target.repo_type, revision=commit,
                                    cache_dir=options.cache_dir, endpoint=ep, token=options.token)
        except Exception as exc:  # noqa: BLE001 - the ranged read will try again and report
            if getattr(exc, "errno", None) == errno.ENOSPC:
                raise InputError(f"hf://{target.ref}: no space left in the HF cache") from None
            continue
        reader.meter.request(path, 2)  # hf_hub_download: a HEAD for the metadata, then the GET
        reader.meter.received(path, rf.size)
        rf.meta = HubFile(rf.meta.path, rf.meta.size, rf.meta.lfs_sha256, rf.meta.blob_id, local)
