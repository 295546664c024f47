"""Release URLs as match keys: `hf:owner/name`, `gh:owner/name` or `url:host/path`, all lower case.

Used to match a release's identity (a Hub URL, a git remote, any URL) against the URLs the Model
Openness Tool and the European Open Source AI Index write in their records. The spellings met in
those records: `https://huggingface.co/OWNER/NAME/tree/main`, `http://www.github.com/O/R.git`,
`git@github.com:O/R.git`, `hf://O/N`, a bare `OWNER/NAME` Hub id (MOT's `huggingface` field), and
free text that is not a URL at all ("Baichuan 2: Open Large-scale Language Models") which gives
no key rather than a wrong one.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

__all__ = ["MAX_URL", "hub_key", "url_key"]

MAX_URL = 2048  # longer strings are not URLs worth matching (the longest upstream link is ~300 chars)

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_BARE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*/[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_SCP = re.compile(r"^[A-Za-z0-9_.\-]+@([A-Za-z0-9.\-]+):(.+)$")  # git@github.com:owner/repo.git
_HUB_HOSTS = frozenset({"huggingface.co", "hf.co"})
_HUB_KINDS = frozenset({"datasets", "spaces"})
# First path segments of Hub / GitHub pages that are not a repository.
_HUB_PAGES = frozenset({"api", "blog", "chat", "collections", "docs", "join", "learn", "login", "models",
                        "organizations", "papers", "posts", "pricing", "settings", "tasks"})
_GH_PAGES = frozenset({"apps", "collections", "features", "marketplace", "orgs", "settings", "sponsors", "topics",
                       "users"})


def hub_key(repo_id: str) -> str | None:
    """`hf:owner/name` (or `hf:datasets/owner/name`) for a Hub id as `target.ref` writes it."""
    parts = [p for p in repo_id.strip().split("/") if p]
    kind = ""
    if parts and parts[0] in _HUB_KINDS:
        kind, parts = parts[0] + "/", parts[1:]
    if len(parts) != 2 or not all(_SEGMENT.match(p) for p in parts):
        return None
    return f"hf:{kind}{parts[0]}/{parts[1]}".lower()


def url_key(text: object, *, bare_hub: bool = False) -> str | None:
    """The match key of one URL, or None when the text is not a URL naming a repository or page.

    ``bare_hub``: also read a bare `OWNER/NAME` as a Hub id (for fields that hold one).
    """
    if not isinstance(text, str):
        return None
    s = text.strip()
    if not s or len(s) > MAX_URL or any(ch.isspace() for ch in s):
        return None  # a URL has no spaces: "github.com/x at main · y (github.com)" is prose
    if s.startswith("hf://"):
        return hub_key(s[len("hf://"):])
    if bare_hub and _BARE_ID.match(s):
        return hub_key(s)
    m = _SCP.match(s)
    if m:
        s = f"https://{m.group(1)}/{m.group(2)}"
    elif "://" not in s:
        if not re.match(r"^(www\.)?[a-z0-9\-]+(\.[a-z0-9\-]+)+/", s, re.IGNORECASE):
            return None
        s = "https://" + s
    try:
        parts = urlsplit(s)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https", "ssh", "git", "git+https", "git+ssh") or not host:
        return None
    host = host.removeprefix("www.")
    segs = [unquote(p) for p in parts.path.split("/") if p]
    if host in _HUB_HOSTS:
        if not segs or segs[0] in _HUB_PAGES:
            return None
        n = 3 if segs[0] in _HUB_KINDS else 2
        if len(segs) < n:
            return None
        return hub_key("/".join(segs[:n]).removesuffix(".git"))
    if host == "github.com":
        if len(segs) < 2 or segs[0].lower() in _GH_PAGES:
            return None
        owner, repo = segs[0], segs[1].removesuffix(".git")
        if not (_SEGMENT.match(owner) and _SEGMENT.match(repo)):
            return None
        return f"gh:{owner}/{repo}".lower()
    path = "/".join(segs).removesuffix(".git")
    return f"url:{host}/{path}".rstrip("/").lower()
