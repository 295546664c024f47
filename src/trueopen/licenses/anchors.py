"""Mandatory literals of a regular expression: text a pattern cannot match without.

The licence rules and clause markers are regexes run over every licence text; most cannot match
a given text, and a plain substring test (`literal in text`) rules them out in microseconds. A
pattern's anchors are literals of which every match must contain at least one, read from the
parsed pattern (CPython's `re._parser`): a run of literals in sequence, or a mandatory group
whose every alternative has such a run. The best choice is the one whose shortest literal is
longest. A pattern with none (≥ MIN_ANCHOR characters each) gets no anchors and always runs.
"""

from __future__ import annotations

import re
from typing import Any

try:  # Python 3.11+: the parser lives in re._parser (sre_parse is a deprecated alias)
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

MIN_ANCHOR = 3
_LITERAL, _SUBPATTERN, _AT, _BRANCH = sre_constants.LITERAL, sre_constants.SUBPATTERN, sre_constants.AT, sre_constants.BRANCH
_MAX_REPEAT, _MIN_REPEAT = sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT
_ZERO_WIDTH = (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT)

Anchors = tuple[str, ...]  # any one of these literals is in every match


def anchors(pattern: re.Pattern[str]) -> tuple[Anchors, ...]:
    """Sets of literals: every match of `pattern` holds one literal of each set (all of them are
    needed, so each one rules the pattern out). Empty when there are none; case-insensitive
    patterns get none (the rules match normalised, lower-case text and are written lower-case)."""
    if pattern.flags & re.IGNORECASE:
        return ()
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - a pattern we cannot read is simply always run
        return ()
    good = [o for o in _options(list(parsed)) if min(map(len, o)) >= MIN_ANCHOR]
    # The most telling first: the set whose shortest literal is longest.
    return tuple(sorted(dict.fromkeys(good), key=lambda o: (-min(map(len, o)), len(o))))


def anchor(pattern: re.Pattern[str]) -> str | None:
    """The longest single literal every match contains, or None."""
    singles = [o[0] for o in anchors(pattern) if len(o) == 1]
    return max(singles, key=len, default=None)


def _best(options: list[Anchors]) -> Anchors | None:
    good = [o for o in options if o and min(map(len, o)) >= MIN_ANCHOR]
    return max(good, key=lambda o: (min(map(len, o)), -len(o)), default=None)


def _options(items: list[tuple[Any, Any]]) -> list[Anchors]:
    """Every anchor set the sequence `items` guarantees."""
    out: list[Anchors] = []
    run: list[str] = []

    def close() -> None:
        if run:
            out.append(("".join(run),))
            run.clear()

    for op, arg in items:
        if op is _LITERAL:
            run.append(chr(arg))
        elif op in _ZERO_WIDTH:
            continue  # \b, ^, $, lookarounds: nothing consumed, the run goes on
        elif op is _SUBPATTERN:
            sub = list(arg[3])
            if all(o is _LITERAL for o, _ in sub):
                run.extend(chr(a) for _, a in sub)  # a plain group continues the run
            else:
                close()
                out.extend(_options(sub))
        elif op is _BRANCH:
            close()
            alternatives = [_best(_options(list(alt))) for alt in arg[1]]
            if all(a is not None for a in alternatives):
                out.append(tuple(dict.fromkeys(x for a in alternatives for x in a)))  # type: ignore[union-attr]
        elif op in (_MAX_REPEAT, _MIN_REPEAT) and arg[0] >= 1:
            close()
            out.extend(_options(list(arg[2])))  # at least one repetition is mandatory
        else:
            close()
    close()
    return out
