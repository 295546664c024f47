"""Where Chromium is absent, the browser tests skip with a reason (and fail in CI, which sets
TRUEOPEN_REQUIRE_CHROMIUM after installing it)."""

from __future__ import annotations

import pytest

from reports import browser


def test_skips_with_a_reason_without_chromium(monkeypatch) -> None:
    monkeypatch.setattr(browser, "CANDIDATES", ("/nonexistent/chromium",))
    monkeypatch.setattr(browser.shutil, "which", lambda _name: None)
    monkeypatch.delenv("TRUEOPEN_CHROMIUM", raising=False)
    monkeypatch.delenv("TRUEOPEN_REQUIRE_CHROMIUM", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium is not installed"):
        browser.chromium_path()
    monkeypatch.setenv("TRUEOPEN_REQUIRE_CHROMIUM", "1")
    with pytest.raises(pytest.fail.Exception, match="Chromium is not installed"):
        browser.chromium_path()
