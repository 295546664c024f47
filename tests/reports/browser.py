"""A real headless Chromium (Debian's `chromium`, driven by Playwright through executable_path),
or a skip that says why."""

from __future__ import annotations

import os
import shutil

import pytest

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    """The Chromium binary, or pytest.skip with the reason."""
    candidates = [os.environ.get("TRUEOPEN_CHROMIUM", ""), *CANDIDATES, shutil.which("chromium") or ""]
    found = next((c for c in candidates if c and os.path.exists(c)), None)
    if not found and os.environ.get("TRUEOPEN_REQUIRE_CHROMIUM"):
        pytest.fail("TRUEOPEN_REQUIRE_CHROMIUM is set (CI) but Chromium is not installed")
    if not found:
        pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it); "
                    "the HTML report's browser tests need a real browser")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright (Python) is not installed: pip install -e '.[dev]'")
    return found
