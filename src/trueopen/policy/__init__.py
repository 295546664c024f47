"""The policy gate: rules as data (a YAML file or a built-in preset) checked against audit records.

    from trueopen.policy import check
    result = check("examples/openwashed", "open-source")   # a target, or a saved audit .json
    result.passed, [f.rule for f in result.failures]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from trueopen.policy.evaluate import CheckResult, RuleResult, evaluate
from trueopen.policy.load import load_policy, parse_policy, presets
from trueopen.policy.model import Policy, json_schema
from trueopen.record import Audit
from trueopen.sources.options import SourceOptions

__all__ = ["CheckResult", "Policy", "RuleResult", "check", "evaluate", "json_schema", "load_policy", "parse_policy", "presets"]


def check(target: str | Path | Audit, policy: str | Path | Policy, *, with_: Sequence[str | Path] = (),
          hash_contents: bool = True, store: Path | None = None, refresh: bool = False,
          source: SourceOptions | None = None, progress: Callable[[int], None] | None = None) -> CheckResult:
    """Check one target (a release, a saved audit .json, or an Audit) against a policy (a preset
    name, a policy file, or a Policy). A release is audited through the audit store at `store`
    when given; Hub and HF-cache targets are opened with `source`; `progress` is called with the
    bytes hashed. Raises InputError on bad input."""
    from trueopen.saved import audit_or_load

    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    record = target if isinstance(target, Audit) else audit_or_load(target, with_=with_, hash_contents=hash_contents,
                                                                    store=store, refresh=refresh, source=source,
                                                                    progress=progress)
    return evaluate(record, pol)
