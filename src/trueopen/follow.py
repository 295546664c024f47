"""--follow: the base models and datasets a card names, audited in the same run.

A fine-tune inherits its base model's licence in most model licences (Llama, Gemma, ...): when the
base carries terms that are not open and the fine-tune claims open ones, that is a
`license-inheritance` warning. Datasets are audited from their card and licence files only (their
data files are not read), a bounded number of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from trueopen.errors import InputError
from trueopen.record import Audit, Evidence, Finding, Related
from trueopen.sources.options import SourceOptions

MAX_BASE = 4
MAX_DATASETS = 8
DATASET_TEXTS = (".md", ".txt", ".rst")  # the card and licence files of a dataset repo


def follow_related(result: Audit, kinds: Iterable[str], source: SourceOptions) -> Audit:
    """`result` with `related` filled for `kinds` ("base", "datasets") and the inheritance findings."""
    kinds = set(kinds)
    card = result.card
    hub_card = result.hub.card_data if result.hub is not None else None
    related: list[Related] = []
    findings: list[Finding] = []
    opts = dataclasses.replace(source, revision=None)
    if "base" in kinds:
        bases = sorted(set(card.base_model) | set(hub_card.base_model if hub_card else ()))
        for name in bases[:MAX_BASE]:
            related.append(_base(name, opts))
        findings += _limit(bases, MAX_BASE, "base models")
        findings += _inheritance(result, related)
    if "datasets" in kinds:
        names = sorted(set(card.datasets) | set(hub_card.datasets if hub_card else ()))
        for name in names[:MAX_DATASETS]:
            related.append(_dataset(name, opts))
        findings += _limit(names, MAX_DATASETS, "datasets")
    from trueopen.audit import sort_findings

    return result.model_copy(update={"related": sorted(related, key=lambda r: (r.relation, r.ref)),
                                     "findings": sort_findings([*result.findings, *findings])})


def weights_license(a: Audit) -> tuple[str | None, bool]:
    """The licence the final weights are under, and whether it is open."""
    params = next((c for c in a.components if c.id == "model-parameters-final"), None)
    if params is None:
        return None, False
    return params.license.expression, params.open


def _base(name: str, opts: SourceOptions) -> Related:
    from trueopen.audit import audit

    try:
        a = audit(f"hf://{name}", hash_contents=False, source=opts)
    except InputError as exc:
        return Related(relation="base_model", ref=name, error=str(exc))
    expr, is_open = weights_license(a)
    return Related(relation="base_model", ref=a.target.ref, revision=a.target.revision, license=expr,
                   license_open=is_open if expr else None, label=a.verdicts.label,
                   gated=a.hub.gated if a.hub is not None else None)


def _dataset(name: str, opts: SourceOptions) -> Related:
    from trueopen.audit import audit

    def wanted(path: str) -> bool:
        top = "/" not in path
        return top and (path.lower().endswith(DATASET_TEXTS) or path.upper().startswith(("LICENSE", "LICENCE", "COPYING")))

    try:
        a = audit(f"hf://datasets/{name}", hash_contents=False,
                  source=dataclasses.replace(opts, connections=min(4, opts.connections), select=wanted))
    except InputError as exc:
        return Related(relation="dataset", ref=f"datasets/{name}", error=str(exc))
    found = [f for f in a.licenses if not f.governs]
    ids = sorted({f.id for f in found})
    expr = " AND ".join(ids) if ids else (a.card.license or (a.hub.card_data.license if a.hub else None))
    is_open = all(f.open for f in found) if found else None
    return Related(relation="dataset", ref=a.target.ref, revision=a.target.revision, license=expr, license_open=is_open,
                   gated=a.hub.gated if a.hub is not None else None)


def _inheritance(result: Audit, related: list[Related]) -> list[Finding]:
    """A fine-tune claiming open terms for weights built on a base whose terms are not open."""
    expr, is_open = weights_license(result)
    out = []
    for r in related:
        if r.relation != "base_model" or r.error or r.license_open is not False or not (expr and is_open):
            continue
        detail = f"base model {r.ref} is under {r.license}, which is not open; this release claims {expr}"
        out.append(Finding(rule="license-inheritance", severity="warn",
                           message=f"{detail}: a fine-tune usually inherits its base model's licence terms",
                           evidence=[Evidence(path=result.card.path or ".", detail=detail)]))
    return out


def _limit(names: list[str], limit: int, what: str) -> list[Finding]:
    if len(names) <= limit:
        return []
    rest = ", ".join(names[limit:limit + 5]) + (" ..." if len(names) > limit + 5 else "")
    return [Finding(rule="follow-limit", severity="info",
                    message=f"{len(names) - limit} more {what} named in the card were not followed (limit {limit}): {rest}",
                    evidence=[Evidence(path=".", detail=f"limit {limit} {what}")])]
