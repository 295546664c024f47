"""The bundled external data: it loads, damage gives a one-line error, and the refresh reproduces it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from builders import REPO, SHARED
from trueopen.errors import InputError
from trueopen.index.external import load_bundle, match_external
from trueopen.index.external_build import build_mot, write_bundle

MOT = SHARED / "reference" / "mot"
OSAI = SHARED / "reference" / "osai-index"
BUNDLED = REPO / "src" / "trueopen" / "data" / "external"
SCRIPT = REPO / "scripts" / "refresh_external.py"

needs_shared = pytest.mark.skipif(not (MOT / "models").is_dir() or not (OSAI / "models").is_dir(),
                                  reason=f"{SHARED}/reference (MOT and EU index copies) not available")


def test_the_bundle_loads_with_its_attribution() -> None:
    mot, osai = load_bundle()
    assert len(mot.records) == 273 and len(osai.records) == 193
    assert mot.source.license == "MIT" and osai.source.license == "CC-BY-4.0"
    assert "10.5281/zenodo.15386042" in (osai.source.citation or "")
    assert all(k.split(":", 1)[0] in ("hf", "gh", "url") for r in [*mot.records, *osai.records] for k in r.keys)
    ext = match_external("https://huggingface.co/LLM360/Amber", None)
    assert "CC-BY-4.0" in ext["eu_index"]["source"] and "MIT" in ext["mot"]["source"]
    assert (BUNDLED / "SOURCE.md").is_file()


@pytest.mark.parametrize(("content", "message"), [
    (None, "mot.json: external-index data missing or unreadable"),
    (b"{not json", "mot.json: not valid JSON (line 1)"),
    (b'{"format": 2, "source": {}, "records": []}', "mot.json: not trueopen's external-index data: format"),
    (b'{"format": 1, "source": {"project": "P", "repository": "r", "license": "MIT", "commit": "c", "date": "d"},'
     b' "records": [{"file": "x"}]}', "mot.json: not trueopen's external-index data: records.0.name"),
])
def test_a_missing_or_damaged_file_is_a_one_line_error(tmp_path: Path, content: bytes | None, message: str) -> None:
    shutil.copy(BUNDLED / "osai_index.json", tmp_path / "osai_index.json")
    if content is not None:
        (tmp_path / "mot.json").write_bytes(content)
    with pytest.raises(InputError) as err:
        match_external("https://huggingface.co/LLM360/Amber", None, data_dir=tmp_path)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert str(tmp_path) in str(err.value)


@needs_shared
def test_refresh_reproduces_the_committed_bundle_byte_for_byte(tmp_path: Path) -> None:
    counts = write_bundle(MOT, OSAI, tmp_path / "a")
    assert counts == {"mot.json": 273, "osai_index.json": 193}
    for name in ("mot.json", "osai_index.json"):
        assert (tmp_path / "a" / name).read_bytes() == (BUNDLED / name).read_bytes(), f"{name} is stale: rerun {SCRIPT}"


@needs_shared
def test_the_script_writes_the_same_bytes_and_fails_in_one_line(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(SCRIPT), "--mot", str(MOT), "--osai", str(OSAI), "--out", str(tmp_path)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "mot.json").read_bytes() == (BUNDLED / "mot.json").read_bytes()
    bad = subprocess.run([sys.executable, str(SCRIPT), "--mot", str(tmp_path), "--osai", str(OSAI), "--out",
                          str(tmp_path / "out")], capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "no models/ folder" in bad.stderr
    assert not (tmp_path / "out").exists()


def test_a_copy_whose_licence_is_not_stated_is_refused(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "A.yml").write_text("release: {name: A, components: [{name: Datasets, license: unlicensed}]}\n", encoding="utf-8")
    (tmp_path / "SOURCE.md").write_text(f"Snapshot commit: {'a' * 40} (commit date 2026-01-01)\n", encoding="utf-8")
    with pytest.raises(InputError, match="stating the licence"):
        build_mot(tmp_path)
    (tmp_path / "SOURCE.md").write_text(f"Licence: MIT. Snapshot commit: {'a' * 40} (commit date 2026-01-01)\n",
                                        encoding="utf-8")
    (tmp_path / "models" / "B.yml").write_text("release: [1, 2]\n", encoding="utf-8")
    header, records = build_mot(tmp_path)
    assert [r["name"] for r in records] == ["A"] and records[0]["class"] == "Unclassified"
    assert records[0]["components"] == {"datasets": {"license": None, "open": False}}  # MOT's "unlicensed"
    assert header["commit"] == "a" * 40 and header["skipped"] == ["B.yml: not a MOT model record (no `release` mapping)"]
