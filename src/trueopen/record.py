"""The audit record: the one immutable result every format renders (DESIGN.md §4).

The keys are a public contract: add freely, never rename or remove without bumping
SCHEMA_VERSION. Lists are sorted by the code that builds them, so the same release always
gives the same bytes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1

Severity = Literal["block", "warn", "info"]
SafetyStatus = Literal["clean", "review", "unsafe", "incomplete"]
ContentType = Literal["code", "data", "document"]
Label = Literal["open-source", "open-weights", "restricted-weights", "closed"]
MofClass = Literal["Class I", "Class II", "Class III", "Unclassified"]
ComponentState = Literal["present", "referenced", "missing"]
ClaimKind = Literal["explicit", "implied"]


class _Frozen(BaseModel):
    # defer_build: the schemas are built on first use, not at import (the import took 0.22 s, mostly
    # schema building; a local audit uses them only after its hashing has started).
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)


class Evidence(_Frozen):
    """Where a fact was seen: a file, optionally a line or byte offset, and why it counts."""

    path: str
    line: int | None = None
    offset: int | None = None
    detail: str

    def where(self) -> str:
        """`path:line`, `path@offset` or `path`: how a report cites this evidence."""
        if self.line:
            return f"{self.path}:{self.line}"
        if self.offset is not None:
            return f"{self.path}@{self.offset}"
        return self.path


class Tool(_Frozen):
    name: str = "trueopen"
    version: str


class Target(_Frozen):
    kind: Literal["folder", "archive", "hf-hub", "hf-cache"]
    ref: str
    revision: str | None = Field(default=None, description="hf-hub / hf-cache: the 40-hex commit audited, never a branch name.")
    requested_revision: str | None = Field(default=None, description="The branch, tag or commit the user named (hf-hub / hf-cache).")
    commit_date: str | None = Field(default=None, description="Date of the audited commit as the Hub reports it (ISO 8601, UTC).")


Sha256Source = Literal["hashed", "hub-lfs", "hf-cache-blob"]


class FileEntry(_Frozen):
    path: str
    size: int
    sha256: str | None = None
    kind: str
    sha256_source: Sha256Source | None = Field(
        default=None, description="Where sha256 comes from: 'hashed' (trueopen hashed the bytes), 'hub-lfs' (the Hub's LFS "
        "metadata, not re-hashed), 'hf-cache-blob' (the name of the HF cache blob, which is its sha256).")
    origin: str | None = Field(default=None, description="The location (`locations[].label`) the file came from when the "
                               "audit merges several locations of one release (`--with`); null for the main target.")


class Location(_Frozen):
    """One place a release lives (the main target, or one added with `--with`)."""

    label: str = Field(description="Prefix of this location's files in `files[].path` ('' for the main target).")
    kind: Literal["folder", "archive", "hf-hub", "hf-cache"]
    ref: str
    revision: str | None = None


class ComponentLicense(_Frozen):
    expression: str | None = None
    source: str = Field(
        description="Where the licence came from: 'component' (a licence file or header governing it), "
        "'content-type' (a licence file for its content type), 'statement' (a sentence in a document naming "
        "the licence of this kind of content), 'release' (the release licence), or 'none'."
    )
    path: str | None = None
    line: int | None = None


class Reference(_Frozen):
    """Where a component the release does not hold lives: a Hub repo, a download URL, a page."""

    kind: Literal["hub-model", "hub-dataset", "kaggle-model", "modelscope-model", "url", "magnet", "cloud-storage",
                  "code-repo", "paper", "page"]
    target: str = Field(description="The id or URL as written.")
    path: str
    line: int | None = None
    add_with: str | None = Field(default=None, description="What to pass to `--with` to audit it (hf://ORG/NAME); null "
                                 "when it must be downloaded first.")
    own: bool = Field(default=False, description="Published by the release itself (its own org on the Hub or GitHub, a "
                      "download it links): the release's licence is assumed to reach it when it states none for it.")


class Component(_Frozen):
    id: str
    name: str
    content_type: ContentType
    present: bool = Field(description="The component is in the audited files.")
    open: bool = Field(description="Its licence is open (for a referenced component: the licence the release states for it).")
    license: ComponentLicense
    evidence: list[Evidence] = []
    status: ComponentState = Field(default="missing", description="present (in the files), referenced (a Hub id, a "
                                   "download URL, a paper or data page names where it is; never 'missing') or missing.")
    verified: bool = Field(default=False, description="Its files and licence were seen; false for a referenced component.")
    references: list[Reference] = Field(default=[], description="Where the component lives when the release only points to it.")

    @model_validator(mode="before")
    @classmethod
    def _default_status(cls, data: object) -> object:
        """A component built with `present` alone (older callers) is present or missing."""
        if isinstance(data, dict) and "status" not in data:
            data = {**data, "status": "present" if data.get("present") else "missing"}
            data.setdefault("verified", data["status"] == "present")
        return data

    @property
    def available(self) -> bool:
        """Present or referenced: the component exists, here or elsewhere."""
        return self.status != "missing"


class Recipe(_Frozen):
    hyperparameters: list[Evidence] = []
    seeds: list[Evidence] = []
    framework_versions: list[Evidence] = []
    data_order: list[Evidence] = []
    hardware: list[Evidence] = []


Freedom = Literal["yes", "conditional", "no"]


class Freedoms(_Frozen):
    """What a licence lets everyone do: yes, conditional (allowed with conditions) or no."""

    use: Freedom
    study: Freedom
    modify: Freedom
    share: Freedom
    commercial: Freedom


class AcceptableUsePolicy(_Frozen):
    incorporated: bool
    url: str | None = None
    licensor_may_change: bool | None = Field(default=None, description="Whether the licensor may change the policy after release.")


class LicenseTerms(_Frozen):
    """The terms people ask about, from trueopen's terms record of the licence (data/licenses/terms.yml)."""

    osi_approved: bool
    fsf_libre: bool
    mof_content_types: list[str] = Field(default=[], description="Content types the Model Openness Tool lists the licence for (code, data, document).")
    commercial: str = Field(description="yes, conditional, no or unknown")
    threshold: str | None = Field(default=None, description="User or revenue threshold.")
    acceptable_use_policy: AcceptableUsePolicy
    outputs: str | None = Field(default=None, description="Restrictions on using outputs.")
    naming: str | None = Field(default=None, description="Naming or attribution requirements.")
    geographic: str | None = None
    redistribution: str | None = None
    derivatives_inherit: bool | None = Field(default=None, description="Whether derivatives (fine-tunes, distilled models) inherit the licence.")
    termination: str | None = None
    governing_law: str | None = None
    freedoms: Freedoms
    verified: str | None = Field(default=None, description="primary (read in the licence text) or secondary")
    derived: bool = Field(description="True when only the licence's category speaks for these terms.")
    source: str


class LicenseFinding(_Frozen):
    """A licence identified in the release: in a file, a header or the card metadata."""

    path: str
    id: str
    name: str
    confidence: float
    open: bool
    category: str
    kind: str = Field(description="text, custom (a licence of its own that may borrow standard sentences), notice, policy, "
                      "header, metadata or statement (a sentence in a document)")
    governs: str = Field(description="The folder this licence governs ('' for the whole release).")
    evidence: list[Evidence] = []
    end_line: int | None = Field(default=None, description="Last line of the matched span (the evidence line is the first).")
    decided_by: str | None = Field(default=None, description="The clause or version line that told this licence apart from its nearest neighbour.")
    same_text: list[str] = Field(default=[], description="SPDX ids whose texts are word-for-word the same as this one's (e.g. GPL-2.0-only / -or-later).")
    aliases: list[str] = Field(default=[], description="Other names of the licence: ScanCode keys, Hugging Face card ids.")
    markers: list[str] = Field(default=[], description="Restrictive clause markers found in the text (always given for unidentified texts).")
    borrowed: list[str] = Field(default=[], description="Custom licences: the standard licence texts it borrows sentences from "
                                "(evidence that it is not that licence).")
    applies_to: list[str] = Field(default=[], description="Statements: what the sentence licenses (code, parameters, data, "
                                  "document, release).")
    terms: LicenseTerms | None = None


class Claim(_Frozen):
    text: str
    path: str
    line: int
    kind: ClaimKind = Field(default="explicit", description="explicit: the release calls itself open (source); implied: "
                            "a comparison with other open models, an 'open approach'. Only explicit claims flag openwashing.")
    language: str = Field(default="en", description="Language of the matched phrase (ISO 639-1).")
    phrase: str | None = Field(default=None, description="The words that make the claim.")


class Finding(_Frozen):
    rule: str
    severity: Severity
    message: str
    evidence: list[Evidence] = []


class SafetyFile(_Frozen):
    """The safety scan of one file whose format can carry code (pickles, archives, weights, templates)."""

    path: str
    format: str
    status: SafetyStatus
    globals: list[str] = Field(default=[], description="Every Python global a pickle in the file names.")
    weights_only_ok: bool | None = Field(default=None, description="Would torch.load(weights_only=True) accept it? Null when unknown or not a torch file.")
    stopped_by: str | None = Field(default=None, description="The limit or problem that stopped the analysis (status incomplete).")


class Safety(_Frozen):
    status: SafetyStatus
    findings: list[Finding] = []
    files: list[SafetyFile] = []


class Card(_Frozen):
    """What the model card's front matter declares (a claim, confirmed against the files)."""

    path: str | None = None
    license: str | None = None
    license_name: str | None = None
    license_link: str | None = None
    datasets: list[str] = []
    base_model: list[str] = []
    tags: list[str] = []


class Metric(_Frozen):
    """One evaluation result the release states (the card's model-index, an eval results file)."""

    type: str = Field(description="What was measured (perplexity, accuracy...).")
    value: str
    name: str | None = None
    task: str | None = None
    dataset: str | None = None
    split: str | None = None
    evidence: list[Evidence] = []


class Setting(_Frozen):
    """One hyperparameter as `key: value`, read from a training config, argument default or the card."""

    key: str
    value: str
    evidence: list[Evidence] = []


class Passage(_Frozen):
    """A passage of a document under a heading the report needs (limitations, intended use, energy)."""

    text: str
    evidence: list[Evidence] = []


class ModelFacts(_Frozen):
    """What the release states about the model itself, as read (not judged): the facts AI-BOMs
    (CycloneDX modelCard, SPDX AI profile) and reports carry."""

    name: str | None = Field(default=None, description="The model's name: the card's model-index name, else its first heading.")
    task: str | None = Field(default=None, description="The card's pipeline_tag.")
    library: str | None = Field(default=None, description="The card's library_name.")
    languages: list[str] = []
    architecture_family: str | None = Field(default=None, description="config.json model_type.")
    architectures: list[str] = Field(default=[], description="config.json architectures.")
    base_model_relation: str | None = Field(default=None, description="The card's base_model_relation (finetune, adapter, quantized, merge).")
    hyperparameters: list[Setting] = Field(default=[], description="`key: value` settings among the recipe's hyperparameter evidence.")
    metrics: list[Metric] = []
    limitations: list[Passage] = Field(default=[], description="Limitations, bias and risk sections of the card.")
    intended_use: list[Passage] = Field(default=[], description="Intended and out-of-scope use sections of the card.")
    energy: list[Passage] = Field(default=[], description="Energy, carbon and environmental-impact statements (card co2_eq_emissions, sections).")


class Osaid(_Frozen):
    conformant: bool
    reasons: list[str] = []
    unverified: list[str] = Field(default=[], description="Referenced components this verdict counted without seeing them.")
    data_information: OsaidElement = Field(default_factory=lambda: OsaidElement(met=False))
    code: OsaidElement = Field(default_factory=lambda: OsaidElement(met=False))
    parameters: OsaidElement = Field(default_factory=lambda: OsaidElement(met=False))
    data_information_gaps: list[str] = Field(
        default=[], description="Data-information items not found: provenance, scope and characteristics, selection, "
        "labelling, processing and filtering, list of public sources, list of third-party sources.")


class Mof(_Frozen):
    class_: MofClass = Field(alias="class")
    progress: dict[str, float] = {}
    missing: list[str] = []
    not_open: list[str] = []
    warnings: list[str] = []
    next_class: MofClass | None = None
    next_needs: list[str] = []
    unverified: list[str] = Field(default=[], description="Referenced components this verdict counted without seeing them.")


class Openwashing(_Frozen):
    flagged: bool
    reasons: list[str] = []
    severity: Literal["strong", "mild"] | None = Field(
        default=None, description="strong: the terms seen restrict use (use policy, user threshold, non-commercial, "
        "field-of-use bans) or no weights are available; mild: open-licensed weights alone are called open source.")
    claims: list[Evidence] = Field(default=[], description="The explicit claims that flag (implied ones never do).")
    unverified: list[str] = Field(default=[], description="Referenced components this verdict counted without seeing them.")


class EuAiAct(_Frozen):
    exempt: bool
    reasons: list[str] = []
    still_owed: list[str] = []
    evidence: list[Evidence] = Field(default=[], description="Evidence for the exemption conditions (licence, weights, architecture, usage).")
    systemic_risk: bool | None = Field(
        default=None, description="True when the stated training compute is above 10^25 FLOP (Art. 51(2)); null when none is stated.")
    training_compute_flop: float | None = None
    compute_evidence: list[Evidence] = []
    monetisation: list[Evidence] = Field(default=[], description="Signs of monetisation (recital 103): pricing, paid API, commercial licence thresholds.")
    copyright_policy: list[Evidence] = Field(default=[], description="Statements on a copyright policy / TDM opt-outs (Art. 53(1)(c)); still owed either way.")
    training_content_summary: list[Evidence] = Field(default=[], description="Statements on a training-content summary (Art. 53(1)(d)); still owed either way.")
    unverified: list[str] = Field(default=[], description="Referenced components this verdict counted without seeing them.")


class OsaidElement(_Frozen):
    """One of the three OSAID 1.0 elements (data information, code, parameters)."""

    met: bool
    reasons: list[str] = []
    evidence: list[Evidence] = []


EuIndexGrade = Literal["open", "partial", "closed"]


class EuIndexDimension(_Frozen):
    """One dimension of the European Open Source AI Index, graded from the release's evidence."""

    id: str
    name: str
    grade: EuIndexGrade
    points: float
    reasons: list[str] = []
    evidence: list[Evidence] = []


class EuIndex(_Frozen):
    """The European Open Source AI Index: 12 dimensions, open = 1, partial = 0.5, closed = 0."""

    score: float
    max_score: int = 12
    dimensions: list[EuIndexDimension] = []
    notes: list[str] = []
    unverified: list[str] = Field(default=[], description="Referenced components this verdict counted without seeing them.")


class HubScanFile(_Frozen):
    path: str
    level: str


class HubSecurityScan(_Frozen):
    """The Hub's own security scan, as its API reports it: shown beside trueopen's, never instead."""

    scans_done: bool | None = None
    files_with_issues: list[HubScanFile] = []


class HubCardData(_Frozen):
    """Card metadata as the Hub's API parsed it: a claim, like the card itself."""

    license: str | None = None
    license_name: str | None = None
    license_link: str | None = None
    base_model: list[str] = []
    datasets: list[str] = []
    pipeline_tag: str | None = None
    library_name: str | None = None


class Hub(_Frozen):
    """What the Hugging Face Hub says about the repo (hf-hub targets; partly hf-cache)."""

    repo_type: Literal["model", "dataset"]
    gated: Literal["auto", "manual"] | None = Field(default=None, description="Access to the files needs a request: "
                                                   "'auto' approved at once, 'manual' by the authors; null when not gated.")
    private: bool | None = None
    disabled: bool | None = None
    files_readable: bool = Field(description="Whether trueopen could read the files (false: gated without access, private, ...).")
    access: str | None = Field(default=None, description="Why the files could not be read, and what would let them be read.")
    card_data: HubCardData = Field(default_factory=HubCardData)
    security_scan: HubSecurityScan | None = None
    used_storage: int | None = None


class TransferFile(_Frozen):
    path: str
    bytes_fetched: int
    requests: int


class Transfer(_Frozen):
    """What reading a remote release cost: bytes and HTTP requests (redirect hops included)."""

    bytes_total: int = Field(description="Size of all files of the release at this revision.")
    bytes_fetched: int
    requests: int
    metadata_requests: int = Field(default=0, description="API calls (repo info, access check) among `requests`.")
    max_download: int = Field(description="Bytes any one file may fetch (--max-download).")
    files: list[TransferFile] = []


class Related(_Frozen):
    """A model or dataset the card names (base_model, datasets), audited in the same run (--follow)."""

    relation: Literal["base_model", "dataset"]
    ref: str
    revision: str | None = None
    license: str | None = Field(default=None, description="The licence found for it (expression), or null.")
    license_open: bool | None = None
    label: str | None = Field(default=None, description="Its label when it was fully audited (base models).")
    gated: Literal["auto", "manual"] | None = None
    error: str | None = Field(default=None, description="Why it could not be audited.")



ReadinessGrade = Literal["replayable", "partial", "not-replayable"]
FactStatus = Literal["stated", "partial", "missing"]


class ReplayFact(_Frozen):
    """One fact a replay needs (a command, pinned versions, seeds, the data...), whether the release states it."""

    id: Literal["command", "framework_versions", "seeds", "data", "hyperparameters", "data_order", "hardware"]
    status: FactStatus
    detail: str = Field(description="What was found, or what is missing.")
    evidence: list[Evidence] = []


class ExpectedOutput(_Frozen):
    """A published weights file the replay must rebuild, with the digest to compare against."""

    path: str
    sha256: str | None = None
    size: int | None = None


class ReplayPlan(_Frozen):
    """What `trueopen reproduce` would run: the environment, the commands and the outputs it compares."""

    python: str | None = Field(default=None, description="The Python version the release states (major.minor), or null.")
    requirements: list[str] = Field(default=[], description="Exact pins the fresh environment gets (name==version).")
    skipped_requirements: list[str] = Field(default=[], description="Requirement lines not installed: not an exact pin "
                                            "of a package (ranges, URLs, editable installs, options).")
    commands: list[str] = Field(default=[], description="Shell commands run in order in a copy of the release.")
    commands_from: Evidence | None = Field(default=None, description="Where the commands are written.")
    outputs: list[ExpectedOutput] = Field(default=[], description="Published weights files removed from the copy "
                                          "before the run and compared with what it writes.")


class Reproducibility(_Frozen):
    """How ready the release is to be rebuilt from its recipe, judged without running anything."""

    grade: ReadinessGrade = Field(description="replayable: every fact stated; partial: a command, exact versions, seeds "
                                  "and data are stated but something else is missing or loose; not-replayable: one "
                                  "of those four is missing.")
    missing: list[str] = Field(default=[], description="The facts not stated (ids of `facts`).")
    facts: list[ReplayFact] = []
    plan: ReplayPlan = Field(default_factory=ReplayPlan)


TensorGrade = Literal["equal", "within-tolerance", "differs", "shape-differs", "missing", "extra"]


class TensorDiff(_Frozen):
    name: str
    grade: TensorGrade
    shape: list[int] | None = Field(default=None, description="The published tensor's shape.")
    produced_shape: list[int] | None = None
    dtype: str | None = None
    produced_dtype: str | None = None
    max_abs_diff: float | None = None
    max_rel_diff: float | None = None
    cosine: float | None = Field(default=None, description="Cosine similarity of the flattened tensors.")


class WeightsComparison(_Frozen):
    """One published weights file against the file the replay wrote."""

    path: str
    grade: Literal["bitwise", "within-tolerance", "differs", "not-produced"]
    published_sha256: str | None = None
    produced_sha256: str | None = None
    tensors: int = Field(default=0, description="Tensors compared (safetensors, npz).")
    tensors_differing: int = 0
    worst: list[TensorDiff] = Field(default=[], description="The tensors that differ most, worst first (at most 5).")
    detail: str = ""


class ReplayLimits(_Frozen):
    timeout_seconds: int
    memory_bytes: int
    disk_bytes: int


class Reproduction(_Frozen):
    """A replay of the release's recipe (`trueopen reproduce`) and how close its weights came."""

    grade: Literal["bitwise", "within-tolerance", "differs", "could-not-run"]
    reason: str = Field(description="One line: why this grade.")
    commands: list[str] = []
    sandbox: Literal["bubblewrap", "none"] = Field(description="none only with --no-sandbox: the commands then ran "
                                                   "with the network and the user's file system reachable.")
    network: Literal["blocked", "allowed"]
    limits: ReplayLimits
    exit_code: int | None = Field(default=None, description="Of the last command run; null when none ran to its end.")
    seconds: float | None = None
    rtol: float
    atol: float
    files: list[WeightsComparison] = []
    environment: dict = Field(default={}, description="The replay environment's manifest (trueopen-recipe.json schema).")
    log_tail: list[str] = Field(default=[], description="The last lines of the replay log.")
    out: str | None = Field(default=None, description="The folder holding the log, environment and comparison (--out).")


class Verdicts(_Frozen):
    label: Label
    osaid: Osaid
    mof: Mof
    openwashing: Openwashing
    eu_ai_act: EuAiAct
    eu_index: EuIndex
    unverified: list[str] = Field(default=[], description="Referenced components the label counted without seeing them "
                                  "(their licence is the one the release states; add their location with --with to verify).")
    reproducibility: Reproducibility | None = Field(default=None, description="How ready the release is to be rebuilt "
                                                    "from its recipe, without running anything; null in records of "
                                                    "trueopen versions before it was assessed.")


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
    hub: Hub | None = Field(default=None, description="Hub facts (hf-hub and hf-cache targets); null for folders and archives.")
    transfer: Transfer | None = Field(default=None, description="Bytes and requests spent reading a remote release; null when local.")
    related: list[Related] = Field(default=[], description="Base models and datasets audited in the same run (--follow).")
    locations: list[Location] = Field(default=[], description="Every location merged into this audit: the main target "
                                      "first, then each `--with` location.")
    model: ModelFacts = Field(default_factory=ModelFacts, description="What the card and config state about the model "
                              "(task, architecture, metrics, limitations, energy), as read; what AI-BOMs carry.")
    reproduction: Reproduction | None = Field(default=None, description="The replay of the recipe and its grade "
                                              "(`trueopen reproduce`); null for a plain audit.")

    def to_json(self) -> str:
        """The record as canonical JSON (sorted keys are not used: field order is the contract)."""
        return self.model_dump_json(by_alias=True, indent=2) + "\n"


def json_schema() -> dict:
    """The JSON Schema of the audit record, as committed in schema/audit.schema.json."""
    schema = Audit.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://trueopen.dev/schema/audit.schema.json"
    return schema
