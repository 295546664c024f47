"""Offline validators for the documents the report formats write: the vendored SPDX 3.0.1 JSON
schema and SHACL model (jsonschema, pyshacl), the vendored SARIF 2.1.0 schema, and
cyclonedx-python-lib's bundled strict CycloneDX 1.6 validator."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

SCHEMAS = resources.files("trueopen") / "data" / "schemas"
SPDX_CONTEXT_URL = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"


@cache
def _json(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def spdx_schema_errors(text: str) -> list[str]:
    """Errors against the SPDX 3.0.1 JSON schema (draft 2020-12), offline."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(_json("spdx-3.0.1-schema.json"))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(json.loads(text))]


@cache
def _shacl_graph():
    import rdflib

    g = rdflib.Graph()
    g.parse(data=(SCHEMAS / "spdx-3.0.1-model.ttl").read_text(encoding="utf-8"), format="turtle")
    return g


def spdx_shacl_errors(text: str) -> list[str]:
    """SHACL violations against the SPDX 3.0.1 model, with the vendored context in place of its URL (offline)."""
    import pyshacl
    import rdflib

    doc = json.loads(text)
    assert doc["@context"] == SPDX_CONTEXT_URL
    doc["@context"] = _json("spdx-3.0.1-context.jsonld")["@context"]
    data = rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
    conforms, _graph, report = pyshacl.validate(data, shacl_graph=_shacl_graph(), ont_graph=_shacl_graph(), inference="none")
    return [] if conforms else [line for line in report.splitlines() if "Message:" in line][:20] or [report[:2000]]


def sarif_errors(text: str) -> list[str]:
    """Errors against the vendored SARIF 2.1.0 schema (draft-04), offline."""
    import jsonschema

    validator = jsonschema.Draft4Validator(_json("sarif-schema-2.1.0.json"))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(json.loads(text))]


def cyclonedx_errors(text: str) -> list[str]:
    from trueopen.formats.cyclonedx import validate

    return validate(text)
