"""EU AI Act Art. 53(2): licence categories, stated compute and the 10^25 FLOP boundary,
monetisation, what stays owed."""

from __future__ import annotations

import pytest

from builders import corpus_text, safetensors_bytes
from trueopen.assessors.eu_ai_act import assess_eu_ai_act, systemic_risk
from trueopen.audit import audit
from trueopen.inspectors.datainfo import DataInfo, parse_compute
from trueopen.record import Component, ComponentLicense, Evidence

WORDS = "This card documents the model, its intended uses and its limits in some detail. " * 3
ARCH = "class Net(nn.Module):\n    def forward(self, x):\n        return x\n"


def _files(card_extra: str = "") -> dict:
    return {
        "README.md": "---\nlicense: apache-2.0\n---\n# M\n\n" + WORDS + card_extra,
        "LICENSE": corpus_text("starcoder_repo_LICENSE"),
        "model.safetensors": safetensors_bytes(),
        "modeling.py": ARCH,
    }


def _eu(release, card_extra: str = ""):
    return audit(release(_files(card_extra)), hash_contents=False).verdicts.eu_ai_act


@pytest.mark.parametrize("text,value", [
    ("Training used 1.2e24 FLOPs.", 1.2e24),
    ("Training compute: 3.8 × 10^25 FLOP", 3.8e25),
    ("about 10^25 FLOP in total", 1e25),
    ("6e23 floating point operations", 6e23),
    ("3.8 × 10²⁵ FLOP", 3.8e25),
    ("2 x 10**24 FLOPs", 2e24),
    ("| Training compute (FLOP) | 5E22 |", 5e22),
])
def test_compute_is_parsed(text, value) -> None:
    assert [v for v, _ in parse_compute(text)] == [value]


@pytest.mark.parametrize("text", ["6e9 FLOPs per token", "312 TFLOPS on an A100", "1.5e3 FLOP/s", "trained for 1e5 steps",
                                  "2 x 1024 GPUs"])
def test_rates_and_other_numbers_are_not_compute(text) -> None:
    assert parse_compute(text) == []


def test_compute_statement_keeps_number_and_line(release) -> None:
    e = _eu(release, "\n## Training\n\nThe model was trained with 3.8 × 10^25 FLOP.\n")
    assert e.training_compute_flop == 3.8e25
    assert e.compute_evidence[0].path == "README.md" and e.compute_evidence[0].line == 9
    assert "3.8 × 10^25" in e.compute_evidence[0].detail


@pytest.mark.parametrize("stated,risk", [("1e25", False), ("10^25", False), ("1.01e25", True), ("9.9e24", False), ("2e26", True)])
def test_systemic_risk_boundary_is_above_1e25(release, stated, risk) -> None:
    e = _eu(release, f"\nTraining compute: {stated} FLOP.\n")
    assert e.systemic_risk is risk
    assert e.exempt is (not risk)
    if risk:
        assert any("above 10^25 FLOP" in r and "Art. 51(2)" in r for r in e.reasons)


def test_no_compute_stated_is_null(release) -> None:
    e = _eu(release)
    assert e.systemic_risk is None and e.training_compute_flop is None and e.compute_evidence == []
    assert e.exempt
    assert any("cannot be ruled out" in r for r in e.reasons)
    assert systemic_risk(None) is None


def test_largest_stated_compute_counts(release) -> None:
    e = _eu(release, "\nThe small model: 2e23 FLOPs.\nThe large model: 4e25 FLOPs.\n")
    assert e.training_compute_flop == 4e25 and e.systemic_risk
    assert len(e.compute_evidence) == 2


@pytest.mark.parametrize("text", [
    "See our pricing page for the hosted version.",
    "A paid API is available at api.example.",
    "For production use, contact sales.",
    "An enterprise licence is available for companies.",
    "A commercial license is required above 10 employees.",
    "Hosted inference costs $0.20 per 1M tokens.",
])
def test_monetisation_signs_remove_the_exemption(release, text) -> None:
    e = _eu(release, "\n## Access\n\n" + text + "\n")
    assert not e.exempt
    assert e.monetisation and e.monetisation[0].path == "README.md" and e.monetisation[0].line == 9
    assert any(r.startswith("signs of monetisation (recital 103") for r in e.reasons)


def test_revenue_threshold_in_a_licence_is_monetisation() -> None:
    comps = {
        "model-parameters-final": Component(id="model-parameters-final", name="w", content_type="data", present=True, open=True,
                                            license=ComponentLicense(expression="Apache-2.0", source="release", path="LICENSE")),
        "model-architecture": Component(id="model-architecture", name="a", content_type="code", present=True, open=True,
                                        license=ComponentLicense(expression="Apache-2.0", source="release", path="LICENSE")),
        "model-card": Component(id="model-card", name="c", content_type="document", present=True, open=True,
                                license=ComponentLicense(expression="Apache-2.0", source="release", path="LICENSE")),
    }
    clause = Evidence(path="LICENSE-COMMERCIAL", line=7, detail="licence clause: revenue-threshold")
    e = assess_eu_ai_act(comps, DataInfo(licence_markers=(("revenue-threshold", clause), ("use-policy", clause))))
    assert not e.exempt and e.monetisation == [clause]
    assert assess_eu_ai_act(comps, DataInfo(licence_markers=(("user-threshold", clause),))).exempt


def _weights(expr: str) -> dict:
    lic = ComponentLicense(expression=expr, source="release", path="LICENSE")
    mk = lambda cid, ct: Component(id=cid, name=cid, content_type=ct, present=True, open=True, license=lic)
    return {"model-parameters-final": mk("model-parameters-final", "data"), "model-architecture": mk("model-architecture", "code"),
            "model-card": mk("model-card", "document")}


@pytest.mark.parametrize("expr,ok", [
    ("Apache-2.0", True), ("MIT", True),  # permissive
    ("GPL-3.0-only", True),  # copyleft: same-terms conditions are allowed (recital 102)
    ("CC-BY-4.0", True), ("CC0-1.0", True),  # open-content: attribution allowed
    ("CDLA-Permissive-2.0", True),  # open-data
    ("CC-BY-NC-4.0", False),  # non-commercial
    ("LicenseRef-trueopen-llama-3.1", False),  # restricted-model
    ("LicenseRef-trueopen-unknown", False),  # unknown
])
def test_licence_categories(expr, ok) -> None:
    e = assess_eu_ai_act(_weights(expr), DataInfo())
    assert e.exempt is ok
    if not ok:
        assert "is not a free and open-source licence" in e.reasons[0]


def test_restricted_weights_fail(release) -> None:
    files = _files()
    files["LICENSE"] = corpus_text("llama3_1_LICENSE")
    files["README.md"] = files["README.md"].replace("apache-2.0", "llama3.1")
    e = audit(release(files), hash_contents=False).verdicts.eu_ai_act
    assert not e.exempt and "restricted-model" in e.reasons[0]


def test_still_owed_and_statements_about_it(release) -> None:
    e = _eu(release, "\n## Copyright\n\nWe honour TDM opt-outs (robots.txt) under our copyright policy.\n"
                     "A public summary of the training content is published.\n")
    assert e.exempt and len(e.still_owed) == 2
    assert e.copyright_policy[0].line == 9
    assert e.training_content_summary[0].line == 10
    assert _eu(release).copyright_policy == []


def test_exemption_evidence_points_at_files(release) -> None:
    e = _eu(release)
    paths = {x.path for x in e.evidence}
    assert {"model.safetensors", "LICENSE", "README.md"} <= paths
