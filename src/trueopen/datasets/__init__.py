"""Dataset audits (`trueopen data audit`, issue 11): blocklists, duplicates and disguised copies,
licences, opt-outs and personal data, and the cleaned release. Always imported as
`trueopen.datasets` (never `datasets`, which is Hugging Face's library)."""

from __future__ import annotations

from typing import Any


def audit(path: Any, **options: Any) -> dict[str, Any]:
    """Audit a dataset; see trueopen.datasets.run.audit for the options (mirrors the CLI)."""
    from trueopen.datasets.run import audit as _audit

    return _audit(path, **options)


__all__ = ["audit"]
