"""One release in the index: the contract between the store/batch layer and the site renderer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr


class Change(BaseModel):
    """One difference between two consecutive audits of a release."""

    model_config = ConfigDict(frozen=True)

    field: str  # what changed: "verdicts.label", "license", "component:weights", "file:model.safetensors", ...
    before: str | None
    after: str | None


class HistoryStep(BaseModel):
    """A stored audit of a release, with what changed since the audit before it."""

    model_config = ConfigDict(frozen=True)

    revision: str | None
    revision_date: str | None
    audited_at: str
    trueopen_version: str
    label: str | None
    changes: list[Change] = []


class IndexEntry(BaseModel):
    """A release as the index shows it: its identity, its latest audit (or the error), its history."""

    model_config = ConfigDict(frozen=True)

    id: str  # the release's identity URL (https://huggingface.co/OWNER/NAME, a git remote, or --id)
    target: str  # the target as the user wrote it
    revision: str | None = None  # Hub commit, git HEAD, or a folder fingerprint
    revision_date: str | None = None
    audited_at: str
    trueopen_version: str
    audit: dict[str, Any] | None = None  # the audit JSON (Audit.model_dump(mode="json")); None on error
    error: str | None = None  # one-line reason when the audit failed
    reused: bool = False  # True when the record came from the store unchanged
    external: dict[str, Any] | None = None  # MOT / EU index records matched to this release (site layer)
    history: list[HistoryStep] = []  # stored audits, newest first (the latest one included)
    # A reused entry may leave `audit` unread: its number in the store, for build.load_audits.
    _stored_seq: int | None = PrivateAttr(default=None)
    _label: str | None = PrivateAttr(default=None)
