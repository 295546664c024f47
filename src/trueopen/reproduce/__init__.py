"""Rebuilding a release from its recipe (issue 12): readiness in every audit, the recipe manifest
(`trueopen recipe capture`) and the contained replay (`trueopen reproduce`). The Python API
mirrors the CLI:

    from trueopen.reproduce import ReplayOptions, capture, reproduce
    audit = reproduce("./my-model", ReplayOptions(yes=True, out=Path("evidence")))
    manifest = capture(["python", "train.py"], folder=Path("./my-model"))

The heavy modules (numpy for the comparison) load on first use, not with every audit.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {"reproduce": "trueopen.reproduce.replay", "ReplayOptions": "trueopen.reproduce.replay",
            "capture": "trueopen.reproduce.manifest", "describe_environment": "trueopen.reproduce.manifest",
            "RecipeManifest": "trueopen.reproduce.manifest", "compare_file": "trueopen.reproduce.compare"}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'trueopen.reproduce' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
