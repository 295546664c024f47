"""identify_text on snippets: AI licences by phrase, OSI/open-data licences, notices, failures."""

from __future__ import annotations

import pytest

from trueopen.licenses import identify_text, restrictive_markers, spdx_headers

T = "LicenseRef-trueopen-"


def ids(text: str) -> list[str]:
    return [m.id for m in identify_text(text)]


def only(text: str) -> "object":
    found = identify_text(text)
    assert len(found) == 1, found
    return found[0]


# --- AI licences with no corpus file, from their title + version + clause phrases ---------
AI_SNIPPETS = {
    T + "gemma": "Gemma Terms of Use\n\nLast modified: April 1, 2024\n\nBy using, reproducing, modifying, "
                 "distributing, performing or displaying any portion or element of Gemma, Model Derivatives...",
    T + "mrl-0.1": "# Mistral AI Research License\n\nIf You want to use a Mistral Model, a Derivative or an Output "
                   "for any purpose that is not expressly authorized under this Agreement... MRL-0.1\n"
                   "Research Purposes: means any use of a Mistral Model...",
    T + "mnpl-0.1": "# Mistral AI Non-Production License\n\n1. Scope and acceptance ... MNPL-0.1 ...\n"
                    "Non-Production Environment: means any setting, use case, or application ...",
    T + "falcon-180b-tii-1.0": "Falcon 180B TII License Version 1.0\nSeptember 2023\n... \"Hosting Use\" means "
                               "any use of the Work or a Derivative Work to offer shared instances ...",
    T + "falcon-2-11b-tii-1.0": "Falcon 2 11B TII License Version 1.0\nMay 2024\n... [name] is built using "
                                "Falcon LLM technology from the Technology Innovation Institute",
    T + "bigscience-rail-1.0": "BigScience RAIL License v1.0\ndated May 19, 2022\n\nSection I: PREAMBLE ...\n"
                               "5. Use-based restrictions. The restrictions set forth in Attachment A ...",
    T + "bigscience-openrail-m": "BigScience Open RAIL-M License\ndated August 18, 2022\n\nSection I: PREAMBLE\n"
                                 "Use-based restrictions ... Attachment A",
    T + "bigcode-openrail-m-1.0": "BigCode Open RAIL-M v1 License Agreement\n\nSection I: Preamble ...\n"
                                  "the use restrictions set forth in Attachment A",
    T + "ai2-impact-lr": "AI2 ImpACT License \u2013 Low Risk Artifacts (\u201cLR Agreement\u201d)\n"
                         "Version 2.0 ... Derivative Impact Report ...",
    T + "ai2-impact-mr": "AI2 ImpACT License - Medium Risk Artifacts (\"MR Agreement\")\nDerivative Impact Report",
    T + "ai2-impact-hr": "AI2 ImpACT License \u2014 High Risk Artifacts (\"HR Agreement\")\nDerivative Impact Report",
    T + "nvidia-open-model": "NVIDIA Open Model License Agreement\nLast Modified: April 28, 2025\n... "
                             "If You bypass, disable, reduce the efficacy of, or circumvent any technical "
                             "limitation, safety guardrail ... Trustworthy AI terms",
    T + "qwen-research": "Qwen RESEARCH LICENSE AGREEMENT\n\nQwen RESEARCH LICENSE AGREEMENT Release Date: "
                         "September 19, 2024\n... Non-Commercial ... Qwen Materials",
    T + "qwen": "Qwen LICENSE AGREEMENT\n\nQwen LICENSE AGREEMENT Release Date: September 19, 2024\n\n"
                "By clicking to agree or by using or distributing any portion or element of the Qwen Materials",
    T + "stability-ai-community": "STABILITY AI COMMUNITY LICENSE AGREEMENT\nLast Updated: July 5, 2024\n"
                                  "... annual revenue ... Powered by Stability AI",
}


@pytest.mark.parametrize("expected", sorted(AI_SNIPPETS))
def test_ai_licence_by_phrase(expected: str) -> None:
    m = only(AI_SNIPPETS[expected])
    assert m.id == expected and m.kind == "text" and m.line is not None


def test_gemma_prohibited_use_policy_is_a_policy() -> None:
    m = only("Gemma Prohibited Use Policy\n\nGoogle reserves the right to update this Gemma Prohibited "
             "Use Policy... You may not use nor allow others to use Gemma to:")
    assert (m.id, m.kind) == (T + "gemma-pup", "policy")


def test_version_mismatch_lowers_confidence() -> None:
    exact = only("LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024\n"
                 "Llama Materials")
    undated = only("LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama Materials ... monthly active users")
    assert exact.id == undated.id == T + "llama-3.1"
    assert exact.confidence > undated.confidence
    assert "no version line" in undated.detail


@pytest.mark.parametrize("title,expected", [
    ("LLAMA 2 COMMUNITY LICENSE AGREEMENT\nLlama 2 Version Release Date: July 18, 2023", "llama-2"),
    ("META LLAMA 3 COMMUNITY LICENSE AGREEMENT\nMeta Llama 3 Version Release Date: April 18, 2024", "llama-3"),
    ("LLAMA 3.2 COMMUNITY LICENSE AGREEMENT\nLlama 3.2 Version Release Date: September 25, 2024", "llama-3.2"),
    ("**LLAMA 3.3 COMMUNITY LICENSE AGREEMENT**\nLlama 3.3 Version Release Date: December 6, 2024", "llama-3.3"),
    ("LLAMA 4 COMMUNITY LICENSE AGREEMENT\nLlama 4 Version Effective Date: April 5, 2025", "llama-4"),
])
def test_llama_versions_apart(title: str, expected: str) -> None:
    m = only(title + "\n\u201cLlama Materials\u201d means ...")
    assert m.id == T + expected and m.confidence >= 0.95


# --- one-line notices -------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("This model is licensed under the Llama 3.1 Community License, Copyright \u00a9 Meta Platforms.",
     T + "llama-3.1"),
    ("Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms",
     T + "gemma"),
    ("Licensed under the Apache License, Version 2.0 (the \"License\");", "Apache-2.0"),
    ("Qwen is licensed under the Qwen LICENSE AGREEMENT, Copyright (c) Alibaba Cloud.", T + "qwen"),
    ("This project is released under the MIT License.", "MIT"),
    ("The weights are licensed under the CreativeML OpenRAIL-M license.", T + "creativeml-openrail-m"),
    ("Licensed by NVIDIA Corporation under the NVIDIA Open Model License", T + "nvidia-open-model"),
    ("The dataset is licensed under CC BY 4.0.", "CC-BY-4.0"),
])
def test_notice(text: str, expected: str) -> None:
    m = only(text)
    assert (m.id, m.kind, m.line) == (expected, "notice", 1)
    assert m.confidence < 0.9


def test_notice_on_later_line_reports_that_line() -> None:
    m = only("# Model\n\nSome words.\n\nThis model is subject to the Gemma Terms of Use.\n")
    assert m.line == 5


# --- common OSI / open-data licences from their distinctive phrases ---------------------
MIT = ("MIT License\n\nCopyright (c) 2024 X\n\nPermission is hereby granted, free of charge, to any person "
       "obtaining a copy\nof this software and associated documentation files (the \"Software\"), to deal\n"
       "in the Software without restriction.\n\nThe above copyright notice and this permission notice shall be "
       "included in all\ncopies or substantial portions of the Software.\n")
BSD_HEAD = ("Copyright (c) 2020, X\nAll rights reserved.\n\nRedistribution and use in source and binary forms, "
            "with or without\nmodification, are permitted provided that the following conditions are met:\n\n"
            "1. Redistributions of source code must retain the above copyright notice, this\n   list of "
            "conditions and the following disclaimer.\n\n2. Redistributions in binary form must reproduce the "
            "above copyright notice,\n   this list of conditions and the following disclaimer in the "
            "documentation\n   and/or other materials provided with the distribution.\n")
BSD3 = BSD_HEAD + ("\n3. Neither the name of the copyright holder nor the names of its\n   contributors may be "
                   "used to endorse or promote products derived from\n   this software without specific prior "
                   "written permission.\n")
CC_BODY = "\nUsing Creative Commons Public Licenses\n... Licensed Material ...\n"

SPDX_SNIPPETS = {
    "MIT": MIT,
    "BSD-2-Clause": BSD_HEAD,
    "BSD-3-Clause": BSD3,
    "Apache-2.0": "Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/\n\n"
                  "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n",
    "ISC": "ISC License\n\nPermission to use, copy, modify, and/or distribute this software for any\npurpose with "
           "or without fee is hereby granted, provided that the above\ncopyright notice and this permission "
           "notice appear in all copies.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\" AND THE AUTHOR DISCLAIMS ALL "
           "WARRANTIES\nWITH REGARD TO THIS SOFTWARE\n",
    "MPL-2.0": "Mozilla Public License Version 2.0\n==================================\n1.1. \"Contributor\"\n"
               "1.4. \"Covered Software\" means\n",
    "GPL-2.0-only": "GNU GENERAL PUBLIC LICENSE\nVersion 2, June 1991\n\nTERMS AND CONDITIONS FOR COPYING, "
                    "DISTRIBUTION AND MODIFICATION\n",
    "GPL-3.0-only": "GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n\nPreamble\n",
    "LGPL-2.1-only": "GNU LESSER GENERAL PUBLIC LICENSE\nVersion 2.1, February 1999\n\nTERMS AND CONDITIONS "
                     "FOR COPYING, DISTRIBUTION AND MODIFICATION\n",
    "LGPL-3.0-only": "GNU LESSER GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n\n0. Additional Definitions.\n",
    "AGPL-3.0-only": "GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007\n\nPreamble\n",
    "Unlicense": "This is free and unencumbered software released into the public domain.\n\nIn jurisdictions "
                 "that recognize copyright laws, the author or authors\nof this software dedicate any and all "
                 "copyright interest in the\nsoftware to the public domain.\n",
    "BSL-1.0": "Boost Software License - Version 1.0 - August 17th, 2003\n\nPermission is hereby granted, free of "
               "charge, to any person or organization\nobtaining a copy of the software and accompanying "
               "documentation covered by\nthis license (the \"Software\")\n",
    "CC0-1.0": "Creative Commons Legal Code\n\nCC0 1.0 Universal\n\nStatement of Purpose\n",
    "CC-BY-4.0": "Creative Commons Attribution 4.0 International" + CC_BODY,
    "CC-BY-SA-4.0": "Creative Commons Attribution-ShareAlike 4.0 International" + CC_BODY,
    "CC-BY-NC-4.0": "Creative Commons Attribution-NonCommercial 4.0 International" + CC_BODY,
    "CC-BY-NC-SA-4.0": "Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International" + CC_BODY,
    "CC-BY-SA-3.0": "Creative Commons Legal Code\n\nAttribution-ShareAlike 3.0 Unported\n",
    "CDLA-Permissive-1.0": "Community Data License Agreement \u2013 Permissive \u2013 Version 1.0\n\n"
                           "Data is provided to You under this Agreement by each of the Data Providers.\n",
    "CDLA-Permissive-2.0": "Community Data License Agreement - Permissive - Version 2.0\n\nData Recipient\n",
    "ODC-By-1.0": "# ODC Attribution License (ODC-By)\n\n### Preamble\n\nthis Database\n",
    "ODbL-1.0": "## Open Data Commons Open Database License (ODbL)\n\n### Preamble\n\nthis Database\n",
    "PDDL-1.0": "Open Data Commons Public Domain Dedication & License (PDDL)\n\nPreamble ... databases\n",
    "OpenMDW-1.0": "OpenMDW License Agreement, version 1.0 (OpenMDW-1.0)\n\n\"Model Materials\" means\n",
}


@pytest.mark.parametrize("expected", sorted(SPDX_SNIPPETS))
def test_spdx_licence_by_phrase(expected: str) -> None:
    assert ids(SPDX_SNIPPETS[expected]) == [expected]


def test_bsd_two_vs_three_turns_on_neither_the_name() -> None:
    assert ids(BSD_HEAD) == ["BSD-2-Clause"]
    assert ids(BSD3) == ["BSD-3-Clause"]


def test_bsd4_advertising_clause_is_not_bsd3() -> None:
    bsd4 = BSD3 + "\n4. All advertising materials mentioning features or use of this software\n"
    assert ids(bsd4) == []


def test_mit_variant_with_extra_clause_is_not_mit() -> None:
    assert ids(MIT + "\nThe Software shall be used for Good, not Evil.\n") == []


def test_several_licences_in_one_file() -> None:
    found = ids(MIT + "\n\n-----\n\n" + BSD3)
    assert sorted(found) == ["BSD-3-Clause", "MIT"]


def test_full_text_beats_its_own_notice() -> None:
    text = SPDX_SNIPPETS["Apache-2.0"] + "\nLicensed under the Apache License, Version 2.0 (the \"License\");\n"
    m = only(text)
    assert (m.id, m.kind) == ("Apache-2.0", "text")


def test_sorted_by_confidence_then_id() -> None:
    found = identify_text(MIT + "\n" + BSD3 + "\nLicensed under the Apache License, Version 2.0\n")
    keys = [(-m.confidence, m.id) for m in found]
    assert keys == sorted(keys)


def test_header_and_card_metadata() -> None:
    m = only("# SPDX-License-Identifier: MIT\n")
    assert (m.id, m.kind, m.line) == ("MIT", "header", 1)
    card = "---\nlicense:\n- cc-by-4.0\n- odc-by\n---\n# Dataset\n"
    got = {(m.id, m.kind, m.line) for m in identify_text(card)}
    assert got == {("CC-BY-4.0", "metadata", 3), ("ODC-By-1.0", "metadata", 4)}


# --- never guess ------------------------------------------------------------------------
UNKNOWN_CUSTOM = ("ACME MODEL LICENSE\n\nYou may use the Model for research purposes only.\n"
                  "If your products have more than 50 million monthly active users you must request a license.\n"
                  "You may not use the Model or its outputs to improve any other large language model.\n")


def test_unknown_text_returns_nothing_but_markers_still_report() -> None:
    assert identify_text(UNKNOWN_CUSTOM) == []
    markers = {mk for _, mk in restrictive_markers(UNKNOWN_CUSTOM)}
    assert {"research-only", "user-threshold", "outputs-restriction"} <= markers


@pytest.mark.parametrize("text", [
    "", "   \n\t", "hello world", "https://github.com/meta-llama/llama-models/blob/main/README.md",
    "\x00\x01\ufffd\ufffd garbage \udcff bytes \x7f" * 100,
    "Llama", "licensed under", "Apache", "the license", "Creative Commons",
])
def test_nothing_identified(text: str) -> None:
    assert identify_text(text) == []


def test_garbage_bytes_decoded() -> None:
    import os

    blob = os.urandom(200_000).decode("latin-1")
    assert identify_text(blob) == []
    assert isinstance(restrictive_markers(blob), list)


def test_non_string_input() -> None:
    assert identify_text(None) == []  # type: ignore[arg-type]
    assert restrictive_markers(b"bytes") == []  # type: ignore[arg-type]
    assert spdx_headers(None) == []  # type: ignore[arg-type]


def test_huge_text_is_bounded() -> None:
    import time

    filler = "lorem ipsum dolor sit amet " * 80_000          # ~2.1 MB
    late = filler + "\nLicensed under the Apache License, Version 2.0\n"
    start = time.perf_counter()
    assert identify_text(late) == []                          # beyond the first 1 MiB
    assert identify_text(MIT + filler)[0].id == "MIT"
    assert time.perf_counter() - start < 10


def test_deterministic() -> None:
    text = MIT + BSD3 + AI_SNIPPETS[T + "gemma"]
    assert identify_text(text) == identify_text(text)


# --- spdx_headers -----------------------------------------------------------------------
def test_spdx_headers_lines_and_limits() -> None:
    text = "/* SPDX-License-Identifier: (MIT OR Apache-2.0) */\nx\n# spdx-license-identifier: GPL-2.0-only\n"
    assert spdx_headers(text) == [(1, "(MIT OR Apache-2.0)"), (3, "GPL-2.0-only")]
    late = "\n" * 60 + "// SPDX-License-Identifier: MIT\n"
    assert spdx_headers(late) == []
    assert spdx_headers("x" * 9000 + "\n// SPDX-License-Identifier: MIT\n") == []
