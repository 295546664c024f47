"""Ground truth for the pickle corpus: the stock loader really runs each payload, trueopen
blocks the same bytes without running them.

Every malicious sample of tests/scan/pickles.py that can fire on a stock CPython is written
to a temporary folder and loaded there by ``pickle.load`` in a fresh subprocess; the payload
only creates ``canary`` in that folder. Then the same file is analysed in another fresh folder
and the canary must not appear there.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from scan.pickles import Sample, malicious_samples
from trueopen.scan.pickle_machine import analyse_pickle

LOADERS = {
    "load": "import pickle, sys; pickle.load(open(sys.argv[1], 'rb'))",
    "load2": "import pickle, sys; f = open(sys.argv[1], 'rb'); pickle.load(f); pickle.load(f)",
    "loads": "import pickle, sys; pickle.loads(open(sys.argv[1], 'rb').read())",
}

FIRING = [s for s in malicious_samples() if s.loader is not None]


def _run_stock_loader(loader: str, data: bytes, folder: Path) -> subprocess.CompletedProcess:
    folder.mkdir()
    sample = folder / "sample.pkl"
    sample.write_bytes(data)
    return subprocess.run([sys.executable, "-c", LOADERS[loader], str(sample)], cwd=folder,
                          capture_output=True, timeout=120, check=False)


@pytest.mark.parametrize("sample", FIRING, ids=[s.name for s in FIRING])
def test_stock_loader_runs_payload_and_trueopen_blocks_it(sample: Sample, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch):
    proc = _run_stock_loader(sample.loader, sample.data, tmp_path / "load")
    assert (tmp_path / "load" / "canary").exists(), (
        f"stock loader did not run the payload: {proc.stderr.decode()[-400:]}")

    scan_dir = tmp_path / "scan"
    scan_dir.mkdir()
    target = scan_dir / "sample.pkl"
    target.write_bytes(sample.data)
    monkeypatch.chdir(scan_dir)
    with open(target, "rb") as f:
        report = analyse_pickle(f)
    assert report.verdict == "block", report
    assert not (scan_dir / "canary").exists()
    names = {f.name for f in report.findings if f.verdict == "block"}
    if sample.blocked:
        assert sample.blocked in names or any(n.startswith(sample.blocked) for n in names), names
    if sample.trick:
        assert sample.trick in {f.trick for f in report.findings}, report.findings


def test_frame_differential_runs_only_in_the_file_reader(tmp_path: Path):
    """The FRAME sample is inert for pickle.loads/pickletools and live for pickle.load(file)."""
    sample = next(s for s in malicious_samples() if s.name == "frame_differential")
    _run_stock_loader("loads", sample.data, tmp_path / "loads")
    assert not (tmp_path / "loads" / "canary").exists()
    assert isinstance(pickle.loads(sample.data), bytes)  # sequential view: just a bytestring
    _run_stock_loader("load", sample.data, tmp_path / "load")
    assert (tmp_path / "load" / "canary").exists()


def test_every_threat_class_of_the_pickle_family_has_a_sample():
    rows = {s.threat for s in malicious_samples()}
    # model-security.md §2 rows for pickle streams (containers: zip/7z/npy/joblib are
    # analysed by trueopen.scan.containers and tested there)
    assert {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "14", "25"} <= rows
