"""identify_name, expression_ids, get_record, is_open, is_type_appropriate."""

from __future__ import annotations


import pytest

from trueopen.licenses import (
    LicenseMatch,
    LicenseRecord,
    expression_ids,
    get_record,
    identify_name,
    is_open,
    is_type_appropriate,
)
from trueopen.licenses.records import CATEGORIES, CONTENT_TYPES, catalog_records

T = "LicenseRef-trueopen-"

# Hugging Face `license:` allowed list (licenses.md §3.1) -> id.
HF = {
    "openrail": T + "openrail-family", "bigscience-openrail-m": T + "bigscience-openrail-m",
    "creativeml-openrail-m": T + "creativeml-openrail-m", "bigscience-bloom-rail-1.0": T + "bigscience-rail-1.0",
    "bigcode-openrail-m": T + "bigcode-openrail-m-1.0", "openrail++": T + "creativeml-openrail-plusplus-m",
    "llama2": T + "llama-2", "llama3": T + "llama-3", "llama3.1": T + "llama-3.1", "llama3.2": T + "llama-3.2",
    "llama3.3": T + "llama-3.3", "llama4": T + "llama-4", "gemma": T + "gemma",
    "grok2-community": T + "grok2-community", "deepfloyd-if-license": T + "deepfloyd-if",
    "fair-noncommercial-research-license": T + "fair-noncommercial-research", "apple-ascl": T + "apple-ascl",
    "apple-amlr": T + "apple-amlr", "h-research": T + "h-research", "intel-research": T + "intel-research",
    "openmdw-1.0": "OpenMDW-1.0", "openmdw-1.1": T + "openmdw-1.1",
    "apache-2.0": "Apache-2.0", "mit": "MIT", "afl-3.0": "AFL-3.0", "artistic-2.0": "Artistic-2.0",
    "bsl-1.0": "BSL-1.0", "bsd": T + "bsd-family", "bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause",
    "bsd-3-clause-clear": "BSD-3-Clause-Clear", "c-uda": "C-UDA-1.0", "cc": T + "cc-family", "cc0-1.0": "CC0-1.0",
    "cc-by-2.0": "CC-BY-2.0", "cc-by-2.5": "CC-BY-2.5", "cc-by-3.0": "CC-BY-3.0", "cc-by-4.0": "CC-BY-4.0",
    "cc-by-sa-3.0": "CC-BY-SA-3.0", "cc-by-sa-4.0": "CC-BY-SA-4.0", "cc-by-nc-2.0": "CC-BY-NC-2.0",
    "cc-by-nc-3.0": "CC-BY-NC-3.0", "cc-by-nc-4.0": "CC-BY-NC-4.0", "cc-by-nd-4.0": "CC-BY-ND-4.0",
    "cc-by-nc-nd-3.0": "CC-BY-NC-ND-3.0", "cc-by-nc-nd-4.0": "CC-BY-NC-ND-4.0",
    "cc-by-nc-sa-2.0": "CC-BY-NC-SA-2.0", "cc-by-nc-sa-3.0": "CC-BY-NC-SA-3.0",
    "cc-by-nc-sa-4.0": "CC-BY-NC-SA-4.0", "cdla-sharing-1.0": "CDLA-Sharing-1.0",
    "cdla-permissive-1.0": "CDLA-Permissive-1.0", "cdla-permissive-2.0": "CDLA-Permissive-2.0",
    "wtfpl": "WTFPL", "ecl-2.0": "ECL-2.0", "epl-1.0": "EPL-1.0", "epl-2.0": "EPL-2.0",
    "etalab-2.0": "etalab-2.0", "eupl-1.1": "EUPL-1.1", "eupl-1.2": "EUPL-1.2", "agpl-3.0": "AGPL-3.0-only",
    "gfdl": T + "gfdl-family", "gpl": T + "gpl-family", "gpl-2.0": "GPL-2.0-only", "gpl-3.0": "GPL-3.0-only",
    "lgpl": T + "lgpl-family", "lgpl-2.1": "LGPL-2.1-only", "lgpl-3.0": "LGPL-3.0-only", "isc": "ISC",
    "lppl-1.3c": "LPPL-1.3c", "ms-pl": "MS-PL", "mpl-2.0": "MPL-2.0", "odc-by": "ODC-By-1.0",
    "odbl": "ODbL-1.0", "osl-3.0": "OSL-3.0", "postgresql": "PostgreSQL", "ofl-1.1": "OFL-1.1",
    "ncsa": "NCSA", "unlicense": "Unlicense", "zlib": "Zlib", "pddl": "PDDL-1.0", "lgpl-lr": "LGPLLR",
}


@pytest.mark.parametrize("hf_id", sorted(HF))
def test_hf_card_id(hf_id: str) -> None:
    m = identify_name(hf_id)
    assert isinstance(m, LicenseMatch)
    assert (m.id, m.kind, m.line) == (HF[hf_id], "metadata", None)
    assert get_record(m.id) is not None


@pytest.mark.parametrize("value", ["other", "unknown", "Other", "", "  ", "not-a-licence", "MIT AND Apache-2.0"])
def test_names_that_name_nothing(value: str) -> None:
    assert identify_name(value) is None


@pytest.mark.parametrize("value,expected", [
    ("deepseek", T + "deepseek-1.0"), ("deepseek-license", T + "deepseek-1.0"),
    ("tongyi-qianwen", T + "tongyi-qianwen"), ("tongyi-qianwen-research", T + "tongyi-qianwen-research"),
    ("qwen", T + "qwen"), ("qwen-research", T + "qwen-research"), ("mrl", T + "mrl-0.1"), ("mnpl", T + "mnpl-0.1"),
    ("nvidia-open-model-license", T + "nvidia-open-model"), ("stabilityai-ai-community", T + "stability-ai-community"),
    ("apple-sample-code-license", T + "apple-ascl"), ("databricks-open-model-license", T + "databricks-open-model"),
    ("Apache 2.0", "Apache-2.0"), ("MIT license", "MIT"), ("Apache License, Version 2.0", "Apache-2.0"),
    ("apache-2.0", "Apache-2.0"), ("Apache License 2.0", "Apache-2.0"), ("GPL-2.0+", "GPL-2.0-or-later"),
    ("llama-3.1-license-2024", T + "llama-3.1"), ("LicenseRef-scancode-llama-3.1-license-2024", T + "llama-3.1"),
    ("LicenseRef-trueopen-llama-3.1", T + "llama-3.1"), ("Llama 3.1 Community License Agreement", T + "llama-3.1"),
    ("bigscience-open-rail-m2", T + "creativeml-openrail-plusplus-m"), ("boost-1.0", "BSL-1.0"),
])
def test_license_name_slugs_and_free_names(value: str, expected: str) -> None:
    m = identify_name(value)
    assert m is not None and m.id == expected


def test_family_ids_have_low_confidence() -> None:
    assert identify_name("gpl").confidence < identify_name("gpl-3.0").confidence


def test_expression_ids() -> None:
    assert expression_ids("MIT OR (Apache-2.0 AND cc-by-nc-4.0)") == ["MIT", "Apache-2.0", "CC-BY-NC-4.0"]
    assert expression_ids("GPL-2.0-only WITH Classpath-exception-2.0") == ["GPL-2.0-only"]
    assert expression_ids("llama3.1 AND MIT AND MIT") == [T + "llama-3.1", "MIT"]
    assert expression_ids("") == []
    assert expression_ids("something odd") == ["something odd"]
    assert expression_ids("MIT AND (") == ["MIT AND ("]


@pytest.mark.parametrize("expr,expected", [
    ("Apache-2.0", True), ("MIT", True), ("GPL-3.0-only", True), ("CC-BY-4.0", True), ("CC0-1.0", True),
    ("CC-BY-SA-4.0", True), ("CDLA-Permissive-1.0", True), ("CDLA-Permissive-2.0", True),
    ("CDLA-Sharing-1.0", True), ("ODC-By-1.0", True), ("ODbL-1.0", True), ("PDDL-1.0", True),
    ("GFDL-1.3-only", True), ("OGL-UK-3.0", True), ("OGL-Canada-2.0", True), ("OpenMDW-1.0", True),
    ("CC-BY-3.0-IGO", True), ("CC-BY-SA-2.1-JP", True),
    ("CC-BY-NC-4.0", False), ("CC-BY-ND-4.0", False), ("CC-BY-NC-SA-4.0", False), ("C-UDA-1.0", False),
    ("AML", False), (T + "llama-3.1", False), (T + "gemma", False), (T + "deepseek-1.0", False),
    (T + "creativeml-openrail-m", False), (T + "qwen", False), (T + "tongyi-qianwen-research", False),
    (T + "mrl-0.1", False), (T + "openmdw-1.1", False), ("llama3.1", False), ("LicenseRef-foo-bar", False),
    ("unknown", False), ("", False), ("MIT AND llama3.1", False), ("MIT OR llama3.1", True),
    ("(Apache-2.0 OR CC-BY-NC-4.0) AND CC-BY-4.0", True), ("Apache-2.0 AND (CC-BY-NC-4.0 OR gemma)", False),
    ("GPL-2.0-only WITH Classpath-exception-2.0", True), ("apache 2.0", True), ("MIT AND (", False),
])
def test_is_open(expr: str, expected: bool) -> None:
    assert is_open(expr) is expected


@pytest.mark.parametrize("lid,ctype,expected", [
    ("MIT", "code", True), ("MIT", "data", False), ("Apache-2.0", "document", True),
    ("CDLA-Permissive-2.0", "data", True), ("CC-BY-4.0", "document", True), ("CC-BY-4.0", "data", False),
    ("CC0-1.0", "document", True), ("OpenMDW-1.0", "code", True), ("OpenMDW-1.0", "data", True),
    ("GPL-3.0-only", "code", False), (T + "llama-3.1", "data", False), ("MIT", "weights", False),
    ("nope", "code", False), ("mit", "code", True),
])
def test_is_type_appropriate(lid: str, ctype: str, expected: bool) -> None:
    assert is_type_appropriate(lid, ctype) is expected


def test_catalog_records_are_complete() -> None:
    recs = catalog_records()
    assert len({r.id for r in recs}) == len(recs)
    for r in recs:
        assert isinstance(r, LicenseRecord)
        assert r.id.startswith(T) and r.name and r.source
        assert r.category in CATEGORIES
        assert set(r.content_types) <= set(CONTENT_TYPES)
        assert get_record(r.id) is r
        # Only the version-less family ids of OSI/FSF licences are open.
        assert r.open == r.id.endswith(("bsd-family", "gpl-family", "lgpl-family", "gfdl-family"))


def test_scancode_keys_named_in_research_are_aliases() -> None:
    for key, lid in {"llama-2-license-2023": "llama-2", "llama-3.1-license-2024": "llama-3.1",
                     "llama-4-cla-2025": "llama-4", "llama-4-license-2025": "llama-4-aup",
                     "deepseek-la-1.0": "deepseek-1.0", "tongyi-qianwen-2023": "tongyi-qianwen",
                     "qwen-2024": "qwen", "stable-diffusion-2022-08-22": "creativeml-openrail-m",
                     "falcon-2-11b-1.0": "falcon-2-11b-tii-1.0", "apple-excl": "apple-ascl"}.items():
        assert key in get_record(T + lid).aliases


def test_spdx_records_on_the_fly() -> None:
    r = get_record("Apache-2.0")
    assert (r.osi_approved, r.fsf_libre, r.open, r.category) == (True, True, True, "permissive")
    assert r.content_types == ("code", "document")
    assert get_record("cc-by-nc-4.0").category == "non-commercial"
    assert get_record("CDLA-Permissive-2.0").category == "open-data"
    assert get_record("GPL-3.0-only").category == "copyleft"
    odc = get_record("ODC-By-1.0")
    assert odc.open and not odc.osi_approved and odc.category == "open-data"
    assert get_record("nope") is None and get_record("") is None
