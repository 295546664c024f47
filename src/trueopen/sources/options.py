"""How a target is opened: the source options the CLI and the Python API share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_MAX_DOWNLOAD = 2 << 30  # bytes one file may fetch (a bare pickle is read whole up to this)
DEFAULT_CONNECTIONS = 8


@dataclass(frozen=True)
class SourceOptions:
    """Options for Hub and HF-cache targets; folders and archives ignore them.

    - revision: branch, tag or commit (a revision in the target itself must agree).
    - offline: audit the HF cache only, no network; None lets HF_HUB_OFFLINE decide.
    - max_download: bytes any one file may fetch; past it the file is `incomplete`.
    - cache: also store the files read whole in the user's HF cache (off: nothing is written there).
    - token: a Hub token; None uses huggingface_hub's (HF_TOKEN, then the `hf auth login` one).
    - connections: parallel HTTP connections per release.
    - cache_dir: the HF cache to read (None: huggingface_hub's, from HF_HUB_CACHE / HF_HOME).
    - note: called with one-line notes for the user (e.g. which kind of target was taken).
    """

    revision: str | None = None
    offline: bool | None = None
    max_download: int = DEFAULT_MAX_DOWNLOAD
    cache: bool = False
    token: str | bool | None = None
    connections: int = DEFAULT_CONNECTIONS
    cache_dir: str | None = None
    note: Callable[[str], None] | None = None

    def say(self, message: str) -> None:
        if self.note is not None:
            self.note(message)
