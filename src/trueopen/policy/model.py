"""The policy file: rules as data, checked by a JSON Schema (schema/policy.schema.json, from this model)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from trueopen.record import Label, MofClass, SafetyStatus

COMPONENT_IDS = Literal[
    "model-architecture", "model-parameters-final", "model-card", "data-card", "technical-report", "evaluation-results",
    "sample-model-outputs", "training-code", "inference-code", "evaluation-code", "evaluation-data",
    "supporting-libraries-and-tools", "datasets", "data-preprocessing-code", "model-parameters-intermediate",
    "research-paper", "model-metadata"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class LicenseRules(_Strict):
    """Licence ids or SPDX expressions (every id in an expression counts) for the licences of the
    components the release holds or references."""

    allow: list[str] | None = Field(default=None, description="Only these licences may govern a component; any other fails.")
    deny: list[str] = Field(default=[], description="None of these licences may govern a component.")


class TermRules(_Strict):
    """Terms every licence of the release's components must grant (read from trueopen's terms records)."""

    commercial_use: bool = Field(default=False, description="Commercial use is allowed (yes or with conditions).")
    no_threshold: bool = Field(default=False, description="No user or revenue threshold.")
    no_acceptable_use_policy: bool = Field(default=False, description="No acceptable-use policy incorporated.")
    no_output_restriction: bool = Field(default=False, description="No restriction on using outputs.")
    redistribution: bool = Field(default=False, description="Redistribution is allowed (yes or with conditions).")


class Rules(_Strict):
    labels: list[Label] | None = Field(default=None, description="Allowed labels.")
    required_components: list[COMPONENT_IDS] = Field(default=[], description="Components that must be present or referenced.")
    licenses: LicenseRules | None = None
    terms: TermRules | None = None
    max_safety: SafetyStatus | None = Field(default=None, description="The worst safety status allowed (clean < review < incomplete < unsafe).")
    min_mof_class: MofClass | None = Field(default=None, description="The lowest MOF class allowed (Unclassified < Class III < Class II < Class I).")
    osaid: bool = Field(default=False, description="OSAID 1.0 conformance required.")
    no_openwashing: bool = Field(default=False, description="Openwashing must not be flagged.")
    verified: bool = Field(default=False, description="Nothing the verdicts counted may be unverified (only referenced).")


class Policy(_Strict):
    """A trueopen policy: `version: 1`, a name, and rules; every rule is optional, every rule given must hold."""

    version: Literal[1] = 1
    name: str = Field(default="policy", max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    rules: Rules


def json_schema() -> dict:
    """The JSON Schema of policy files, as committed in schema/policy.schema.json."""
    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://trueopen.dev/schema/policy.schema.json"
    return schema
