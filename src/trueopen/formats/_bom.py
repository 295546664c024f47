"""What the AI-BOM formats (CycloneDX, SPDX) share: the document's identity derived from the
record, the datasets the record names, licence parts, Hub URLs. Reads the record; judges nothing."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from pathlib import PurePosixPath

from trueopen.data import load_yaml
from trueopen.record import Audit, Component

# The namespace of trueopen's UUID5 document ids (uuid5(NAMESPACE_URL, "https://trueopen.dev/bom")).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://trueopen.dev/bom")
DATASET_COMPONENTS = ("datasets", "evaluation-data")
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")


@cache
def conventions() -> dict:
    return load_yaml("formats/bom.yml")


def content_digest(audit: Audit) -> str:
    """sha256 over every file's path, size and sha256 (sorted): the release's content, hashed or not."""
    h = hashlib.sha256()
    for f in sorted(audit.files, key=lambda f: f.path):
        h.update(f"{f.path}\0{f.size}\0{f.sha256 or ''}\n".encode())
    return h.hexdigest()


def document_uuid(audit: Audit) -> uuid.UUID:
    """UUID5 of the target and the content digest: the same release gives the same serial number,
    a changed file a new one."""
    return uuid.uuid5(NAMESPACE, f"{audit.target.kind}:{audit.target.ref}@{audit.target.revision or ''}#{content_digest(audit)}")


def document_time() -> str:
    """The creation time a document must carry: SOURCE_DATE_EPOCH when set (reproducible builds),
    else the Unix epoch, so the same input gives the same bytes (trueopen does not know when a
    release was published)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "0")
    try:
        seconds = int(raw)
    except ValueError:
        seconds = 0
    return datetime.fromtimestamp(max(seconds, 0), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def model_name(audit: Audit) -> str:
    """The model's name: as the card states it, else the target's last path part."""
    return audit.model.name or PurePosixPath(audit.target.ref.rstrip("/")).name or audit.target.ref


def model_version(audit: Audit) -> str:
    """The revision when the source knows it, else `sha256:` and 12 hex of the content digest."""
    return audit.target.revision or f"sha256:{content_digest(audit)[:12]}"


def hub_url(kind: str, ident: str) -> str | None:
    """The Hub page of a model or dataset id (`org/name`), None for anything else."""
    ident = ident.removeprefix("hf://").removeprefix("datasets/")
    if not HUB_ID.match(ident):
        return None
    return conventions()["hub"][kind].format(id=ident)


def hub_repo(audit: Audit) -> tuple[str, str] | None:
    """("model" or "dataset", "ORG/NAME") of a Hub or HF-cache target; None for folders and archives."""
    if audit.target.kind not in ("hf-hub", "hf-cache"):
        return None
    ref = audit.target.ref.removeprefix("hf://")
    kind = "dataset" if ref.startswith("datasets/") or (audit.hub is not None and audit.hub.repo_type == "dataset") else "model"
    ident = ref.removeprefix("datasets/").removeprefix("models/")
    return (kind, ident) if HUB_ID.match(ident) else None


def supplier(audit: Audit) -> str | None:
    """The organisation that publishes the release: the Hub namespace of the target, else the org of
    the release's own Hub links (`references[].own`); None when the release names none."""
    repo = hub_repo(audit)
    if repo:
        return repo[1].split("/")[0]
    own = sorted({r.target.split("/")[0] for c in audit.components for r in c.references
                  if r.own and r.kind in ("hub-model", "hub-dataset") and HUB_ID.match(r.target)})
    return own[0] if own else None


@dataclass
class Dataset:
    """One dataset the record names: a dataset component's files, a referenced Hub dataset, or a card entry."""

    ref: str  # a stable id inside the document
    name: str
    origin: str  # present | referenced | declared (the card's datasets list only)
    component: str | None = None
    license: str | None = None
    license_source: str | None = None
    files: list[str] = field(default_factory=list)
    url: str | None = None
    type: str = "noAssertion"
    purpose: str = "training"  # training | evaluation


def _type(files: list[str]) -> str:
    by_suffix = conventions()["dataset_type_by_suffix"]
    types = sorted({by_suffix[s] for s in (PurePosixPath(f).suffix.lower() for f in files) if s in by_suffix})
    return types[0] if len(types) == 1 else ("text" if "text" in types else "noAssertion")


def datasets(audit: Audit) -> list[Dataset]:
    """Every dataset the record names, present ones first, in a fixed order."""
    files = {f.path for f in audit.files}
    out: list[Dataset] = []
    seen: set[str] = set()
    for c in (c for c in audit.components if c.id in DATASET_COMPONENTS):
        purpose = "evaluation" if c.id == "evaluation-data" else "training"
        if c.status == "present":
            paths = sorted({e.path for e in c.evidence if e.path in files and e.path != audit.card.path})
            out.append(Dataset(ref=f"dataset:{c.id}", name=f"{c.name} (in the release)", origin="present", component=c.id,
                               license=c.license.expression, license_source=c.license.source, files=paths, type=_type(paths),
                               purpose=purpose))
        for r in c.references:
            if r.kind != "hub-dataset" or r.target in seen:
                continue
            seen.add(r.target)
            stated = c.status == "referenced" and c.license.expression
            out.append(Dataset(ref=f"dataset:hf:{r.target}", name=r.target, origin="referenced", component=c.id,
                               license=c.license.expression if stated else None,
                               license_source=c.license.source if stated else None, url=hub_url("dataset", r.target),
                               purpose=purpose))
    for c in audit.components:
        for r in c.references:
            if r.kind == "hub-dataset" and r.target not in seen:
                seen.add(r.target)
                out.append(Dataset(ref=f"dataset:hf:{r.target}", name=r.target, origin="referenced", component=c.id,
                                   url=hub_url("dataset", r.target)))
    for name in audit.card.datasets:
        # The card often names a dataset by its short name that a link already gave as org/name.
        if name in seen or any(s.rsplit("/", 1)[-1] == name.rsplit("/", 1)[-1] for s in seen):
            continue
        seen.add(name)
        out.append(Dataset(ref=f"dataset:card:{name}", name=name, origin="declared", url=hub_url("dataset", name)))
    return out


def component(audit: Audit, cid: str) -> Component | None:
    return next((c for c in audit.components if c.id == cid), None)


def license_name(audit: Audit, lid: str) -> tuple[str, str | None]:
    """(name, path of its text) of a licence id as the record's licences[] give it."""
    for lf in audit.licenses:
        if lf.id == lid:
            return lf.name, (lf.path if lf.kind in ("text", "custom", "policy", "notice") else None)
    return lid.removeprefix("LicenseRef-trueopen-").removeprefix("LicenseRef-"), None
