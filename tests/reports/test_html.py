"""The HTML report: one self-contained, escaped, accessible page; in a real headless Chromium it
loads with no console errors and no network request, shows the key elements on a laptop and a
phone, and prints."""

from __future__ import annotations

import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from builders import EXAMPLES, safetensors_bytes
from reports.browser import FLAGS, chromium_path
from trueopen.audit import audit
from trueopen.formats import html

REPO = Path(__file__).resolve().parents[2]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict]]:
    p = _Tags()
    p.feed(page)
    return p.tags


@pytest.fixture(scope="module")
def openwashed_page() -> str:
    return html.render(audit(EXAMPLES / "openwashed"))


def test_self_contained_no_fetch_possible(openwashed_page) -> None:
    tags = _tags(openwashed_page)
    names = {t for t, _ in tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed"}
    assert not any(("src" in a) or (a.get("href", "").startswith(("http", "//"))) for _, a in tags)
    csp = next(a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp
    assert "@import" not in openwashed_page and "url(" not in openwashed_page


def test_structure_is_accessible(openwashed_page) -> None:
    tags = _tags(openwashed_page)
    assert tags[0] == ("html", {"lang": "en"})
    assert [t for t, _ in tags].count("h1") == 1
    assert all(a.get("scope") in ("col", "row") for t, a in tags if t == "th")
    assert [t for t, _ in tags].count("caption") >= 2
    grid = re.search(r'<ul class="grid"[^>]*>(.*?)</ul>', openwashed_page, re.S).group(1)
    assert grid.count("<li") == 17
    # Colour is never the only signal: every tile says its state in words.
    assert grid.count("present, not open") == 5 and grid.count(">missing<") == 12


def test_text_from_the_release_is_escaped(release) -> None:
    root = release({"README.md": "---\nlicense: mit\n---\n# <script>alert(1)</script> & <b>model</b>\n\nThis is fully open source.\n",
                    "model.safetensors": safetensors_bytes()})
    page = html.render(audit(root))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in page


def test_same_audit_same_bytes(openwashed_page) -> None:
    assert html.render(audit(EXAMPLES / "openwashed")) == openwashed_page


def _browser():
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    pw = sync_playwright().start()
    args = [f for f in FLAGS if f != "--headless"]
    return pw, pw.chromium.launch(executable_path=exe, headless=True, args=args)


@pytest.fixture(scope="module")
def chromium():
    pw, browser = _browser()
    try:
        yield browser
    finally:
        browser.close()
        pw.stop()


def _load(chromium, path: Path, viewport: dict) -> tuple:
    page = chromium.new_page(viewport=viewport)
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, requests


@pytest.mark.parametrize("name", ["openwashed", "fully-open"])
def test_chromium_loads_it_cleanly_on_a_laptop(chromium, tmp_path, name) -> None:
    path = tmp_path / f"{name}.html"
    path.write_text(html.render(audit(EXAMPLES / name)), encoding="utf-8")
    page, errors, requests = _load(chromium, path, {"width": 1280, "height": 900})
    assert errors == []
    assert requests == [path.as_uri()]  # the page itself, nothing else
    assert page.locator("h1").inner_text().startswith("trueopen audit:")
    assert page.locator("ul.grid > li").count() == 17
    assert page.locator("ul.badges > li").count() == 6  # five verdicts and the readiness to be rebuilt
    assert page.get_by_role("heading", name="Findings").count() == 1 or page.locator("#findings").count() == 1
    assert page.locator("#safety").count() == 1
    label = page.locator("ul.badges > li").first.inner_text()
    assert ("restricted-weights" if name == "openwashed" else "open-source") in label
    # Contrast of the verdict badges (WCAG AA, 4.5:1), measured on the rendered colours.
    ratios = page.evaluate("""() => Array.from(document.querySelectorAll('ul.badges > li, ul.grid > li')).map(el => {
        const rgb = s => s.match(/\\d+/g).slice(0, 3).map(Number).map(v => v / 255).map(c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
        const lum = s => { const [r, g, b] = rgb(s); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
        const cs = getComputedStyle(el); const a = lum(cs.color), b = lum(cs.backgroundColor);
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); })""")
    assert min(ratios) >= 4.5, ratios
    shot = tmp_path / f"{name}-laptop.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    _keep(shot)
    page.close()


def test_chromium_phone_layout_has_no_sideways_scroll(chromium, tmp_path, openwashed_page) -> None:
    path = tmp_path / "openwashed.html"
    path.write_text(openwashed_page, encoding="utf-8")
    page, errors, requests = _load(chromium, path, {"width": 390, "height": 844})
    assert errors == [] and requests == [path.as_uri()]
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner
    shot = tmp_path / "openwashed-phone.png"
    page.screenshot(path=str(shot))
    _keep(shot)
    page.close()


def test_chromium_prints_it(chromium, tmp_path, openwashed_page) -> None:
    path = tmp_path / "openwashed.html"
    path.write_text(openwashed_page, encoding="utf-8")
    page, errors, _ = _load(chromium, path, {"width": 1000, "height": 800})
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000 and errors == []
    page.close()


def _keep(shot: Path) -> None:
    """Screenshots are written in the test run's temporary folder; TRUEOPEN_SCREENSHOTS=DIR keeps a copy."""
    keep = os.environ.get("TRUEOPEN_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
