"""Builders for tests: releases are made inside the tests, file by file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "license-corpus"
EXAMPLES = REPO / "examples"


def write_release(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create a release folder from {relative path: text or bytes}."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    return root


def corpus_text(name: str) -> str:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path.read_text(encoding="utf-8")


def safetensors_bytes(tensors: dict[str, tuple[int, ...]] | None = None) -> bytes:
    """A small valid safetensors file (float32 zeros) built by hand, so tests need no numpy."""
    tensors = tensors or {"w": (2, 2)}
    header: dict[str, object] = {}
    offset = 0
    for name, shape in sorted(tensors.items()):
        n = 4
        for d in shape:
            n *= d
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return len(raw).to_bytes(8, "little") + raw + b"\x00" * offset


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "trueopen.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


