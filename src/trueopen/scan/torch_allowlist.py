"""Would ``torch.load(weights_only=True)`` accept a pickle's globals (default allowlist)?

The list is data (``trueopen/data/safety/torch_weights_only.yml``), written from memory of
torch's ``_weights_only_unpickler._get_allowed_globals`` and marked where uncertain; torch is
never imported, so the answer does not depend on the scanning machine. Only globals are
compared (exact ``module.name`` as written in the pickle); the weights-only unpickler's opcode
subset and its other checks are not modelled.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from trueopen.data import load_yaml

__all__ = ["allowed_globals", "uncertain_globals", "weights_only_allowed", "weights_only_ok"]


@lru_cache(maxsize=1)
def _table() -> tuple[frozenset[str], frozenset[str], tuple[re.Pattern[str], ...]]:
    data = load_yaml("safety/torch_weights_only.yml")
    names = frozenset(e["name"] for e in data["allowed"])
    uncertain = frozenset(e["name"] for e in data["allowed"] if e.get("uncertain"))
    patterns = tuple(re.compile(p["regex"]) for p in data.get("patterns", []))
    return names, uncertain, patterns


def allowed_globals() -> frozenset[str]:
    """The exact names on the default allowlist (patterns not expanded)."""
    return _table()[0]


def uncertain_globals() -> frozenset[str]:
    return _table()[1]


def weights_only_allowed(full_name: str) -> bool:
    """Whether ``module.name`` (as written in the pickle) is on the default allowlist."""
    names, _, patterns = _table()
    return full_name in names or any(p.fullmatch(full_name) for p in patterns)


def weights_only_ok(globals_: Iterable[str]) -> bool:
    """True when every global is on the default allowlist (an empty set is accepted)."""
    return all(weights_only_allowed(g) for g in globals_)
