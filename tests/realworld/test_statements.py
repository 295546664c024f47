"""Licences stated in prose are licence sources (issue 8, item 5), below files and the card."""

from __future__ import annotations

from builders import safetensors_bytes
from trueopen.audit import audit
from trueopen.inspectors.statements import statements_in_text
from trueopen.licenses.fulltext import spdx_texts

MIT = spdx_texts()["MIT"][1]
APACHE = spdx_texts()["Apache-2.0"][1]
WORDS = "This card documents the model, its intended uses and its limits in some detail. " * 3


def _component(a, cid):
    return next(c for c in a.components if c.id == cid)


def test_code_and_weights_in_one_sentence() -> None:
    (st,) = statements_in_text("## License\n\nWhisper's code and model weights are released under the MIT License.\n", "README.md")
    assert st.subjects == ("code", "parameters") and st.ids == ("MIT",) and st.line == 3


def test_a_link_to_a_licence_file_names_its_licence() -> None:
    text = "The use of Acme-7B model weights is subject to the [Model License](MODEL_LICENSE).\n"
    (st,) = statements_in_text(text, "README.md", {"MODEL_LICENSE": ["LicenseRef-custom-acme"]})
    assert st.subjects == ("parameters",) and st.ids == ("LicenseRef-custom-acme",) and st.via == "MODEL_LICENSE"


def test_chinese_clauses_are_separate_statements() -> None:
    text = "本仓库的代码依照 [Apache-2.0](LICENSE) 协议开源，模型权重的使用则需要遵循 [Model License](MODEL_LICENSE)。\n"
    got = statements_in_text(text, "README.md", {"LICENSE": ["Apache-2.0"], "MODEL_LICENSE": ["LicenseRef-x"]})
    assert [(s.subjects, s.ids) for s in got] == [(("code",), ("Apache-2.0",)), (("parameters",), ("LicenseRef-x",))]


def test_the_following_licence_is_read_from_the_next_lines() -> None:
    text = ("## License\nThe following license applies to all code in this repo, as well as the models.\n\n```\n"
            "   Licensed under the Apache License, Version 2.0 (the \"License\");\n```\n")
    (st,) = statements_in_text(text, "README.md")
    assert st.ids == ("Apache-2.0",) and set(st.subjects) == {"code", "parameters"}


def test_sentences_about_contributions_or_dependencies_are_no_statements() -> None:
    text = ("By contributing, you agree that your contributions will be licensed under the MIT License.\n\n"
            "This project depends on a library that is licensed under the GPL-3.0.\n\nWe love the Apache 2.0 license.\n")
    assert statements_in_text(text, "README.md") == []


def test_statement_about_weights_beats_the_general_licence_file(release) -> None:
    root = release({"LICENSE": APACHE, "model.safetensors": safetensors_bytes(),
                    "README.md": "# Acme\n\n" + WORDS + "\n\n## License\n\nThe code is licensed under Apache-2.0. "
                                 "The model weights are released under the Llama 3.1 Community License.\n"})
    a = audit(root, hash_contents=False)
    params = _component(a, "model-parameters-final")
    assert params.license.source == "statement" and params.license.path == "README.md" and params.license.line == 7
    assert "llama-3.1" in (params.license.expression or "") and not params.open
    assert a.verdicts.label == "restricted-weights"
    stmt = [l for l in a.licenses if l.kind == "statement"]
    assert {tuple(l.applies_to) for l in stmt} == {("code",), ("parameters",)}


def test_a_model_licence_file_beats_a_statement(release) -> None:
    root = release({"LICENSE-MODEL": MIT, "model.safetensors": safetensors_bytes(),
                    "README.md": "# Acme\n\n" + WORDS + "\nThe model weights are released under the Llama 3.1 Community License.\n"})
    params = _component(audit(root, hash_contents=False), "model-parameters-final")
    assert params.license.expression == "MIT" and params.license.source == "content-type"


def test_a_statement_alone_licenses_the_release(release) -> None:
    root = release({"model.safetensors": safetensors_bytes(), "config.json": '{"model_type": "acme"}',
                    "README.md": "# Acme\n\n" + WORDS + "\nThis model is licensed under the Apache 2.0 license.\n"})
    a = audit(root, hash_contents=False)
    params = _component(a, "model-parameters-final")
    assert params.license.expression == "Apache-2.0" and params.license.source == "statement" and params.open
    assert a.verdicts.label == "open-weights"
