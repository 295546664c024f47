"""Datasets on the Hugging Face Hub and in the HF cache, for `trueopen data audit`.

A dataset is audited row by row, so its data files are read whole: huggingface_hub's
`snapshot_download` fetches only the data files and the card into the HF cache (reused on the
next run), within `max_download` bytes in all, and the cached snapshot is audited where it lies.
Offline (`--offline`, HF_HUB_OFFLINE=1) nothing is fetched: the cached snapshot is used.
Targets: `hf://datasets/ORG/NAME[@REV]`, a Hub dataset URL, a bare `ORG/NAME` (a dataset here),
an HF cache folder `datasets--ORG--NAME` or one of its snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from trueopen.errors import InputError


@dataclass(frozen=True)
class HubDataset:
    """A dataset snapshot in the HF cache: the folder to audit, the repo folder its symlinks may
    point into, and how reports name it."""

    folder: Path
    cache_repo: Path
    label: str


def is_data_file(path: str) -> bool:
    """A file `trueopen data audit` reads: a shard, or the card at the top of the repo."""
    from trueopen.datasets.inputs import CARD_NAMES, METADATA_NAMES, shard_kind

    p = PurePosixPath(path)
    if any(part.startswith(".") for part in p.parts) or p.name.lower() in METADATA_NAMES:
        return False
    return shard_kind(p.name) is not None or (len(p.parts) == 1 and p.name in CARD_NAMES)


def resolve(target: str, *, revision: str | None, max_download: int, offline: bool | None,
            token: str | None = None) -> HubDataset | None:
    """The local snapshot of a Hub or cached dataset (fetched first when online); None when the
    target is a plain local path. Raises InputError on a model repo, a missing revision, a
    dataset larger than max_download, or a Hub that cannot be reached."""
    from huggingface_hub import constants

    from trueopen.sources.targets import CacheFolder, HubTarget, parse_target

    t = parse_target(target, revision)
    if isinstance(t, Path):
        return None
    if t.repo_type != "dataset":
        if isinstance(t, HubTarget) and t.taken_from == "bare name":
            t = HubTarget(t.repo_id, "dataset", t.revision, t.path_in_repo, t.taken_from)
        else:
            raise InputError(f"{target}: a model repository; `trueopen data audit` reads datasets "
                             f"(hf://datasets/{t.repo_id}); `trueopen audit` reads models")
    if isinstance(t, CacheFolder):
        return _cached(t, revision)
    if offline or (offline is None and constants.is_offline_mode()):
        from huggingface_hub.file_download import repo_folder_name

        repo_dir = Path(constants.HF_HUB_CACHE) / repo_folder_name(repo_id=t.repo_id, repo_type="dataset")
        if not repo_dir.is_dir():
            raise InputError(f"hf://datasets/{t.repo_id}: not in the HF cache at {constants.HF_HUB_CACHE} "
                             "(offline: nothing is fetched)")
        return _cached(CacheFolder(repo_dir, t.repo_id, "dataset", None), t.revision)
    return _fetch(t, max_download, token)


def _cached(cf, revision: str | None) -> HubDataset:
    from trueopen.sources.hf_cache import snapshot_of

    commit, _asked, snap = snapshot_of(cf, revision)
    return HubDataset(folder=snap, cache_repo=cf.repo_dir, label=f"hf://datasets/{cf.repo_id}@{commit}")


def _fetch(t, max_download: int, token: str | None) -> HubDataset:
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError

    from trueopen import __version__
    from trueopen.sources.hub import repo_info
    from trueopen.sources.options import format_size
    from trueopen.sources.targets import hub_endpoint
    from trueopen.sources.transfer import Meter

    api = HfApi(endpoint=hub_endpoint(), token=token, library_name="trueopen", library_version=__version__)
    info = repo_info(api, t, Meter(bytes_total=0, max_download=max_download))
    commit = getattr(info, "sha", None) or ""
    where = f"hf://datasets/{t.repo_id}@{commit}"
    wanted = sorted((s.rfilename, s.size or 0) for s in (getattr(info, "siblings", None) or []) if is_data_file(s.rfilename))
    if not any(not n.endswith(".md") for n, _ in wanted):
        raise InputError(f"{where}: no data files (.parquet, .jsonl[.gz|.zst], .csv, WebDataset .tar) in this dataset")
    total = sum(size for _, size in wanted)
    if total > max_download:
        raise InputError(f"{where}: its data files are {format_size(total)}, over --max-download "
                         f"{format_size(max_download)}; raise it to fetch them into the HF cache")
    try:
        # The revision as asked (not the commit): huggingface_hub then records the branch in the cache's
        # refs, so an offline run finds the snapshot by the same name.
        folder = snapshot_download(t.repo_id, repo_type="dataset", revision=t.revision, token=token,
                                   allow_patterns=[_literal(n) for n, _ in wanted], tqdm_class=_bars())
    except HfHubHTTPError as exc:
        raise InputError(f"{where}: download failed ({' '.join(str(exc).split())[:200]})") from None
    except OSError as exc:
        raise InputError(f"{where}: download failed ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})") from None
    folder = Path(folder)
    return HubDataset(folder=folder, cache_repo=folder.parent.parent, label=f"hf://datasets/{t.repo_id}@{folder.name}")


def _bars() -> type | None:
    """huggingface_hub's download bars on a terminal; none when stderr is a file or a pipe."""
    import sys

    if sys.stderr.isatty():
        return None
    from tqdm.auto import tqdm

    class Quiet(tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return Quiet


def _literal(name: str) -> str:
    """A file name as an fnmatch pattern that matches only itself."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
