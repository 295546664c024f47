"""Read and check the header of a safetensors file through a byte-range reader.

Why not the `safetensors` library: trueopen must read headers through a byte-range reader
(remote Hub files, later) without fetching the whole file, and must turn every malformation
into a finding with a byte offset rather than an exception. So the format is parsed here, as
data: 8 bytes little-endian header length N, N bytes of UTF-8 JSON, then the data section.
Nothing here allocates more than the header length, which is refused above MAX_HEADER_BYTES
before it is read.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = [
    "DTYPE_BITS",
    "MAX_HEADER_BYTES",
    "MAX_PROBLEMS",
    "MAX_TENSORS",
    "HeaderProblem",
    "ReadAt",
    "SafetensorsHeader",
    "TensorInfo",
    "read_header",
]

ReadAt = Callable[[int, int], bytes]
"""read_at(offset, length) -> up to `length` bytes starting at `offset`."""

MAX_HEADER_BYTES = 100 * 2**20  # the same bound the safetensors library enforces
MAX_TENSORS = 1_000_000
MAX_PROBLEMS = 1_000  # a broken million-tensor file should not yield a million findings

# Bits per element, from the safetensors Dtype enum.
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8, "U8": 8, "I8": 8,
    "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32,
    "F64": 64, "I64": 64, "U64": 64, "C64": 64,
}

_WS = " \t\n\r"


@dataclass(frozen=True)
class TensorInfo:
    """One tensor entry; `start`/`end` are offsets relative to the data section."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int


@dataclass(frozen=True)
class HeaderProblem:
    """A malformation, at the byte offset in the file where it is."""

    offset: int
    detail: str


@dataclass(frozen=True)
class SafetensorsHeader:
    """What the header says, and everything wrong with it."""

    header_size: int
    tensors: tuple[TensorInfo, ...]
    metadata: dict[str, str] = field(hash=False)
    problems: tuple[HeaderProblem, ...]

    @property
    def ok(self) -> bool:
        """True when the header is well formed and consistent with the file."""
        return not self.problems


class _Problems:
    def __init__(self) -> None:
        self.items: list[HeaderProblem] = []
        self.dropped = 0

    def add(self, offset: int, detail: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(HeaderProblem(offset, detail))
        else:
            self.dropped += 1

    def result(self) -> tuple[HeaderProblem, ...]:
        items = list(self.items)
        if self.dropped:
            items.append(
                HeaderProblem(0, f"{self.dropped} further problems not listed (limit MAX_PROBLEMS)")
            )
        return tuple(items)


class _ByteOffsets:
    """Maps character positions in the decoded header to byte offsets in the file, without
    re-encoding the whole prefix each time (positions mostly arrive in increasing order)."""

    def __init__(self, text: str, base: int) -> None:
        self.text = text
        self.base = base
        self.ascii = text.isascii()
        self.char = 0
        self.byte = 0

    def __call__(self, pos: int) -> int:
        if self.ascii:
            return self.base + pos
        if pos < self.char:
            self.char = self.byte = 0
        self.byte += len(self.text[self.char : pos].encode("utf-8", "surrogatepass"))
        self.char = pos
        return self.base + self.byte


def _result(size: int, problems: _Problems, tensors: tuple[TensorInfo, ...] = (),
            metadata: dict[str, str] | None = None) -> SafetensorsHeader:
    return SafetensorsHeader(size, tensors, metadata or {}, problems.result())


def _read(read_at: ReadAt, offset: int, length: int, problems: _Problems) -> bytes | None:
    try:
        data = read_at(offset, length)
    except OSError as exc:
        problems.add(offset, f"read failed: {exc.strerror or exc}")
        return None
    if len(data) < length:
        problems.add(offset + len(data), f"file ended after {len(data)} of {length} bytes")
        return None
    return bytes(data[:length])


def read_header(read_at: ReadAt, file_size: int) -> SafetensorsHeader:
    """Read and check the header of a safetensors file of `file_size` bytes.

    Cost: two reads, 8 bytes then the header (at most MAX_HEADER_BYTES). Never raises for a
    malformed file: every problem is in `.problems` with its byte offset.
    """
    problems = _Problems()
    if file_size < 8:
        problems.add(0, f"file is {file_size} bytes, shorter than the 8-byte header length")
        return _result(0, problems)
    prefix = _read(read_at, 0, 8, problems)
    if prefix is None:
        return _result(0, problems)
    (size,) = struct.unpack("<Q", prefix)
    if size > MAX_HEADER_BYTES:
        problems.add(0, f"header length {size:,} above {MAX_HEADER_BYTES:,} bytes "
                        f"(limit MAX_HEADER_BYTES); not read")
        return _result(size, problems)
    if size > file_size - 8:
        problems.add(0, f"header length {size:,} larger than the {file_size - 8:,} bytes "
                        f"after the length prefix; not read")
        return _result(size, problems)
    raw = _read(read_at, 8, size, problems)
    if raw is None:
        return _result(size, problems)
    if not raw.startswith(b"{"):
        problems.add(8, "header does not start with '{'")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.add(8 + exc.start, "header is not valid UTF-8")
        return _result(size, problems)
    at = _ByteOffsets(text, 8)
    parsed = _parse_top(text, at, problems)
    if parsed is None:
        return _result(size, problems)
    entries, metadata = parsed
    data_size = file_size - 8 - size
    tensors = _check_entries(entries, data_size, size, at, problems)
    return _result(size, problems, tensors, metadata)


class _Duplicates(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicates(k)
        out[k] = v
    return out


def _bad_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_bad_constant)


def _skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _WS:
        i += 1
    return i


def _parse_top(
    text: str, at: _ByteOffsets, problems: _Problems
) -> tuple[list[tuple[str, int, Any]], dict[str, str]] | None:
    """Walk the top-level object by hand, so every key has its position and duplicate tensor
    names are seen; values are decoded by the stdlib scanner. Returns (entries, metadata) with
    entries as (name, char position of the key, value), or None if the JSON is unusable."""
    i = _skip_ws(text, 0)
    if i >= len(text) or text[i] != "{":
        what = "empty" if i >= len(text) else "not a JSON object"
        problems.add(at(i), f"header is {what}")
        return None
    i += 1
    entries: list[tuple[str, int, Any]] = []
    seen: set[str] = set()
    metadata: dict[str, str] = {}
    first = True
    try:
        while True:
            i = _skip_ws(text, i)
            if i < len(text) and text[i] == "}" and first:
                i += 1
                break
            if i >= len(text) or text[i] != '"':
                raise json.JSONDecodeError("expected a tensor name", text, i)
            key_pos = i
            key, i = json.decoder.scanstring(text, i + 1)
            i = _skip_ws(text, i)
            if i >= len(text) or text[i] != ":":
                raise json.JSONDecodeError("expected ':'", text, i)
            i = _skip_ws(text, i + 1)
            value_pos = i
            try:
                value, i = _DECODER.raw_decode(text, i)
            except _Duplicates as dup:
                problems.add(at(value_pos), f"entry '{key}' has duplicate key '{dup.args[0]}'")
                value = None
                i = _skip_value(text, value_pos)
            if key in seen:
                problems.add(at(key_pos), f"duplicate tensor name '{key}'")
            elif key == "__metadata__":
                seen.add(key)
                metadata = _check_metadata(value, at(value_pos), problems)
            else:
                seen.add(key)
                if len(entries) >= MAX_TENSORS:
                    problems.add(at(key_pos), f"more than {MAX_TENSORS:,} tensors "
                                              f"(limit MAX_TENSORS); rest not checked")
                    return entries, metadata
                entries.append((key, key_pos, value))
            first = False
            i = _skip_ws(text, i)
            if i < len(text) and text[i] == ",":
                i += 1
                continue
            if i < len(text) and text[i] == "}":
                i += 1
                break
            raise json.JSONDecodeError("expected ',' or '}'", text, i)
    except json.JSONDecodeError as exc:
        problems.add(at(exc.pos), f"header is not valid JSON: {exc.msg}")
        return None
    except RecursionError:
        problems.add(8, "header JSON nested too deeply (limit: interpreter recursion)")
        return None
    except ValueError as exc:  # huge integers, NaN/Infinity
        if "integer string conversion" in str(exc):
            problems.add(8, "header has an integer too long to parse "
                            "(limit sys.int_max_str_digits)")
        else:
            problems.add(8, f"header is not valid JSON: {exc}")
        return None
    rest = text[i:]
    # The format allows trailing spaces as padding, nothing else.
    if rest.strip(" "):
        problems.add(at(i), "data after the end of the header JSON object")
    return entries, metadata


def _skip_value(text: str, i: int) -> int:
    """End of the JSON value at i, decoded without the duplicate check (already reported)."""
    _value, end = json.JSONDecoder(parse_constant=_bad_constant).raw_decode(text, i)
    return end


def _check_metadata(value: Any, offset: int, problems: _Problems) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.add(offset, "__metadata__ is not an object")
        return {}
    out: dict[str, str] = {}
    for k, v in value.items():
        if isinstance(v, str):
            out[k] = v
        else:
            problems.add(offset, f"__metadata__ value for '{k}' is not a string")
    return out


def _is_uint(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _check_entries(
    entries: list[tuple[str, int, Any]], data_size: int, header_size: int,
    at: _ByteOffsets, problems: _Problems,
) -> tuple[TensorInfo, ...]:
    tensors: list[tuple[TensorInfo, int]] = []  # with the file offset of the key
    for name, pos, value in entries:
        off = at(pos)
        if not isinstance(value, dict):
            problems.add(off, f"tensor '{name}': entry is not an object")
            continue
        dtype = value.get("dtype")
        shape = value.get("shape")
        offsets = value.get("data_offsets")
        usable = True
        if not isinstance(dtype, str):
            problems.add(off, f"tensor '{name}': dtype missing or not a string")
            usable = False
        elif dtype not in DTYPE_BITS:
            problems.add(off, f"tensor '{name}': unknown dtype '{dtype}'")
        if not (isinstance(shape, list) and all(_is_uint(d) for d in shape)):
            problems.add(off, f"tensor '{name}': shape is not a list of non-negative integers")
            usable = False
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(_is_uint(o) for o in offsets)):
            problems.add(off, f"tensor '{name}': data_offsets is not [start, end] "
                              f"of non-negative integers")
            usable = False
        elif offsets[0] > offsets[1]:
            problems.add(off, f"tensor '{name}': data_offsets start {offsets[0]} "
                              f"after end {offsets[1]}")
            usable = False
        if not usable:
            continue
        start, end = offsets
        if dtype in DTYPE_BITS:
            bits = math.prod(shape) * DTYPE_BITS[dtype]
            if bits % 8:
                problems.add(off, f"tensor '{name}': {math.prod(shape)} x {dtype} is not a "
                                  f"whole number of bytes")
            elif end - start != bits // 8:
                problems.add(off, f"tensor '{name}': data_offsets span {end - start} bytes, "
                                  f"shape {shape} of {dtype} needs {bits // 8}")
        if end > data_size:
            problems.add(off, f"tensor '{name}': data_offsets end {end} beyond the data "
                              f"section of {data_size} bytes")
        tensors.append((TensorInfo(name, dtype, tuple(shape), start, end), off))

    _check_layout(tensors, data_size, 8 + header_size, problems)
    return tuple(t for t, _ in tensors)


def _check_layout(tensors: list[tuple[TensorInfo, int]], data_size: int, data_base: int,
                  problems: _Problems) -> None:
    """Tensors must tile the data section exactly: no overlap, no hole, no trailing bytes."""
    covered = 0
    last = ""
    for t, _off in sorted(tensors, key=lambda x: (x[0].start, x[0].end, x[0].name)):
        if t.start == t.end:
            continue  # empty tensors occupy no bytes
        if t.start < covered:
            problems.add(data_base + t.start,
                         f"tensor '{t.name}' overlaps tensor '{last}' "
                         f"(data bytes {t.start}..{min(covered, t.end)})")
        elif t.start > covered:
            problems.add(data_base + covered,
                         f"data bytes {covered}..{t.start} are not covered by any tensor")
        if t.end > covered:
            covered, last = t.end, t.name
    if covered < data_size:
        problems.add(data_base + covered,
                     f"data bytes {covered}..{data_size} after the last tensor are not "
                     f"covered by any tensor")
