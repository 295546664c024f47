"""`trueopen scan`: exit codes, formats, and the audit's safety section using the same engine."""

from __future__ import annotations

import json
import collections
import pickle
import zipfile

import pytest

from builders import run_cli, safetensors_bytes
from trueopen.audit import audit
from trueopen.scan.engine import scan_paths, worst


class _Payload:
    def __reduce__(self):
        return (__import__("os").system, ("echo pwned",))


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.fixture
def files(tmp_path):
    return {
        "benign": _write(tmp_path / "state.pkl", pickle.dumps({"w": [1.0, 2.0]}, protocol=2)),
        "evil": _write(tmp_path / "evil.bin", pickle.dumps(_Payload(), protocol=2)),
        "review": _write(tmp_path / "custom.pkl", b"\x80\x02cmylib.models\nNet\nq\x00)\x81q\x01."),
        # cut after it imported something: what the rest would have done is unknown
        "incomplete": _write(tmp_path / "cut.pkl", pickle.dumps(collections.OrderedDict(w=list(range(100))), protocol=2)[:60]),
        "weights": _write(tmp_path / "model.safetensors", safetensors_bytes()),
    }


@pytest.mark.parametrize("which,code,status", [
    ("benign", 0, "clean"), ("weights", 0, "clean"), ("evil", 1, "unsafe"), ("incomplete", 2, "incomplete"), ("review", 3, "review"),
])
def test_exit_codes(files, which, code, status) -> None:
    proc = run_cli("scan", str(files[which]), "--format", "json")
    assert proc.returncode == code, proc.stderr
    data = json.loads(proc.stdout)
    assert data["status"] == status and data["exit_code"] == code


def test_worst_status_wins(files) -> None:
    report = scan_paths([files["benign"], files["review"], files["evil"]])
    assert report.status == "unsafe" and report.exit_code == 1
    assert worst(["review", "incomplete", "clean"]) == "incomplete"


def test_folder_and_nothing_executed(tmp_path, files) -> None:
    canary = tmp_path / "canary"

    class Canary:
        def __reduce__(self):
            return (open, (str(canary), "w"))

    rel = tmp_path / "rel"
    rel.mkdir()
    (rel / "pytorch_model.bin").write_bytes(pickle.dumps(Canary(), protocol=2))
    with zipfile.ZipFile(rel / "model.pt", "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(Canary(), protocol=2))
    proc = run_cli("scan", str(rel))
    assert proc.returncode == 1 and not canary.exists()
    assert "builtins.open" in proc.stdout or "open" in proc.stdout


def test_sarif(files) -> None:
    proc = run_cli("scan", str(files["evil"]), "--format", "sarif")
    log = json.loads(proc.stdout)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    levels = {r["level"] for r in run["results"]}
    assert "error" in levels
    loc = run["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == str(files["evil"])
    assert {r["ruleId"] for r in run["results"]} <= {rule["id"] for rule in run["tool"]["driver"]["rules"]}


def test_missing_path_is_usage_error(tmp_path) -> None:
    proc = run_cli("scan", str(tmp_path / "nope"))
    assert proc.returncode == 2 and "no such file" in proc.stderr and "Traceback" not in proc.stderr


def test_audit_safety_uses_the_engine(release) -> None:
    root = release({"README.md": "# M\n", "pytorch_model.bin": pickle.dumps(_Payload(), protocol=2),
                    "model.safetensors": safetensors_bytes()})
    a = audit(root, hash_contents=False)
    assert a.safety.status == "unsafe"
    (f,) = [f for f in a.safety.files if f.path == "pytorch_model.bin"]
    assert f.status == "unsafe" and f.weights_only_ok is False
    assert any(x.severity == "block" and x.evidence[0].offset is not None for x in a.safety.findings)
