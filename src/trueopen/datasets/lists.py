"""User-supplied lists: blocklists (URL text files, CSV keyed by url/sha256/md5/pdq), opt-out
domain lists and the domain→licence table. Entries are kept normalised, with the sha256 of the
normalised key: reports name an entry by that hash, never by the key."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from trueopen.datasets.urlnorm import normalise_url, normalise_urls
from trueopen.errors import InputError

KEY_KINDS = ("url", "sha256", "md5", "pdq")
HEX = {"sha256": re.compile(r"^[0-9a-f]{64}$"), "md5": re.compile(r"^[0-9a-f]{32}$"), "pdq": re.compile(r"^[0-9a-f]{64}$")}
MAX_LIST_BYTES = 4 << 30
MAX_FIELD = 1 << 16


def key_sha256(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def normalise_key(kind: str, value: str) -> str | None:
    """The key as it is compared: URLs normalised, hashes lower-case hex (None: not a valid key)."""
    if kind == "url":
        return normalise_url(value) or None
    v = value.strip().lower()
    return v if HEX[kind].match(v) else None


@dataclass(frozen=True)
class Blocklist:
    """One list file: its name in reports, and its entries (kind, normalised key, key sha256)."""

    name: str
    path: Path
    entries: tuple[tuple[str, str, str], ...]

    def kinds(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for kind, _, _ in self.entries:
            out[kind] = out.get(kind, 0) + 1
        return dict(sorted(out.items()))


def _read(path: Path, what: str) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_LIST_BYTES:
            raise InputError(f"{path}: {what} larger than {MAX_LIST_BYTES >> 30} GiB")
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: {what} is not UTF-8 text") from None
    except IsADirectoryError:
        raise InputError(f"{path}: {what} is a folder, not a file") from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what}") from None


def load_blocklist(path: str | Path, name: str | None = None) -> Blocklist:
    """A blocklist: a CSV whose header names key columns (url, sha256, md5, pdq), or a text file
    with one URL a line (blank lines and lines starting with # are skipped)."""
    p = Path(path).expanduser()
    text = _read(p, "blocklist")
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    header = [h.strip().lower() for h in next(csv.reader([first]), [])] if first else []
    is_csv = p.suffix.lower() == ".csv" or any(h in KEY_KINDS for h in header) and "://" not in first
    entries: set[tuple[str, str, str]] = set()
    urls: list[tuple[str, str]] = []  # (where, raw URL): normalised together at the end
    if is_csv:
        cols = [(i, h) for i, h in enumerate(header) if h in KEY_KINDS]
        if not cols:
            raise InputError(f"{p}: blocklist header names no key column (one of {', '.join(KEY_KINDS)}): {first[:80]!r}")
        csv.field_size_limit(MAX_FIELD)
        lines = [ln for ln in text.splitlines(keepends=True) if not ln.lstrip().startswith("#")]
        reader = csv.reader(io.StringIO("".join(lines)))
        next(reader, None)
        n = 1
        try:
            for n, rec in enumerate(reader, 2):
                if len(rec) > len(header):  # an unquoted comma in a URL: the key would be cut, silently
                    raise InputError(f"{p}: record {n}: {len(rec)} fields, the header {len(header)} "
                                     "(quote values that contain commas)")
                for i, kind in cols:
                    value = rec[i].strip() if i < len(rec) else ""
                    if not value:
                        continue
                    if kind == "url":
                        urls.append((f"record {n}", value))
                        continue
                    key = normalise_key(kind, value)
                    if key is None:
                        raise InputError(f"{p}: record {n}: not a {kind} value")
                    entries.add((kind, key, key_sha256(key)))
        except csv.Error as exc:  # an over-long field (MAX_FIELD), a stray quote: the list's fault
            raise InputError(f"{p}: record {n + 1}: {exc}") from None
    else:
        for n, line in enumerate(text.splitlines(), 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            urls.append((f"line {n}", s))
    for (where, _raw), key in zip(urls, normalise_urls([u for _, u in urls])):
        if key is None:
            raise InputError(f"{p}: {where}: not a URL")
        entries.add(("url", key, key_sha256(key)))
    return Blocklist(name=name or p.name, path=p, entries=tuple(sorted(entries)))


def load_blocklists(paths: Iterable[str | Path]) -> list[Blocklist]:
    """Several lists; two files with the same name are told apart by their path."""
    ps = [Path(p).expanduser() for p in paths]
    names = [p.name for p in ps]
    return [load_blocklist(p, p.name if names.count(p.name) == 1 else str(p)) for p in ps]


def load_domains(path: str | Path, what: str = "opt-out list") -> frozenset[str]:
    """Domains, one a line (or a CSV with a `domain` column); `www.` and case are dropped."""
    p = Path(path).expanduser()
    text = _read(p, what)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if lines and "domain" in [h.strip().lower() for h in lines[0].split(",")]:
        i = [h.strip().lower() for h in lines[0].split(",")].index("domain")
        lines = [next(csv.reader([ln]))[i] if i < len(next(csv.reader([ln]))) else "" for ln in lines[1:]]
    out = set()
    for n, d in enumerate(lines, 1):
        d = host_of(d) if "://" in d else d.strip().lower().rstrip(".")
        # `*.a.org` (robots/ai.txt exports write them) is a.org: subdomains are covered anyway; a
        # port is dropped, as host_of drops it from the dataset's URLs (else it could never match)
        d = d.removeprefix("*.").removeprefix("www.")
        if not d.startswith("[") and d.count(":") == 1:
            d = d.split(":", 1)[0]
        if not d or not re.match(r"^[a-z0-9.\-_:\[\]]+$", d):
            raise InputError(f"{p}: entry {n}: not a domain")
        out.add(d)
    return frozenset(out)


def load_domain_licenses(path: str | Path) -> dict[str, str]:
    """The domain→licence table: a CSV with `domain` and `license` (or `licence`) columns."""
    p = Path(path).expanduser()
    try:
        rows = list(csv.reader(io.StringIO(_read(p, "domain licence table"))))
    except csv.Error as exc:
        raise InputError(f"{p}: not a readable CSV ({exc})") from None
    if not rows:
        raise InputError(f"{p}: empty domain licence table")
    head = [h.strip().lower() for h in rows[0]]
    lic = next((head.index(h) for h in ("license", "licence") if h in head), None)
    if "domain" not in head or lic is None:
        raise InputError(f"{p}: domain licence table needs a header with `domain` and `license` columns")
    d = head.index("domain")
    out: dict[str, str] = {}
    for n, rec in enumerate(rows[1:], 2):
        if not any(x.strip() for x in rec):
            continue
        if len(rec) <= max(d, lic) or not rec[d].strip() or not rec[lic].strip():
            raise InputError(f"{p}: record {n}: needs a domain and a licence")
        out[rec[d].strip().lower().removeprefix("www.")] = rec[lic].strip()
    return out


_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://(?:[^@/?#]*@)?(\[[^\]]*\]|[^/?#:]*)")


def host_of(url: str | None) -> str | None:
    """The lower-case host of a URL without `www.` (None when it has no scheme://host)."""
    if not url:
        return None
    m = _HOST.match(url.strip())
    return m.group(1).lower().rstrip(".").removeprefix("www.") if m and m.group(1) else None


def in_domains(host: str | None, domains: frozenset[str] | dict[str, str]) -> str | None:
    """The listed domain that covers host (itself or a parent domain), or None."""
    if not host:
        return None
    parts = host.split(".")
    for i in range(len(parts)):
        d = ".".join(parts[i:])
        if d in domains:
            return d
    return None
