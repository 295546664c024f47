"""The index site in a real headless Chromium (Debian's, driven by Playwright): no console error,
no request leaving the site, sorting (click and keyboard), filters, a row opening its page, the
compare view from ticked rows, hostile text inert, the table without JavaScript, a phone, print,
and a screenshot written in the test run. Skips with a reason without Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reports.browser import FLAGS, chromium_path
from site_examples import entries
from trueopen.index.site import write_site


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "site"
    write_site(entries(), out, title="test index")
    return out


@pytest.fixture(scope="module")
def chromium():
    exe = chromium_path()
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=exe, headless=True, args=[f for f in FLAGS if f != "--headless"])
    try:
        yield browser
    finally:
        browser.close()
        pw.stop()


class Watched:
    """A page with its console errors, dialogs and every request it made."""

    def __init__(self, chromium, site: Path, viewport=None, javascript: bool = True) -> None:
        self.context = chromium.new_context(viewport=viewport or {"width": 1280, "height": 900}, java_script_enabled=javascript)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.root = site.as_uri() + "/"
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

        def route(r) -> None:  # record every request; let only the site's own files through
            self.requests.append(r.request.url)
            r.continue_() if r.request.url.startswith(self.root) else r.abort()

        self.page.route("**/*", route)

    def open(self, name: str):
        self.page.goto(self.root + name)
        self.page.wait_for_load_state("load")
        return self.page

    def outside(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(self.root)]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(chromium, site):
    made: list[Watched] = []

    def make(**kw) -> Watched:
        w = Watched(chromium, site, **kw)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


def _column(page, n: int) -> list[str]:
    """Visible text of column n (1 = release: its link) in the rows' current order, error rows included."""
    return page.evaluate("""n => Array.from(document.querySelectorAll('#releases tbody tr')).filter(r => !r.hidden)
        .map(r => r.cells[n] ? (n === 1 ? r.cells[n].querySelector('a') : r.cells[n]).innerText.trim() : '')""", n)


def _keep(shot: Path) -> None:
    keep = os.environ.get("TRUEOPEN_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)


def test_index_loads_cleanly_and_stays_inside_the_site(watched, tmp_path) -> None:
    w = watched()
    page = w.open("index.html")
    assert page.locator("#releases tbody tr").count() == 5
    assert page.locator("#releases thead th button").count() == 13
    assert page.locator("#status").inner_text() == "5 of 5 releases shown"
    shot = tmp_path / "index-laptop.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    _keep(shot)
    assert w.errors == [] and w.dialogs == [] and w.outside() == []
    assert w.requests == [w.root + "index.html"]


def test_sorting_by_mof_class_reorders_the_rows_by_click_and_keyboard(watched) -> None:
    page = watched().open("index.html")
    names_before = _column(page, 1)
    mof = page.locator("#releases thead th", has_text="MOF class")
    mof.locator("button").click()
    assert _column(page, 5)[:4] == ["Class I", "Unclassified", "Unclassified", "Unclassified"]
    assert _column(page, 1)[-1] == "acme/gone"  # the error row sorts last
    assert _column(page, 1) != names_before
    assert mof.get_attribute("aria-sort") == "ascending"
    assert page.locator("#releases thead th[aria-sort=ascending]").count() == 1
    mof.locator("button").focus()
    page.keyboard.press("Enter")
    assert mof.get_attribute("aria-sort") == "descending"
    assert _column(page, 1)[0] == "acme/gone" and _column(page, 5)[-1] == "Class I"
    # Components, a numeric key: most present first.
    page.locator("#releases thead th", has_text="Components").locator("button").press("Space")
    assert _column(page, 12)[:3] == ["17/17", "5/17", "4/17"]
    assert "sorted by Components" in page.locator("#releases caption").inner_text()


def test_filters_show_only_matching_rows(watched) -> None:
    page = watched().open("index.html")
    page.select_option("#f-label", "open-weights")
    labels = _column(page, 4)
    assert labels == ["open-weights", "open-weights"]
    assert page.locator("#status").inner_text() == "2 of 5 releases shown"
    page.select_option("#f-label", "")
    page.select_option("#f-licence", "llama-3.1")
    assert _column(page, 1) == ["acme/openwashed"]
    page.select_option("#f-licence", "")
    page.fill("#f-text", "GONE")
    assert _column(page, 1) == ["acme/gone"]
    page.fill("#f-text", "")
    page.select_option("#f-safety", "clean")
    assert len(_column(page, 1)) == 4  # every audited release; not the error
    page.fill("#f-text", "no such release")
    assert _column(page, 1) == [] and page.locator("#status").inner_text() == "0 of 5 releases shown"


def test_a_row_opens_its_page_and_the_page_links_back(watched) -> None:
    w = watched()
    page = w.open("index.html")
    page.get_by_role("link", name="acme/openwashed").click()
    page.wait_for_load_state("load")
    assert page.url == w.root + "releases/huggingface.co-acme-openwashed.html"
    assert page.locator("h1").inner_text().startswith("trueopen audit:")
    assert page.locator("ul.grid > li").count() == 17
    assert page.locator("#history").count() == 1 and "self-reported Class I" in page.locator("body").inner_text()
    page.get_by_role("link", name="Back to the index").click()
    page.wait_for_load_state("load")
    assert page.url == w.root + "index.html"
    assert w.errors == [] and w.outside() == []


def test_compare_shows_the_chosen_releases_with_differences_marked(watched) -> None:
    w = watched()
    page = w.open("index.html")
    link = page.locator("#compare")
    assert link.get_attribute("aria-disabled") == "true" and link.get_attribute("href") is None
    page.get_by_label("compare acme/openwashed").check()
    page.get_by_label("compare trueopen-examples/fully-open").check()
    assert link.get_attribute("href") == "compare.html#ids=huggingface.co-acme-openwashed,huggingface.co-trueopen-examples-fully-open"
    link.click()
    page.wait_for_load_state("load")
    table = page.locator("#compare-table")
    heads = table.locator("thead th").all_inner_texts()
    assert heads == ["Release", "https://huggingface.co/acme/openwashed", "https://huggingface.co/trueopen-examples/fully-open"]
    assert table.locator("tbody tr").count() > 17 + 10
    label = table.locator("tr", has=page.locator("th", has_text="Label")).first
    assert "differs" in label.inner_text() and "diff" in label.get_attribute("class")
    data_row = table.locator("tr", has=page.locator("th", has_text="Datasets")).first
    assert data_row.locator("td").all_inner_texts() == ["missing", "present, open (CC0-1.0)"] and "differs" in data_row.inner_text()
    weights_row = table.locator("tr", has=page.locator("th", has_text="Model parameters (Final)")).first
    assert weights_row.locator("td").all_inner_texts() == ["present, not open (llama-3.1)", "present, open (Apache-2.0)"]
    commercial = table.locator("tr", has=page.locator("th", has_text="Commercial use"))
    assert "conditional" in commercial.last.inner_text()
    same = table.locator("tr:not(.diff) th[scope=row]").all_inner_texts()
    assert "Safety" in same and "differs" not in " ".join(same)
    assert "rows differ" in table.locator("caption").inner_text()
    mot = table.locator("tr", has=page.locator("th", has_text="Model Openness Tool (self-reported)")).first
    assert mot.locator("td").all_inner_texts() == ["Class I", "-"] and "differs" in mot.inner_text()
    page.get_by_label("Show only the rows that differ").check()
    shown = table.locator("tbody tr:visible th[scope=row]").all_inner_texts()
    assert "Safety" not in shown and any(t.startswith("Label") for t in shown)
    page.get_by_label("Show only the rows that differ").uncheck()
    assert "Safety" in table.locator("tbody tr:visible th[scope=row]").all_inner_texts()
    # The choice is in the address: a new page with the same URL shows the same view.
    other = watched().open(page.url.split(w.root, 1)[1])
    assert other.locator("#compare-table thead th").all_inner_texts() == heads
    # A release opens from the compare view.
    page.get_by_role("link", name="https://huggingface.co/acme/openwashed").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("releases/huggingface.co-acme-openwashed.html")
    assert w.errors == [] and w.outside() == []


def test_compare_without_a_valid_choice_says_what_to_do(watched) -> None:
    w = watched()
    page = w.open("compare.html#ids=nope,huggingface.co-acme-gone")
    assert page.locator("#empty").is_visible() and page.locator("#compare-table").count() == 0
    page.evaluate("location.hash = '#ids=huggingface.co-acme-gone,huggingface.co-acme-openwashed'")
    page.wait_for_selector("#compare-table")
    assert "error: hf://acme/gone" in page.locator("#compare-table").inner_text()
    assert w.errors == []


def test_hostile_identity_stays_text(watched, tmp_path) -> None:
    w = watched()
    page = w.open("index.html")
    assert page.title() == "test index"
    assert page.locator("#releases").inner_text().count('<script>document.title="pwned"</script>') == 1
    page.locator("#releases tbody input[type=checkbox]").nth(0).check()
    page.locator("#releases tbody input[type=checkbox]").nth(4).check()
    page.locator("#compare").click()
    page.wait_for_selector("#compare-table")
    page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
    _keep(tmp_path / "compare.png")
    assert page.title() != "pwned" and page.title().startswith("Compare: ")
    page.locator("#compare-table thead a").nth(0).click()
    page.wait_for_load_state("load")
    assert "pwned" not in page.title()
    assert w.dialogs == [] and w.errors == [] and w.outside() == []


def test_the_table_reads_with_javascript_off(watched) -> None:
    w = watched(javascript=False)
    page = w.open("index.html")
    assert page.locator("#releases tbody tr").count() == 5
    assert page.locator("#releases tbody tr td.id a").count() == 5
    assert not page.locator("#controls").is_visible() and not page.locator("td.pick").first.is_visible()
    assert "Class I" in page.locator("#releases").inner_text()
    assert w.outside() == []


def test_phone_scrolls_the_table_not_the_page(watched, tmp_path) -> None:
    w = watched(viewport={"width": 390, "height": 844})
    page = w.open("index.html")
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner
    wide, box = page.evaluate("(() => { const d = document.querySelector('.table-wrap'); return [d.scrollWidth, d.clientWidth]; })()")
    assert wide > box  # the table scrolls inside its container
    shot = tmp_path / "index-phone.png"
    page.screenshot(path=str(shot))
    _keep(shot)
    for other in ("compare.html#ids=huggingface.co-acme-openwashed,huggingface.co-trueopen-examples-fully-open",
                  "releases/huggingface.co-acme-openwashed.html", "releases/huggingface.co-acme-gone.html"):
        page = w.open(other)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, other
    assert w.errors == [] and w.outside() == []


def test_contrast_of_labels_and_text(watched) -> None:
    page = watched().open("index.html")
    ratios = page.evaluate("""() => Array.from(document.querySelectorAll('.summary li, #releases .tag, #releases a, #releases td, #status, .compare, th button')).map(el => {
        const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number).map(v => v / 255).map(c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
        const lum = s => { const [r, g, b] = rgb(s); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
        let bg = el, c = 'rgba(0, 0, 0, 0)';
        while (bg && (c = getComputedStyle(bg).backgroundColor) === 'rgba(0, 0, 0, 0)') { bg = bg.parentElement; }
        if (!bg) { c = 'rgb(255, 255, 255)'; }
        const a = lum(getComputedStyle(el).color), b = lum(c);
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); })""")
    assert len(ratios) > 10 and min(ratios) >= 4.5, ratios


def test_index_prints(watched) -> None:
    w = watched(viewport={"width": 1000, "height": 800})
    page = w.open("index.html")
    page.emulate_media(media="print")
    assert not page.locator("#controls").is_visible()
    pdf = page.pdf(format="A4", landscape=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000 and w.errors == []


def test_a_long_index_lays_out_a_window_and_sorts_and_filters_all_rows(chromium, tmp_path) -> None:
    from trueopen.index.site import PAGE

    base = entries()
    many = [base[k % 3].model_copy(update={"id": f"https://huggingface.co/org/m{k:04d}"}) for k in range(PAGE * 2 + 50)]
    write_site(many, tmp_path / "long")
    w = Watched(chromium, tmp_path / "long")
    try:
        page = w.open("index.html")
        rows = page.locator("#releases tbody tr:not([hidden])")
        assert rows.count() == PAGE
        assert page.locator("#status").inner_text() == f"{PAGE} of {len(many)} matching releases shown ({len(many)} in all)"
        page.locator("#more").click()
        assert rows.count() == PAGE * 2
        # A sort orders every row, not only the shown ones: the last release by name comes first.
        page.locator("#releases thead th", has_text="Release").locator("button").click()
        assert _column(page, 1)[0] == "org/m0449" and len(_column(page, 1)) == PAGE * 2
        # The work of a sort is bounded by the window, not the index: count the rows it moves.
        page.evaluate("""() => { window.moved = 0; new MutationObserver(ms => ms.forEach(m => { window.moved += m.addedNodes.length; }))
            .observe(document.querySelector('#releases tbody'), { childList: true }); }""")
        page.locator("#releases thead th", has_text="MOF class").locator("button").click()
        assert _column(page, 5)[:5] == ["Class I"] * 5
        assert page.evaluate("window.moved") == PAGE * 2
        # A filter searches every row, shown or not.
        page.fill("#f-text", "org/m0447")
        assert _column(page, 1) == ["org/m0447"] and page.locator("#more").is_hidden()
        page.fill("#f-text", "")
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        assert rows.count() == len(many)  # printing shows every matching row
        page.evaluate("window.dispatchEvent(new Event('afterprint'))")
        assert rows.count() == PAGE
        page.locator("#all").click()
        assert rows.count() == len(many) and page.locator("#all").is_hidden()
        assert w.errors == [] and w.outside() == []
    finally:
        w.close()


def test_without_javascript_every_row_of_a_long_index_shows(chromium, tmp_path) -> None:
    from trueopen.index.site import PAGE

    base = entries()
    many = [base[0].model_copy(update={"id": f"https://huggingface.co/org/m{k:04d}"}) for k in range(PAGE + 20)]
    write_site(many, tmp_path / "long")
    w = Watched(chromium, tmp_path / "long", javascript=False)
    try:
        page = w.open("index.html")
        assert page.locator("#releases tbody tr").evaluate_all("rs => rs.filter(r => r.offsetParent !== null).length") == PAGE + 20
    finally:
        w.close()


def test_an_empty_index_loads_cleanly(chromium, tmp_path) -> None:
    write_site([], tmp_path / "empty")
    w = Watched(chromium, tmp_path / "empty")
    try:
        page = w.open("index.html")
        assert page.locator("#status").inner_text() == "0 of 0 releases shown"
        page.locator("#releases thead th", has_text="Label").locator("button").click()
        w.open("compare.html#ids=a,b")
        assert w.page.locator("#empty").is_visible()
        assert w.errors == [] and w.outside() == []
    finally:
        w.close()
