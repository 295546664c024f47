"""Knowledge as files (DESIGN.md §1): rule tables, vocabularies, licence records."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def load_yaml(name: str) -> Any:
    """A bundled data file, parsed once with yaml.safe_load."""
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    # libyaml's safe loader when the wheel has it: the pure-Python one spent 0.38 s of a 0.59 s
    # audit loading these files (measured on the 4 GiB benchmark release, --no-hash).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader either way
