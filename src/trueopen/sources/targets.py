"""Which source a target names: a folder or archive, a Hub repo, or a repo in the HF cache.

Hub targets are parsed by huggingface_hub's own URI parser (`parse_hf_uri`, huggingface_hub >= 2.4):
`hf://ORG/NAME[@REV]`, `hf://datasets/ORG/NAME`, and Hub web URLs (`/tree/REV`, `/blob/REV/FILE`),
including URLs on the host of HF_ENDPOINT. A bare `ORG/NAME` is a Hub repo only when no local path
of that name exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from trueopen.errors import InputError

BARE_REPO = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
CACHE_REPO_DIR = re.compile(r"(models|datasets)--(.+)")


@dataclass(frozen=True)
class HubTarget:
    """A repo on the Hub (or in the HF cache, when offline)."""

    repo_id: str
    repo_type: Literal["model", "dataset"]
    revision: str | None
    path_in_repo: str = ""  # a /blob/ or /tree/ URL named a file or folder: the whole repo is audited
    taken_from: str = "hf://"  # "hf://", "URL" or "bare name": how the target was read

    @property
    def ref(self) -> str:
        """`ORG/NAME`, or `datasets/ORG/NAME`: the record's target.ref."""
        return f"datasets/{self.repo_id}" if self.repo_type == "dataset" else self.repo_id


@dataclass(frozen=True)
class CacheFolder:
    """A repo folder of the HF cache (`.../models--ORG--NAME`) or one of its snapshots."""

    repo_dir: Path
    repo_id: str
    repo_type: Literal["model", "dataset"]
    snapshot: str | None  # the commit folder named in the path, if any

    @property
    def ref(self) -> str:
        return f"datasets/{self.repo_id}" if self.repo_type == "dataset" else self.repo_id


def hub_endpoint() -> str:
    """The Hub endpoint huggingface_hub uses (HF_ENDPOINT, read when huggingface_hub was imported)."""
    from huggingface_hub import constants

    return constants.ENDPOINT.rstrip("/")


def is_hub_like(target: str) -> bool:
    """Whether the target is spelled as a Hub location (hf:// or a URL), whatever exists locally."""
    low = target.lower()
    return low.startswith(("hf://", "http://", "https://", "huggingface.co/", "hf.co/"))


def parse_target(target: str, revision: str | None = None, endpoint: str | None = None) -> Path | HubTarget | CacheFolder:
    """Classify a target. Raises InputError for a Hub spelling that cannot be a model or dataset repo,
    or when `revision` disagrees with a revision written in the target."""
    if is_hub_like(target):
        hub = _parse_uri(target, endpoint)
        return _with_revision(hub, revision, target)
    path = Path(target)
    if path.exists() or path.is_symlink():
        cache = cache_folder(path)
        return cache if cache is not None else path
    if BARE_REPO.fullmatch(target) and not target.startswith(".") and _valid_repo_id(target):
        hub = HubTarget(repo_id=target, repo_type="model", revision=None, taken_from="bare name")
        return _with_revision(hub, revision, target)
    return path


def cache_folder(path: Path) -> CacheFolder | None:
    """The HF cache repo a path is (or is a snapshot of), laid out as huggingface_hub lays it."""
    try:
        p = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: not a cache folder; the caller says why
        return None
    snapshot = None
    if p.parent.name == "snapshots" and (p.parent.parent / "blobs").is_dir():
        snapshot, p = p.name, p.parent.parent
    m = CACHE_REPO_DIR.fullmatch(p.name)
    if not m or not p.is_dir() or not ((p / "snapshots").is_dir() or (p / "refs").is_dir()):
        return None
    repo_id = m.group(2).replace("--", "/")
    return CacheFolder(repo_dir=p, repo_id=repo_id, repo_type="dataset" if m.group(1) == "datasets" else "model",
                       snapshot=snapshot)


def _parse_uri(target: str, endpoint: str | None) -> HubTarget:
    from huggingface_hub.errors import HfUriError
    from huggingface_hub.utils import parse_hf_uri

    try:
        uri = parse_hf_uri(target, endpoint=endpoint or hub_endpoint())
    except HfUriError as exc:
        raise InputError(f"{target}: not a Hub repository ({_first_line(exc)})") from None
    if uri.type not in ("model", "dataset"):
        raise InputError(f"{target}: a {uri.type} repository; trueopen audits model and dataset repositories")
    return HubTarget(repo_id=uri.id, repo_type=uri.type, revision=uri.revision, path_in_repo=uri.path_in_repo,
                     taken_from="hf://" if target.lower().startswith("hf://") else "URL")


def _with_revision(hub: HubTarget, revision: str | None, target: str) -> HubTarget:
    if revision is None:
        return hub
    if hub.revision is not None and hub.revision != revision:
        raise InputError(f"{target}: names revision {hub.revision!r} but --revision is {revision!r}")
    return HubTarget(hub.repo_id, hub.repo_type, revision, hub.path_in_repo, hub.taken_from)


def _valid_repo_id(name: str) -> bool:
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError:
        return False
    return True


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
