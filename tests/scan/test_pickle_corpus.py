"""Reference corpora (picklescan's and modelaudit's test files, shared/reference/): every
malicious raw pickle is blocked, every benign one is not. The files are malicious: they are
read as bytes and analysed, never loaded; archives are not opened here (containers are
trueopen.scan.containers' job) and path_traversal.zip is never extracted.
Disagreements with EXPECTED.tsv are listed, with reasons, in tests/scan/CORPUS_NOTES.md.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from trueopen.scan.pickle_machine import analyse_pickle

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"
CORPORA = ("picklescan-corpus", "modelaudit-assets")

# EXPECTED says malicious, we answer review (see CORPUS_NOTES.md): the outer load runs
# nothing; the data holds a pickle whose inner payload is a harmless stand-in (builtins.print).
REVIEW_IS_ENOUGH = {
    "modelaudit-assets/samples/pickles/decode_exec_chain.pkl",
    "modelaudit-assets/samples/pickles/malicious_model_realistic.pkl",
    "modelaudit-assets/samples/pickles/nested_pickle_base64.pkl",
    "modelaudit-assets/samples/pickles/nested_pickle_hex.pkl",
    "modelaudit-assets/samples/pickles/nested_pickle_multistage.pkl",
    "modelaudit-assets/samples/pickles/nested_pickle_raw.pkl",
}
# EXPECTED says malicious; nothing in the file runs or references anything (CORPUS_NOTES.md).
KNOWN_DISAGREEMENT = {
    "modelaudit-assets/samples/pickles/simple_nested.pkl": "allow",
}


def _rows() -> list[tuple[str, dict]]:
    rows = []
    for corpus in CORPORA:
        tsv = REFERENCE / corpus / "EXPECTED.tsv"
        if not tsv.exists():
            continue
        with open(tsv, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                rows.append((f"{corpus}/{row['path']}", row))
    return rows


ROWS = _rows()
_GLOBAL_P0 = re.compile(rb"c[A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n")


def is_raw_pickle(data: bytes) -> bool:
    """PROTO first, or a protocol 0/1 stream (MARK, empty container or GLOBAL first, STOP
    last). Zips, npy, 7z and text are left to the container layer."""
    if data[:1] == b"\x80" and len(data) > 1 and data[1] <= 5:
        return True
    return data.endswith(b".") and (data[:1] in (b"(", b"]", b"}", b")")
                                    or bool(_GLOBAL_P0.match(data)))


@pytest.mark.skipif(not ROWS, reason="shared/reference corpora not present")
@pytest.mark.parametrize("key, row", ROWS, ids=[k for k, _ in ROWS])
def test_reference_sample(key: str, row: dict):
    path = REFERENCE / key
    data = path.read_bytes()
    if not is_raw_pickle(data):
        pytest.skip("not a raw pickle stream (container / other format)")
    with open(path, "rb") as f:
        report = analyse_pickle(f)
    expected = row["expected"]
    if key in KNOWN_DISAGREEMENT:
        assert report.verdict == KNOWN_DISAGREEMENT[key]
    elif expected == "malicious":
        wanted = {"block", "review"} if key in REVIEW_IS_ENOUGH else {"block"}
        assert report.verdict in wanted, report
    else:
        assert report.verdict != "block", report
    # every global upstream lists (when it is a real name) is resolved by us too
    for name in filter(None, row["expected_globals"].split(";")):
        if name.startswith(("unknown.", "42.")) or ".unknown" in name:
            continue  # picklescan's placeholders for unresolvable operands
        if name == "tests.test_pickle_scanner.__dict__":
            continue
        assert name in report.globals, (name, report.globals)
