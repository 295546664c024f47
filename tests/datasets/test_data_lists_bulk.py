"""A long URL list is normalised in bulk (DuckDB) and must give exactly the entries the Python
reference gives one by one, errors included."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from trueopen.datasets import urlnorm
from trueopen.datasets.lists import key_sha256, load_blocklist
from trueopen.errors import InputError


def messy_urls(n: int, seed: int = 3) -> list[str]:
    r = random.Random(seed)
    out = []
    for i in range(n):
        scheme = r.choice(["http", "https", "HTTPS", "ftp", ""])
        host = r.choice(["Example.org", "www.a.org", "WWW.b.com", "user@www.c.net", "d.org:80", "e.org:443"])
        path = r.choice(["", "/", f"/p/{i}", f"/p/{i}/", f"/%7Ep/{i}", "/100%", "/A//", f"/caf%c3%a9/{i}"])
        query = r.choice(["", "?", f"?id={i}", "?utm_source=x&id=1", "?&&a=b&", "?gclid=1", f"?X=%41{i}"])
        frag = r.choice(["", "#top"])
        space = r.choice(["", " ", "\t"])
        out.append(f"{space}{scheme + '://' if scheme else ''}{host}{path}{query}{frag}{space}")
    return out


def test_bulk_normalisation_equals_the_python_reference() -> None:
    urls = messy_urls(urlnorm.BULK * 3)
    assert urlnorm.normalise_urls(urls) == [urlnorm.normalise_url(u) or None for u in urls]


def test_a_long_list_loads_the_same_entries_as_one_by_one(tmp_path: Path) -> None:
    urls = messy_urls(urlnorm.BULK + 500, seed=5)
    path = tmp_path / "urls.txt"
    path.write_text("# a long list\n" + "\n".join(u.strip() for u in urls) + "\n")
    entries = load_blocklist(path).entries
    keys = {urlnorm.normalise_url(u.strip()) for u in urls}
    assert entries == tuple(sorted(("url", k, key_sha256(k)) for k in keys))


def test_a_bad_line_in_a_long_list_is_named(tmp_path: Path) -> None:
    lines = [u.strip() for u in messy_urls(urlnorm.BULK + 10)]
    lines[1500] = "\"#fragment-only\""  # quoted, so not a comment line; normalises to nothing
    path = tmp_path / "urls.csv"
    path.write_text("url\n" + "\n".join(f'"{u}"' if "," in u else u for u in lines) + "\n")
    with pytest.raises(InputError, match="record 1502: not a URL"):
        load_blocklist(path)
