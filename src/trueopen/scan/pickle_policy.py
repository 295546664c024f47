"""Which globals a pickle may reference: allow / review / block, as data.

The rules live in ``trueopen/data/safety/pickle_policy.yml`` (matching rules are documented
there). Judging a global is a pure function of ``(module, name)`` and the pinned table: nothing
is imported and nothing installed on the scanning machine is consulted (DESIGN.md §6), so the
same file gets the same verdict everywhere.

Cost: the table is parsed once (first use); each distinct ``(module, name)`` is judged once and
cached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
import _compat_pickle
from functools import lru_cache
from typing import Any, Iterable

from trueopen.data import load_yaml

__all__ = ["GlobalVerdict", "PicklePolicy", "default_policy", "is_dunder", "VERDICT_RANK"]

VERDICT_RANK = {"allow": 0, "review": 1, "block": 2}
_MAX_PARTS = 16


def is_dunder(part: str) -> bool:
    return len(part) > 4 and part.startswith("__") and part.endswith("__")


@dataclass(frozen=True)
class GlobalVerdict:
    """The policy's answer for one global.

    ``canonical`` is the name after module aliases (``posix.system`` -> ``os.system``);
    ``trick`` names an evasion seen in the name itself (``dunder-walk``, ``dotted-name``).
    """

    verdict: str
    reason: str
    category: str
    canonical: str
    trick: str | None = None
    source: str = ""


@dataclass(frozen=True)
class _Rule:
    verdict: str
    reason: str
    category: str
    source: str


class _Key:
    """Rules attached to one module key: exact names, patterns, wildcard."""

    __slots__ = ("exact", "patterns", "star")

    def __init__(self) -> None:
        self.exact: dict[str, _Rule] = {}
        self.patterns: list[tuple[re.Pattern[str], _Rule]] = []
        self.star: _Rule | None = None

    def match(self, name: str) -> _Rule | None:
        if name in self.exact:
            return self.exact[name]
        if "." in name:  # dotted qualnames only match exact entries
            return None
        found: _Rule | None = None
        for rx, rule in self.patterns:
            if rx.fullmatch(name) and (found is None or _stronger(rule, found)):
                found = rule
        if found is not None:
            return found
        return self.star


def _stronger(a: _Rule, b: _Rule) -> bool:
    return VERDICT_RANK[a.verdict] > VERDICT_RANK[b.verdict]


def _merge(slot: dict[str, _Rule], name: str, rule: _Rule) -> None:
    old = slot.get(name)
    if old is None or _stronger(rule, old):
        slot[name] = rule


class PicklePolicy:
    """A compiled policy table. Build with :func:`default_policy` or ``PicklePolicy(data)``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.aliases: dict[str, str] = dict(data.get("module_aliases") or {})
        self.dangerous_attributes = frozenset(data.get("dangerous_attributes") or ())
        self._exact: dict[str, _Key] = {}    # rules for module M exactly
        self._prefix: dict[str, _Key] = {}   # rules for M and its submodules ("M.*")
        for raw in data.get("rules") or []:
            rule = _Rule(raw["verdict"], raw["reason"], raw.get("category", ""),
                         raw.get("source", ""))
            if rule.verdict not in VERDICT_RANK:
                raise ValueError(f"bad verdict {rule.verdict!r} in pickle policy")
            modules = raw["module"]
            modules = [modules] if isinstance(modules, str) else list(modules)
            names = raw.get("names", "*")
            names = [names] if isinstance(names, str) else list(names)
            for mod in modules:
                self._add(mod, names, rule)
        self._judge = lru_cache(maxsize=65536)(self._judge_uncached)

    def _key(self, table: dict[str, _Key], module: str) -> _Key:
        key = table.get(module)
        if key is None:
            key = table[module] = _Key()
        return key

    def _add(self, mod: str, names: list[str], rule: _Rule) -> None:
        prefix = mod.endswith(".*")
        base = mod[:-2] if prefix else mod
        key = self._key(self._prefix if prefix else self._exact, base)
        for name in names:
            if name == "*":
                if key.star is None or _stronger(rule, key.star):
                    key.star = rule
            elif name.startswith("re:"):
                key.patterns.append((re.compile(name[3:]), rule))
            else:
                _merge(key.exact, name, rule)
        # A qualified entry ("numpy.load", "pathlib.Path.open") also names an attribute of
        # its parent module: register (parent, last) and, for prefix entries, the walk.
        if names == ["*"] and "." in base:
            parent, _, last = base.rpartition(".")
            _merge(self._key(self._exact, parent).exact, last, rule)

    # -- public -------------------------------------------------------------------------
    def canonical_module(self, module: str) -> str:
        """Map a module through the alias table (longest aliased prefix wins)."""
        if module in self.aliases:
            return self.aliases[module]
        parts = module.split(".")
        for i in range(len(parts) - 1, 0, -1):
            head = ".".join(parts[:i])
            if head in self.aliases:
                return ".".join([self.aliases[head], *parts[i:]])
        return module

    def judge(self, module: str, name: str) -> GlobalVerdict:
        """Verdict for the global ``module``/``name`` exactly as written in the pickle."""
        return self._judge(module, name)

    def lookup(self, module: str, name: str) -> _Rule | None:
        """The most specific rule for a canonical ``module`` and (possibly dotted) ``name``."""
        key = self._exact.get(module)
        if key is not None:
            rule = key.match(name)
            if rule is not None:
                return rule
        parts = module.split(".")
        for i in range(len(parts), 0, -1):
            key = self._prefix.get(".".join(parts[:i]))
            if key is not None:
                rule = key.match(name)
                if rule is not None:
                    return rule
        return None

    def _judge_uncached(self, module: str, name: str) -> GlobalVerdict:
        # Python 2 names the unpickler renames as a pair (fix_imports): __builtin__.long is
        # builtins.int, exceptions.X is builtins.X. The table is the stdlib's own.
        module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
        canon_mod = self.canonical_module(module)
        canonical = f"{canon_mod}.{name}" if name else canon_mod
        mod_parts = module.split(".")
        name_parts = name.split(".")
        if not module or not name or "" in mod_parts or "" in name_parts:
            return GlobalVerdict("block", "malformed global name (empty part)", "malformed",
                                 canonical, "type-confusion")
        if len(mod_parts) + len(name_parts) > _MAX_PARTS:
            return GlobalVerdict("block", f"global name with more than {_MAX_PARTS} parts",
                                 "malformed", canonical, "dotted-name")
        exact = self.lookup(canon_mod, name)
        dunders = [p for p in name_parts if is_dunder(p)] + [
            p for p in mod_parts if is_dunder(p) and p not in ("__main__", "__builtin__")]
        if dunders and not (exact is not None and exact.verdict == "allow"):
            return GlobalVerdict("block", f"walks dunder attribute {dunders[0]} (reaches "
                                 "interpreter internals such as __builtins__/__globals__)",
                                 "introspection", canonical, "dunder-walk")
        if len(name_parts) == 1:
            if exact is None:
                return GlobalVerdict("review", "not on the allow list", "unknown", canonical)
            return GlobalVerdict(exact.verdict, exact.reason, exact.category, canonical,
                                 None, exact.source)
        # Dotted qualified name: the loader walks attributes part by part (protocol >= 4),
        # and any part may be a module imported by the previous one (torch._utils.os).
        if exact is not None and exact.verdict != "allow":
            return GlobalVerdict(exact.verdict, exact.reason, exact.category, canonical,
                                 "dotted-name", exact.source)
        worst = self._walk(canon_mod.split(".") + name_parts, len(canon_mod.split(".")))
        if worst is not None:
            at, rule = worst
            return GlobalVerdict("block", f"dotted name reaches {at}: {rule.reason}",
                                 rule.category, canonical, "dotted-name", rule.source)
        if exact is not None:
            return GlobalVerdict("allow", exact.reason, exact.category, canonical, None,
                                 exact.source)
        if name_parts[-1] in self.dangerous_attributes:
            return GlobalVerdict("block", f"dotted name walks to an attribute named "
                                 f"{name_parts[-1]!r} (a command/code/file/import entry point "
                                 "in the modules that define it)", "exec", canonical,
                                 "dotted-name")
        return GlobalVerdict("review", "dotted name walked through attributes; not on the "
                             "allow list", "unknown", canonical, "dotted-name")

    def _walk(self, tokens: list[str], m: int) -> tuple[str, _Rule] | None:
        """Every split of a walked path into (module, attribute path) whose attribute path
        reaches into the walked name (tokens after the first ``m``, which are the imported
        module itself): a block anywhere wins."""
        n = len(tokens)
        for i in range(n - 1):
            for k in range(i + 1, n):
                mod = self.canonical_module(".".join(tokens[i:k]))
                for j in range(max(k + 1, m + 1), n + 1):  # attribute paths into the name
                    attr = ".".join(tokens[k:j])
                    rule = self.lookup(mod, attr)
                    if rule is not None and rule.verdict == "block":
                        return f"{mod}.{attr}", rule
        return None

    def verdicts(self, names: Iterable[tuple[str, str]]) -> list[GlobalVerdict]:
        return [self.judge(m, n) for m, n in names]


@lru_cache(maxsize=1)
def default_policy() -> PicklePolicy:
    """The bundled policy (parsed once)."""
    return PicklePolicy(load_yaml("safety/pickle_policy.yml"))
