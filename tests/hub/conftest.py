"""The fake Hub for these tests, and huggingface_hub pointed at it before anything imports it.

huggingface_hub reads HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE and
HF_HUB_DISABLE_TELEMETRY once, when it is imported (constants.py, 2.4.0). pytest imports every
conftest while collecting, before any test runs, so binding the server's port and setting the
variables here, at import, comes first in each pytest-xdist worker (each worker is its own process
with its own server and its own HF_HOME). If huggingface_hub was imported anyway (a plugin, a
collected module), its constants are patched to the same values and that is said loudly.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import pytest

from hub.fake_hub import FakeHub

FAKE = FakeHub()
_HOME = tempfile.mkdtemp(prefix="trueopen-hf-home-")
atexit.register(shutil.rmtree, _HOME, True)
for _var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE",
             "HUGGINGFACE_HUB_CACHE", "HF_HUB_DISABLE_XET"):
    os.environ.pop(_var, None)
os.environ.update({
    "HF_ENDPOINT": FAKE.endpoint,
    "HF_HOME": _HOME,
    "HF_HUB_DISABLE_TELEMETRY": "1",  # else the first request goes to {endpoint}/api/agent-harnesses
    "HF_HUB_ETAG_TIMEOUT": "5",
    "HF_HUB_DOWNLOAD_TIMEOUT": "10",
})
if "huggingface_hub" in sys.modules:  # pragma: no cover - depends on plugins
    from huggingface_hub import constants

    warnings.warn("huggingface_hub was imported before tests/hub/conftest.py: patching its constants", stacklevel=1)
    constants.ENDPOINT = FAKE.endpoint
    constants.HUGGINGFACE_CO_URL_TEMPLATE = FAKE.endpoint + "/{repo_id}/resolve/{revision}/{filename}"
    constants.HF_HUB_DISABLE_TELEMETRY = True
    constants.HF_HUB_OFFLINE = False
    constants.HF_HOME = _HOME
    constants.HF_HUB_CACHE = os.path.join(_HOME, "hub")


@pytest.fixture(scope="session")
def _server() -> FakeHub:
    FAKE.start()
    yield FAKE
    FAKE.stop()


@pytest.fixture
def fake_hub(_server: FakeHub, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    """The fake Hub, emptied for this test (repos, log, faults, latency)."""
    from huggingface_hub import constants

    assert constants.ENDPOINT == FAKE.endpoint, "huggingface_hub must talk to the fake Hub"
    _server.reset()
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield _server
    _server.reset()


@pytest.fixture
def hf_cache(tmp_path: Path) -> Path:
    """An empty HF cache folder for one test."""
    p = tmp_path / "hf-cache"
    p.mkdir()
    return p
