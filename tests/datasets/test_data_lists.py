"""User-supplied lists: blocklists (URL text files, CSV keyed by url/sha256/md5/pdq), opt-out
domains and the domain licence table; bad lists are one-line input errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_builders import md5, sha256
from trueopen.datasets.lists import (host_of, in_domains, key_sha256, load_blocklist, load_blocklists,
                                     load_domain_licenses, load_domains)
from trueopen.errors import InputError


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def test_url_text_file(tmp_path: Path) -> None:
    p = _write(tmp_path, "urls.txt", "# a comment\n\nHTTP://WWW.A.org:80/x/#f\n  https://b.org/y?utm_source=z  \r\nhttps://b.org/y\n")
    bl = load_blocklist(p)
    assert bl.name == "urls.txt" and bl.path == p
    assert bl.entries == tuple(sorted({("url", "http://a.org/x", key_sha256("http://a.org/x")),
                                       ("url", "https://b.org/y", key_sha256("https://b.org/y"))}))
    assert bl.kinds() == {"url": 2}


def test_entries_are_named_by_the_sha256_of_the_normalised_key(tmp_path: Path) -> None:
    bl = load_blocklist(_write(tmp_path, "u.txt", "https://www.x.org/a/\n"))
    ((kind, key, h),) = bl.entries
    assert (kind, key) == ("url", "https://x.org/a") and h == sha256("https://x.org/a")


def test_csv_with_every_key_kind(tmp_path: Path) -> None:
    s, m, q = sha256("img"), md5("img"), "f" * 64
    p = _write(tmp_path, "hashes.csv",
               "URL,Sha256,md5,pdq,comment\n"
               f"https://www.a.org/1/,{s.upper()},,,first\n"
               f",,{m},{q},second\n"
               "# skipped,,,,\n"
               ",,,,nothing\n")
    bl = load_blocklist(p)
    assert bl.kinds() == {"md5": 1, "pdq": 1, "sha256": 1, "url": 1}
    assert ("sha256", s, key_sha256(s)) in bl.entries
    assert ("url", "https://a.org/1", key_sha256("https://a.org/1")) in bl.entries
    assert ("md5", m, key_sha256(m)) in bl.entries and ("pdq", q, key_sha256(q)) in bl.entries


def test_header_names_the_format_whatever_the_suffix(tmp_path: Path) -> None:
    bl = load_blocklist(_write(tmp_path, "list.txt", f"sha256\n{sha256('x')}\n"))
    assert bl.kinds() == {"sha256": 1}


def test_duplicate_entries_count_once(tmp_path: Path) -> None:
    bl = load_blocklist(_write(tmp_path, "u.txt", "http://a.org/x\nHTTP://a.org/x/\nhttp://www.a.org/x#y\n"))
    assert len(bl.entries) == 1


@pytest.mark.parametrize(("name", "content", "message"), [
    ("bad-header.csv", "name,notes\nhttp://a.org,x\n", "header names no key column"),
    ("headerless.csv", "http://a.org/x\n", "header names no key column"),
    ("bad-sha.csv", "sha256\nnot-a-hash\n", "record 2: not a sha256 value"),
    ("short-md5.csv", "md5\nabc123\n", "record 2: not a md5 value"),
    ("bad-pdq.csv", f"pdq\n{'g' * 64}\n", "record 2: not a pdq value"),
    ("latin1.txt", "http://a.org/caf\xe9\n".encode("latin-1"), "is not UTF-8 text"),
    ("huge-field.csv", "sha256\n" + "a" * 200_000 + "\n", "record 2"),
    ("unquoted-comma.csv", "url\nhttp://a.org/x?a=1,2\n", "record 2: 2 fields, the header 1"),
])
def test_bad_blocklists_are_one_line_input_errors(tmp_path: Path, name: str, content, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        load_blocklist(_write(tmp_path, name, content))
    assert "\n" not in str(err.value) and name in str(err.value)


def test_a_folder_or_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder, not a file"):
        load_blocklist(tmp_path)
    with pytest.raises(InputError, match="no such blocklist"):
        load_blocklist(tmp_path / "missing.txt")


def test_input_errors_never_echo_a_list_value(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_blocklist(_write(tmp_path, "l.csv", "sha256\nsecret-value-xyz\n"))
    assert "secret-value-xyz" not in str(err.value)


def test_lists_with_the_same_file_name_are_told_apart(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = _write(tmp_path / "a", "urls.txt", "http://a.org\n")
    b = _write(tmp_path / "b", "urls.txt", "http://b.org\n")
    c = _write(tmp_path, "other.txt", "http://c.org\n")
    assert [bl.name for bl in load_blocklists([a, b, c])] == [str(a), str(b), "other.txt"]


def test_opt_out_domains(tmp_path: Path) -> None:
    p = _write(tmp_path, "optout.txt", "# ai.txt export\nWWW.Example.COM\nhttps://news.site.org/robots.txt\nblog.io.\n")
    assert load_domains(p) == frozenset({"example.com", "news.site.org", "blog.io"})


def test_opt_out_wildcards_and_ports(tmp_path: Path) -> None:
    p = _write(tmp_path, "optout.txt", "*.cdn.example.com\nimages.org:8080\n[::1]\n")
    assert load_domains(p) == frozenset({"cdn.example.com", "images.org", "[::1]"})
    assert in_domains("a.b.cdn.example.com", load_domains(p)) == "cdn.example.com"


def test_opt_out_csv_with_domain_column(tmp_path: Path) -> None:
    p = _write(tmp_path, "optout.csv", "source,domain\nrobots,a.org\n\"ai, txt\",b.org\n")
    assert load_domains(p) == frozenset({"a.org", "b.org"})


def test_opt_out_bad_entry(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="entry 2: not a domain"):
        load_domains(_write(tmp_path, "o.txt", "a.org\nnot a domain!\n"))


def test_subdomains_are_covered_parents_are_not() -> None:
    doms = frozenset({"example.com"})
    assert in_domains("example.com", doms) == "example.com"
    assert in_domains("cdn.img.example.com", doms) == "example.com"
    assert in_domains("notexample.com", doms) is None
    assert in_domains("com", doms) is None
    assert in_domains(None, doms) is None


@pytest.mark.parametrize(("url", "host"), [
    ("https://WWW.Example.com:8080/x", "example.com"),
    ("http://user:pw@cdn.a.org/x", "cdn.a.org"),
    ("http://a.org./x", "a.org"),
    ("http://[::1]:80/x", "[::1]"),
    ("a.org/x", None),
    ("", None),
    (None, None),
])
def test_host_of(url, host) -> None:
    assert host_of(url) == host


def test_domain_licence_table(tmp_path: Path) -> None:
    p = _write(tmp_path, "lic.csv", "Domain,Licence\nwww.flickr-cc.org,CC-BY-2.0\nwiki.org, CC-BY-SA-4.0 \n\n")
    assert load_domain_licenses(p) == {"flickr-cc.org": "CC-BY-2.0", "wiki.org": "CC-BY-SA-4.0"}


@pytest.mark.parametrize(("content", "message"), [
    ("", "empty domain licence table"),
    ("domain,notes\na.org,x\n", "needs a header with `domain` and `license`"),
    ("domain,license\na.org,\n", "record 2: needs a domain and a licence"),
])
def test_bad_domain_licence_tables(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_domain_licenses(_write(tmp_path, "lic.csv", content))


def test_quoted_commas_in_csv_urls(tmp_path: Path) -> None:
    bl = load_blocklist(_write(tmp_path, "u.csv", 'url,note\n"http://a.org/x?a=1,2",x\n'))
    assert [k for _, k, _ in bl.entries] == ["http://a.org/x?a=1,2"]
