"""Publishing: an unchanged rebuild leaves the site as it is; any change rewrites it."""

from __future__ import annotations

import shutil

from builders import EXAMPLES
from trueopen.index.build import BuildOptions, ListLine, build
from trueopen.index.publish import publish
from trueopen.index.site_files import MARKER


def test_an_unchanged_rebuild_writes_nothing_and_a_change_rewrites(tmp_path) -> None:
    rel = tmp_path / "rel"
    shutil.copytree(EXAMPLES / "open-weights", rel)
    store, site = tmp_path / "s.sqlite", tmp_path / "site"
    lines = [ListLine(1, str(rel))]
    assert publish(build(lines, BuildOptions(store=store, jobs=1)), site) is True
    assert (site / MARKER).is_file()
    stamp = (site / "index.html").stat().st_mtime_ns
    assert publish(build(lines, BuildOptions(store=store, jobs=1)), site) is False
    assert (site / "index.html").stat().st_mtime_ns == stamp
    (rel / "README.md").write_text((rel / "README.md").read_text() + "\nNow with more words.\n")
    entries = build(lines, BuildOptions(store=store, jobs=1))
    assert len(entries[0].history) == 2
    assert publish(entries, site) is True
    assert publish(entries, site, title="another title") is True  # the title is part of the site
    (site / "records.csv").unlink()
    assert publish(entries, site, title="another title") is True  # a missing file is written again


def test_reused_audits_left_in_the_store_are_read_when_pages_are_written(tmp_path) -> None:
    import json

    rel = tmp_path / "rel"
    shutil.copytree(EXAMPLES / "open-weights", rel)
    store = tmp_path / "s.sqlite"
    lines = [ListLine(1, str(rel))]
    build(lines, BuildOptions(store=store, jobs=1))
    lazy = build(lines, BuildOptions(store=store, jobs=1), read_audits=False)
    assert lazy[0].reused and lazy[0].audit is None
    assert publish(lazy, tmp_path / "new-site", store=store) is True
    record = json.loads((tmp_path / "new-site" / "records.jsonl").read_text().splitlines()[0])
    assert record["audit"]["verdicts"]["label"] == "open-weights"


def test_a_deleted_page_is_written_again(tmp_path) -> None:
    rel = tmp_path / "rel"
    shutil.copytree(EXAMPLES / "open-weights", rel)
    store, site = tmp_path / "s.sqlite", tmp_path / "site"
    lines = [ListLine(1, str(rel))]
    publish(build(lines, BuildOptions(store=store, jobs=1)), site)
    page = next((site / "releases").iterdir())
    page.unlink()
    assert publish(build(lines, BuildOptions(store=store, jobs=1)), site) is True and page.is_file()


def test_a_site_on_its_own_file_system(tmp_path) -> None:
    """The pages are rendered inside the site folder: a mount point or a link to another disk works.
    (A link stands in for a mount here: renames then stay inside the link's target.)"""
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "site-link"
    link.symlink_to(target)
    rel = tmp_path / "rel"
    shutil.copytree(EXAMPLES / "open-weights", rel)
    assert publish(build([ListLine(1, str(rel))], BuildOptions(store=tmp_path / "s.sqlite", jobs=1)), link) is True
    assert (target / "index.html").is_file() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
