"""A fake Hugging Face Hub on 127.0.0.1, serving repos from folders, for tests and benchmarks.

Checked against huggingface_hub 2.4.0 (httpx2 2.16.2), reading its source:
- `HfApi.model_info` / `dataset_info` (hf_api.py): GET /api/{models,datasets}/{repo}[/revision/{quote(rev, safe='')}]
  with `blobs=true` (siblings get size, blobId, lfs{sha256,size,pointerSize}) and `securityStatus=true`
  (securityRepoStatus{scansDone, filesWithIssues[{path, level}]}); the JSON keys ModelInfo.__init__ pops.
- `list_repo_tree` (used by snapshot_download): GET /api/{type}s/{repo}/tree/{rev}[/{quote(path, safe='')}]
  ?recursive=&expand=, entries {type, oid, size, path, lfs{oid, size, pointerSize}}, next page in a
  `Link: <url>; rel="next"` header (utils/_pagination.py).
- `auth_check`: GET /api/{type}s/{repo}/auth-check; `list_repo_refs`: GET /api/{type}s/{repo}/refs.
- `/resolve` (hf_hub_url, file_download.get_hf_file_metadata, http_get, HfFileSystemFile._fetch_range):
  HEAD/GET /[datasets/]{repo}/resolve/{quote(rev, safe='')}/{quote(path)}. Git-stored files answer 200/206
  with `ETag: "<git blob sha1>"`, `X-Repo-Commit`; LFS files answer 302 to another origin (a second
  port, as the Hub sends LFS to its CDN: huggingface_hub must drop the token there) with
  `X-Linked-Etag: "<sha256>"`, `X-Linked-Size`, `X-Repo-Commit` (FileMetadataError without them).
  Never X-Xet-Hash: no Xet path (file_download.py uses Xet only when the HEAD answer carries it).
- Range: `bytes=s-e`, `bytes=s-`, `bytes=-n` -> 206 with `Content-Range: bytes s-e/total`; past the end
  -> 416 `Content-Range: bytes */total`; several ranges -> ignored (200), as S3 does.
- Errors carry X-Error-Code (utils/_http.py hf_raise_for_status maps it; its bare-401 fallback only
  matches https:// URLs): GatedRepo (401 without a token, 403 with an unapproved one), RepoNotFound
  (401 anonymous, 404 with a token), RevisionNotFound, EntryNotFound (404).
- Telemetry: GET /api/agent-harnesses (utils/_detect_agent.py) answers 404; tests set
  HF_HUB_DISABLE_TELEMETRY=1 so it is never asked.

It counts every request (method, path, Range, status, whether a token came along) and the body
bytes it pushed into the socket chunk by chunk (not what the client chose to read), and can add
latency, answer 429 once, drop the connection mid-body once, or ignore Range.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import yaml

CHUNK = 1 << 16
LFS_EXT = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf", ".onnx", ".h5", ".msgpack", ".pkl", ".pickle",
           ".joblib", ".npy", ".npz", ".zip", ".tar", ".gz", ".7z", ".model", ".parquet", ".arrow", ".tflite", ".pb",
           ".keras", ".mlmodel", ".ot", ".wasm", ".xz", ".zst")  # the Hub's default .gitattributes
LFS_SIZE = 10 << 20  # the Hub refuses non-LFS files above 10 MB
DEFAULT_DATE = "2025-01-01T00:00:00.000Z"
_sha_cache: dict[tuple[str, int, int], str] = {}
_sha_lock = threading.Lock()


def file_sha256(path: Path) -> str:
    """sha256 of a file, memoised by (path, size, mtime)."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _sha_lock:
        if key in _sha_cache:
            return _sha_cache[key]
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    with _sha_lock:
        _sha_cache[key] = h.hexdigest()
    return h.hexdigest()


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


@dataclass
class RepoFile:
    path: str
    abspath: Path
    size: int
    lfs: bool
    sha256: str | None  # LFS only
    oid: str  # git blob sha1 (of the pointer for LFS files)


@dataclass
class Commit:
    sha: str
    date: str
    files: dict[str, RepoFile]
    card_data: dict | None


@dataclass
class Repo:
    repo_id: str
    repo_type: str
    commits: dict[str, Commit]
    refs: dict[str, str]
    gated: str | bool = False
    private: bool = False
    authorized: frozenset[str] = frozenset()
    security: dict | None = None


@dataclass
class Req:
    server: str  # "hub" or "cdn"
    method: str
    path: str
    range: str | None
    status: int
    pushed: int
    token: bool


@dataclass
class Faults:
    rate_limit_once: list[str] = field(default_factory=list)  # regexes on the path
    drop_once: list[str] = field(default_factory=list)
    ignore_range: bool = False


class FakeHub:
    """Bind at construction (so HF_ENDPOINT can be set before huggingface_hub is imported), serve on start()."""

    def __init__(self, host: str = "127.0.0.1", latency: float = 0.0) -> None:
        self.latency = latency
        self.repos: dict[tuple[str, str], Repo] = {}
        self.blobs: dict[str, Path] = {}
        self.log: list[Req] = []
        self.faults = Faults()
        self.tree_page = 1000
        self.lock = threading.Lock()
        self.hub = _Server((host, 0), _handler(self, "hub"))
        self.cdn = _Server((host, 0), _handler(self, "cdn"))
        self.endpoint = f"http://{host}:{self.hub.server_address[1]}"
        self.cdn_url = f"http://{host}:{self.cdn.server_address[1]}"
        self._threads: list[threading.Thread] = []

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeHub:
        if not self._threads:
            for srv in (self.hub, self.cdn):
                t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
                t.start()
                self._threads.append(t)
        return self

    def stop(self) -> None:
        for srv in (self.hub, self.cdn):
            srv.shutdown()
            srv.server_close()
        self._threads = []

    def reset(self) -> None:
        with self.lock:
            self.repos.clear()
            self.blobs.clear()
            self.log.clear()
            self.faults = Faults()
            self.latency = 0.0
            self.tree_page = 1000

    # --- content -----------------------------------------------------------------------------

    def add_repo(self, repo_id: str, folder: Path, *, repo_type: str = "model", gated: str | bool = False,
                 private: bool = False, authorized: tuple[str, ...] = (), refs: tuple[str, ...] = ("main",),
                 date: str = DEFAULT_DATE, security: dict | None = None, sha256: dict[str, str] | None = None,
                 commit: str | None = None) -> str:
        """Serve `folder` as the commit that `refs` point to; returns the commit sha. Call again with
        another folder to add a commit (refs move to it). `sha256` gives LFS sha256s instead of hashing
        (sparse multi-GiB files in benchmarks)."""
        files = self._files(Path(folder), sha256 or {})
        if commit is None:
            h = hashlib.sha1(repo_id.encode())
            for p in sorted(files):
                h.update(f"{p}\0{files[p].oid}\0{files[p].sha256}\0".encode())
            commit = h.hexdigest()
        card = None
        readme = Path(folder) / "README.md"
        if readme.is_file():
            m = re.match(r"\A\s*---\s*\n(.*?)\n---\s*$", readme.read_text(encoding="utf-8", errors="replace"), re.S | re.M)
            if m:
                try:
                    card = yaml.safe_load(m.group(1))
                except yaml.YAMLError:
                    card = None
        key = (repo_type, repo_id)
        with self.lock:
            repo = self.repos.get(key) or Repo(repo_id, repo_type, {}, {}, gated, private, frozenset(authorized), security)
            repo.commits[commit] = Commit(commit, date, files, card if isinstance(card, dict) else None)
            for r in refs:
                repo.refs[r] = commit
            self.repos[key] = repo
            for f in files.values():
                if f.lfs and f.sha256:
                    self.blobs[f.sha256] = f.abspath
        return commit

    def _files(self, folder: Path, given: dict[str, str]) -> dict[str, RepoFile]:
        patterns = _lfs_patterns(folder)
        out: dict[str, RepoFile] = {}
        for dirpath, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != ".git")
            for n in sorted(names):
                p = Path(dirpath) / n
                rel = p.relative_to(folder).as_posix()
                size = p.stat().st_size
                lfs = size > LFS_SIZE or _matches(rel, patterns)
                if lfs:
                    sha = given.get(rel) or file_sha256(p)
                    out[rel] = RepoFile(rel, p, size, True, sha, git_sha1(lfs_pointer(sha, size)))
                else:
                    out[rel] = RepoFile(rel, p, size, False, None, git_sha1(p.read_bytes()))
        return out

    # --- accounting --------------------------------------------------------------------------

    def requests(self, server: str | None = None, method: str | None = None) -> list[Req]:
        with self.lock:
            return [r for r in self.log if (server is None or r.server == server) and (method is None or r.method == method)]

    def pushed(self) -> int:
        with self.lock:
            return sum(r.pushed for r in self.log)

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    def record(self, req: Req) -> None:
        with self.lock:
            self.log.append(req)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def _lfs_patterns(folder: Path) -> list[str]:
    ga = folder / ".gitattributes"
    if not ga.is_file():
        return [f"*{e}" for e in LFS_EXT]
    pats = []
    for line in ga.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and "filter=lfs" in parts[1:]:
            pats.append(parts[0])
    return pats


def _matches(rel: str, patterns: list[str]) -> bool:
    import fnmatch

    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(rel, p) for p in patterns)


def _handler(hub: FakeHub, server: str) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        pass

    Handler.hub = hub
    Handler.server_name = server
    return Handler


class _Dropped(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: FakeHub
    server_name: str

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass

    # --- plumbing ----------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        self._status, self._pushed = 0, 0
        raw_path = self.path
        if self.hub.latency:
            time.sleep(self.hub.latency)
        try:
            if self._fault(method, raw_path):
                return
            if self.server_name == "cdn":
                self._cdn(method, raw_path)
            else:
                self._route(method, raw_path)
        except _Dropped:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            path = urlsplit(raw_path).path
            self.hub.record(Req(self.server_name, method, path, self.headers.get("Range"), self._status, self._pushed,
                                "authorization" in {k.lower() for k in self.headers.keys()}))

    def _fault(self, method: str, raw_path: str) -> bool:
        f = self.hub.faults
        path = urlsplit(raw_path).path
        for pat in list(f.rate_limit_once):
            if re.search(pat, path):
                f.rate_limit_once.remove(pat)
                self._send(429, b'{"error":"rate limited"}', {"Retry-After": "0", "Content-Type": "application/json"},
                           method)
                return True
        return False

    def _send(self, status: int, body: bytes, headers: dict[str, str], method: str) -> None:
        self._status = status
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method != "HEAD" and body:
            self.wfile.write(body)
            self._pushed += len(body)

    def _json(self, obj: object, method: str, headers: dict[str, str] | None = None, status: int = 200) -> None:
        self._send(status, json.dumps(obj).encode(), {"Content-Type": "application/json", **(headers or {})}, method)

    def _error(self, status: int, code: str | None, message: str, method: str, extra: dict[str, str] | None = None) -> None:
        headers = {"Content-Type": "application/json", "X-Error-Message": message, **(extra or {})}
        if code:
            headers["X-Error-Code"] = code
        self._send(status, json.dumps({"error": message}).encode(), headers, method)

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization") or ""
        return auth[7:] if auth.lower().startswith("bearer ") else None

    # --- routing -----------------------------------------------------------------------------

    def _route(self, method: str, raw_path: str) -> None:
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/api/agent-harnesses":
            return self._error(404, None, "not here", method)
        m = re.fullmatch(r"/api/(models|datasets)/([^/]+)/([^/]+)(?:/(.*))?", path)
        if m:
            rtype = "model" if m.group(1) == "models" else "dataset"
            return self._api(method, rtype, f"{m.group(2)}/{m.group(3)}", m.group(4) or "", query, parts.query)
        m = re.fullmatch(r"/(datasets/)?([^/]+)/([^/]+)/resolve/([^/]+)/(.+)", path)
        if m:
            rtype = "dataset" if m.group(1) else "model"
            return self._resolve(method, rtype, f"{m.group(2)}/{m.group(3)}", unquote(m.group(4)), unquote(m.group(5)))
        self._error(404, None, "Not Found", method)

    def _repo(self, rtype: str, repo_id: str, method: str, *, files: bool) -> Repo | None:
        """The repo if this caller may see it (files: may read its files), else an error was sent."""
        repo = self.hub.repos.get((rtype, repo_id))
        token = self._token()
        if repo is None or (repo.private and token not in repo.authorized):
            msg = "Repository not found"
            self._error(404 if token else 401, "RepoNotFound", msg, method)
            return None
        if files and repo.gated and token not in repo.authorized:
            if token:
                self._error(403, "GatedRepo", f"Access to model {repo_id} is restricted and you are not in the "
                            "authorized list. Visit the repo page to ask for access.", method)
            else:
                self._error(401, "GatedRepo", f"Access to model {repo_id} is restricted. You must have access to it "
                            "and be authenticated to access it. Please log in.", method)
            return None
        return repo

    def _commit(self, repo: Repo, rev: str, method: str) -> Commit | None:
        sha = repo.refs.get(rev) or (rev if rev in repo.commits else None)
        if sha is None:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}", method)
            return None
        return repo.commits[sha]

    def _api(self, method: str, rtype: str, repo_id: str, rest: str, query: dict, raw_query: str) -> None:
        if rest == "auth-check":
            if self._repo(rtype, repo_id, method, files=True):
                self._json({"ok": True}, method)
            return
        repo = self._repo(rtype, repo_id, method, files=False)
        if repo is None:
            return
        if rest == "refs":
            by_sha = {}
            for name, sha in sorted(repo.refs.items()):
                by_sha.setdefault(name, sha)
            branches = [{"name": n, "ref": f"refs/heads/{n}", "targetCommit": s} for n, s in by_sha.items() if n == "main"]
            tags = [{"name": n, "ref": f"refs/tags/{n}", "targetCommit": s} for n, s in by_sha.items() if n != "main"]
            return self._json({"branches": branches, "converts": [], "tags": tags}, method)
        if rest == "" or rest.startswith("revision/"):
            rev = unquote(rest[len("revision/"):]) if rest else "main"
            commit = self._commit(repo, rev, method)
            if commit:
                self._json(self._info(repo, commit, "true" in query.get("blobs", []),
                                      "true" in query.get("securityStatus", [])), method)
            return
        m = re.fullmatch(r"tree/([^/]+)(?:/(.+))?", rest)
        if m:
            commit = self._commit(repo, unquote(m.group(1)), method)
            if commit:
                self._tree(repo, commit, unquote(m.group(2) or ""), query, raw_query, method)
            return
        self._error(404, None, "Not Found", method)

    def _info(self, repo: Repo, c: Commit, blobs: bool, security: bool) -> dict:
        siblings = []
        for p, f in sorted(c.files.items()):
            s: dict = {"rfilename": p}
            if blobs:
                s.update({"size": f.size, "blobId": f.oid})
                if f.lfs:
                    s["lfs"] = {"sha256": f.sha256, "size": f.size, "pointerSize": len(lfs_pointer(f.sha256 or "", f.size))}
            siblings.append(s)
        card = c.card_data or {}
        info = {"_id": hashlib.md5(repo.repo_id.encode()).hexdigest()[:24], "id": repo.repo_id, "author": repo.repo_id.split("/")[0],
                "sha": c.sha, "lastModified": c.date, "createdAt": DEFAULT_DATE, "private": repo.private,
                "gated": repo.gated, "disabled": False, "downloads": 0, "likes": 0, "tags": card.get("tags") or [],
                "cardData": c.card_data, "siblings": siblings, "usedStorage": sum(f.size for f in c.files.values())}
        if repo.repo_type == "model":
            info.update({"modelId": repo.repo_id, "library_name": card.get("library_name"),
                         "pipeline_tag": card.get("pipeline_tag")})
            if security:
                info["securityRepoStatus"] = repo.security or {"scansDone": True, "filesWithIssues": []}
        return info

    def _tree(self, repo: Repo, c: Commit, under: str, query: dict, raw_query: str, method: str) -> None:
        recursive = "true" in query.get("recursive", []) or "True" in query.get("recursive", [])
        prefix = under.rstrip("/") + "/" if under else ""
        entries: list[dict] = []
        dirs: set[str] = set()
        for p, f in sorted(c.files.items()):
            if not p.startswith(prefix):
                continue
            rest = p[len(prefix):]
            if "/" in rest and not recursive:
                dirs.add(prefix + rest.split("/", 1)[0])
                continue
            if recursive:
                parts = rest.split("/")[:-1]
                for i in range(len(parts)):
                    dirs.add(prefix + "/".join(parts[:i + 1]))
            e: dict = {"type": "file", "oid": f.oid, "size": f.size, "path": p}
            if f.lfs:
                e["lfs"] = {"oid": f.sha256, "size": f.size, "pointerSize": len(lfs_pointer(f.sha256 or "", f.size))}
            entries.append(e)
        entries += [{"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0, "path": d} for d in dirs]
        entries.sort(key=lambda e: e["path"])
        cursor = int((query.get("cursor") or ["0"])[0])
        page = entries[cursor:cursor + self.hub.tree_page]
        headers = {}
        if cursor + self.hub.tree_page < len(entries):
            q = "&".join(x for x in raw_query.split("&") if x and not x.startswith("cursor="))
            nxt = f"{self.hub.endpoint}{urlsplit(self.path).path}?{q}&cursor={cursor + self.hub.tree_page}"
            headers["Link"] = f'<{nxt}>; rel="next"'
        self._json(page, method, headers)

    def _resolve(self, method: str, rtype: str, repo_id: str, rev: str, path: str) -> None:
        repo = self._repo(rtype, repo_id, method, files=True)
        if repo is None:
            return
        c = self._commit(repo, rev, method)
        if c is None:
            return
        f = c.files.get(path)
        if f is None:
            return self._error(404, "EntryNotFound", f"{path} does not exist on {rev}", method,
                               {"X-Repo-Commit": c.sha})
        if f.lfs:
            loc = f"{self.hub.cdn_url}/blob/{f.sha256}?repo={quote(repo_id, safe='')}&expires=3600&sig=fake"
            return self._send(302, b"", {"Location": loc, "X-Linked-Etag": f'"{f.sha256}"', "X-Linked-Size": str(f.size),
                                         "X-Repo-Commit": c.sha, "ETag": f'"{f.oid}"', "Content-Length": "0"}, method)
        self._body(method, f.abspath, f.size, {"ETag": f'"{f.oid}"', "X-Repo-Commit": c.sha})

    def _cdn(self, method: str, raw_path: str) -> None:
        m = re.fullmatch(r"/blob/([0-9a-f]{64})", urlsplit(raw_path).path)
        blob = self.hub.blobs.get(m.group(1)) if m else None
        if blob is None:
            self._send(403, b"AccessDenied", {"Content-Type": "text/plain"}, method)
            return
        self._body(method, blob, blob.stat().st_size, {"ETag": f'"{m.group(1)}"'})

    def _body(self, method: str, abspath: Path, size: int, headers: dict[str, str]) -> None:
        start, end = 0, size - 1
        status = 200
        rng = self.headers.get("Range")
        if rng and not self.hub.faults.ignore_range:
            parsed = _parse_range(rng, size)
            if parsed == "unsatisfiable":
                return self._send(416, b"", {"Content-Range": f"bytes */{size}", "Content-Length": "0"}, method)
            if parsed is not None:
                start, end = parsed
                status = 206
                headers = {**headers, "Content-Range": f"bytes {start}-{end}/{size}"}
        length = max(0, end - start + 1)
        self._status = status
        self.send_response(status)
        for k, v in {**headers, "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream",
                     "Content-Length": str(length)}.items():
            self.send_header(k, v)
        self.end_headers()
        if method == "HEAD" or length == 0:
            return
        drop_at = None
        for pat in list(self.hub.faults.drop_once):
            if re.search(pat, abspath.as_posix()) or re.search(pat, urlsplit(self.path).path):
                self.hub.faults.drop_once.remove(pat)
                drop_at = length // 2
                break
        with abspath.open("rb") as fh:
            fh.seek(start)
            left = length if drop_at is None else drop_at
            while left > 0:
                chunk = fh.read(min(CHUNK, left))
                if not chunk:
                    break
                self.wfile.write(chunk)
                self._pushed += len(chunk)
                left -= len(chunk)
        if drop_at is not None:
            self.wfile.flush()
            try:
                # Write side only: the bytes sent arrive, then the end of the stream. SHUT_RDWR could reset
                # the connection before the client read them, and it would resume from 0 (a flaky test).
                self.connection.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            raise _Dropped()


def _parse_range(value: str, size: int) -> tuple[int, int] | str | None:
    m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", value)
    if not m or (not m.group(1) and not m.group(2)):
        return None  # several ranges or bad syntax: ignored, the whole file is sent
    if not m.group(1):
        n = int(m.group(2))
        if n == 0:
            return "unsatisfiable"
        return max(0, size - n), size - 1
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, min(end, size - 1)


def main() -> None:
    """Serve folders as Hub repos until interrupted: `python tests/hub/fake_hub.py ORG/NAME=FOLDER ...`."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("repos", nargs="+", help="ORG/NAME=FOLDER (datasets/ORG/NAME=FOLDER for a dataset)")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    ap.add_argument("--gated", action="append", default=[], help="ORG/NAME to serve gated (manual)")
    args = ap.parse_args()
    hub = FakeHub(latency=args.latency)
    for spec in args.repos:
        name, _, folder = spec.partition("=")
        rtype = "dataset" if name.startswith("datasets/") else "model"
        repo_id = name.removeprefix("datasets/")
        hub.add_repo(repo_id, Path(folder), repo_type=rtype, gated="manual" if name in args.gated else False)
    hub.start()
    print(f"HF_ENDPOINT={hub.endpoint}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        hub.stop()


if __name__ == "__main__":
    main()
