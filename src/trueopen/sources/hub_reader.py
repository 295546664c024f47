"""Byte-range reads of Hub files, through huggingface_hub's HTTP session.

Why not `HfFileSystem`: in huggingface_hub 2.4.0 `HfFileSystem.open()` first calls the repo info
and lists the parent folder (two API requests per file before the first byte), and
`HfFileSystemFile._fetch_range` returns `r.content` without checking the status, so a server
that ignores `Range` (answers 200) pushes the whole file. Here each read is one ranged GET on the
same `/resolve` URL (`hf_hub_url`), with the same headers (`build_hf_headers`: token, user
agent), the same session (`get_session`: HF_HUB_OFFLINE hook, proxies) and the same retries
(`http_stream_backoff`: 429 with Retry-After, 5xx, network errors) and errors
(`hf_raise_for_status`), but the answer must be a 206 whose Content-Range matches, the body is
streamed and never read past what was asked, and a body cut mid-way is resumed.

Ranged reads never take the Xet path: huggingface_hub uses Xet only for whole-file downloads
(`hf_hub_download` when the HEAD answer carries X-Xet-Hash, `HfFileSystem.get_file` when the
tree entry has `xetHash`); `/resolve` answers Range requests for Xet-backed files too (it
redirects to the CAS bridge), so nothing here depends on hf_xet being installed or enabled.

Read-ahead: a miss fetches at least 64 KiB; misses that continue a cached block grow the block
(streams x4 up to 16 MiB, positioned reads x2 up to 1/2048 of the file: see RemoteFile._extend).
"""

from __future__ import annotations

import errno
import hashlib
import io
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from trueopen.scan.result import RangeStream
from trueopen.sources.options import format_size
from trueopen.sources.transfer import Meter

INITIAL_AHEAD = 64 << 10
MAX_AHEAD = 16 << 20
WHOLE_TEXT = 1 << 20  # non-LFS files up to this size are fetched whole on first touch (1 request)
WHOLE_LFS = 64 << 10  # LFS files this small are fetched whole too
ZIP_TAIL = 65536 + 22  # end-of-central-directory record plus the longest comment
SNIFF = 4096  # what the scanner reads of every file to tell its format (scan/dispatch.py)
LOCAL_EXTRA = 128  # a zip local header's extra field (torch pads data to 64 bytes) beyond the central one
PLAN_MEMBER_LIMIT = 64 << 20  # larger members are left to the scanner's own reads
FILE_CACHE = 64 << 20  # cached bytes kept per file; older blocks are dropped past it
RESUMES = 3  # a body cut mid-way is resumed this many times
ERROR_BODY_LIMIT = 1 << 20
# Extensions whose files are often zips (torch >= 1.6, numpy, keras): their tail is read first.
ZIPPY = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib", ".npz", ".zip", ".keras", ".mar", ".nemo")
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class RemoteReadError(OSError):
    """A Hub file could not be read; the message is one line, meant for the user."""


class DownloadLimit(RemoteReadError):
    """Reading on would fetch more of one file than --max-download allows."""


@dataclass(frozen=True)
class HubFile:
    """What the API says about one file: enough to read it and check what comes back."""

    path: str
    size: int
    lfs_sha256: str | None = None
    blob_id: str | None = None  # git blob sha1 (of the file, or of its LFS pointer)
    local: str | None = None  # the same file already in the HF cache: read there, no request


@dataclass
class _Blocks:
    """Fetched byte ranges of one file: sorted, non-overlapping (start, data)."""

    items: list[tuple[int, bytes]] = field(default_factory=list)
    total: int = 0

    def gaps(self, start: int, end: int) -> list[tuple[int, int]]:
        out, pos = [], start
        for s, d in self.items:
            e = s + len(d)
            if e <= pos:
                continue
            if s >= end:
                break
            if s > pos:
                out.append((pos, s))
            pos = max(pos, e)
            if pos >= end:
                break
        if pos < end:
            out.append((pos, end))
        return out

    def ending_at(self, pos: int) -> int:
        """Length of the cached block that ends exactly at `pos` (0 if none): a read continuing it is sequential."""
        return next((len(d) for s, d in self.items if s + len(d) == pos), 0)

    def next_start(self, pos: int) -> int | None:
        return next((s for s, _ in self.items if s >= pos), None)

    def insert(self, start: int, data: bytes) -> None:
        self.items.append((start, data))
        self.items.sort(key=lambda x: x[0])
        self.total += len(data)

    def take(self, start: int, end: int) -> bytes:
        parts, pos = [], start
        for s, d in self.items:
            e = s + len(d)
            if e <= pos or s >= end:
                continue
            parts.append(d[pos - s:min(end, e) - s])
            pos = min(end, e)
            if pos >= end:
                break
        return b"".join(parts)

    def evict(self, keep: int, limit: int) -> None:
        """Drop the oldest-positioned blocks far from `keep` until the total fits `limit`."""
        while self.total > limit and len(self.items) > 1:
            far = max(range(len(self.items)), key=lambda i: abs(self.items[i][0] - keep))
            self.total -= len(self.items[far][1])
            del self.items[far]


class RemoteFile:
    """One Hub file read by range, with a block cache and read-ahead."""

    def __init__(self, reader: HubReader, meta: HubFile) -> None:
        self.reader, self.meta = reader, meta
        self.size = meta.size
        self.blocks = _Blocks()
        self.lock = threading.Lock()
        self.cdn_url: str | None = None  # where /resolve redirected (a signed URL): reused, without auth
        self.ahead = INITIAL_AHEAD
        self.error: RemoteReadError | None = None
        small = WHOLE_LFS if meta.lfs_sha256 else WHOLE_TEXT
        self.whole = meta.size <= small

    def read_at(self, offset: int, length: int, streaming: bool = False) -> bytes:
        end = min(self.size, offset + max(0, length))
        if offset < 0:
            raise RemoteReadError(errno.EINVAL, "negative offset", self.meta.path)
        if offset >= end:
            return b""
        with self.lock:
            if self.meta.local is not None:
                with open(self.meta.local, "rb") as fh:
                    fh.seek(offset)
                    return fh.read(end - offset)
            for s, e in self.blocks.gaps(offset, end):
                if self.error is not None:
                    raise self.error
                fs, fe = self._extend(s, e, streaming)
                try:
                    data = self.reader.fetch(self, fs, fe)
                except RemoteReadError as exc:
                    if not isinstance(exc, DownloadLimit):
                        self.error = exc  # the same failure again would cost a request for nothing
                    raise
                if fs == 0 and fe == self.size:
                    self._verify(data)
                self.blocks.insert(fs, data)
            out = self.blocks.take(offset, end)
            self.blocks.evict(offset, FILE_CACHE)
            return out

    def read_exact(self, start: int, end: int) -> None:
        """Fetch [start, end) into the cache, no read-ahead (planned ranges)."""
        with self.lock:
            for s, e in self.blocks.gaps(start, min(end, self.size)):
                if self.error is not None:
                    raise self.error
                try:
                    self.blocks.insert(s, self.reader.fetch(self, s, e))
                except RemoteReadError as exc:
                    if not isinstance(exc, DownloadLimit):
                        self.error = exc
                    raise

    def _verify(self, data: bytes) -> None:
        """A file read whole is checked against the API's listing (LFS sha256, else the git blob id),
        and its sha256 is then known from the bytes themselves."""
        digest = hashlib.sha256(data).hexdigest()
        if self.meta.lfs_sha256 and digest != self.meta.lfs_sha256:
            self.error = RemoteReadError(errno.EIO, f"content does not match the sha256 the Hub lists "
                                         f"({digest[:12]}… != {self.meta.lfs_sha256[:12]}…)", self.meta.path)
            raise self.error
        if not self.meta.lfs_sha256 and self.meta.blob_id and git_blob_sha1(data) != self.meta.blob_id:
            self.error = RemoteReadError(errno.EIO, f"content does not match the git blob id the Hub lists "
                                         f"({self.meta.blob_id[:12]}…)", self.meta.path)
            raise self.error
        self.reader.meter.whole_file(self.meta.path, data)

    def _extend(self, s: int, e: int, streaming: bool) -> tuple[int, int]:
        """The range to fetch for a miss [s, e): whole small files; else read-ahead, never over a cached block.

        A stream (a pickle read whole) grows its blocks x4 up to 16 MiB: it will read on. Positioned
        reads (headers, metadata) grow x2 and never past 1/2048 of the file, so what is fetched beyond
        what a parser needed stays under 0.05 % of the file (a GGUF's 8 MB tokenizer metadata)."""
        if self.whole:
            gaps = self.blocks.gaps(0, self.size)
            return gaps[0] if len(gaps) == 1 and gaps[0][0] <= s and gaps[0][1] >= e else (s, e)
        run = self.blocks.ending_at(s)
        if streaming:
            ahead = min(max(self.ahead, run * 4), MAX_AHEAD) if run else self.ahead
        else:
            cap = min(MAX_AHEAD, max(self.ahead, self.size // 2048))
            ahead = min(max(self.ahead, run * 2), cap) if run else self.ahead
        fe = min(self.size, max(e, s + ahead))
        nxt = self.blocks.next_start(s + 1)
        if nxt is not None and nxt < fe:
            fe = max(e, nxt)
        room = self.reader.max_download - self.reader.meter.fetched(self.meta.path)
        if fe - s > room:
            fe = max(e, s + max(room, 0))
        return s, fe


class HubReader:
    """Reads the files of one repo at one commit by HTTP range (the Release's Reader)."""

    def __init__(self, repo_id: str, repo_type: str, commit: str, files: Iterable[HubFile], *, endpoint: str,
                 token: str | bool | None, meter: Meter, max_download: int, denied: str | None = None) -> None:
        self.repo_id, self.repo_type, self.commit = repo_id, repo_type, commit
        self.endpoint, self.token, self.meter = endpoint, token, meter
        self.max_download = max_download
        self.denied = denied
        self.files = {f.path: RemoteFile(self, f) for f in files}

    # --- the Reader protocol ---------------------------------------------------------------

    def read_at(self, path: str, offset: int, length: int) -> bytes:
        return self._file(path).read_at(offset, length)

    def open(self, path: str) -> BinaryIO:
        rf = self._file(path)
        # A stream reads on: its misses grow the read-ahead as a stream's (RemoteFile._extend).
        return io.BufferedReader(RangeStream(lambda o, n: rf.read_at(o, n, streaming=True), rf.size), 1 << 16)

    def will_read(self, path: str, start: int, end: int) -> None:
        """Fetch what is not cached of [start, end) in one request (at most MAX_AHEAD, and half of
        what --max-download leaves of the file): a parser about to walk that much metadata says
        so, rather than let the read-ahead grow block by block. Failures are left to the reads
        themselves."""
        rf = self.files.get(path)
        if rf is None or rf.whole or rf.meta.local is not None or self.denied is not None:
            return
        start = max(0, start)
        end = min(rf.size, end, start + MAX_AHEAD)
        room = (self.max_download - self.meter.fetched(path)) // 2  # the reads themselves keep the rest
        if end - start > room:
            end = start + max(room, 0)
        if end > start:
            try:
                rf.read_exact(start, end)
            except OSError:
                pass

    def _file(self, path: str) -> RemoteFile:
        rf = self.files.get(path)
        if rf is None:
            raise FileNotFoundError(errno.ENOENT, "not in the release", path)
        if self.denied is not None and rf.meta.local is None:
            raise RemoteReadError(errno.EACCES, self.denied, path)
        return rf

    # --- prefetch ----------------------------------------------------------------------------

    def prefetch(self, workers: int, progress: Callable[[int], None] | None = None) -> None:
        """Fetch, `workers` files at a time, what any audit reads of every file first: small files
        whole, else the first block, and a zip's tail. Failures are kept for the real read."""
        if self.denied is not None:
            return

        def one(rf: RemoteFile) -> None:
            try:
                if rf.whole or not (rf.meta.path.lower().endswith(ZIPPY) and rf.size > ZIP_TAIL):
                    rf.read_at(0, 1)
                else:
                    # Tail first: a zip's central directory says where its pickles are, and only
                    # those (plus the 4 KiB every file's format is sniffed from) are then fetched.
                    tail = rf.read_at(rf.size - ZIP_TAIL, ZIP_TAIL)
                    if b"PK\x05\x06" not in tail:
                        rf.read_at(0, 1)
                    for s, e in zip_plan(rf) if b"PK\x05\x06" in tail else []:
                        rf.read_exact(s, e)
            except OSError:
                pass
            if progress:
                progress(1)

        todo = [self.files[p] for p in sorted(self.files) if self.files[p].meta.local is None]
        if workers <= 1 or len(todo) <= 1:
            for rf in todo:
                one(rf)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="trueopen-hub") as pool:
            list(pool.map(one, todo))

    # --- HTTP --------------------------------------------------------------------------------

    def fetch(self, rf: RemoteFile, start: int, end: int) -> bytes:
        """Bytes [start, end) of a file: one ranged GET, resumed if the body is cut, within --max-download."""
        path = rf.meta.path
        already = self.meter.fetched(path)
        if already + (end - start) > self.max_download:
            raise DownloadLimit(errno.EFBIG, f"reading on would fetch more than {format_size(self.max_download)} of this file "
                                f"(limit --max-download; {format_size(already)} fetched)", path)
        parts: list[bytes] = []
        pos = start
        attempts = 0
        while pos < end:
            try:
                pos = self._get(rf, pos, end, parts)
            except _BodyCut:
                pos = start + sum(len(p) for p in parts)  # resume where the body stopped
                attempts += 1
                if attempts > RESUMES:
                    raise RemoteReadError(errno.EIO, f"connection lost {RESUMES + 1} times while reading bytes "
                                          f"{start}-{end - 1}", path) from None
        return b"".join(parts)

    def _get(self, rf: RemoteFile, start: int, end: int, parts: list[bytes]) -> int:
        """One GET of [start, end); appends what arrived to `parts`, returns the new position.
        Raises _BodyCut when the connection drops mid-body (what arrived is kept)."""
        import httpx2
        from huggingface_hub import constants, hf_hub_url
        from huggingface_hub.errors import HfHubHTTPError
        from huggingface_hub.utils import build_hf_headers, hf_raise_for_status, http_stream_backoff

        from trueopen import __version__

        path = rf.meta.path
        via_cdn = rf.cdn_url is not None
        url = rf.cdn_url or hf_hub_url(self.repo_id, path, repo_type=self.repo_type, revision=self.commit,
                                       endpoint=self.endpoint)
        # The signed CDN URL needs no token; huggingface_hub likewise drops it off the Hub.
        headers = build_hf_headers(token=False if via_cdn else self.token, library_name="trueopen",
                                   library_version=__version__)
        headers["Range"] = f"bytes={start}-{end - 1}"
        headers["Accept-Encoding"] = "identity"
        pos = start
        try:
            with http_stream_backoff("GET", url, headers=headers, timeout=constants.HF_HUB_DOWNLOAD_TIMEOUT,
                                     follow_redirects=True) as r:
                self.meter.request(path, 1 + len(r.history))
                if r.status_code >= 400:
                    if via_cdn and r.status_code in (401, 403, 404, 410):
                        rf.cdn_url = None  # the signature expired: resolve again
                        return self._get(rf, start, end, parts)
                    _read_error_body(r)
                    try:
                        hf_raise_for_status(r)
                    except HfHubHTTPError as exc:
                        raise RemoteReadError(errno.EACCES if r.status_code in (401, 403) else errno.EIO,
                                              describe_http_error(exc, self.repo_id), path) from None
                if r.history:
                    self._check_redirect(rf, r.history[0])
                    rf.cdn_url = str(r.url)
                want = end - start
                if r.status_code == 206:
                    m = _CONTENT_RANGE.fullmatch(r.headers.get("Content-Range", ""))
                    if not m or int(m.group(1)) != start or int(m.group(2)) > end - 1 or (
                            m.group(3) != "*" and int(m.group(3)) != rf.size):
                        raise RemoteReadError(errno.EIO, f"the server answered another range "
                                              f"({r.headers.get('Content-Range')!r} for bytes {start}-{end - 1} "
                                              f"of {rf.size})", path)
                    want = int(m.group(2)) + 1 - start
                elif r.status_code == 200:
                    if start != 0:
                        raise RemoteReadError(errno.EIO, "the server ignores Range requests; reading part of the "
                                              "file would mean downloading all of it", path)
                else:
                    raise RemoteReadError(errno.EIO, f"unexpected HTTP {r.status_code}", path)
                got = 0
                try:
                    for chunk in r.iter_raw(1 << 16):
                        take = chunk[:want - got]
                        parts.append(take)
                        got += len(take)
                        self.meter.received(path, len(chunk))
                        if got >= want:
                            break
                except (httpx2.TransportError, httpx2.StreamError):
                    raise _BodyCut() from None
                finally:
                    pos = start + got
                if got < want:
                    raise _BodyCut()
                return pos
        except _BodyCut:
            raise
        except RemoteReadError:
            raise
        except HfHubHTTPError as exc:  # raised by the backoff once its retries are spent
            raise RemoteReadError(errno.EIO, describe_http_error(exc, self.repo_id), path) from None
        except httpx2.HTTPError as exc:
            raise RemoteReadError(errno.EIO, f"cannot reach {self.endpoint}: {type(exc).__name__}: {exc}"[:300],
                                  path) from None
        except OSError as exc:  # OfflineModeIsEnabled (HF_HUB_OFFLINE) and socket errors
            raise RemoteReadError(errno.EIO, " ".join(str(exc).split())[:300], path) from None

    def _check_redirect(self, rf: RemoteFile, first: Any) -> None:
        """The /resolve answer names the commit and, for LFS files, the sha256 it redirects to:
        both must be what the API listed, or the bytes are not the file the audit is about."""
        commit = first.headers.get("X-Repo-Commit")
        if commit and commit != self.commit:
            raise RemoteReadError(errno.EIO, f"the Hub served commit {commit}, not {self.commit}", rf.meta.path)
        etag = (first.headers.get("X-Linked-Etag") or "").strip().removeprefix("W/").strip('"')
        if rf.meta.lfs_sha256 and etag and etag != rf.meta.lfs_sha256:
            raise RemoteReadError(errno.EIO, f"the Hub redirected to blob {etag[:12]}…, not the listed sha256 "
                                  f"{rf.meta.lfs_sha256[:12]}…", rf.meta.path)


def zip_plan(rf: RemoteFile) -> list[tuple[int, int]]:
    """The byte ranges the safety engine reads of a zip whose tail is cached: the 4 KiB sniffed
    from its start and every member except a torch zip's tensor storage (data.pkl, byteorder,
    version...: each local header and data), merged where they touch. The central directory is
    parsed by the scanner's own reader (scan/containers.py)."""
    from trueopen.scan.containers import read_zip_listing
    from trueopen.scan.formats import zip_kind
    from trueopen.scan.result import ScanLimits, Source

    lim = ScanLimits()
    src = Source(rf.meta.path, rf.size, rf.read_at, lambda: io.BytesIO(b""))
    listing = read_zip_listing(src, lim.max_members, lim.max_buffer_bytes)
    names = [e.name for e in listing.entries]
    if listing.error or not names:
        return [(0, 1)]
    kind = zip_kind(names)
    if kind not in ("torch-zip", "torchscript"):
        return [(0, min(rf.size, SNIFF))]
    root = names[0].split("/", 1)[0] if "/" in names[0] else ""
    storage = f"{root}/data/" if root else "data/"
    ranges = [(0, min(rf.size, SNIFF))]
    for e in listing.entries:
        if e.name.startswith(storage) or e.csize > PLAN_MEMBER_LIMIT:
            continue
        ranges.append((e.local_offset, min(rf.size, e.local_offset + 30 + len(e.raw_name) + LOCAL_EXTRA + e.csize)))
    merged: list[tuple[int, int]] = []
    for s, e in sorted(ranges):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


class _BodyCut(Exception):
    """The connection dropped before the body was complete."""


def _read_error_body(r: Any) -> None:
    """hf_raise_for_status reads the body for the server's message: only small ones."""
    try:
        if int(r.headers.get("Content-Length", "0")) <= ERROR_BODY_LIMIT:
            r.read()
    except (ValueError, Exception):  # noqa: BLE001 - the status alone is enough to report
        pass


def describe_http_error(exc: Exception, repo_id: str) -> str:
    """One line for a huggingface_hub HTTP error: what happened and what would help."""
    from huggingface_hub.errors import DisabledRepoError, GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(exc, GatedRepoError):
        if status == 403:
            return (f"{repo_id} is gated and this token is not on its authorised list: accept the conditions on its "
                    "Hub page (or wait for approval)")
        return f"{repo_id} is gated: accept its conditions on the Hub, then set HF_TOKEN or run `hf auth login`"
    if isinstance(exc, DisabledRepoError):
        return f"{repo_id} has been disabled on the Hub"
    if isinstance(exc, RevisionNotFoundError):
        return f"{repo_id}: revision not found"
    if isinstance(exc, RepositoryNotFoundError):
        return (f"{repo_id}: repository not found, or private (set HF_TOKEN or run `hf auth login` if you have access)")
    if status == 429:
        return "the Hub is rate-limiting requests (HTTP 429) and retries did not help; try again later"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"HTTP {status}: {first}"[:300] if status else first[:300]


def git_blob_sha1(data: bytes) -> str:
    """The git blob id of `data` (what the Hub lists as blobId for files not stored in LFS)."""
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()  # noqa: S324 - git's id, not security
