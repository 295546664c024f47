"""Content sniffing: which format a file is, from its first bytes, never from its name.

The name only breaks ties for formats without a magic number (ONNX and TensorFlow protobufs,
safetensors with a broken header). The module also holds the structural pickle walker used to
find where one pickle ends: it follows opcode argument lengths (CPython's `pickletools` opcode
table, as data) and never builds a value.
"""

from __future__ import annotations

import pickletools
import re
import struct
from dataclasses import dataclass
from typing import BinaryIO

__all__ = [
    "FORMATS",
    "PickleExtent",
    "TORCH_LEGACY_MAGIC",
    "compressed_kind",
    "is_tar",
    "is_text",
    "maybe_compressed",
    "pickle_extent",
    "sniff",
    "zip_kind",
]

FORMATS = (
    "pickle", "torch-legacy", "torch-zip", "torchscript", "torch-legacy-tar", "zip", "tar",
    "gzip", "7z", "npy", "npz", "joblib", "safetensors", "gguf", "onnx", "hdf5", "keras-zip",
    "savedmodel-pb", "text", "unknown", "xz", "bzip2", "zlib", "lzma", "lz4",
)

# torch.save's legacy stream starts with pickle(protocol 2) of this LONG1 magic number.
TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."

_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_HDF5 = b"\x89HDF\r\n\x1a\n"
_7Z = b"7z\xbc\xaf\x27\x1c"

# Opcode byte -> argument length code, from pickletools (n>0 fixed; -1 line; -2 uint1 length;
# -3 int4 length; -4 uint4 length; -5 uint8 length). GLOBAL and INST take two lines.
_ARG: dict[int, int | None] = {}
_NAMES: dict[int, str] = {}
for _op in pickletools.opcodes:
    _b = _op.code.encode("latin-1")[0]
    _ARG[_b] = _op.arg.n if _op.arg is not None else None
    _NAMES[_b] = _op.name
_TWO_LINES = {ord("c"), ord("i")}
_STOP = ord(".")
_GLOBAL_HEAD = re.compile(rb"\A[ci][A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n")


@dataclass(frozen=True)
class PickleExtent:
    """Where a pickle starting at `start` ends (`end` is just past STOP), or why it could not
    be followed (`error`, with `end` at the failing offset)."""

    start: int
    end: int
    opcodes: int
    error: str | None = None
    protocol: int | None = None


def pickle_extent(stream: BinaryIO, start: int, *, max_opcodes: int = 10_000_000,
                  limit: int | None = None) -> PickleExtent:
    """Follow one pickle structurally from the stream's current position (= `start`).

    Reads opcode arguments only to learn their lengths; long payloads are skipped in chunks.
    Cost: one pass over the pickle's bytes. `limit` caps the bytes consumed.
    """
    pos = start
    count = 0
    proto: int | None = None

    def read(n: int) -> bytes:
        nonlocal pos
        data = stream.read(n)
        pos += len(data)
        return data

    seekable = stream.seekable() if hasattr(stream, "seekable") else False
    end = None
    if seekable:
        here = stream.tell()
        end = stream.seek(0, 2)
        stream.seek(here)

    def skip(n: int) -> bool:
        nonlocal pos
        if seekable and end is not None:
            # Long payloads are jumped over, not read.
            cur = stream.tell()
            if cur + n > end:
                stream.seek(end)
                pos += end - cur
                return False
            stream.seek(cur + n)
            pos += n
            return True
        while n > 0:
            chunk = read(min(n, 1 << 20))
            if not chunk:
                return False
            n -= len(chunk)
        return True

    while True:
        if limit is not None and pos - start > limit:
            return PickleExtent(start, pos, count, "limit reached before STOP", proto)
        if count >= max_opcodes:
            return PickleExtent(start, pos, count, "limit max_opcodes reached", proto)
        at = pos
        b = read(1)
        if not b:
            return PickleExtent(start, at, count, "stream ended before STOP", proto)
        op = b[0]
        count += 1
        if op not in _ARG:
            return PickleExtent(start, at, count, f"invalid opcode 0x{op:02x}", proto)
        n = _ARG[op]
        if op == _STOP:
            return PickleExtent(start, pos, count, None, proto)
        if n is None:
            continue
        if n > 0:
            arg = read(n)
            if len(arg) < n:
                return PickleExtent(start, at, count, "truncated argument", proto)
            if op == 0x80:
                proto = arg[0]
                if arg[0] > 5:
                    return PickleExtent(start, at, count, f"unsupported protocol {arg[0]}",
                                        proto)
            continue
        if n == -1:
            for _ in range(2 if op in _TWO_LINES else 1):
                line = bytearray()
                while True:
                    c = read(1)
                    if not c:
                        return PickleExtent(start, at, count, "line argument not terminated",
                                            proto)
                    if c == b"\n":
                        break
                    line += c
                    if len(line) > 65536:
                        return PickleExtent(start, at, count, "line argument over 64 KiB",
                                            proto)
                if op in _TWO_LINES:
                    # CPython decodes module and name as UTF-8; a bad line never loads.
                    try:
                        bytes(line).decode("utf-8")
                    except UnicodeDecodeError:
                        return PickleExtent(start, at, count, "GLOBAL/INST name not UTF-8",
                                            proto)
            continue
        width = {-2: 1, -3: 4, -4: 4, -5: 8}[n]
        raw = read(width)
        if len(raw) < width:
            return PickleExtent(start, at, count, "truncated length", proto)
        if width == 1:
            length = raw[0]
        elif n == -3:
            length = struct.unpack("<i", raw)[0]
            if length < 0:
                return PickleExtent(start, at, count, "negative length", proto)
        elif width == 4:
            length = struct.unpack("<I", raw)[0]
        else:
            length = struct.unpack("<Q", raw)[0]
        if not skip(length):
            return PickleExtent(start, at, count, "argument runs past the end", proto)


def _looks_pickle(head: bytes) -> bool:
    """A protocol 0/1 pickle has no magic: accept a head that walks cleanly to STOP, or
    through at least 16 opcodes until the head runs out."""
    import io

    ext = pickle_extent(io.BytesIO(head), 0, max_opcodes=100_000)
    if ext.error is None:
        return ext.opcodes >= 2
    # A leading GLOBAL/INST naming a dotted identifier is a pickle even if broken later:
    # the import happens before the break (nullifAI-style streams).
    if ext.opcodes >= 2 and head[:1] in (b"c", b"i") and _GLOBAL_HEAD.match(head):
        return True
    return ext.error in ("stream ended before STOP", "truncated argument",
                         "truncated length", "argument runs past the end",
                         "line argument not terminated") and ext.opcodes >= 16 \
        and len(head) >= 1024


def is_tar(head: bytes) -> bool:
    """A tar header: ustar magic at 257, or a v7 header with a valid checksum."""
    if len(head) < 512:
        return False
    if head[257:262] == b"ustar":
        return True
    # v7 tar: no magic, but a valid header checksum.
    try:
        stored = int(head[148:156].split(b"\0", 1)[0].strip() or b"-1", 8)
    except ValueError:
        return False
    calc = sum(head[:148]) + 8 * 32 + sum(head[156:512])
    return stored == calc and head[0] != 0


def is_text(head: bytes) -> bool:
    """UTF-8 without NUL and with almost no control characters."""
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the head is still text.
        if exc.start < len(head) - 4:
            return False
    ctrl = sum(1 for c in head if c < 9 or 13 < c < 32)
    return ctrl * 100 <= len(head)


def _varint(data: bytes, i: int) -> tuple[int, int] | None:
    value = shift = 0
    while i < len(data) and shift < 64:
        b = data[i]
        value |= (b & 0x7F) << shift
        i += 1
        if not b & 0x80:
            return value, i
        shift += 7
    return None


def _protobuf_shaped(head: bytes, fields: set[int]) -> bool:
    """The first few fields parse as protobuf wire format, all with field numbers in `fields`."""
    i, seen = 0, 0
    while i < len(head) and seen < 4:
        r = _varint(head, i)
        if r is None:
            return seen > 0
        key, i = r
        num, wire = key >> 3, key & 7
        if num not in fields:
            return False
        if wire == 0:
            r = _varint(head, i)
            if r is None:
                return seen > 0
            i = r[1]
        elif wire == 2:
            r = _varint(head, i)
            if r is None:
                return False
            i = r[1] + r[0]
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            return False
        seen += 1
    return seen > 0


_ONNX_FIELDS = {1, 2, 3, 4, 5, 6, 7, 8, 14, 20, 25}
_SAVEDMODEL_FIELDS = {1, 2}


def zip_kind(names: list[str] | tuple[str, ...]) -> str:
    """Refine a zip by its member names: torchscript, torch-zip, keras-zip, npz or zip."""
    base = [n.rsplit("/", 1)[-1] for n in names]
    has_data_pkl = "data.pkl" in base
    if any("/code/" in f"/{n}" for n in names) and (has_data_pkl or "constants.pkl" in base):
        return "torchscript"
    if "constants.pkl" in base and has_data_pkl:
        return "torchscript"
    if has_data_pkl:
        return "torch-zip"
    top = set(names)
    if "config.json" in top and ("model.weights.h5" in top or "metadata.json" in top):
        return "keras-zip"
    if names and all(n.endswith(".npy") for n in names):
        return "npz"
    return "zip"


def _first_zip_name(head: bytes) -> str | None:
    if not head.startswith(b"PK\x03\x04") or len(head) < 30:
        return None
    n = struct.unpack_from("<H", head, 26)[0]
    return head[30:30 + n].decode("utf-8", "replace") if len(head) >= 30 + n else None


_XZ = b"\xfd7zXZ\x00"
# The first block's magic (BCD of pi) or, for an empty stream, the end-of-stream magic (sqrt pi).
_BZ2_BLOCK_MAGICS = (b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90")
_LZ4 = b"\x04\x22\x4d\x18"


def _inner_head(head: bytes, kind: str) -> bytes:
    import bz2
    import lzma
    import zlib

    try:
        if kind == "zlib":
            return zlib.decompressobj(15).decompress(head, 4096)
        if kind == "lzma":
            return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE,
                                         memlimit=1 << 30).decompress(head, 4096)
        if kind == "bzip2":
            return bz2.BZ2Decompressor().decompress(head, 4096)
    except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError, MemoryError):
        return b""
    return b""


def _short_magic(head: bytes) -> str | None:
    """The codec whose two- or three-byte magic the head matches: bzip2, zlib or lzma-alone."""
    if head[:3] == b"BZh" and head[3:4] in b"123456789" and len(head) >= 4:
        return "bzip2"
    if len(head) >= 2 and head[0] & 0x0F == 8 and head[0] >> 4 <= 7 \
            and (head[0] << 8 | head[1]) % 31 == 0 and not head[1] & 0x20:
        return "zlib"
    if len(head) >= 13 and head[0] < 225 and head[1:5] != b"\x00\x00\x00\x00" \
            and (head[5:13] == b"\xff" * 8 or int.from_bytes(head[5:13], "little") < 1 << 48):
        return "lzma"
    return None


def maybe_compressed(head: bytes) -> str | None:
    """A zlib / lzma-alone / bzip2 codec whose short magic matches and whose head decodes to
    at least two bytes, whatever they are: a candidate reading, not an identification."""
    cand = _short_magic(head)
    if cand is None or len(_inner_head(head, cand)) < 2:
        return None
    return cand


def compressed_kind(head: bytes, _depth: int = 0) -> str | None:
    """The single-stream compressor wrapping a file (joblib's compress= choices and plain
    .gz / .xz / .bz2 / .lzma / .z files): "gzip", "xz", "bzip2", "zlib", "lzma", "lz4" or None.
    Magics of two or three bytes (zlib, lzma-alone, bzip2) count only when the head decodes
    and the decoded head is itself a recognised non-text format."""
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(_XZ):
        return "xz"
    if head.startswith(_LZ4):
        return "lz4"
    if _depth > 1:
        return None
    if head[:3] == b"BZh" and len(head) >= 10 and head[3:4] in b"123456789" \
            and head[4:10] in _BZ2_BLOCK_MAGICS:
        # bzip2 yields nothing until a whole block (up to 900 kB) is read, so it is known by
        # its stream and block signatures, never by decoding a head (issue 13).
        return "bzip2"
    cand = _short_magic(head)
    if cand is None:
        return None
    inner = _inner_head(head, cand)
    if len(inner) < 2:
        return None
    fmt = sniff(inner, "", _depth + 1)
    return cand if fmt not in ("unknown", "text") else None


def sniff(head: bytes, name: str, _depth: int = 0) -> str:
    """Format id of a file from its first bytes (4 KiB is plenty); `name` breaks ties only for
    magic-less formats (ONNX, SavedModel protobuf, a safetensors with a broken header)."""
    lower = name.lower().rsplit("/", 1)[-1]
    if head.startswith(_ZIP_MAGICS):
        first = _first_zip_name(head)
        return zip_kind([first]) if first else "zip"
    if head.startswith(b"GGUF"):
        return "gguf"
    # The protocol byte comes before signatures at other offsets (HDF5 user block, tar): a
    # pickle can carry those inside a string, and pickle.load reads from offset 0 (issue 13).
    if head.startswith(TORCH_LEGACY_MAGIC):
        return "torch-legacy"
    if len(head) >= 2 and head[0] == 0x80 and head[1] <= 5:
        return "pickle"
    if head.startswith(_HDF5) or head[512:520] == _HDF5:
        return "hdf5"
    if head.startswith(_7Z):
        return "7z"
    if head.startswith((b"\x1f\x8b", _XZ, _LZ4)):
        return "gzip"  # any compressed wrapper; scan_gzip picks the codec
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if is_tar(head):
        return "tar"
    # joblib's compress= wrappers (zlib, lzma, bzip2) around a pickle; checked by decoding.
    if compressed_kind(head, _depth) is not None:
        return "gzip"
    # safetensors: u64 header length (plausible, < 1 TiB) then a JSON object.
    if len(head) >= 10 and head[8:9] == b"{" and head[9:10] in b'"} \t\r\n' \
            and 2 <= struct.unpack_from("<Q", head)[0] < 2**40:
        return "safetensors"
    if _looks_pickle(head):
        return "pickle"
    if lower.endswith(".safetensors") and len(head) >= 8:
        return "safetensors"
    if lower.endswith(".onnx") and _protobuf_shaped(head, _ONNX_FIELDS):
        return "onnx"
    # An ONNX ModelProto written by onnx starts with ir_version (field 1) then a string field.
    if len(head) > 3 and head[0] == 0x08 and 3 <= head[1] <= 20 and head[2] in (0x12, 0x3A, 0x42) \
            and _protobuf_shaped(head, _ONNX_FIELDS) and not lower.endswith(".pb"):
        return "onnx"
    if lower.endswith(".pb") and _protobuf_shaped(head, _SAVEDMODEL_FIELDS):
        return "savedmodel-pb"
    if is_text(head):
        return "text"
    return "unknown"
