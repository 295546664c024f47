"""Bad input: a clear one-line message or a finding, the right exit code, never a traceback,
never a write outside a temporary folder, and release content never executed."""

from __future__ import annotations

import io
import os
import pickle
import tarfile
import zipfile
from pathlib import Path

import pytest

from builders import run_cli, safetensors_bytes
from trueopen.audit import audit
from trueopen.errors import InputError
from trueopen.sources import local

MIT = """MIT License

Copyright (c) 2024

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY.
"""
CARD = "---\nlicense: apache-2.0\n---\n# M\n\n" + "A model card with enough words to count as a card. " * 3 + "\n"


def _rules(a) -> set[str]:
    return {f.rule for f in a.findings} | {f.rule for f in a.safety.findings}


def _assert_one_line_error(proc, needle: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert needle in lines[0]


def test_missing_path(tmp_path) -> None:
    _assert_one_line_error(run_cli("audit", str(tmp_path / "nope")), "no such file or folder")


def test_empty_folder(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    _assert_one_line_error(run_cli("audit", str(tmp_path / "empty")), "empty")


def test_plain_file_that_is_not_an_archive(tmp_path) -> None:
    f = tmp_path / "model.safetensors"
    f.write_bytes(safetensors_bytes())
    _assert_one_line_error(run_cli("audit", str(f)), "not a folder or a .zip")


def test_corrupt_archive(tmp_path) -> None:
    f = tmp_path / "release.zip"
    f.write_bytes(b"PK\x03\x04" + b"\xff" * 100)
    _assert_one_line_error(run_cli("audit", str(f)), "release.zip")


def test_unknown_option_is_usage_error(tmp_path) -> None:
    proc = run_cli("audit", "--no-such-flag", str(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_unreadable_file_is_a_finding(release, monkeypatch) -> None:
    root = release({"README.md": CARD, "train.py": "import torch\nloss.backward()\n", "model.safetensors": safetensors_bytes()})
    real = local.LocalReader.read_at

    def deny(self, path, offset, length):
        if path == "train.py":
            raise PermissionError(13, "Permission denied", path)
        return real(self, path, offset, length)

    monkeypatch.setattr(local.LocalReader, "read_at", deny)
    a = audit(root, hash_contents=False)
    assert "unreadable-file" in _rules(a)
    assert any(f.evidence[0].path == "train.py" for f in a.findings if f.rule == "unreadable-file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_cli(release) -> None:
    root = release({"README.md": CARD, "secret.py": "x = 1\n"})
    (root / "secret.py").chmod(0)
    proc = run_cli("audit", str(root), "--format", "json")
    assert proc.returncode == 0 and "unreadable-file" in proc.stdout


def test_binary_readme(release) -> None:
    a = audit(release({"README.md": os.urandom(4096).replace(b"\x00", b"") + b"\x00" * 64, "model.safetensors": safetensors_bytes()}), hash_contents=False)
    assert "unreadable-card" in _rules(a)
    assert not {c.id: c for c in a.components}["model-card"].present


def test_symlink_outside_release_is_reported_not_followed(tmp_path, release) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "LICENSE").write_text("MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy")
    root = release({"README.md": CARD, "model.safetensors": safetensors_bytes()})
    (root / "LICENSE").symlink_to(outside / "LICENSE")
    (root / "data").symlink_to(outside, target_is_directory=True)
    a = audit(root, hash_contents=False)
    assert "symlink-outside-release" in _rules(a)
    assert "LICENSE" not in {f.path for f in a.files}
    assert all(l.path != "LICENSE" for l in a.licenses)


def test_symlink_inside_release_is_kept(release) -> None:
    root = release({"README.md": CARD, "weights/model.safetensors": safetensors_bytes()})
    (root / "model.safetensors").symlink_to(root / "weights" / "model.safetensors")
    a = audit(root, hash_contents=False)
    assert "model.safetensors" in {f.path for f in a.files}


def test_broken_symlink(release) -> None:
    root = release({"README.md": CARD})
    (root / "gone.bin").symlink_to(root / "nowhere.bin")
    a = audit(root, hash_contents=False)
    assert "broken-symlink" in _rules(a)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_archive_with_traversal_and_absolute_members(tmp_path) -> None:
    arc = _zip(tmp_path / "evil.zip", {"README.md": CARD.encode(), "../escape.txt": b"x", "/tmp/abs-escape.txt": b"x",
                                       "model.safetensors": safetensors_bytes()})
    work = tmp_path / "work"
    work.mkdir()
    proc = run_cli("audit", str(arc), "--format", "json", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert "archive-member-skipped" in proc.stdout
    assert not (tmp_path / "escape.txt").exists() and not (work.parent / "escape.txt").exists()
    assert not Path("/tmp/abs-escape.txt").exists()


def test_tar_with_traversal(tmp_path) -> None:
    arc = tmp_path / "evil.tar.gz"
    with tarfile.open(arc, "w:gz") as t:
        for name, data in {"README.md": CARD.encode(), "../../tar-escape.txt": b"x"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    a = audit(arc, hash_contents=False)
    assert a.target.kind == "archive"
    assert "archive-member-skipped" in _rules(a)
    assert not (tmp_path.parent / "tar-escape.txt").exists()


def test_archive_bomb_is_bounded(tmp_path) -> None:
    arc = _zip(tmp_path / "bomb.zip", {"README.md": CARD.encode(), "data/zeros.bin": b"\x00" * (40 << 20)})
    assert arc.stat().st_size < 1 << 20
    proc = run_cli("audit", str(arc))
    _assert_one_line_error(proc, "limit")


def test_archive_audit_matches_folder_audit(tmp_path, release) -> None:
    files = {"README.md": CARD, "LICENSE": "MIT License\n", "model.safetensors": safetensors_bytes()}
    root = release(files)
    arc = _zip(tmp_path / "rel.zip", {k: v.encode() if isinstance(v, str) else v for k, v in files.items()})
    a, b = audit(root), audit(arc)
    assert a.files == b.files and a.components == b.components and a.verdicts == b.verdicts


def test_zero_byte_weights(release) -> None:
    a = audit(release({"README.md": CARD, "model.safetensors": b"", "pytorch_model.bin": b""}), hash_contents=False)
    assert "empty-weights" in _rules(a)
    assert a.verdicts.label == "closed"


def test_invalid_front_matter(release) -> None:
    a = audit(release({"README.md": "---\nlicense: [mit\n---\nA fully open model.\n", "model.safetensors": safetensors_bytes()}), hash_contents=False)
    assert "invalid-front-matter" in _rules(a)
    assert a.card.license is None


def test_license_file_not_utf8(release) -> None:
    text = MIT.replace("Copyright (c) 2024", "Copyright (c) 2024 Caf\xe9 Lab")
    a = audit(release({"README.md": CARD, "LICENSE": text.encode("latin-1"), "model.safetensors": safetensors_bytes()}), hash_contents=False)
    assert "license-not-utf8" in _rules(a)
    assert any(l.path == "LICENSE" and l.id == "MIT" for l in a.licenses)


def test_lying_safetensors_header_is_a_finding(release) -> None:
    bad = (10 ** 12).to_bytes(8, "little") + b"{}"
    a = audit(release({"README.md": CARD, "model.safetensors": bad}), hash_contents=False)
    assert "invalid-safetensors" in _rules(a)


def test_output_to_missing_folder_keeps_nothing(tmp_path, release) -> None:
    root = release({"README.md": CARD})
    proc = run_cli("audit", str(root), "--output", str(tmp_path / "no" / "such" / "out.json"))
    _assert_one_line_error(proc, "does not exist")


def test_failed_audit_leaves_existing_output_intact(tmp_path) -> None:
    out = tmp_path / "out.json"
    out.write_text("precious")
    proc = run_cli("audit", str(tmp_path / "missing"), "--output", str(out))
    assert proc.returncode == 2 and out.read_text() == "precious"


class _Canary:
    """A pickle whose loading would create a file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_release_content_is_never_executed(tmp_path, release) -> None:
    canary = tmp_path / "canary"
    payload = pickle.dumps(_Canary(str(canary)), protocol=2)
    code = f"open({str(canary)!r}, 'w').write('ran')\n"
    root = release({
        "README.md": CARD.replace("# M", "# M\n\nAn open source model."),
        "pytorch_model.bin": payload,
        "model.pkl": payload,
        "modeling_evil.py": code + "class Evil(nn.Module):\n    def forward(self, x):\n        return x\n",
        "train.py": code,
        "config.json": '{"architectures": ["Evil"], "auto_map": {"AutoModel": "modeling_evil.Evil"}}',
        "tokenizer_config.json": '{"chat_template": "{{ cycler.__init__.__globals__.os.popen(\'touch ' + str(canary) + '\') }}"}',
    })
    proc = run_cli("audit", str(root), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert not canary.exists()
    a = audit(root)
    assert not canary.exists()
    assert a.safety.status == "unsafe"
    blocked = {f.evidence[0].path for f in a.safety.findings if f.severity == "block"}
    assert {"pytorch_model.bin", "model.pkl", "tokenizer_config.json"} <= blocked
    assert any(f.evidence[0].path == "config.json" and "auto_map" in f.message for f in a.safety.findings)


def test_input_error_from_api(tmp_path) -> None:
    with pytest.raises(InputError, match="no such file"):
        audit(tmp_path / "missing")
