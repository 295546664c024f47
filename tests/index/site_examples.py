"""Index entries for the site tests, the screenshot and the benchmark: real audits of the bundled
examples, an error entry, a hostile identity and a synthetic history.

    .venv/bin/python tests/index/site_examples.py --screenshot   # docs/index.png (needs Chromium)
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
AUDITED_AT = "2026-12-04T00:00:00Z"
HOSTILE = 'https://example.org/"><script>document.title="pwned"</script><img src=x onerror=alert(1)>'
# The shape trueopen.index.external.match_external returns.
EXTERNAL = {"mot": {"name": "Openwashed 8B", "producer": "Acme", "class": "Class I", "class_read": "Class I",
                    "url": "https://github.com/lfai/model_openness_tool/blob/main/models/Openwashed-8B.yml",
                    "release_urls": ["https://huggingface.co/acme/openwashed"], "matched_by": "id", "key": "hf:acme/openwashed",
                    "components": [{"id": "datasets", "name": "Datasets", "license": "CC-BY-4.0", "open": True},
                                   {"id": "model-parameters-final", "name": "Model parameters (Final)", "license": "Llama 3.1",
                                    "open": False}], "source": "Model Openness Tool (MIT)"},
            "eu_index": {"name": "Openwashed", "org": "Acme", "url": "https://osai-index.eu/model/openwashed", "matched_by": "id",
                         "key": "hf:acme/openwashed", "score": 12, "max_score": 28, "grades": {"weights": "open"},
                         "dimensions": [{"id": "weights", "name": "Model weights", "grade": "open"},
                                        {"id": "data", "name": "Base model data", "grade": "closed"}],
                         "source": "European Open Source AI Index (CC-BY 4.0)"},
            "disagreements": ["self-reported Class I; the files show no training data"], "candidates": []}
REV = "0123456789abcdef0123456789abcdef01234567"


@cache
def example_audit(name: str) -> dict:
    """The audit JSON of a bundled example (as `Audit.model_dump(mode="json")`)."""
    from trueopen.audit import audit

    return audit(EXAMPLES / name).model_dump(mode="json")


def entries() -> list:
    """Three examples (one with a history and external records), an error and a hostile id."""
    import trueopen
    from trueopen.index.entry import Change, HistoryStep, IndexEntry

    v = trueopen.__version__
    out = [IndexEntry(id=f"https://huggingface.co/trueopen-examples/{name}", target=f"examples/{name}", audited_at=AUDITED_AT,
                      trueopen_version=v, audit=example_audit(name)) for name in ("fully-open", "open-weights")]
    history = [HistoryStep(revision=REV, revision_date="2026-11-30T10:00:00Z", audited_at=AUDITED_AT, trueopen_version=v,
                           label="restricted-weights",
                           changes=[Change(field="verdicts.label", before="open-source", after="restricted-weights"),
                                    Change(field="license", before="Apache-2.0", after="LicenseRef-trueopen-llama-3.1"),
                                    Change(field="component:datasets", before="present", after=None)]),
               HistoryStep(revision="fedcba9876543210fedcba9876543210fedcba98", revision_date="2026-10-01T08:00:00Z",
                           audited_at="2026-10-02T00:00:00Z", trueopen_version=v, label="open-source")]
    out.append(IndexEntry(id="https://huggingface.co/acme/openwashed", target="examples/openwashed", revision=REV,
                          revision_date="2026-11-30T10:00:00Z", audited_at=AUDITED_AT, trueopen_version=v,
                          audit=example_audit("openwashed"), history=history,
                          external=EXTERNAL))
    out.append(IndexEntry(id="https://huggingface.co/acme/gone", target="hf://acme/gone", audited_at=AUDITED_AT,
                          trueopen_version=v, error="hf://acme/gone: repository not found (404)"))
    out.append(IndexEntry(id=HOSTILE, target="<script>alert(2)</script>", audited_at=AUDITED_AT, trueopen_version=v,
                          audit=example_audit("open-weights")))
    return out


def screenshot(path: Path = REPO / "docs" / "index.png") -> None:
    """The README's picture of the index: the examples' site in headless Chromium, 1280 px wide."""
    import tempfile

    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(REPO / "tests"))
    from reports.browser import FLAGS, chromium_path
    from trueopen.index.site import write_site

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        site = Path(tmp) / "site"
        write_site([e for e in entries() if e.id != HOSTILE], site, title="trueopen index: the bundled examples")
        browser = pw.chromium.launch(executable_path=chromium_path(), args=[f for f in FLAGS if f != "--headless"])
        page = browser.new_page(viewport={"width": 1760, "height": 570})
        page.goto((site / "index.html").as_uri())
        page.locator("#releases tbody input[type=checkbox]").nth(0).check()
        page.locator("#releases tbody input[type=checkbox]").nth(2).check()
        page.screenshot(path=str(path))
        browser.close()
    print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    if "--screenshot" in sys.argv:
        screenshot()
