"""Golden files of every report format on the bundled examples.

Regenerate (after a change that should change them) with:

    make goldens        # or: .venv/bin/python tests/reports/goldens.py
    .venv/bin/python tests/reports/goldens.py --screenshot   # docs/html-report.png (needs Chromium)

The audits run from the repository root with relative targets, so the files do not depend on
where the repository is checked out. tests/reports/test_goldens.py checks they are current.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GOLDENS = Path(__file__).resolve().parent / "goldens"
# name -> (target, --with locations)
EXAMPLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "fully-open": ("examples/fully-open", ()),
    "open-weights": ("examples/open-weights", ()),
    "openwashed": ("examples/openwashed", ()),
    "spread": ("examples/_spread/code", ("examples/_spread/weights",)),
}
# file suffix -> renderer(audit) -> text
def _renderers() -> dict[str, Callable]:
    from trueopen.formats import badge, reports

    out: dict[str, Callable] = {ext: (lambda a, n=name: reports.render(a, n))
                                for name, ext in (("cyclonedx", "cdx.json"), ("spdx", "spdx.json"), ("markdown", "md"),
                                                  ("html", "html"), ("sarif", "sarif"))}
    out["badges.svg"] = badge.svg_row
    out["shields.json"] = badge.endpoint_json
    return out


def expected() -> dict[str, str]:
    """{golden file name: text} rendered now."""
    from trueopen.audit import audit

    here = Path.cwd()
    os.chdir(REPO)
    try:
        out = {}
        for name, (target, with_) in EXAMPLES.items():
            record = audit(target, with_=with_)
            for suffix, render in _renderers().items():
                out[f"{name}.{suffix}"] = render(record)
        return out
    finally:
        os.chdir(here)


def screenshot(path: Path = REPO / "docs" / "html-report.png") -> None:
    """The README's picture of the HTML report: the openwashed example's golden page in headless
    Chromium, 1280 px wide, the top 1500 px."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from browser import FLAGS, chromium_path

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=[f for f in FLAGS if f != "--headless"])
        page = browser.new_page(viewport={"width": 1280, "height": 1500})
        page.goto((GOLDENS / "openwashed.html").as_uri())
        page.screenshot(path=str(path))
        browser.close()
    print(f"wrote {path.relative_to(REPO)}")


def main() -> int:
    if "--screenshot" in sys.argv:
        screenshot()
        return 0
    os.environ.pop("SOURCE_DATE_EPOCH", None)
    GOLDENS.mkdir(exist_ok=True)
    texts = expected()
    for old in GOLDENS.iterdir():
        if old.name not in texts:
            old.unlink()
    for name, text in sorted(texts.items()):
        (GOLDENS / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(texts)} golden files to {GOLDENS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
