"""The audit as an SPDX 3.0.1 document (JSON-LD) with the AI and Dataset profiles.

Built with spdx-python-model (the official shacl2code bindings): an `ai_AIPackage` for the model
(autonomy, domain, hyperparameters from the recipe, information about training, limitation,
metrics, preprocessing, type of model, intended use), a `software_File` per file with its
SHA-256, a `dataset_DatasetPackage` per dataset with its type and licence, and relationships:
the model `contains` its files, is `trainedOn` / `testedOn` its datasets, a dataset `hasDataFile`
its files, each has a declared licence (`hasDeclaredLicense` to a licence expression; licences
that are not on the SPDX list are `LicenseRef-` ids, as in the audit record).

Deterministic: element ids live under https://trueopen.dev/spdx/<UUID5 of the target and content
digest>, and `created` is SOURCE_DATE_EPOCH or the Unix epoch; `releaseTime` is the audited commit's
date when the Hub gave it (target.commit_date), else the same time (trueopen does not know when a
local release was published). The audit's verdicts are in the model's `comment`.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from typing import Any

from trueopen import __version__
from trueopen.formats import _bom
from trueopen.record import Audit

PREPROCESSING = ("data-preprocessing-code",)


def build(audit: Audit):
    """The SHACLObjectSet of the document."""
    from spdx_python_model import v3_0_1 as spdx

    base = f"https://trueopen.dev/spdx/{_bom.document_uuid(audit)}"
    when = datetime.strptime(_bom.document_time(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    objs: list[Any] = []
    tool = spdx.Tool(spdxId=f"{base}#tool-trueopen", name=f"trueopen {__version__}")
    creator = spdx.Organization(spdxId=f"{base}#creator-trueopen", name="trueopen (automated audit)")
    info = spdx.CreationInfo(specVersion="3.0.1", created=when, createdBy=[creator.spdxId], createdUsing=[tool.spdxId])
    tool.creationInfo = info
    creator.creationInfo = info
    objs += [tool, creator]

    org = _bom.supplier(audit)
    supplier = spdx.Organization(spdxId=f"{base}#supplier", creationInfo=info,
                                 name=org or "not stated in the release")
    objs.append(supplier)

    licenses: dict[str, Any] = {}

    def lic(expr: str) -> Any:
        if expr not in licenses:
            le = spdx.simplelicensing_LicenseExpression(spdxId=f"{base}#license-{len(licenses) + 1}", creationInfo=info,
                                                        simplelicensing_licenseExpression=expr)
            refs = sorted({t for t in expr.replace("(", " ").replace(")", " ").split() if t.startswith("LicenseRef-")})
            for ref in refs:
                name, path = _bom.license_name(audit, ref)
                le.simplelicensing_customIdToUri.append(
                    spdx.DictionaryEntry(key=ref, value=f"{base}#text-{path}" if path else f"{base}#licence-{ref}"))
            licenses[expr] = le
            objs.append(le)
        return licenses[expr]

    rels: list[tuple[Any, str, list[Any]]] = []
    files: dict[str, Any] = {}
    for f in sorted(audit.files, key=lambda f: f.path):
        sf = spdx.software_File(spdxId=f"{base}#file-{len(files) + 1}", creationInfo=info, name=f.path,
                                software_primaryPurpose=_file_purpose(spdx, f.kind))
        if f.sha256:
            sf.verifiedUsing.append(spdx.Hash(algorithm=spdx.HashAlgorithm.sha256, hashValue=f.sha256))
        files[f.path] = sf
        objs.append(sf)

    m, v = audit.model, audit.verdicts
    params = _bom.component(audit, "model-parameters-final")
    repo = _bom.hub_repo(audit)
    hub = _bom.hub_url(*repo) if repo else None
    model = spdx.ai_AIPackage(
        spdxId=f"{base}#model", creationInfo=info, name=_bom.model_name(audit),
        software_packageVersion=_bom.model_version(audit), software_downloadLocation=hub or audit.target.ref,
        software_primaryPurpose=spdx.software_SoftwarePurpose.model, releaseTime=_release_time(audit, when), suppliedBy=supplier.spdxId,
        ai_autonomyType=spdx.PresenceType.noAssertion,
        comment=_verdict_comment(audit),
    )
    if m.task:
        model.ai_domain.append(m.task)
        model.ai_typeOfModel.append(m.task)
    for a in m.architectures:
        model.ai_typeOfModel.append(a)
    if m.architecture_family:
        model.ai_typeOfModel.append(m.architecture_family)
    for s in m.hyperparameters:
        model.ai_hyperparameter.append(spdx.DictionaryEntry(key=s.key, value=s.value))
    for x in m.metrics:
        model.ai_metric.append(spdx.DictionaryEntry(key=" / ".join(p for p in (x.name or x.type, x.dataset, x.split) if p), value=x.value))
    if m.limitations:
        model.ai_limitation = "\n\n".join(p.text for p in m.limitations)  # one string: SHACL allows at most one
    if m.intended_use:
        model.ai_informationAboutApplication = "\n\n".join(p.text for p in m.intended_use)
    training = _training_information(audit)
    if training:
        model.ai_informationAboutTraining = training
    for c in (c for c in audit.components if c.id in PREPROCESSING and c.status != "missing"):
        model.ai_modelDataPreprocessing.extend(sorted({e.path for e in c.evidence}))
    if m.energy:  # ai_energyConsumption needs a quantity and unit; the card's words go in the comment
        model.comment += "\nEnergy statements: " + " | ".join(p.text for p in m.energy)
    objs.append(model)
    if params and params.license.expression:
        rels.append((model, "hasDeclaredLicense", [lic(params.license.expression)]))
    if files:
        rels.append((model, "contains", [files[p] for p in sorted(files)]))

    for d in _bom.datasets(audit):
        ds = spdx.dataset_DatasetPackage(
            spdxId=f"{base}#{d.ref.replace(':', '-').replace('/', '-')}", creationInfo=info, name=d.name,
            software_primaryPurpose=spdx.software_SoftwarePurpose.data, releaseTime=when, builtTime=when,
            software_downloadLocation=d.url or (audit.target.ref if d.origin == "present" else "NOASSERTION"),
            dataset_datasetType=[getattr(spdx.dataset_DatasetType, d.type)], comment=f"{d.origin} ({d.purpose})",
        )
        objs.append(ds)
        rels.append((model, "testedOn" if d.purpose == "evaluation" else "trainedOn", [ds]))
        if d.license:
            rels.append((ds, "hasDeclaredLicense", [lic(d.license)]))
        if d.files:
            rels.append((ds, "hasDataFile", [files[p] for p in d.files if p in files]))

    for i, (src, kind, targets) in enumerate(rels, 1):
        objs.append(spdx.Relationship(spdxId=f"{base}#relationship-{i}", creationInfo=info, from_=src.spdxId,
                                      relationshipType=getattr(spdx.RelationshipType, kind), to=[t.spdxId for t in targets]))
    doc = spdx.SpdxDocument(spdxId=f"{base}#document", creationInfo=info, name=f"trueopen audit of {audit.target.ref}",
                            dataLicense=lic("CC0-1.0").spdxId, rootElement=[model.spdxId],
                            profileConformance=[spdx.ProfileIdentifierType.core, spdx.ProfileIdentifierType.software,
                                                spdx.ProfileIdentifierType.simpleLicensing, spdx.ProfileIdentifierType.ai,
                                                spdx.ProfileIdentifierType.dataset],
                            element=[o.spdxId for o in objs if hasattr(o, "spdxId")])
    return spdx.SHACLObjectSet([doc, *objs])


def _release_time(audit: Audit, fallback: datetime) -> datetime:
    """The audited commit's date when the Hub gave it (target.commit_date), else the document time."""
    raw = audit.target.commit_date
    if raw:
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
        except ValueError:
            pass
    return fallback


def _file_purpose(spdx, kind: str):
    # files[].kind (inspectors/inventory.py) -> software_SoftwarePurpose
    purposes = {"weights": "model", "weights-intermediate": "model", "weights-index": "configuration", "code": "source",
                "data": "data", "config": "configuration", "metadata": "configuration", "manifest": "manifest",
                "license": "documentation", "card": "documentation", "document": "documentation", "results": "evidence",
                "sample-output": "data"}
    return getattr(spdx.software_SoftwarePurpose, purposes.get(kind, "other"))


def _training_information(audit: Audit) -> str:
    """Where the training code, configuration and data order are, as the record lists them."""
    parts = []
    for cid in ("training-code", "datasets", "data-card"):
        c = _bom.component(audit, cid)
        if c and c.status != "missing":
            where = sorted({e.where() for e in c.evidence})[:6] or sorted({r.target for r in c.references})[:6]
            parts.append(f"{cid} ({c.status}): {', '.join(where)}")
    r = audit.recipe
    counts = ", ".join(f"{n} {len(x)}" for n, x in (("hyperparameters", r.hyperparameters), ("seeds", r.seeds),
                                                     ("framework versions", r.framework_versions), ("data order", r.data_order),
                                                     ("hardware", r.hardware)) if x)
    if counts:
        parts.append(f"recipe evidence: {counts}")
    return "; ".join(parts)


def _verdict_comment(audit: Audit) -> str:
    v = audit.verdicts
    return (f"trueopen audit (schema {audit.schema_version}): label {v.label}; OSAID 1.0 "
            f"{'conformant' if v.osaid.conformant else 'not conformant'}; MOF {v.mof.class_}; openwashing "
            f"{'flagged (' + (v.openwashing.severity or '') + ')' if v.openwashing.flagged else 'no'}; EU AI Act 53(2) "
            f"{'exemption can apply' if v.eu_ai_act.exempt else 'no exemption'}; EU index {v.eu_index.score:g}/{v.eu_index.max_score}; "
            f"safety {audit.safety.status}")


def render(audit: Audit) -> str:
    """The SPDX 3.0.1 JSON-LD document: same audit, same bytes."""
    from spdx_python_model import v3_0_1 as spdx

    buf = io.BytesIO()
    spdx.JSONLDSerializer().write(build(audit), buf, indent=2)
    data = json.loads(buf.getvalue())
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
