"""The index site's files without a browser: a row per release with the audit's verdicts, counts
per label, an error row, escaped hostile text, slugs, records.jsonl/csv valid against the
committed schema, the same bytes for the same entries, no half-written site after a failure."""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from site_examples import HOSTILE, entries
from trueopen.index import site as site_mod
from trueopen.index.entry import IndexEntry
from trueopen.index.records import IndexRecord, json_schema, publisher
from trueopen.index.site import slugs, write_site

REPO = Path(__file__).resolve().parents[2]


class _Doc(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag) -> None:
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data) -> None:
        if self._in_script:
            self.scripts.append(data)


def _doc(text: str) -> _Doc:
    d = _Doc()
    d.feed(text)
    return d


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    write_site(entries(), out)
    return out


def _rows(index_html: str) -> list[str]:
    body = index_html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr\b.*?</tr>", body, re.S)


def test_a_row_per_release_with_its_verdicts(built) -> None:
    page = (built / "index.html").read_text()
    rows = _rows(page)
    assert len(rows) == 5
    washed = next(r for r in rows if "acme/openwashed" in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", washed, re.S)
    text = [re.sub(r"<[^>]+>", "", c) for c in cells]
    # pick, release, publisher, revision (date), label, MOF, OSAID, EU, licence, commercial, safety, openwashing, components, ready
    assert text[1:] == ["acme/openwashed self-report differs", "acme", "0123456789ab 2026-11-30", "restricted-weights", "Unclassified", "no", "no",
                        "llama-3.1", "conditional", "clean", "strong", "5/17", "not-replayable"]
    fully = next(r for r in rows if "fully-open" in r)
    assert ">Class I<" in fully and ">open-source<" in fully and ">17/17<" in fully and ">replayable<" in fully
    assert 'href="releases/huggingface.co-acme-openwashed.html"' in washed


def test_the_error_row_says_why(built) -> None:
    rows = _rows((built / "index.html").read_text())
    gone = next(r for r in rows if "acme/gone" in r)
    assert 'data-label="error"' in gone and "hf://acme/gone: repository not found (404)" in gone
    page = (built / "releases" / "huggingface.co-acme-gone.html").read_text()
    assert "repository not found (404)" in page and 'href="../index.html"' in page


def test_summary_counts_per_label(built) -> None:
    page = (built / "index.html").read_text()
    summary = page.split('aria-label="Releases per label">', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r"<b>(\d+)</b>([a-z-]+)", summary) == [("1", "open-source"), ("2", "open-weights"),
                                                            ("1", "restricted-weights"), ("1", "error")]


def test_table_semantics_and_controls(built) -> None:
    d = _doc((built / "index.html").read_text())
    ths = [a for t, a in d.tags if t == "th"]
    assert len(ths) == 14 and all(a.get("scope") == "col" for a in ths)
    assert [a.get("aria-sort") for a in ths if "aria-sort" in a] == ["ascending"]
    assert [t for t, _ in d.tags].count("caption") == 1
    selects = {a["id"] for t, a in d.tags if t == "select"}
    assert selects == {"f-label", "f-licence", "f-safety"}
    options = re.findall(r'<select id="f-label">(.*?)</select>', (built / "index.html").read_text())[0]
    assert re.findall(r"<option>([^<]+)</option>", options) == ["open-source", "open-weights", "restricted-weights", "error"]


def test_self_contained_and_scripts_allowed_by_hash(built) -> None:
    import base64
    import hashlib

    for name in ("index.html", "compare.html", "releases/huggingface.co-acme-openwashed.html",
                 "releases/huggingface.co-acme-gone.html"):
        text = (built / name).read_text()
        d = _doc(text)
        assert not any(t in ("link", "img", "iframe", "object", "embed") for t, _ in d.tags), name
        assert not any("src" in a for t, a in d.tags), name
        hrefs = [a["href"] for t, a in d.tags if t == "a" and "href" in a]
        # Only local files, except the release's own identity URL (a link, never loaded).
        assert all(not h.startswith(("http", "//")) or a.get("rel") == "nofollow noreferrer"
                   for (t, a), h in zip([x for x in d.tags if x[0] == "a" and "href" in x[1]], hrefs)), name
        csp = next(a["content"] for t, a in d.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
        script_src = csp.split("script-src", 1)[1] if "script-src" in csp else ""
        assert "default-src 'none'" in csp and "unsafe" not in script_src
        for tag, body in zip([a for t, a in d.tags if t == "script"], d.scripts, strict=False):
            if tag.get("type") == "application/json":
                continue
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in csp, name


def test_hostile_strings_are_escaped(built) -> None:
    page = (built / "index.html").read_text()
    assert "<script>document.title" not in page and "<img" not in page
    assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;" in page
    slug = slugs([HOSTILE])[0]
    assert re.fullmatch(r"[a-z0-9._-]+", slug)
    release = (built / "releases" / f"{slug}.html").read_text()
    assert "<script>" not in release and "<img" not in release
    compare = (built / "compare.html").read_text()
    data = compare.split('<script type="application/json" id="data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and json.loads(data)["releases"][slug]["id"] == HOSTILE
    # The only script elements are the page's own.
    assert compare.count("<script") == 2 and page.count("<script") == 2


def test_release_page_wraps_the_report_with_history_and_external(built) -> None:
    page = (built / "releases" / "huggingface.co-acme-openwashed.html").read_text()
    assert "trueopen audit:" in page and 'id="components"' in page and 'id="findings"' in page
    assert page.count('href="../index.html"') >= 2
    hist = page.split('id="history"', 1)[1].split("</section>", 1)[0]
    assert hist.count("<tr>") == 3  # header and two audits
    assert "verdicts.label</code>: open-source &rarr; restricted-weights" in hist and "first stored audit" in hist
    assert "datasets</code>: present &rarr; -" in hist
    ext = page.split('id="external"', 1)[1].split("</section>", 1)[0]
    assert "self-reported Class I; the files show no training data" in ext
    assert "Model Openness Tool (self-reported): Class I" in ext and "graded by hand): 12 / 28" in ext
    assert "<th scope=\"row\">Datasets</th><td>CC-BY-4.0</td><td>open</td>" in ext and "<th scope=\"row\">Base model data</th><td>closed</td>" in ext
    assert 'href="https://osai-index.eu/model/openwashed" rel="nofollow noreferrer"' in ext and "producer: Acme" in ext
    plain = (built / "releases" / "huggingface.co-trueopen-examples-fully-open.html").read_text()
    assert "No earlier audit is stored" in plain and "has a record matched" in plain


def test_external_block_tolerates_odd_shapes(tmp_path) -> None:
    base = entries()[0]
    odd = [base.model_copy(update={"id": f"https://x.org/a/{i}", "external": ext})
           for i, ext in enumerate([{"mot": "Class II"}, {"disagreements": "not a list", "eu_index": 7}, {"mot": {"class": None}}, {},
                                           {"mot": {"url": "javascript:alert(1)", "components": ["x", {"open": "?"}]}, "candidates": None}])]
    write_site(odd, tmp_path / "s")
    assert "Model Openness Tool (self-reported)" in (tmp_path / "s" / "releases" / "x.org-a-0.html").read_text()
    assert "value: 7" in (tmp_path / "s" / "releases" / "x.org-a-1.html").read_text()
    odd_page = (tmp_path / "s" / "releases" / "x.org-a-4.html").read_text()
    assert "url: javascript:alert(1)</li>" in odd_page and "href=\"javascript" not in odd_page


def test_compare_data_is_compact_and_complete(built) -> None:
    compare = (built / "compare.html").read_text()
    data = json.loads(compare.split('id="data">', 1)[1].split("</script>", 1)[0])
    assert len(data["components"]) == 17
    washed = data["releases"]["huggingface.co-acme-openwashed"]
    assert washed["v"][:2] == ["restricted-weights", "Unclassified"] and washed["c"].count("P") == 5 and washed["c"].count("-") == 12
    assert washed["t"][0] == "llama-3.1" and ["Commercial use", "conditional"] in data["terms"]["llama-3.1"]
    assert data["releases"]["huggingface.co-acme-gone"]["e"].endswith("(404)")


def test_records_match_the_committed_schema(built) -> None:
    committed = json.loads((REPO / "schema" / "index-record.schema.json").read_text())
    assert committed == json_schema(), "regenerate schema/index-record.schema.json from trueopen.index.records.json_schema()"
    from referencing import Registry, Resource

    from trueopen.record import json_schema as audit_schema

    lines = (built / "records.jsonl").read_text().splitlines()
    assert len(lines) == 5
    audit = audit_schema()
    registry = Registry().with_resource(audit["$id"], Resource.from_contents(audit))
    validator = jsonschema.Draft202012Validator(committed, registry=registry)
    for line in lines:
        validator.validate(json.loads(line))
    washed = next(json.loads(x) for x in lines if "acme/openwashed" in x)
    assert washed["audit"]["verdicts"]["mof"]["class"] == "Unclassified" and washed["error"] is None
    assert list(washed) == ["id", "target", "revision", "audited_at", "trueopen_version", "audit", "external", "error"]
    assert list(washed) == list(IndexRecord.model_fields)
    with open(built / "records.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 5 and list(rows[0]) == list(committed["$defs"]["IndexRow"]["properties"])
    row_schema = {**committed["$defs"]["IndexRow"], "$defs": committed["$defs"]}
    for r in rows:
        r = {**r, "components": int(r["components"]) if r["components"] else None, "disagreements": int(r["disagreements"])}
        jsonschema.validate(r, row_schema)
    assert next(r for r in rows if r["id"].endswith("/gone"))["error"].endswith("(404)")
    washed_row = next(r for r in rows if r["id"].endswith("/openwashed"))
    assert washed_row["mot_class"] == "Class I" and washed_row["disagreements"] == "1"
    assert all(r["disagreements"] == "0" for r in rows if r is not washed_row)


def test_same_entries_same_bytes_in_any_order(tmp_path, built) -> None:
    write_site(list(reversed(entries())), tmp_path / "again")
    files = sorted(p.relative_to(built) for p in built.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*") if p.is_file())
    for f in files:
        assert (built / f).read_bytes() == (tmp_path / "again" / f).read_bytes(), f


def test_slugs_are_safe_and_collisions_resolved_deterministically() -> None:
    ids = ["https://huggingface.co/A/b", "https://huggingface.co/a/B", "https://huggingface.co/a/c", "x" * 300, "../../etc/passwd"]
    out = slugs(ids)
    assert len(set(out)) == len(out) and all(re.fullmatch(r"[a-z0-9][a-z0-9._-]*", s) and len(s) <= 91 for s in out)
    assert out[2] == "huggingface.co-a-c" and out[4] == "etc-passwd"
    assert slugs(list(reversed(ids))) == list(reversed(out))
    assert len(set(slugs(["https://h/a", "https://h/a"]))) == 2


def test_publisher_is_the_owner_of_the_identity() -> None:
    assert publisher("https://huggingface.co/meta-llama/Llama-3.1-8B") == "meta-llama"
    assert publisher("git@github.com:allenai/OLMo.git") == "allenai"
    assert publisher("https://github.com/allenai/OLMo.git") == "allenai"
    assert publisher("my-model") == "-"


def test_a_failure_leaves_the_previous_site_untouched(tmp_path, monkeypatch) -> None:
    out = tmp_path / "site"
    write_site(entries()[:2], out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(site_mod, "_csv", boom)
    with pytest.raises(RuntimeError):
        write_site(entries(), out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no temporary folder left


def test_an_unreadable_audit_record_becomes_an_error_page(tmp_path) -> None:
    bad = IndexEntry(id="https://h/o/bad", target="t", audited_at="2026-12-04T00:00:00Z", trueopen_version="9",
                     audit={"verdicts": {"label": "open-source", "mof": {"class": "Class I"}, "osaid": {"conformant": True},
                                         "eu_ai_act": {"exempt": True}, "openwashing": {"flagged": False}}})
    write_site([bad], tmp_path / "s")
    page = (tmp_path / "s" / "releases" / "h-o-bad.html").read_text()
    assert "the audit record does not read" in page


def test_many_releases_render_in_parallel_the_same_bytes(tmp_path, monkeypatch) -> None:
    many = [entries()[k % 5].model_copy(update={"id": f"https://huggingface.co/org/m{k:03d}"}) for k in range(24)]
    write_site(many, tmp_path / "serial")
    monkeypatch.setattr(site_mod, "PARALLEL_FROM", 10)
    monkeypatch.setattr(site_mod.os, "cpu_count", lambda: 2)
    write_site(many, tmp_path / "forked")
    files = sorted(p.relative_to(tmp_path / "serial") for p in (tmp_path / "serial").rglob("*") if p.is_file())
    assert len(files) == 24 + 4 + 1  # the pages, the four files, the site's marker
    for f in files:
        assert (tmp_path / "serial" / f).read_bytes() == (tmp_path / "forked" / f).read_bytes(), f


def test_an_output_that_is_a_file_or_unwritable_is_a_one_line_error(tmp_path) -> None:
    from trueopen.errors import InputError

    f = tmp_path / "file"
    f.write_text("mine")
    with pytest.raises(InputError, match="exists and is not a folder"):
        write_site(entries()[:1], f)
    assert f.read_text() == "mine"
    with pytest.raises(InputError, match="cannot write the site there"):
        write_site(entries()[:1], f / "sub" / "site")
    site = tmp_path / "site"
    write_site(entries()[:1], site)
    (site / "mine.txt").write_text("kept")
    (site / "releases" / "mine.html").write_text("a page trueopen did not write")
    write_site(entries()[1:2], site)
    assert (site / "mine.txt").read_text() == "kept"
    # the previous site's page of a release no longer listed is gone; a page trueopen did not write stays
    assert sorted(p.name for p in (site / "releases").iterdir()) == ["huggingface.co-trueopen-examples-open-weights.html",
                                                                     "mine.html"]
    # a folder holding files and no trueopen site is refused, untouched
    theirs = tmp_path / "theirs"
    (theirs / "releases").mkdir(parents=True)
    (theirs / "releases" / "v1.0-notes.md").write_text("precious")
    (theirs / "index.html").write_text("<h1>my homepage</h1>")
    with pytest.raises(InputError, match="holds files and no trueopen site"):
        write_site(entries()[:1], theirs)
    assert (theirs / "index.html").read_text() == "<h1>my homepage</h1>"
    assert [p.name for p in (theirs / "releases").iterdir()] == ["v1.0-notes.md"]


def test_an_empty_index_is_a_valid_site(tmp_path) -> None:
    write_site([], tmp_path / "empty")
    page = (tmp_path / "empty" / "index.html").read_text()
    assert "0 releases" in page and _rows(page) == []
    assert (tmp_path / "empty" / "records.jsonl").read_text() == ""
    assert (tmp_path / "empty" / "records.csv").read_text().startswith("id,target,publisher,")
    assert list((tmp_path / "empty" / "releases").iterdir()) == []
