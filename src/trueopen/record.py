"""The audit record: the one immutable result every format renders (DESIGN.md §4).

The keys are a public contract: add freely, never rename or remove without bumping
SCHEMA_VERSION. Lists are sorted by the code that builds them, so the same release always
gives the same bytes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

Severity = Literal["block", "warn", "info"]
SafetyStatus = Literal["clean", "review", "unsafe", "incomplete"]
ContentType = Literal["code", "data", "document"]
Label = Literal["open-source", "open-weights", "restricted-weights", "closed"]
MofClass = Literal["Class I", "Class II", "Class III", "Unclassified"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Evidence(_Frozen):
    """Where a fact was seen: a file, optionally a line or byte offset, and why it counts."""

    path: str
    line: int | None = None
    offset: int | None = None
    detail: str


class Tool(_Frozen):
    name: str = "trueopen"
    version: str


class Target(_Frozen):
    kind: Literal["folder", "archive", "hf-hub", "hf-cache"]
    ref: str
    revision: str | None = None


class FileEntry(_Frozen):
    path: str
    size: int
    sha256: str | None = None
    kind: str


class ComponentLicense(_Frozen):
    expression: str | None = None
    source: str = Field(
        description="Where the licence came from: 'component' (a licence file governing it), "
        "'content-type', 'release', or 'none'."
    )
    path: str | None = None


class Component(_Frozen):
    id: str
    name: str
    content_type: ContentType
    present: bool
    open: bool
    license: ComponentLicense
    evidence: list[Evidence] = []


class Recipe(_Frozen):
    hyperparameters: list[Evidence] = []
    seeds: list[Evidence] = []
    framework_versions: list[Evidence] = []
    data_order: list[Evidence] = []
    hardware: list[Evidence] = []


class LicenseFinding(_Frozen):
    """A licence identified in the release: in a file, a header or the card metadata."""

    path: str
    id: str
    name: str
    confidence: float
    open: bool
    category: str
    kind: str = Field(description="text, notice, policy, header or metadata")
    governs: str = Field(description="The folder this licence governs ('' for the whole release).")
    evidence: list[Evidence] = []


class Claim(_Frozen):
    text: str
    path: str
    line: int


class Finding(_Frozen):
    rule: str
    severity: Severity
    message: str
    evidence: list[Evidence] = []


class Safety(_Frozen):
    status: SafetyStatus
    findings: list[Finding] = []


class Card(_Frozen):
    """What the model card's front matter declares (a claim, confirmed against the files)."""

    path: str | None = None
    license: str | None = None
    license_name: str | None = None
    license_link: str | None = None
    datasets: list[str] = []
    base_model: list[str] = []
    tags: list[str] = []


class Osaid(_Frozen):
    conformant: bool
    reasons: list[str] = []


class Mof(_Frozen):
    class_: MofClass = Field(alias="class")
    progress: dict[str, float] = {}
    missing: list[str] = []
    not_open: list[str] = []
    warnings: list[str] = []
    next_class: MofClass | None = None
    next_needs: list[str] = []


class Openwashing(_Frozen):
    flagged: bool
    reasons: list[str] = []


class EuAiAct(_Frozen):
    exempt: bool
    reasons: list[str] = []
    still_owed: list[str] = []


class Verdicts(_Frozen):
    label: Label
    osaid: Osaid
    mof: Mof
    openwashing: Openwashing
    eu_ai_act: EuAiAct


class Audit(_Frozen):
    """One audit of one release: everything trueopen found and concluded, with evidence."""

    schema_version: int = SCHEMA_VERSION
    tool: Tool
    target: Target
    card: Card
    files: list[FileEntry]
    components: list[Component]
    recipe: Recipe
    licenses: list[LicenseFinding]
    claims: list[Claim]
    safety: Safety
    findings: list[Finding]
    verdicts: Verdicts

    def to_json(self) -> str:
        """The record as canonical JSON (sorted keys are not used: field order is the contract)."""
        return self.model_dump_json(by_alias=True, indent=2) + "\n"


def json_schema() -> dict:
    """The JSON Schema of the audit record, as committed in schema/audit.schema.json."""
    schema = Audit.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://trueopen.dev/schema/audit.schema.json"
    return schema
