"""Custom licences: a licence file is identified as a whole (issue 8, item 3).

Minimal reproductions of ChatGLM-6B's MODEL_LICENSE defect: a licence of its own that borrows
MIT's notice and disclaimer must never be read as MIT."""

from __future__ import annotations

from trueopen.licenses import identify_file, identify_text
from trueopen.licenses.fulltext import spdx_texts

MIT_NOTICE = ("The above copyright notice and this permission notice shall be included in all copies or substantial "
              "portions of the Software.")
MIT_DISCLAIMER = ('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT '
                  "LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO "
                  "EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN "
                  "AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE "
                  "OR OTHER DEALINGS IN THE SOFTWARE.")
CUSTOM = f"""The Acme-7B Model License

1. Definitions

"Software" means the Acme-7B model parameters made available under this license.

2. License Grant

Subject to the terms of this License, the Licensor hereby grants to you a non-exclusive, worldwide, non-transferable,
non-sublicensable, revocable, royalty-free copyright license to use the Software.

{MIT_NOTICE}

3. Restriction

You will not use, copy, modify or distribute the Software for any military, or illegal purposes.

4. Disclaimer

{MIT_DISCLAIMER}

5. Governing law

This license shall be governed and construed in accordance with the laws of the Republic of Examplestan.
"""


def test_borrowed_mit_sentences_do_not_make_mit() -> None:
    assert [m.id for m in identify_text(CUSTOM)] == ["MIT"]  # the defect, still there at the sentence level
    (m,) = identify_file(CUSTOM, "MODEL_LICENSE")
    assert m.kind == "custom" and m.id == "LicenseRef-custom-acme-7b-model-license"
    assert m.name == "The Acme-7B Model License" and m.line == 1
    assert any(b.startswith("MIT (") for b in m.borrowed)
    kinds = {mk for _, mk in m.restrictions}
    assert {"revocable", "non-transferable", "field-of-use"} <= kinds
    t = m.terms
    assert t.termination == "the licence is revocable" and "non-transferable" in (t.redistribution or "")
    assert t.governing_law == "Republic of Examplestan" and t.freedoms["use"] == "conditional"
    assert not t.osi_approved and not t.derived


def test_chinese_custom_licence_restrictions_are_read() -> None:
    text = ("某某模型许可证\n\n2. 许可授予\n\n根据本许可的条款和条件，许可方特此授予您非排他性、全球性、不可转让、不可再许可、可撤销、"
            "免版税的版权许可。\n\n" + MIT_NOTICE + "\n\n3. 限制\n\n您不得出于任何军事或非法目的使用本软件。\n\n" + MIT_DISCLAIMER + "\n")
    (m,) = identify_file(text, "MODEL_LICENSE")
    assert m.kind == "custom"
    assert {"revocable", "non-transferable", "field-of-use"} <= {mk for _, mk in m.restrictions}


def test_irrevocable_grant_is_not_a_restriction() -> None:
    text = ("Acme Licence\n\nThe Licensor hereby grants you a perpetual, worldwide, irrevocable licence to use the model.\n\n"
            + MIT_NOTICE + "\n")
    m = identify_file(text, "LICENSE")
    # Its own title and grant still make it custom, but "irrevocable" is not "revocable".
    assert m[0].kind == "custom" and "revocable" not in {mk for _, mk in m[0].restrictions}


def test_standard_licence_texts_stay_themselves() -> None:
    texts = spdx_texts()
    for spdx_id in ("MIT", "Apache-2.0", "CC-BY-4.0", "BSD-3-Clause"):
        got = identify_file(texts[spdx_id][1], "LICENSE")
        assert [m.id for m in got][:1] == [spdx_id] and got[0].kind == "text", spdx_id


def test_mit_with_an_added_restriction_is_custom() -> None:
    text = texts_mit = spdx_texts()["MIT"][1]
    text = texts_mit + "\n\nAdditional restriction: you may not use the Software for military purposes.\n"
    (m,) = identify_file(text, "LICENSE")
    assert m.kind == "custom" and ("field-of-use" in {mk for _, mk in m.restrictions})


def test_notice_files_collect_other_licences_and_are_never_custom() -> None:
    text = "Third-party notices\n\nThis product includes software licensed under the MIT license:\n\n" + MIT_NOTICE + "\n"
    assert all(m.kind != "custom" for m in identify_file(text, "NOTICE"))


def test_custom_licence_in_an_audit_is_not_open(release) -> None:
    from builders import safetensors_bytes
    from trueopen.audit import audit

    root = release({"MODEL_LICENSE": CUSTOM, "LICENSE": spdx_texts()["Apache-2.0"][1],
                    "README.md": "# Acme-7B\n\nAcme-7B is an open source model. " + "More words about it here. " * 10,
                    "model.safetensors": safetensors_bytes(), "config.json": '{"model_type": "acme"}'})
    a = audit(root, hash_contents=False)
    params = next(c for c in a.components if c.id == "model-parameters-final")
    assert params.license.expression == "LicenseRef-custom-acme-7b-model-license" and not params.open
    assert a.verdicts.label == "restricted-weights"
    assert a.verdicts.openwashing.flagged and a.verdicts.openwashing.severity == "strong"
    lic = next(l for l in a.licenses if l.path == "MODEL_LICENSE")
    assert lic.kind == "custom" and lic.category == "custom" and not lic.open and lic.borrowed
    assert any(f.rule == "license-custom" for f in a.findings)
