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
    - select: only the Hub files it accepts make the release (e.g. a dataset's card and licences).
    - prefetch: fetch what every audit reads when a Hub repo is opened (off: the audit store first
      looks the commit up, and a reused record costs no file read; `sources.warm` fetches later).
    """

    revision: str | None = None
    offline: bool | None = None
    max_download: int = DEFAULT_MAX_DOWNLOAD
    cache: bool = False
    token: str | bool | None = None
    connections: int = DEFAULT_CONNECTIONS
    cache_dir: str | None = None
    note: Callable[[str], None] | None = None
    select: Callable[[str], bool] | None = None
    prefetch: bool = True

    def say(self, message: str) -> None:
        if self.note is not None:
            self.note(message)


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1 << 10, "m": 1000**2, "mb": 1000**2, "mib": 1 << 20,
          "g": 1000**3, "gb": 1000**3, "gib": 1 << 30, "t": 1000**4, "tb": 1000**4, "tib": 1 << 40}


def parse_size(text: str) -> int:
    """'2GiB', '500MB', '1048576' -> bytes. Raises ValueError with a one-line reason."""
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text or "")
    unit = m.group(2).lower() if m else ""
    if not m or unit not in _UNITS:
        raise ValueError(f"{text!r} is not a size (examples: 500MB, 2GiB, 1048576)")
    value = int(float(m.group(1)) * _UNITS[unit])
    if value <= 0:
        raise ValueError(f"{text!r}: the size must be positive")
    return value


def format_size(n: int | float) -> str:
    """Bytes as people read them: 512 B, 1.5 KiB, 2.0 GiB."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:g} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
