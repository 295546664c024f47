"""A bounded reader of the 7z container, standard library only.

Reads the signature header, the (possibly LZMA-encoded) header, the streams info (pack info,
folders with their coder chains, substreams) and the files info, then decodes folders as
streams: Copy, LZMA, LZMA2 (optionally behind BCJ / delta filters, which `lzma`'s raw filter
chains express), Deflate and BZip2. Anything else (AES, BCJ2, PPMd, Deflate64, zstd...) is
reported as unsupported: the caller marks the archive incomplete, it never guesses.

Every number read from the file is checked against the file size or a named limit before it
is used; a violation raises `SevenZipError(reason, stopped_by)`, never another exception.
Nothing is written to disk; decoded bytes are charged to the caller's budget as produced.
"""

from __future__ import annotations

import bz2
import lzma
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

from trueopen.scan.result import BufferedDecoder

__all__ = [
    "MAGIC",
    "SevenZipArchive",
    "SevenZipEntry",
    "SevenZipError",
    "FolderStream",
    "read_archive",
]

MAGIC = b"7z\xbc\xaf\x27\x1c"
_SIG = 32
_CHUNK = 1 << 16
_MAX_CODERS = 32               # coders in one folder (7-Zip itself allows 64 streams)
_MAX_PROPS = 1024              # coder properties bytes
_MAX_HEADER_NESTING = 4        # kEncodedHeader wrapping another kEncodedHeader
MAX_DICT = 1 << 30             # LZMA dictionary actually allocated (clamped to the output size)

# Method ids.
COPY = b"\x00"
LZMA2 = b"\x21"
LZMA1 = b"\x03\x01\x01"
DEFLATE = b"\x04\x01\x08"
BZIP2 = b"\x04\x02\x02"
AES = b"\x06\xf1\x07\x01"
DELTA = b"\x03"
_BCJ = {
    b"\x03\x03\x01\x03": lzma.FILTER_X86,
    b"\x03\x03\x02\x05": lzma.FILTER_POWERPC,
    b"\x03\x03\x04\x01": lzma.FILTER_IA64,
    b"\x03\x03\x05\x01": lzma.FILTER_ARM,
    b"\x03\x03\x07\x01": lzma.FILTER_ARMTHUMB,
    b"\x03\x03\x08\x05": lzma.FILTER_SPARC,
}
_METHOD_NAMES = {
    COPY: "Copy", LZMA2: "LZMA2", LZMA1: "LZMA", DEFLATE: "Deflate", BZIP2: "BZip2",
    AES: "7zAES", DELTA: "Delta", b"\x03\x03\x01\x1b": "BCJ2", b"\x03\x04\x01": "PPMd",
    b"\x04\x01\x09": "Deflate64", b"\x04\xf7\x11\x01": "Zstandard", b"\x0a": "ARM64",
    b"\x03\x03\x01\x03": "BCJ", b"\x03\x03\x02\x05": "PPC", b"\x03\x03\x04\x01": "IA64",
    b"\x03\x03\x05\x01": "ARM", b"\x03\x03\x07\x01": "ARMT", b"\x03\x03\x08\x05": "SPARC",
}

# Property ids.
_END, _HEADER, _ARCHIVE_PROPS, _ADDITIONAL, _MAIN, _FILES = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05
_PACK_INFO, _UNPACK_INFO, _SUBSTREAMS, _SIZE, _CRC, _FOLDER = 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B
_UNPACK_SIZE, _NUM_UNPACK, _EMPTY_STREAM, _EMPTY_FILE = 0x0C, 0x0D, 0x0E, 0x0F
_NAME, _ATTRIBUTES, _ENCODED_HEADER = 0x11, 0x15, 0x17


def method_name(m: bytes) -> str:
    return _METHOD_NAMES.get(m, "0x" + (m.hex() or "00"))


class SevenZipError(Exception):
    """The archive cannot be (fully) read: `reason` for people, `stopped_by` for the verdict."""

    def __init__(self, reason: str, stopped_by: str = "corrupt 7z") -> None:
        super().__init__(reason)
        self.reason, self.stopped_by = reason, stopped_by


def _bad(reason: str) -> SevenZipError:
    return SevenZipError(f"corrupt 7z header: {reason}")


class _Reader:
    """Bounds-checked reads from a header buffer."""

    def __init__(self, data: bytes) -> None:
        self.d, self.i = data, 0

    def byte(self) -> int:
        if self.i >= len(self.d):
            raise _bad("header ends early")
        b = self.d[self.i]
        self.i += 1
        return b

    def take(self, n: int) -> bytes:
        if n < 0 or self.i + n > len(self.d):
            raise _bad(f"a {n}-byte field runs past the header end")
        out = self.d[self.i:self.i + n]
        self.i += n
        return out

    def number(self) -> int:
        first = self.byte()
        mask, value = 0x80, 0
        for i in range(8):
            if not first & mask:
                return value | ((first & (mask - 1)) << (8 * i))
            value |= self.byte() << (8 * i)
            mask >>= 1
        return value

    def count(self, limit: int, what: str, stopped_by: str | None = None) -> int:
        v = self.number()
        if v > limit:
            raise SevenZipError(f"7z {what} {v:,} over the limit of {limit:,}",
                                stopped_by or f"limit 7z {what}")
        return v

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def bits(self, n: int) -> list[bool]:
        raw = self.take((n + 7) // 8)
        return [bool(raw[i >> 3] & (0x80 >> (i & 7))) for i in range(n)]

    def defined(self, n: int) -> list[bool]:
        return [True] * n if self.byte() else self.bits(n)


@dataclass
class Coder:
    method: bytes
    num_in: int
    num_out: int
    props: bytes


@dataclass
class Folder:
    coders: list[Coder]
    bind_pairs: list[tuple[int, int]]
    packed: list[int]
    unpack_sizes: list[int] = field(default_factory=list)
    crc: int | None = None

    @property
    def main_out(self) -> int:
        bound = {o for _i, o in self.bind_pairs}
        free = [o for o in range(sum(c.num_out for c in self.coders)) if o not in bound]
        if len(free) != 1:
            raise _bad("folder has no single final output stream")
        return free[0]

    @property
    def size(self) -> int:
        return self.unpack_sizes[self.main_out]


@dataclass
class _Streams:
    pack_pos: int = 0
    pack_sizes: list[int] = field(default_factory=list)
    folders: list[Folder] = field(default_factory=list)
    sub_sizes: list[list[int]] | None = None


@dataclass(frozen=True)
class SevenZipEntry:
    """One file: its bytes are [offset, offset+size) of folder `folder`'s decoded output."""

    name: str
    size: int
    folder: int | None
    offset: int
    is_dir: bool
    attributes: int | None


@dataclass
class SevenZipArchive:
    entries: list[SevenZipEntry]
    folders: list[Folder]
    pack_offsets: list[tuple[int, int]]   # per pack stream: absolute offset, size
    folder_pack: list[int]                # first pack stream of each folder
    notes: list[tuple[str, str]]          # (rule, detail) worth reporting as info
    encoded_header: bool = False


# --- header parsing ---------------------------------------------------------------------------


def _digests(r: _Reader, n: int) -> list[int | None]:
    d = r.defined(n)
    return [r.u32() if x else None for x in d]


def _pack_info(r: _Reader, s: _Streams, max_items: int) -> None:
    s.pack_pos = r.number()
    n = r.count(max_items, "pack streams", "limit max_members")
    s.pack_sizes = [0] * n
    while True:
        t = r.number()
        if t == _END:
            return
        if t == _SIZE:
            s.pack_sizes = [r.number() for _ in range(n)]
        elif t == _CRC:
            _digests(r, n)
        else:
            raise _bad(f"unexpected property 0x{t:02x} in pack info")


def _folder(r: _Reader) -> Folder:
    nc = r.count(_MAX_CODERS, "coders per folder")
    if nc == 0:
        raise _bad("folder without coders")
    coders = []
    for _ in range(nc):
        flag = r.byte()
        if flag & 0x80:
            raise _bad("alternative coder methods are not defined")
        method = r.take(flag & 0x0F)
        nin, nout = 1, 1
        if flag & 0x10:
            nin = r.count(_MAX_CODERS, "coder streams")
            nout = r.count(_MAX_CODERS, "coder streams")
        props = r.take(r.count(_MAX_PROPS, "coder properties bytes")) if flag & 0x20 else b""
        coders.append(Coder(method, nin, nout, props))
    tin, tout = sum(c.num_in for c in coders), sum(c.num_out for c in coders)
    if tout == 0 or tin < tout - 1:
        raise _bad("folder streams do not add up")
    pairs = []
    for _ in range(tout - 1):
        i, o = r.number(), r.number()
        if i >= tin or o >= tout:
            raise _bad("bind pair names a stream that does not exist")
        pairs.append((i, o))
    npacked = tin - len(pairs)
    if npacked == 1:
        bound_in = {i for i, _o in pairs}
        packed = [i for i in range(tin) if i not in bound_in][:1]
        if not packed:
            raise _bad("folder has no packed input")
    else:
        packed = [r.number() for _ in range(npacked)]
        if any(p >= tin for p in packed):
            raise _bad("packed stream index out of range")
    return Folder(coders, pairs, packed)


def _unpack_info(r: _Reader, s: _Streams, max_items: int) -> None:
    if r.number() != _FOLDER:
        raise _bad("unpack info without folders")
    nf = r.count(max_items, "folders", "limit max_members")
    if r.byte():
        raise SevenZipError("7z folders stored in an external stream (not supported)",
                            "unsupported 7z feature")
    s.folders = [_folder(r) for _ in range(nf)]
    if r.number() != _UNPACK_SIZE:
        raise _bad("folders without unpack sizes")
    for f in s.folders:
        f.unpack_sizes = [r.number() for _ in range(sum(c.num_out for c in f.coders))]
    while True:
        t = r.number()
        if t == _END:
            return
        if t == _CRC:
            for f, c in zip(s.folders, _digests(r, nf)):
                f.crc = c
        else:
            raise _bad(f"unexpected property 0x{t:02x} in unpack info")


def _substreams(r: _Reader, s: _Streams, max_items: int) -> None:
    nums = [1] * len(s.folders)
    sizes: list[list[int]] | None = None
    while True:
        t = r.number()
        if t == _END:
            break
        if t == _NUM_UNPACK:
            nums = [r.count(max_items, "files per folder", "limit max_members")
                    for _ in s.folders]
            if sum(nums) > max_items:
                raise SevenZipError(f"7z streams {sum(nums):,} over the limit of "
                                    f"{max_items:,}", "limit max_members")
        elif t == _SIZE:
            sizes = []
            for f, n in zip(s.folders, nums):
                if n == 0:
                    sizes.append([])
                    continue
                part = [r.number() for _ in range(n - 1)]
                last = f.size - sum(part)
                if last < 0:
                    raise _bad("file sizes exceed their folder's size")
                sizes.append(part + [last])
        elif t == _CRC:
            want = sum(n for f, n in zip(s.folders, nums) if not (n == 1 and f.crc is not None))
            _digests(r, want)
        else:
            raise _bad(f"unexpected property 0x{t:02x} in substreams info")
    if sizes is None:
        if any(n > 1 for n in nums):
            raise _bad("several files in a folder but no sizes")
        sizes = [[f.size] if n == 1 else [] for f, n in zip(s.folders, nums)]
    s.sub_sizes = sizes


def _streams_info(r: _Reader, max_items: int) -> _Streams:
    s = _Streams()
    while True:
        t = r.number()
        if t == _END:
            break
        if t == _PACK_INFO:
            _pack_info(r, s, max_items)
        elif t == _UNPACK_INFO:
            _unpack_info(r, s, max_items)
        elif t == _SUBSTREAMS:
            _substreams(r, s, max_items)
        else:
            raise _bad(f"unexpected property 0x{t:02x} in streams info")
    if s.sub_sizes is None:
        s.sub_sizes = [[f.size] for f in s.folders]
    return s


@dataclass
class _Files:
    names: list[str]
    empty_stream: list[bool]
    empty_file: list[bool]
    attributes: list[int | None]


def _files_info(r: _Reader, max_items: int) -> _Files:
    n = r.count(max_items, "files", "limit max_members")
    names: list[str] | None = None
    empty_stream, empty_file = [False] * n, [False] * n
    attrs: list[int | None] = [None] * n
    while True:
        t = r.number()
        if t == _END:
            break
        body = _Reader(r.take(r.number()))
        if t == _EMPTY_STREAM:
            empty_stream = body.bits(n)
        elif t == _EMPTY_FILE:
            bits = body.bits(sum(empty_stream))
            it = iter(bits)
            empty_file = [next(it) if e else False for e in empty_stream]
        elif t == _NAME:
            if body.byte():
                raise SevenZipError("7z names stored in an external stream (not supported)",
                                    "unsupported 7z feature")
            raw = body.d[1:]
            if len(raw) % 2:
                raise _bad("file names are not UTF-16")
            parts = raw.decode("utf-16-le", "replace").split("\x00")
            if len(parts) < n + 1:
                raise _bad("fewer file names than files")
            names = parts[:n]
        elif t == _ATTRIBUTES:
            d = body.defined(n)
            if body.byte():
                raise SevenZipError("7z attributes stored in an external stream",
                                    "unsupported 7z feature")
            attrs = [body.u32() if x else None for x in d]
        # times, anti, start positions, dummy padding: skipped by their size
    if names is None:
        names = [f"<file {i}>" for i in range(n)]
    return _Files(names, empty_stream, empty_file, attrs)


def _layout(s: _Streams, file_size: int) -> tuple[list[tuple[int, int]], list[int]]:
    pos = _SIG + s.pack_pos
    offsets = []
    for sz in s.pack_sizes:
        offsets.append((pos, sz))
        pos += sz
    if pos > file_size:
        raise SevenZipError(f"7z packed streams end at {pos:,}, past the end of the file "
                            f"({file_size:,} bytes)", "truncated 7z")
    first, k = [], 0
    for f in s.folders:
        first.append(k)
        k += len(f.packed)
    if k > len(s.pack_sizes):
        raise _bad("folders use more packed streams than the archive has")
    return offsets, first


def read_archive(read_at: Callable[[int, int], bytes], size: int, *, max_members: int,
                 max_header_bytes: int, take: Callable[[int], bool]) -> SevenZipArchive:
    """Parse the archive's headers. `take(n)` charges n decoded bytes (an encoded header) to
    the caller's budget and returns False past it. Cost: reads the 32-byte signature header
    and the header (decoding it if encoded, up to `max_header_bytes`)."""
    notes: list[tuple[str, str]] = []
    sig = read_at(0, _SIG)
    if len(sig) < _SIG or not sig.startswith(MAGIC):
        raise SevenZipError("7z signature header truncated", "truncated 7z")
    major, minor = sig[6], sig[7]
    if major != 0:
        raise SevenZipError(f"7z format version {major}.{minor} not supported",
                            "unsupported 7z version")
    if zlib.crc32(sig[12:32]) != struct.unpack_from("<I", sig, 8)[0]:
        notes.append(("7z-crc-mismatch", "start header CRC does not match (7-Zip refuses the "
                                         "archive; analysed anyway)"))
    nh_off, nh_size, nh_crc = struct.unpack_from("<QQI", sig, 12)
    if nh_size == 0:
        return SevenZipArchive([], [], [], [], notes)
    if _SIG + nh_off + nh_size > size:
        raise SevenZipError(f"7z header ({nh_size:,} bytes at {_SIG + nh_off:,}) lies past the "
                            f"end of the file ({size:,} bytes)", "truncated 7z")
    if nh_size > max_header_bytes:
        raise SevenZipError(f"7z header of {nh_size:,} bytes", "limit max_buffer_bytes")
    hdr = read_at(_SIG + nh_off, nh_size)
    if len(hdr) != nh_size:
        raise SevenZipError("7z header could not be read", "truncated 7z")
    if zlib.crc32(hdr) != nh_crc:
        notes.append(("7z-crc-mismatch", "header CRC does not match (7-Zip refuses the "
                                         "archive; analysed anyway)"))
    encoded = False
    for _ in range(_MAX_HEADER_NESTING + 1):
        r = _Reader(hdr)
        t = r.number()
        if t == _HEADER:
            return _header(r, size, max_members, notes, encoded)
        if t != _ENCODED_HEADER:
            raise _bad(f"unknown header type 0x{t:02x}")
        encoded = True
        s = _streams_info(r, max_members)
        offsets, first = _layout(s, size)
        total = sum(f.size for f in s.folders)
        if total > max_header_bytes:
            raise SevenZipError(f"encoded 7z header decodes to {total:,} bytes",
                                "limit max_buffer_bytes")
        arch = SevenZipArchive([], s.folders, offsets, first, notes, True)
        parts = []
        for i in range(len(s.folders)):
            fs = FolderStream(read_at, arch, i, take)
            data = fs.read_all(max_header_bytes)
            if fs.problem:
                raise SevenZipError(f"encoded 7z header: {fs.problem[0]}", fs.problem[1])
            parts.append(data)
        hdr = b"".join(parts)
    raise SevenZipError("7z encoded header nested too deeply", "limit 7z header nesting")


def _header(r: _Reader, size: int, max_members: int, notes: list[tuple[str, str]],
            encoded: bool) -> SevenZipArchive:
    t = r.number()
    if t == _ARCHIVE_PROPS:
        while r.number() != _END:
            r.take(r.number())
        t = r.number()
    if t == _ADDITIONAL:
        _streams_info(r, max_members)
        notes.append(("7z-additional-streams", "additional streams present (ignored by 7-Zip "
                                               "for extraction)"))
        t = r.number()
    s = _Streams(sub_sizes=[])
    if t == _MAIN:
        s = _streams_info(r, max_members)
        t = r.number()
    files = _Files([], [], [], [])
    if t == _FILES:
        files = _files_info(r, max_members)
        t = r.number()
    if t != _END:
        raise _bad(f"unexpected property 0x{t:02x} in header")
    offsets, first = _layout(s, size)
    streams = [(fi, off, sz) for fi, sizes in enumerate(s.sub_sizes or [])
               for off, sz in _running(sizes)]
    nonempty = [i for i, e in enumerate(files.empty_stream) if not e]
    if not files.names and streams:
        files = _Files([f"<stream {i}>" for i in range(len(streams))], [False] * len(streams),
                       [False] * len(streams), [None] * len(streams))
        nonempty = list(range(len(streams)))
    if len(nonempty) != len(streams):
        raise _bad(f"{len(nonempty)} files with data but {len(streams)} streams")
    entries = []
    it = iter(streams)
    for i, name in enumerate(files.names):
        attr = files.attributes[i]
        if files.empty_stream[i]:
            is_dir = not files.empty_file[i] or bool(attr is not None and attr & 0x10)
            entries.append(SevenZipEntry(name, 0, None, 0, is_dir, attr))
            continue
        fi, off, sz = next(it)
        entries.append(SevenZipEntry(name, sz, fi, off, False, attr))
    return SevenZipArchive(entries, s.folders, offsets, first, notes, encoded)


def _running(sizes: list[int]) -> list[tuple[int, int]]:
    out, pos = [], 0
    for sz in sizes:
        out.append((pos, sz))
        pos += sz
    return out


# --- decoding --------------------------------------------------------------------------------


class _Copy:
    def __init__(self) -> None:
        self.pending = b""
        self.needs_input, self.eof = True, False

    def decompress(self, data: bytes, max_length: int) -> bytes:
        self.pending += data
        out, self.pending = self.pending[:max_length], self.pending[max_length:]
        self.needs_input = not self.pending
        return out


class _Deflate:
    def __init__(self) -> None:
        self.d = zlib.decompressobj(-15)
        self.needs_input, self.eof = True, False

    def decompress(self, data: bytes, max_length: int) -> bytes:
        out = self.d.decompress(self.d.unconsumed_tail + data, max_length)
        self.needs_input = not self.d.unconsumed_tail
        self.eof = self.d.eof
        return out


def _lzma_filter(c: Coder, out_size: int) -> dict[str, Any]:
    if c.method in _BCJ:
        f: dict[str, Any] = {"id": _BCJ[c.method]}
        if len(c.props) == 4:
            f["start_offset"] = struct.unpack("<I", c.props)[0]
        return f
    if c.method == DELTA:
        return {"id": lzma.FILTER_DELTA, "dist": (c.props[0] + 1) if c.props else 1}
    if c.method == LZMA2:
        if len(c.props) < 1 or c.props[0] > 40:
            raise _bad("LZMA2 properties invalid")
        b = c.props[0]
        dict_size = 0xFFFFFFFF if b == 40 else (2 | (b & 1)) << (b // 2 + 11)
        return {"id": lzma.FILTER_LZMA2, "dict_size": _clamp_dict(dict_size, out_size)}
    if c.method == LZMA1:
        if len(c.props) < 5 or c.props[0] >= 9 * 5 * 5:
            raise _bad("LZMA properties invalid")
        d = c.props[0]
        dict_size = struct.unpack_from("<I", c.props, 1)[0]
        return {"id": lzma.FILTER_LZMA1, "lc": d % 9, "lp": (d // 9) % 5, "pb": d // 45,
                "dict_size": _clamp_dict(dict_size, out_size)}
    raise SevenZipError(f"7z coder {method_name(c.method)} not supported",
                        f"unsupported 7z coder {method_name(c.method)}")


def _clamp_dict(dict_size: int, out_size: int) -> int:
    # A dictionary larger than the output is never used: allocate only what can be referenced.
    size = max(4096, min(dict_size, out_size))
    if size > MAX_DICT:
        raise SevenZipError(f"LZMA dictionary of {size:,} bytes", "limit 7z dictionary size")
    return size


def _decoder(folder: Folder) -> Any:
    """A decompressor (decompress(data, max_length), needs_input, eof) for the folder's chain,
    or SevenZipError if the chain is not one the standard library can express."""
    names = "+".join(method_name(c.method) for c in folder.coders)
    if any(c.method == AES for c in folder.coders):
        raise SevenZipError("7z folder is encrypted (7zAES); contents not analysed",
                            "7z encrypted")
    if any(c.num_in != 1 or c.num_out != 1 for c in folder.coders) or len(folder.packed) != 1:
        raise SevenZipError(f"7z coder chain {names} has multi-stream coders (not supported)",
                            f"unsupported 7z coder chain {names}")
    # Follow the chain from the final output back to the packed input (outer -> inner).
    bind = dict(folder.bind_pairs)
    chain, cur, seen = [], folder.main_out, set()
    while True:
        if cur in seen:
            raise _bad("coder chain loops")
        seen.add(cur)
        chain.append(cur)
        if cur not in bind:
            break
        cur = bind[cur]
    if len(chain) != len(folder.coders) or chain[-1] != folder.packed[0]:
        raise _bad("coder chain does not connect the packed stream to the output")
    coders = [(folder.coders[i], folder.unpack_sizes[i]) for i in chain
              if folder.coders[i].method != COPY]
    try:
        if not coders:
            return _Copy()
        inner, inner_size = coders[-1]
        if inner.method in (LZMA1, LZMA2):
            filters = [_lzma_filter(c, sz) for c, sz in coders]
            if any(f["id"] in (lzma.FILTER_LZMA1, lzma.FILTER_LZMA2) for f in filters[:-1]):
                raise SevenZipError(f"7z coder chain {names} not supported",
                                    f"unsupported 7z coder chain {names}")
            return lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=filters)
        if len(coders) == 1 and inner.method == DEFLATE:
            return _Deflate()
        if len(coders) == 1 and inner.method == BZIP2:
            return bz2.BZ2Decompressor()
    except (lzma.LZMAError, ValueError, TypeError, MemoryError) as exc:
        raise SevenZipError(f"7z coder chain {names}: {exc}"[:200],
                            f"unsupported 7z coder chain {names}") from None
    if len(coders) == 1:
        raise SevenZipError(f"7z coder {names} not supported", f"unsupported 7z coder {names}")
    raise SevenZipError(f"7z coder chain {names} not supported",
                        f"unsupported 7z coder chain {names}")


class FolderStream(BufferedDecoder):
    """One folder's decoded output, exactly `folder.size` bytes at most. Produced bytes are
    charged with `take`; past the budget, or on corrupt data, the stream ends early and
    `problem` is set to (reason, stopped_by)."""

    def __init__(self, read_at: Callable[[int, int], bytes], arch: SevenZipArchive,
                 index: int, take: Callable[[int], bool]) -> None:
        folder = arch.folders[index]
        self._dec = _decoder(folder)  # SevenZipError propagates: the caller names it
        k = arch.folder_pack[index]
        if k >= len(arch.pack_offsets):
            raise _bad("folder without packed stream")
        self._at, self._left = arch.pack_offsets[k]
        self._read_at, self._take = read_at, take
        self._want = folder.size
        self.produced = 0
        self._buf = b""
        self._done = False
        self._stalled = False
        self.problem: tuple[str, str] | None = None

    def _fail(self, reason: str, stopped_by: str) -> None:
        if self.problem is None:
            self.problem = (reason, stopped_by)
        self._done = True

    def _fill(self, want: int) -> None:
        while len(self._buf) < want and not self._done:
            if self.produced >= self._want:
                self._done = True
                break
            if self._dec.eof:
                self._fail("7z folder decodes to fewer bytes than declared",
                           "corrupt compressed data")
                break
            data = b""
            if self._dec.needs_input or self._stalled:
                if self._left <= 0:
                    self._fail("7z packed data ends before the folder's declared size",
                               "corrupt compressed data")
                    break
                data = self._read_at(self._at, min(_CHUNK, self._left))
                if not data:
                    self._fail("7z packed data could not be read", "truncated 7z")
                    break
                self._at += len(data)
                self._left -= len(data)
            try:
                out = self._dec.decompress(data, min(_CHUNK * 4, self._want - self.produced))
            except (lzma.LZMAError, OSError, EOFError, ValueError, zlib.error,
                    MemoryError) as exc:
                self._fail(f"7z data corrupt ({type(exc).__name__}: {exc})"[:200],
                           "corrupt compressed data")
                break
            self._stalled = not out and not data
            if out:
                if not self._take(len(out)):
                    self._fail("decompressed bytes over budget", "limit max_decompressed_bytes")
                    break
                self.produced += len(out)
                self._buf += out

    def read_all(self, limit: int) -> bytes:
        chunks, total = [], 0
        while total <= limit:
            c = self.read(_CHUNK)
            if not c:
                break
            chunks.append(c)
            total += len(c)
        return b"".join(chunks)

    def read_exact(self, n: int) -> bytes:
        """Up to n bytes, fewer only at the end of the data (or on a problem)."""
        chunks, got = [], 0
        while got < n:
            c = self.read(min(_CHUNK * 4, n - got))
            if not c:
                break
            chunks.append(c)
            got += len(c)
        return b"".join(chunks)

    def skip(self, n: int) -> int:
        """Discard n bytes; returns how many were discarded."""
        done = 0
        while done < n:
            c = self.read(min(_CHUNK * 4, n - done))
            if not c:
                break
            done += len(c)
        return done
