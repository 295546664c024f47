"""Transfer accounting: the bytes and HTTP requests a remote release cost, per file and in all.

Thread-safe: a release's files are prefetched on a small thread pool. The figures go into the
record's `transfer` key, so they must be deterministic for a given access pattern: counters only,
no clock.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

from trueopen.record import Transfer, TransferFile


@dataclass
class _FileCount:
    bytes_fetched: int = 0
    requests: int = 0


@dataclass
class Meter:
    """Counts what reading one remote release costs."""

    bytes_total: int
    max_download: int
    metadata_requests: int = 0
    metadata_bytes: int = 0
    _files: dict[str, _FileCount] = field(default_factory=dict)
    _whole: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def api_call(self, n: int = 1, nbytes: int = 0) -> None:
        """An API request (repo info, access check, refs); `n` counts redirect hops too."""
        with self._lock:
            self.metadata_requests += n
            self.metadata_bytes += nbytes

    def request(self, path: str, n: int = 1) -> None:
        """`n` HTTP requests made to read `path` (a followed redirect is two)."""
        with self._lock:
            self._files.setdefault(path, _FileCount()).requests += n

    def received(self, path: str, nbytes: int) -> None:
        """Body bytes of `path` received from the server."""
        with self._lock:
            self._files.setdefault(path, _FileCount()).bytes_fetched += nbytes

    def fetched(self, path: str) -> int:
        """Bytes of `path` received so far."""
        with self._lock:
            c = self._files.get(path)
            return c.bytes_fetched if c else 0

    def whole_file(self, path: str, data: bytes) -> None:
        """`path` was read whole: its sha256 is then known without trusting anyone's metadata."""
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            self._whole[path] = digest

    def sha256_of_whole_files(self) -> dict[str, str]:
        with self._lock:
            return dict(self._whole)

    @property
    def requests(self) -> int:
        with self._lock:
            return self.metadata_requests + sum(c.requests for c in self._files.values())

    @property
    def bytes_fetched(self) -> int:
        with self._lock:
            return sum(c.bytes_fetched for c in self._files.values())

    def snapshot(self) -> Transfer:
        """The figures as the record shows them, files sorted by path."""
        with self._lock:
            files = [TransferFile(path=p, bytes_fetched=c.bytes_fetched, requests=c.requests)
                     for p, c in sorted(self._files.items()) if c.requests or c.bytes_fetched]
            return Transfer(bytes_total=self.bytes_total,
                            bytes_fetched=sum(f.bytes_fetched for f in files),
                            requests=self.metadata_requests + sum(f.requests for f in files),
                            metadata_requests=self.metadata_requests,
                            max_download=self.max_download, files=files)
