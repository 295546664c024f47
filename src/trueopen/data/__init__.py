"""Knowledge as files (DESIGN.md §1): rule tables, vocabularies, licence records."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def load_yaml(name: str) -> Any:
    """A bundled data file, parsed once with yaml.safe_load."""
    return yaml.safe_load(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))
