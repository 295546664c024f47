"""Rich consoles for the command line, with rich imported only when something is drawn.

Importing rich.console costs 20 ms; before this, every command paid it before its work began,
a JSON audit included (where nothing is drawn).
"""

from __future__ import annotations

import os
import sys
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def console(**options: Any) -> Console:
    """A rich Console with these options (as rich.console.Console takes them)."""
    from rich.console import Console

    return Console(**options)


def may_be_terminal(stream: IO[str]) -> bool:
    """False when rich would surely not treat `stream` as a terminal (no TTY_COMPATIBLE=1, no
    FORCE_COLOR, not a tty): the question is then answered without importing rich."""
    if os.environ.get("TTY_COMPATIBLE") == "1" or os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def stderr_terminal() -> Console | None:
    """A rich Console on stderr when rich takes stderr for a terminal (progress bars, status
    lines), else None; a pipe or a file is told apart without importing rich."""
    if not may_be_terminal(sys.stderr):
        return None
    err = console(stderr=True)
    return err if err.is_terminal else None
