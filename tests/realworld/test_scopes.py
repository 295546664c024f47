"""Nested model folders and distribution licence folders (issue 8, items 4 and 5)."""

from __future__ import annotations

from builders import safetensors_bytes
from trueopen.audit import audit
from trueopen.licenses.fulltext import spdx_texts

MIT = spdx_texts()["MIT"][1]
APACHE = spdx_texts()["Apache-2.0"][1]
CARD = ("---\nlicense: apache-2.0\n---\n# tiny-embedder\n\nA sentence embedding model for tests. It maps sentences to "
        "vectors for search and clustering.\n\n## Training data\n\nWe use the concatenation of several datasets; the total "
        "number of sentence pairs is above 1 billion.\n")
VOCAB = "\n".join(["[PAD]", "the", "of", "pricing", "##ing", "contact", "sales"] * 50) + "\n"


def _wheel() -> dict:
    return {
        "tinypkg/__init__.py": "from pathlib import Path\nMODEL = Path(__file__).parent / 'model'\n\ndef path():\n    return MODEL\n",
        "tinypkg/model/README.md": CARD,
        "tinypkg/model/config.json": '{"model_type": "bert", "architectures": ["BertModel"]}',
        "tinypkg/model/model.safetensors": safetensors_bytes(),
        "tinypkg/model/vocab.txt": VOCAB,
        "tinypkg/model/tokenizer.json": '{"model": {"vocab": {"pricing": 3}}}',
        "tinypkg-0.1.0.dist-info/licenses/LICENSE": MIT,
        "tinypkg-0.1.0.dist-info/RECORD": "tinypkg/__init__.py,sha256=abc,80\ntinypkg/model/vocab.txt,sha256=def,900\n",
        "tinypkg-0.1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tinypkg\nLicense: MIT\n",
    }


def test_a_model_folder_in_a_package_gets_its_own_card(release) -> None:
    a = audit(release(_wheel()), hash_contents=False)
    assert a.card.path == "tinypkg/model/README.md" and a.card.license == "apache-2.0"
    comps = {c.id: c for c in a.components}
    assert comps["model-card"].present
    # The model folder's own card licenses its files; the package licence the rest.
    assert comps["model-parameters-final"].license.expression == "Apache-2.0"
    assert any(l.path.endswith("dist-info/licenses/LICENSE") and l.governs == "" for l in a.licenses)
    mismatch = [f for f in a.findings if f.rule == "license-scope-mismatch"]
    assert mismatch and "tinypkg/model/" in mismatch[0].message and "MIT" in mismatch[0].message


def test_vocabularies_and_package_records_are_not_documents(release) -> None:
    a = audit(release(_wheel()), hash_contents=False)
    assert a.verdicts.eu_ai_act.monetisation == []
    assert all(not e.path.endswith(("vocab.txt", "RECORD")) for e in a.verdicts.eu_ai_act.evidence)
    assert a.safety.status == "clean" or all(not f.path.endswith(("RECORD", "vocab.txt")) for f in a.safety.files)


def test_reuse_licences_folder_governs_the_release(release) -> None:
    a = audit(release({"LICENSES/Apache-2.0.txt": APACHE, "model.safetensors": safetensors_bytes(),
                       "README.md": "# M\n\n" + "Some words about the model. " * 10}), hash_contents=False)
    params = next(c for c in a.components if c.id == "model-parameters-final")
    assert params.license.expression == "Apache-2.0" and params.open


def test_a_folder_of_model_licences_licenses_the_parameters(release) -> None:
    a = audit(release({"LICENSE-CODE": MIT, "model_licenses/LICENSE-ACME": "Acme Research License\n\nThe Licensor hereby grants "
                       "you a non-transferable licence for research purposes only and non-commercial use.\n",
                       "train.py": "import torch\nopt = torch.optim.AdamW(p)\nloss.backward()\nopt.step()\n",
                       "README.md": "# M\n\nWeights: [a](https://huggingface.co/acme/a).\n"}), hash_contents=False)
    params = next(c for c in a.components if c.id == "model-parameters-final")
    assert params.status == "referenced" and params.license.source == "content-type"
    assert params.license.path == "model_licenses/LICENSE-ACME" and not params.open
    assert next(c for c in a.components if c.id == "training-code").license.expression == "MIT"
