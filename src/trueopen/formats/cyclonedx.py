"""The audit as a CycloneDX 1.6 ML-BOM (JSON).

Built with cyclonedx-python-lib: the model is the BOM's subject (`metadata.component`, type
machine-learning-model), every file a `file` component with its SHA-256, every dataset a `data`
component, licences as SPDX ids or, for licences that are not SPDX ids (AI model licences,
custom licences), as named licences pointing to their text; external references to the Hub pages
the record names. The library has no model for `modelCard` and `data` yet
(cyclonedx-python-lib#911-913), so they are added to the serialised document, joined by bom-ref.

The verdicts travel as properties in the `trueopen:` namespace (docs/ARCHITECTURE.md §8).
Deterministic: serialNumber is a UUID5 of the target and the content digest, and there is no
metadata.timestamp.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from trueopen import __version__
from trueopen.formats import _bom
from trueopen.record import Audit

SPEC = "1.6"


def _licenses(audit: Audit, expression: str | None, source: str | None = None) -> list:
    """Library licence objects for an SPDX expression from the record: one expression when every
    id in it is an SPDX id, else one licence per id (SPDX id, or a name with its text's path)."""
    from cyclonedx.model import Property, XsUri
    from cyclonedx.model.license import DisjunctiveLicense, LicenseAcknowledgement, LicenseExpression
    from cyclonedx.spdx import is_supported_id

    from trueopen.licenses.names import expression_ids

    if not expression:
        return []
    ids = expression_ids(expression)
    ack = LicenseAcknowledgement.DECLARED
    if ids and all(is_supported_id(i) for i in ids):
        if len(ids) == 1:
            return [DisjunctiveLicense(id=ids[0], acknowledgement=ack)]
        return [LicenseExpression(expression, acknowledgement=ack)]
    out = []
    for lid in ids or [expression]:
        if is_supported_id(lid):
            out.append(DisjunctiveLicense(id=lid, acknowledgement=ack))
            continue
        name, path = _bom.license_name(audit, lid)
        props = [Property(name="trueopen:license-id", value=lid), Property(name="trueopen:license-expression", value=expression)]
        if path:
            props.append(Property(name="trueopen:license-text", value=path))
        if source:
            props.append(Property(name="trueopen:license-source", value=source))
        link = audit.card.license_link if lid == _card_license_id(audit) else None
        url = XsUri(link) if link and link.startswith(("http://", "https://")) else None
        out.append(DisjunctiveLicense(name=name, url=url, acknowledgement=ack, properties=props))
    return out


def _card_license_id(audit: Audit) -> str | None:
    from trueopen.licenses.names import expression_ids

    ids = expression_ids(audit.card.license or "")
    return ids[0] if len(ids) == 1 else None


def _verdict_properties(audit: Audit) -> list[tuple[str, str]]:
    """The audit's verdicts as `trueopen:` properties (names documented in ARCHITECTURE.md §8)."""
    v = audit.verdicts
    props = [
        ("trueopen:schema-version", str(audit.schema_version)),
        ("trueopen:label", v.label),
        ("trueopen:osaid:conformant", str(v.osaid.conformant).lower()),
        ("trueopen:mof:class", v.mof.class_),
        ("trueopen:openwashing:flagged", str(v.openwashing.flagged).lower()),
        ("trueopen:eu-ai-act:exempt", str(v.eu_ai_act.exempt).lower()),
        ("trueopen:eu-index:score", f"{v.eu_index.score:g}/{v.eu_index.max_score}"),
        ("trueopen:safety:status", audit.safety.status),
        ("trueopen:content-digest", f"sha256:{_bom.content_digest(audit)}"),
    ]
    if v.openwashing.severity:
        props.append(("trueopen:openwashing:severity", v.openwashing.severity))
    props += [("trueopen:unverified", cid) for cid in v.unverified]
    if v.reproducibility is not None:
        props.append(("trueopen:reproducibility:grade", v.reproducibility.grade))
        props += [("trueopen:reproducibility:missing", m) for m in v.reproducibility.missing]
    if audit.reproduction is not None:
        props.append(("trueopen:reproduction:grade", audit.reproduction.grade))
        props += [(f"trueopen:reproduction:file:{f.path}", f"{f.grade}; {f.produced_sha256 or 'not produced'}")
                  for f in audit.reproduction.files]
    for c in audit.components:
        lic = c.license.expression or "none"
        props.append((f"trueopen:component:{c.id}", f"{c.status}; {'open' if c.open else 'not open'}; {lic}"))
    for f in audit.findings:
        props.append(("trueopen:finding", f"{f.severity} {f.rule}: {f.message}"[:500]))
    return props


def _external_references(audit: Audit) -> list:
    from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri

    kinds = {"hub-model": ExternalReferenceType.DISTRIBUTION, "url": ExternalReferenceType.DISTRIBUTION,
             "code-repo": ExternalReferenceType.VCS, "paper": ExternalReferenceType.DOCUMENTATION,
             "page": ExternalReferenceType.WEBSITE, "kaggle-model": ExternalReferenceType.DISTRIBUTION,
             "modelscope-model": ExternalReferenceType.DISTRIBUTION}
    seen: dict[str, Any] = {}
    repo = _bom.hub_repo(audit)
    if repo and (url := _bom.hub_url(*repo)):
        seen[url] = ExternalReference(type=ExternalReferenceType.WEBSITE, url=XsUri(url), comment="Hugging Face Hub page")
    for c in audit.components:
        for r in c.references:
            if r.kind not in kinds:
                continue
            url = _bom.hub_url("model", r.target) if r.kind == "hub-model" else (
                f"https://github.com/{r.target}" if r.kind == "code-repo" and _bom.HUB_ID.match(r.target) else r.target)
            if not url or not url.startswith(("http://", "https://")) or url in seen:
                continue
            seen[url] = ExternalReference(type=kinds[r.kind], url=XsUri(url), comment=f"{c.id}, referenced at {r.path}:{r.line or ''}".rstrip(":"))
    if audit.card.license_link and audit.card.license_link.startswith(("http://", "https://")) and audit.card.license_link not in seen:
        seen[audit.card.license_link] = ExternalReference(type=ExternalReferenceType.LICENSE, url=XsUri(audit.card.license_link))
    return [seen[k] for k in sorted(seen)]


def build(audit: Audit) -> dict[str, Any]:
    """The BOM as a JSON-ready dict (modelCard and data added after the library serialised it)."""
    from cyclonedx.model import HashAlgorithm, HashType, Property, XsUri, ExternalReference, ExternalReferenceType
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType, Pedigree
    from cyclonedx.model.contact import OrganizationalEntity
    from cyclonedx.model.tool import Tool, ToolRepository
    from cyclonedx.output import make_outputter
    from cyclonedx.schema import OutputFormat, SchemaVersion
    from packageurl import PackageURL

    safety = {f.path: f for f in audit.safety.files}
    files = []
    for f in sorted(audit.files, key=lambda f: f.path):
        props = [Property(name="trueopen:kind", value=f.kind), Property(name="trueopen:size", value=str(f.size))]
        if f.origin:
            props.append(Property(name="trueopen:origin", value=f.origin))
        if f.path in safety:
            props.append(Property(name="trueopen:safety", value=safety[f.path].status))
        files.append(Component(type=ComponentType.FILE, name=f.path, bom_ref=f"file:{f.path}",
                               hashes=[HashType(alg=HashAlgorithm.SHA_256, content=f.sha256)] if f.sha256 else None,
                               properties=props))
    sets = _bom.datasets(audit)
    data_components = []
    for d in sets:
        refs = [ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(d.url))] if d.url else None
        props = [Property(name="trueopen:dataset-origin", value=d.origin), Property(name="trueopen:dataset-purpose", value=d.purpose)]
        if d.component:
            props.append(Property(name="trueopen:component", value=d.component))
        props += [Property(name="trueopen:file", value=p) for p in d.files]
        data_components.append(Component(type=ComponentType.DATA, name=d.name, bom_ref=d.ref,
                                          licenses=_licenses(audit, d.license, d.license_source), external_references=refs,
                                          properties=props))
    params = _bom.component(audit, "model-parameters-final")
    org = _bom.supplier(audit)
    purl = None
    repo = _bom.hub_repo(audit)
    if repo and repo[0] == "model":  # the purl spec's huggingface type is for models only
        ns, name = repo[1].split("/", 1)
        purl = PackageURL(type="huggingface", namespace=ns, name=name, version=(audit.target.revision or "").lower() or None)
    ancestors = []
    for base in audit.card.base_model:  # the card's base_model: the models this one derives from
        ns, _, name = base.partition("/")
        ancestors.append(Component(type=ComponentType.MACHINE_LEARNING_MODEL, name=base, bom_ref=f"base:{base}",
                                   purl=PackageURL(type="huggingface", namespace=ns, name=name) if name else None))
    pedigree = Pedigree(ancestors=ancestors, notes=f"base_model_relation: {audit.model.base_model_relation}"
                        if audit.model.base_model_relation else None) if ancestors else None
    props = [Property(name=n, value=v) for n, v in _verdict_properties(audit)]
    props += [Property(name=f"trueopen:hyperparameter:{s.key}", value=s.value) for s in audit.model.hyperparameters]
    model = Component(
        type=ComponentType.MACHINE_LEARNING_MODEL, name=_bom.model_name(audit), version=_bom.model_version(audit),
        bom_ref="model", supplier=OrganizationalEntity(name=org) if org else None, purl=purl,
        licenses=_licenses(audit, params.license.expression if params else None, params.license.source if params else None),
        external_references=_external_references(audit), properties=props,
        tags=sorted(set(audit.card.tags)) or None, pedigree=pedigree,
        description=f"Audited by trueopen {audit.tool.version} from {audit.target.kind} {audit.target.ref}",
    )
    tool = Component(type=ComponentType.APPLICATION, name="trueopen", version=__version__, bom_ref="tool:trueopen")
    meta = BomMetaData(component=model, tools=ToolRepository(components=[tool]))
    bom = Bom(components=[*files, *data_components], metadata=meta, serial_number=_bom.document_uuid(audit))
    bom.register_dependency(model, data_components)
    with warnings.catch_warnings():
        # The library warns when the model has no dependencies (no dataset named): that is a fact
        # of the release, not a problem of the document.
        warnings.simplefilter("ignore", UserWarning)
        text = make_outputter(bom, OutputFormat.JSON, SchemaVersion.V1_6).output_as_string(indent=None)
    doc = json.loads(text)
    doc["metadata"].pop("timestamp", None)  # same input, same bytes
    doc["metadata"]["component"]["modelCard"] = _model_card(audit, sets)
    by_ref = {d.ref: d for d in sets}
    for comp in doc.get("components", []):
        d = by_ref.get(comp.get("bom-ref", ""))
        if d is not None:
            entry: dict[str, Any] = {"type": "dataset", "name": d.name, "classification": d.purpose,
                                     "description": f"{d.origin}: " + ({"present": "its files are in the release",
                                                                          "referenced": "the release points to it",
                                                                          "declared": "named in the card's datasets"}[d.origin])}
            if d.url:
                entry["contents"] = {"url": d.url}
            comp["data"] = [entry]
    return doc


def _model_card(audit: Audit, sets: list[_bom.Dataset]) -> dict[str, Any]:
    m = audit.model
    params: dict[str, Any] = {}
    approach = _bom.conventions()["approach_by_task"].get(m.task or "")
    if approach:
        params["approach"] = {"type": approach}
    if m.task:
        params["task"] = m.task
    if m.architecture_family:
        params["architectureFamily"] = m.architecture_family
    if m.architectures:
        params["modelArchitecture"] = m.architectures[0]
    if sets:
        params["datasets"] = [{"ref": d.ref} for d in sets]
    card: dict[str, Any] = {"bom-ref": "model-card"}
    if params:
        card["modelParameters"] = params
    if m.metrics:
        card["quantitativeAnalysis"] = {"performanceMetrics": [
            {"type": x.name or x.type, "value": x.value, **({"slice": " / ".join(p for p in (x.dataset, x.split) if p)} if x.dataset else {})}
            for x in m.metrics]}
    considerations: dict[str, Any] = {}
    if m.limitations:
        considerations["technicalLimitations"] = [p.text for p in m.limitations]
    if m.intended_use:
        considerations["useCases"] = [p.text for p in m.intended_use]
    if m.energy:
        considerations["environmentalConsiderations"] = {"properties": [{"name": "trueopen:energy-statement", "value": p.text}
                                                                         for p in m.energy]}
    if considerations:
        card["considerations"] = considerations
    props = []
    if approach:
        props.append({"name": "trueopen:approach-source", "value": "task convention (data/formats/bom.yml)"})
    for x in m.metrics:
        props.append({"name": "trueopen:metric-evidence", "value": f"{x.type}: {x.evidence[0].where()}" if x.evidence else x.type})
    props += [{"name": "trueopen:limitation-evidence", "value": p.evidence[0].where()} for p in m.limitations if p.evidence]
    if props:
        card["properties"] = props
    return card


def render(audit: Audit) -> str:
    """The CycloneDX 1.6 JSON document: same audit, same bytes."""
    return json.dumps(build(audit), indent=2, ensure_ascii=False) + "\n"


def validate(text: str) -> list[str]:
    """Errors of a CycloneDX 1.6 JSON document against the library's bundled strict schema (offline)."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text, all_errors=True)
    return [str(getattr(e, "data", e)).splitlines()[0] for e in (errors or [])]
