"""Reading a policy: a preset by name or a YAML file, bounded and failing closed with one line."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from trueopen.errors import InputError
from trueopen.policy.model import Policy

MAX_BYTES = 64 * 1024  # a policy is a few dozen lines
MAX_EVENTS = 5_000  # YAML parser events (scalars, mappings...) in one policy
MAX_DEPTH = 8  # nesting of mappings and lists
PRESETS = ("open-source", "commercial-use", "safe-to-load")


def presets() -> tuple[str, ...]:
    """The built-in policy names."""
    return PRESETS


def _parse(text: str, where: str) -> object:
    """yaml.safe_load after a pass over the events: no aliases (so no billion-laughs expansion),
    bounded events and depth."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    depth = events = 0
    try:
        for ev in yaml.parse(text, Loader=loader):
            events += 1
            if events > MAX_EVENTS:
                raise InputError(f"{where}: more than {MAX_EVENTS} YAML events (limit policy_events); not a policy")
            if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
                raise InputError(f"{where}: YAML anchors and aliases are not allowed in a policy (line {ev.start_mark.line + 1})")
            if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise InputError(f"{where}: nested more than {MAX_DEPTH} levels (limit policy_depth)")
            elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        raise InputError(f"{where}: invalid YAML{line}: {getattr(exc, 'problem', None) or 'cannot parse'}") from None


def _error(exc: ValidationError, where: str) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown rule {loc!r}"
    if err["type"] == "missing":
        return f"{where}: {loc}: required"
    given = err.get("input")
    shown = repr(given)[:60] if not isinstance(given, (dict, list)) else type(given).__name__
    return f"{where}: {loc}: {err['msg']} (got {shown})"


def parse_policy(text: str, where: str = "policy") -> Policy:
    """A policy from YAML text; InputError (one line) when it is not a valid policy."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise InputError(f"{where}: larger than {MAX_BYTES} bytes (limit policy_bytes); not a policy")
    data = _parse(text, where)
    if not isinstance(data, dict):
        raise InputError(f"{where}: a policy is a YAML mapping with `rules:`")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise InputError(_error(exc, where)) from None


def load_policy(spec: str | Path) -> Policy:
    """A built-in preset by name (open-source, commercial-use, safe-to-load) or a policy file."""
    name = str(spec)
    if name in PRESETS:
        text = resources.files("trueopen").joinpath(f"data/policies/{name}.yml").read_text(encoding="utf-8")
        return parse_policy(text, f"preset {name}")
    p = Path(name)
    if not p.is_file():
        raise InputError(f"{name}: no such policy file or preset (presets: {', '.join(PRESETS)})")
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise InputError(f"{name}: {size} bytes is larger than {MAX_BYTES} (limit policy_bytes); not a policy")
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{name}: not UTF-8 text") from None
    return parse_policy(text, name)
