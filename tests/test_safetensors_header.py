"""Tests for trueopen.readers.safetensors_header: every malformation is a finding."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from trueopen.readers.safetensors_header import (
    DTYPE_BITS,
    MAX_HEADER_BYTES,
    SafetensorsHeader,
    TensorInfo,
    read_header,
)


def _reader(data: bytes):
    reads: list[tuple[int, int]] = []

    def read_at(offset: int, length: int) -> bytes:
        reads.append((offset, length))
        return data[offset : offset + length]

    read_at.reads = reads  # type: ignore[attr-defined]
    return read_at


def _parse(data: bytes) -> SafetensorsHeader:
    return read_header(_reader(data), len(data))


def _file(header: object | bytes, data: bytes = b"", length: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


def _details(h: SafetensorsHeader) -> list[str]:
    return [p.detail for p in h.problems]


def _one(h: SafetensorsHeader, fragment: str) -> None:
    assert any(fragment in d for d in _details(h)), _details(h)


# --- valid files written by the real library -------------------------------------------------


def test_real_file_parses(tmp_path: Path) -> None:
    p = tmp_path / "model.safetensors"
    tensors = {
        "embed.weight": np.arange(12, dtype=np.float32).reshape(3, 4),
        "layer.0.bias": np.ones(5, dtype=np.int8),
        "flags": np.array([True, False]),
        "half": np.zeros((2, 2, 2), dtype=np.float16),
        "big": np.zeros(7, dtype=np.int64),
        "cplx": np.zeros(3, dtype=np.complex64),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "scalar": np.array(3.0, dtype=np.float64),
    }
    save_file(tensors, str(p), metadata={"format": "pt", "note": "x"})
    data = p.read_bytes()
    read_at = _reader(data)
    h = read_header(read_at, len(data))
    assert h.ok, h.problems
    assert h.metadata == {"format": "pt", "note": "x"}
    assert h.header_size == struct.unpack("<Q", data[:8])[0]
    by_name = {t.name: t for t in h.tensors}
    assert set(by_name) == set(tensors)
    assert by_name["embed.weight"].dtype == "F32"
    assert by_name["embed.weight"].shape == (3, 4)
    assert by_name["scalar"].shape == ()
    assert by_name["flags"].dtype == "BOOL"
    assert by_name["cplx"].dtype == "C64"
    # Offsets match the bytes the library wrote.
    base = 8 + h.header_size
    for name, arr in tensors.items():
        t = by_name[name]
        assert t.end - t.start == arr.nbytes
        assert data[base + t.start : base + t.end] == arr.tobytes()
    # Only the length prefix and the header were read, never the data.
    assert read_at.reads == [(0, 8), (8, h.header_size)]


def test_real_file_without_metadata(tmp_path: Path) -> None:
    p = tmp_path / "m.safetensors"
    save_file({"a": np.zeros(4, dtype=np.uint16)}, str(p))
    h = _parse(p.read_bytes())
    assert h.ok and h.metadata == {} and h.tensors == (TensorInfo("a", "U16", (4,), 0, 8),)


def test_empty_header_object_is_ok() -> None:
    assert _parse(_file({})).ok


def test_sub_byte_dtypes() -> None:
    ok = _file({"a": {"dtype": "F4", "shape": [3, 2], "data_offsets": [0, 3]},
                "b": {"dtype": "F6_E2M3", "shape": [4], "data_offsets": [3, 6]}}, b"\0" * 6)
    assert _parse(ok).ok
    odd = _file({"a": {"dtype": "F4", "shape": [3], "data_offsets": [0, 2]}}, b"\0" * 2)
    _one(_parse(odd), "not a whole number of bytes")


def test_all_safetensors_dtypes_known() -> None:
    assert set(DTYPE_BITS) == {
        "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2",
        "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64", "C64",
    }


def test_header_padded_with_spaces_is_ok() -> None:
    raw = json.dumps({"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}).encode()
    assert _parse(_file(raw + b"     ", b"ab")).ok


# --- size and framing ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 7])
def test_file_shorter_than_8_bytes(n: int) -> None:
    h = _parse(b"\x01" * n)
    assert not h.ok and h.problems[0].offset == 0
    _one(h, "shorter than the 8-byte header length")


def test_header_length_beyond_file_is_not_read() -> None:
    data = _file(b"{}", length=10_000)
    read_at = _reader(data)
    h = read_header(read_at, len(data))
    _one(h, "larger than the 2 bytes after the length prefix")
    assert read_at.reads == [(0, 8)]


def test_header_length_above_limit_is_not_read() -> None:
    data = struct.pack("<Q", MAX_HEADER_BYTES + 1) + b"{}"
    read_at = _reader(data)
    h = read_header(read_at, 2**40)  # the file claims to be huge, too
    assert [p.detail for p in h.problems] == [
        f"header length {MAX_HEADER_BYTES + 1:,} above {MAX_HEADER_BYTES:,} bytes "
        f"(limit MAX_HEADER_BYTES); not read"
    ]
    assert read_at.reads == [(0, 8)]


def test_reader_shorter_than_declared_file_size() -> None:
    data = _file({"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}, b"x")
    h = read_header(_reader(data[:20]), len(data))
    _one(h, "file ended after")


def test_reader_that_raises() -> None:
    def read_at(offset: int, length: int) -> bytes:
        raise OSError(5, "Input/output error")

    h = read_header(read_at, 100)
    _one(h, "read failed: Input/output error")


# --- JSON ---------------------------------------------------------------------------------------


def test_not_utf8() -> None:
    h = _parse(_file(b'{"a\xff": 1}'))
    assert h.problems[-1].detail == "header is not valid UTF-8"
    assert h.problems[-1].offset == 8 + 3


def test_not_json() -> None:
    h = _parse(_file(b'{"a": {"dtype": }'))
    _one(h, "header is not valid JSON")
    assert h.problems[0].offset == 8 + len('{"a": {"dtype": ')


def test_not_an_object() -> None:
    h = _parse(_file(b"[1, 2]"))
    _one(h, "does not start with '{'")
    _one(h, "not a JSON object")


def test_leading_whitespace_is_reported() -> None:
    h = _parse(_file(b" {}"))
    assert _details(h) == ["header does not start with '{'"]


def test_empty_header() -> None:
    h = _parse(_file(b""))
    _one(h, "header is empty")


def test_trailing_garbage() -> None:
    h = _parse(_file(b"{} x"))
    _one(h, "data after the end of the header JSON object")


def test_nan_and_huge_ints_are_findings() -> None:
    _one(_parse(_file(b'{"a": {"dtype": "F32", "shape": [NaN], "data_offsets": [0, 0]}}')),
         "not valid JSON")
    _one(_parse(_file(b'{"a": {"shape": [' + b"9" * 5000 + b"]}}")), "integer too long to parse")


def test_deep_nesting_is_a_finding() -> None:
    h = _parse(_file(b'{"__metadata__": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"))
    assert not h.ok


def test_duplicate_tensor_names() -> None:
    raw = (b'{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, '
           b'"a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}')
    h = _parse(_file(raw, b"xy"))
    dup = [p for p in h.problems if "duplicate tensor name 'a'" in p.detail]
    assert len(dup) == 1
    assert dup[0].offset == 8 + raw.rindex(b'"a"')


def test_duplicate_key_inside_entry() -> None:
    raw = b'{"a": {"dtype": "U8", "dtype": "F32", "shape": [1], "data_offsets": [0, 1]}}'
    _one(_parse(_file(raw, b"x")), "entry 'a' has duplicate key 'dtype'")


def test_offsets_of_non_ascii_names_are_byte_offsets() -> None:
    raw = '{"é": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, "bad": 1}'.encode()
    h = _parse(_file(raw, b"x"))
    p = next(p for p in h.problems if "'bad'" in p.detail)
    assert p.offset == 8 + raw.index(b'"bad"')


# --- entries ------------------------------------------------------------------------------------


def _entry(**kw: object) -> dict[str, object]:
    e: dict[str, object] = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    e.update(kw)
    return {k: v for k, v in e.items() if v is not None}


@pytest.mark.parametrize(
    "entry,fragment",
    [
        ([1, 2], "entry is not an object"),
        (_entry(dtype="F128"), "unknown dtype 'F128'"),
        (_entry(dtype=None), "dtype missing or not a string"),
        (_entry(dtype=3), "dtype missing or not a string"),
        (_entry(shape=[-1]), "shape is not a list of non-negative integers"),
        (_entry(shape=[2.0]), "shape is not a list of non-negative integers"),
        (_entry(shape=[True]), "shape is not a list of non-negative integers"),
        (_entry(shape="2"), "shape is not a list of non-negative integers"),
        (_entry(shape=None), "shape is not a list of non-negative integers"),
        (_entry(data_offsets=[0]), "data_offsets is not [start, end]"),
        (_entry(data_offsets=[0, 4, 8]), "data_offsets is not [start, end]"),
        (_entry(data_offsets=[-1, 8]), "data_offsets is not [start, end]"),
        (_entry(data_offsets=None), "data_offsets is not [start, end]"),
        (_entry(data_offsets=[8, 0]), "data_offsets start 8 after end 0"),
        (_entry(shape=[3]), "span 8 bytes, shape [3] of F32 needs 12"),
    ],
)
def test_bad_entries(entry: object, fragment: str) -> None:
    raw = json.dumps({"t": entry}).encode()
    h = _parse(_file(raw, b"\0" * 8))
    _one(h, fragment)
    p = next(p for p in h.problems if fragment in p.detail)
    assert p.offset == 8 + raw.index(b'"t"')


def test_offsets_beyond_data_section() -> None:
    h = _parse(_file({"t": _entry(shape=[4], data_offsets=[0, 16])}, b"\0" * 8))
    _one(h, "data_offsets end 16 beyond the data section of 8 bytes")


def test_overlap() -> None:
    h = _parse(_file({"a": _entry(data_offsets=[0, 8]), "b": _entry(data_offsets=[4, 12])},
                     b"\0" * 12))
    _one(h, "tensor 'b' overlaps tensor 'a' (data bytes 4..8)")
    p = next(p for p in h.problems if "overlaps" in p.detail)
    assert p.offset == 8 + h.header_size + 4


def test_hole_and_leading_gap_and_trailing_bytes() -> None:
    h = _parse(_file({"a": _entry(data_offsets=[4, 12]), "b": _entry(data_offsets=[16, 24])},
                     b"\0" * 30))
    assert _details(h) == [
        "data bytes 0..4 are not covered by any tensor",
        "data bytes 12..16 are not covered by any tensor",
        "data bytes 24..30 after the last tensor are not covered by any tensor",
    ]


def test_empty_tensors_do_not_overlap() -> None:
    h = _parse(_file({"a": _entry(data_offsets=[0, 8]),
                      "z1": _entry(shape=[0], data_offsets=[8, 8]),
                      "z2": _entry(shape=[0, 5], data_offsets=[8, 8]),
                      "b": _entry(data_offsets=[8, 16])}, b"\0" * 16))
    assert h.ok, h.problems


@pytest.mark.parametrize(
    "meta,fragment",
    [
        ([1], "__metadata__ is not an object"),
        ("x", "__metadata__ is not an object"),
        ({"a": 1, "b": "ok"}, "__metadata__ value for 'a' is not a string"),
    ],
)
def test_bad_metadata(meta: object, fragment: str) -> None:
    h = _parse(_file({"__metadata__": meta}))
    _one(h, fragment)
    if isinstance(meta, dict):
        assert h.metadata == {"b": "ok"}


def test_problem_count_is_bounded() -> None:
    header = {f"t{i}": {"dtype": "NOPE", "shape": [1], "data_offsets": [i, i + 1]}
              for i in range(1500)}
    h = _parse(_file(header, b"\0" * 1500))
    assert len(h.problems) == 1001
    assert h.problems[-1].detail == "500 further problems not listed (limit MAX_PROBLEMS)"


def test_tensor_count_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import trueopen.readers.safetensors_header as mod

    monkeypatch.setattr(mod, "MAX_TENSORS", 3)
    header = {f"t{i}": {"dtype": "U8", "shape": [1], "data_offsets": [i, i + 1]}
              for i in range(5)}
    h = _parse(_file(header, b"\0" * 5))
    _one(h, "more than 3 tensors (limit MAX_TENSORS)")
    assert len(h.tensors) == 3


def test_header_is_hashable_and_frozen() -> None:
    h = _parse(_file({}))
    hash(h)
    with pytest.raises(AttributeError):
        h.header_size = 3  # type: ignore[misc]
