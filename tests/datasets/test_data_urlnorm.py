"""URL normalisation: every documented example through the Python reference and the staged SQL
the engine runs; and a generated set of messy URLs on which both agree."""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa
import pytest

from trueopen.datasets import urlnorm

EXAMPLES = [(r["id"], raw, want) for r in urlnorm.rules()["rules"] for raw, want in r["examples"]]


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    for sql in urlnorm.duckdb_macros():
        c.execute(sql)
    yield c
    c.close()


def _staged(con, urls: list[str | None]) -> list[str | None]:
    t = pa.table({"i": pa.array(range(len(urls)), pa.int64()), "u": pa.array(urls, pa.string())})  # noqa: F841
    sql = urlnorm.duckdb_key_query("t", "u", [("i", "i")])
    return [v for _, v in con.execute(f"SELECT i, key FROM ({sql}) ORDER BY i").fetchall()]


def test_every_rule_has_examples() -> None:
    ids = [r["id"] for r in urlnorm.rules()["rules"]]
    assert {"whitespace", "fragment", "scheme-host-case", "default-port", "www", "tracking-parameters",
            "percent-encoding", "trailing-slash", "empty-query"} <= set(ids)
    assert all(r["examples"] for r in urlnorm.rules()["rules"])


@pytest.mark.parametrize(("rule", "raw", "want"), EXAMPLES, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(EXAMPLES)])
def test_documented_example_python(rule: str, raw: str, want: str) -> None:
    assert urlnorm.normalise_url(raw) == want


def test_documented_examples_staged_sql(con) -> None:
    raws = [raw for _, raw, _ in EXAMPLES]
    wants = [want for _, _, want in EXAMPLES]
    assert _staged(con, raws) == wants


def test_none_stays_none(con) -> None:
    assert urlnorm.normalise_url(None) is None
    assert _staged(con, [None]) == [None]


def test_rules_compose() -> None:
    raw = "  HTTPS://WWW.Shop.Example.COM:443/a/%7Eb/%2f/?utm_source=x&id=7&&gclid=1#frag\t"
    assert urlnorm.normalise_url(raw) == "https://shop.example.com/a/~b/%2F?id=7"


def test_path_and_query_keep_their_case() -> None:
    assert urlnorm.normalise_url("http://A.org/Big?Q=Yes") == "http://a.org/Big?Q=Yes"


def test_tracking_parameter_names_are_whole_names() -> None:
    # utm_x is tracking; "xutm_source" and "refsrc" are not
    assert urlnorm.normalise_url("http://a.org/?xutm_source=1&UTM_Term=2&refsrc=3") == "http://a.org?xutm_source=1&refsrc=3"


def _messy(rng: random.Random) -> str:
    """A URL with random case, ports, www., tracking parameters, percent escapes, fragments and slashes."""
    scheme = rng.choice(["http", "https", "HTTP", "Https", "ftp"])
    host = rng.choice(["example.org", "Ex-Ample.COM", "a.b.c.net", "www2.site.io", "xn--bcher-kva.de", "h.org",
                       "Élan.fr", "bücher.de", "ÅSA.se"])
    if rng.random() < 0.4:
        host = rng.choice(["www.", "WWW.", "Www."]) + host
    user = rng.choice(["", "", "", "user@", "User:Pw@", "www.u@"])
    port = rng.choice(["", "", "", ":80", ":443", ":8080", ":8443", ":80800"])
    segs = []
    for _ in range(rng.randint(0, 4)):
        seg = "".join(rng.choice("abcXYZ019-._~!$&'()*+,;=:@") for _ in range(rng.randint(0, 6)))
        for _ in range(rng.randint(0, 2)):
            esc = rng.choice(["%41", "%7e", "%7E", "%2f", "%2F", "%20", "%e2%82%ac", "%zz", "%", "%4", "%C3%A9", "%5F"])
            pos = rng.randint(0, len(seg))
            seg = seg[:pos] + esc + seg[pos:]
        segs.append(seg)
    path = "/" + "/".join(segs) if segs or rng.random() < 0.5 else ""
    path += rng.choice(["", "", "/", "//", "///"])
    query = ""
    if rng.random() < 0.6:
        params = []
        for _ in range(rng.randint(0, 5)):
            name = rng.choice(["id", "q", "utm_source", "UTM_Medium", "utm_", "fbclid", "gclid", "ref_src", "spm",
                               "_ga", "_gl", "page", "ref", "Id", "mc_eid", "x%41", ""])
            val = rng.choice(["", "1", "a%2Fb", "x y", "%7E", "utm_source=3", "é"])
            params.append(name if rng.random() < 0.2 else f"{name}={val}")
        query = "?" + "&".join(params)
    frag = rng.choice(["", "", "#", "#top", "#a?b=1", "#x/y/"])
    ws_l = rng.choice(["", "", " ", "\t", "\n "])
    ws_r = rng.choice(["", "", " ", "\r\n", "\t"])
    prefix = "" if rng.random() < 0.9 else rng.choice(["", "//", "www.a.org/x"])
    core = f"{scheme}://{user}{host}{port}" if not prefix else prefix
    return ws_l + core + path + query + frag + ws_r


def test_generated_urls_python_and_duckdb_agree(con) -> None:
    rng = random.Random(20261204)
    urls = [_messy(rng) for _ in range(4000)]
    # the generator reaches the rules it is meant to exercise
    assert sum("%" in u for u in urls) > 500 and sum("www." in u.lower() for u in urls) > 500
    assert sum("utm_" in u.lower() for u in urls) > 300 and sum("#" in u for u in urls) > 500
    want = [urlnorm.normalise_url(u) for u in urls]
    assert len(set(want)) < len(urls)  # some URLs collapse to the same key
    got_staged = _staged(con, urls)
    diff_staged = [(u, w, g) for u, w, g in zip(urls, want, got_staged) if w != g]
    assert diff_staged[:5] == []


def test_plain_urls_are_their_own_key(con) -> None:
    plain = [f"https://site{i}.example.org/images/{i}.jpg" for i in range(50)]
    assert [urlnorm.normalise_url(u) for u in plain] == plain
    assert _staged(con, plain) == plain


def test_unicode_host_case_agrees(con) -> None:
    """Python's str.lower turns U+0130 into two code points, DuckDB's lower() into "i"."""
    urls = ["http://İSTANBUL.tr/x", "http://ÉXAMPLE.org/Ä", "http://ẞ.de/", "http://Élan.org/x", "http://İ.tr/x"]
    want = ["http://istanbul.tr/x", "http://éxample.org/Ä", "http://ß.de", "http://élan.org/x", "http://i.tr/x"]
    assert [urlnorm.normalise_url(u) for u in urls] == want
    assert _staged(con, urls) == want
