"""7z reader: archives hand-built here (Copy, LZMA, LZMA2, Deflate, BZip2, filter chains,
encoded headers) so the reader is tested without any 7z package, plus archives written by
py7zr when it is installed (used only to BUILD test archives). Members are scanned as bytes:
nothing is extracted to disk or unpickled."""

from __future__ import annotations

import bz2
import io
import lzma
import os
import pickle
import random
import struct
import tarfile
import zlib
from pathlib import Path

import pytest

from trueopen.scan import sevenzip
from trueopen.scan.dispatch import scan_bytes
from trueopen.scan.result import ScanLimits

MAGIC = b"7z\xbc\xaf\x27\x1c"


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


EVIL = pickle.dumps(Evil(), protocol=2)
GOOD = pickle.dumps({"a": [1, 2, 3], "b": "text"}, protocol=4)


# --- a minimal 7z writer ---------------------------------------------------------------------


def num(v: int) -> bytes:
    """7z's variable-length NUMBER."""
    for n in range(8):
        if v < (1 << (8 * n + 7 - n)):
            first = ((0xFF << (8 - n)) & 0xFF) | (v >> (8 * n))
            return bytes([first]) + (v & ((1 << (8 * n)) - 1)).to_bytes(n, "little")
    return b"\xff" + v.to_bytes(8, "little")


def bits(flags: list[bool]) -> bytes:
    out = bytearray((len(flags) + 7) // 8)
    for i, f in enumerate(flags):
        if f:
            out[i >> 3] |= 0x80 >> (i & 7)
    return bytes(out)


def coder_bytes(method: bytes, props: bytes = b"") -> bytes:
    flag = len(method) | (0x20 if props else 0)
    return bytes([flag]) + method + (num(len(props)) + props if props else b"")


def streams_info(pack_pos: int, pack_size: int, coders: list[tuple[bytes, bytes]],
                 unpack_sizes: list[int], sub_sizes: list[int] | None) -> bytes:
    """One folder. `coders` outer -> inner (coder 0 is the final output); simple chains are
    bound coder i's input to coder i+1's output."""
    out = b"\x06" + num(pack_pos) + num(1) + b"\x09" + num(pack_size) + b"\x00"
    folder = num(len(coders)) + b"".join(coder_bytes(m, p) for m, p in coders)
    for i in range(len(coders) - 1):
        folder += num(i) + num(i + 1)  # in stream i <- out stream i+1
    out += b"\x07\x0b" + num(1) + b"\x00" + folder
    out += b"\x0c" + b"".join(num(s) for s in unpack_sizes) + b"\x00"
    if sub_sizes is not None:
        out += b"\x08"
        if len(sub_sizes) != 1:
            out += b"\x0d" + num(len(sub_sizes))
            if len(sub_sizes) > 1:
                out += b"\x09" + b"".join(num(s) for s in sub_sizes[:-1])
        out += b"\x00"
    return out + b"\x00"


def build_7z(files: dict[str, bytes | None], *, coders=None, compress=lambda d: d,
             unpack_sizes=None, encode_header: bool = False, dirs: tuple[str, ...] = (),
             corrupt=None) -> bytes:
    """A solid 7z of `files` (None = empty file) plus `dirs`, in one folder."""
    coders = coders or [(b"\x00", b"")]
    names = list(files) + list(dirs)
    empty = [files.get(n) in (None, b"") for n in files] + [True] * len(dirs)
    data = b"".join(d for d in files.values() if d)
    packed = compress(data)
    sizes = [len(d) for d in files.values() if d]
    header = b"\x01"
    if sizes:
        header += b"\x04" + streams_info(0, len(packed), coders,
                                         unpack_sizes or [len(data)] * len(coders), sizes)
    header += b"\x05" + num(len(names))
    if any(empty):
        header += b"\x0e" + num(len(bits(empty))) + bits(empty)
        ef = [n in files for n, e in zip(names, empty) if e]
        header += b"\x0f" + num(len(bits(ef))) + bits(ef)
    raw_names = b"\x00" + b"".join(n.encode("utf-16-le") + b"\x00\x00" for n in names)
    header += b"\x11" + num(len(raw_names)) + raw_names
    header += b"\x00\x00"
    if corrupt:
        header = corrupt(header)
    body = packed
    if encode_header:
        enc = b"\x17" + streams_info(len(packed), len(header), [(b"\x00", b"")],
                                     [len(header)], None)
        body, header = packed + header, enc
    start = struct.pack("<QQI", len(body), len(header), zlib.crc32(header))
    return MAGIC + b"\x00\x04" + struct.pack("<I", zlib.crc32(start)) + start + body + header


def lzma2(d: bytes) -> bytes:
    return lzma.compress(d, format=lzma.FORMAT_RAW,
                         filters=[{"id": lzma.FILTER_LZMA2, "dict_size": 1 << 20}])


LZMA2_PROPS = bytes([18])  # dict 1 MiB


def lzma1(d: bytes) -> tuple[bytes, bytes]:
    props = bytes([3 + 9 * (0 + 5 * 2)]) + struct.pack("<I", 1 << 20)
    return props, lzma.compress(d, format=lzma.FORMAT_RAW,
                                filters=[{"id": lzma.FILTER_LZMA1, "dict_size": 1 << 20,
                                          "lc": 3, "lp": 0, "pb": 2}])


def scan(name: str, data: bytes, **kw):
    return scan_bytes(name, data, **kw)


def _machine():
    try:
        from trueopen.scan import pickle_machine  # noqa: F401
    except ImportError:
        pytest.skip("pickle machine not available")


# --- hand-built archives ---------------------------------------------------------------------


def test_copy_archive_with_pickle_payload_is_unsafe() -> None:
    _machine()
    fs = scan("m.7z", build_7z({"data.pkl": EVIL}))
    assert fs.format == "7z" and fs.status == "unsafe", fs.issues
    assert any(i.member == "data.pkl" for i in fs.issues if i.verdict == "block")


def test_solid_archive_benign_files_dirs_and_empty_files_are_clean() -> None:
    _machine()
    data = build_7z({"a/config.json": b'{"x": 1}', "a/model.pkl": GOOD, "a/empty": None,
                     "a/readme.txt": b"hello\n"}, dirs=("a",))
    fs = scan("m.7z", data)
    assert fs.status == "clean", fs.issues


def test_payload_after_other_files_in_a_solid_folder() -> None:
    _machine()
    files = {f"f{i}.txt": b"x" * (1000 + i) for i in range(5)}
    files["z/evil.bin"] = EVIL
    fs = scan("m.7z", build_7z(files))
    assert fs.status == "unsafe"
    assert [i.member for i in fs.issues if i.verdict == "block"][0] == "z/evil.bin"


def test_encoded_header() -> None:
    _machine()
    assert scan("m.7z", build_7z({"x.pkl": EVIL}, encode_header=True)).status == "unsafe"
    assert scan("m.7z", build_7z({"x.pkl": GOOD}, encode_header=True)).status == "clean"


@pytest.mark.parametrize("kind", ["lzma2", "lzma", "deflate", "bzip2", "bcj+lzma2",
                                  "delta+lzma", "copy+lzma2"])
def test_codecs_and_filter_chains(kind: str) -> None:
    _machine()
    files = {"a.txt": b"hello " * 500, "w/model.pkl": EVIL}
    data = b"".join(files.values())
    if kind == "lzma2":
        arch = build_7z(files, coders=[(b"\x21", LZMA2_PROPS)], compress=lzma2)
    elif kind == "lzma":
        props, packed = lzma1(data)
        arch = build_7z(files, coders=[(b"\x03\x01\x01", props)], compress=lambda d: packed)
    elif kind == "deflate":
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        arch = build_7z(files, coders=[(b"\x04\x01\x08", b"")],
                        compress=lambda d: c.compress(d) + c.flush())
    elif kind == "bzip2":
        arch = build_7z(files, coders=[(b"\x04\x02\x02", b"")], compress=bz2.compress)
    elif kind == "bcj+lzma2":
        packed = lzma.compress(data, format=lzma.FORMAT_RAW,
                               filters=[{"id": lzma.FILTER_X86},
                                        {"id": lzma.FILTER_LZMA2, "dict_size": 1 << 20}])
        arch = build_7z(files, coders=[(b"\x03\x03\x01\x03", b""), (b"\x21", LZMA2_PROPS)],
                        compress=lambda d: packed)
    elif kind == "delta+lzma":
        packed = lzma.compress(data, format=lzma.FORMAT_RAW,
                               filters=[{"id": lzma.FILTER_DELTA, "dist": 4},
                                        {"id": lzma.FILTER_LZMA1, "dict_size": 1 << 20}])
        props = bytes([3 + 9 * (0 + 5 * 2)]) + struct.pack("<I", 1 << 20)
        arch = build_7z(files, coders=[(b"\x03", b"\x03"), (b"\x03\x01\x01", props)],
                        compress=lambda d: packed)
    else:
        arch = build_7z(files, coders=[(b"\x00", b""), (b"\x21", LZMA2_PROPS)], compress=lzma2)
    fs = scan("m.7z", arch)
    assert fs.status == "unsafe", (kind, fs.issues)
    assert fs.stopped_by is None


def test_encrypted_folder_is_incomplete() -> None:
    fs = scan("m.7z", build_7z({"x.pkl": GOOD},
                               coders=[(b"\x06\xf1\x07\x01", b"\x00" * 18)]))
    assert fs.status == "incomplete"
    assert "7z encrypted" in fs.stopped_by


def test_unsupported_coder_is_incomplete_and_named() -> None:
    ppmd = [(b"\x03\x04\x01", b"\x06\x00\x00\x10\x00")]
    fs = scan("m.7z", build_7z({"x.pkl": GOOD}, coders=ppmd))
    assert fs.status == "incomplete"
    assert "unsupported 7z coder PPMd" in fs.stopped_by
    fs = scan("m.7z", build_7z({"x.pkl": GOOD}, coders=[(b"\x03\x03\x01\x03", b""),
                                                          (b"\x04\x01\x08", b"")]))
    assert fs.status == "incomplete" and "coder chain" in fs.stopped_by


def test_huge_lzma_dictionary_is_clamped_to_the_output() -> None:
    _machine()
    props = bytes([40])  # 4 GiB dictionary declared
    arch = build_7z({"x.pkl": EVIL}, coders=[(b"\x21", props)], compress=lzma2)
    assert scan("m.7z", arch).status == "unsafe"


def test_sizes_past_the_end_are_incomplete_not_errors() -> None:
    good = build_7z({"x.pkl": GOOD})
    for cut in (10, 31, 40, len(good) - 3):
        fs = scan("m.7z", good[:cut])
        assert fs.status == "incomplete", cut
    # Unpack size larger than what the packed data holds.
    fs = scan("m.7z", build_7z({"x.pkl": GOOD}, unpack_sizes=[len(GOOD) + 100]))
    assert fs.status == "incomplete"


def test_decompressed_budget_is_named() -> None:
    arch = build_7z({"zeros.bin": b"\x00" * (2 << 20)}, coders=[(b"\x21", LZMA2_PROPS)],
                    compress=lzma2)
    fs = scan("bomb.7z", arch, limits=ScanLimits(max_decompressed_bytes=1 << 20))
    assert fs.status == "incomplete"
    assert "limit max_decompressed_bytes" in fs.stopped_by


def test_member_count_limit_is_named() -> None:
    arch = build_7z({f"f{i}": b"x" for i in range(20)})
    fs = scan("m.7z", arch, limits=ScanLimits(max_members=5))
    assert fs.status == "incomplete" and "limit max_members" in fs.stopped_by


def test_large_member_is_read_lazily() -> None:
    _machine()
    big = EVIL + b"\x00" * 5000
    arch = build_7z({"pad.bin": b"p" * 3000, "big.pkl": big}, coders=[(b"\x21", LZMA2_PROPS)],
                    compress=lzma2)
    fs = scan("m.7z", arch, limits=ScanLimits(max_buffer_bytes=2048))
    assert fs.status in ("unsafe",), fs.issues


def test_nested_archives_and_labels() -> None:
    _machine()
    inner = build_7z({"evil.pkl": EVIL})
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        info = tarfile.TarInfo("rel/inner.7z")
        info.size = len(inner)
        tf.addfile(info, io.BytesIO(inner))
    outer = build_7z({"bundle.tar": buf.getvalue()}, coders=[(b"\x21", LZMA2_PROPS)],
                     compress=lzma2)
    fs = scan("release.7z", outer)
    assert fs.status == "unsafe"
    blocked = [i for i in fs.issues if i.verdict == "block"]
    assert blocked[0].member == "bundle.tar!/rel/inner.7z!/evil.pkl"


def test_duplicate_names_are_reviewed_and_both_scanned() -> None:
    _machine()
    arch = build_7z({"m.pkl": GOOD})
    # Two members with the same name: built by hand from two distinct keys then renamed.
    arch2 = build_7z({"m.pkl": GOOD, "n.pkl": EVIL},
                     corrupt=lambda h: h.replace("n.pkl".encode("utf-16-le"),
                                                 "m.pkl".encode("utf-16-le")))
    fs = scan("m.7z", arch2)
    assert fs.status == "unsafe"
    assert "7z-duplicate-member" in {i.trick for i in fs.issues}
    assert scan("m.7z", arch).status == "clean"


def test_empty_archive_and_bad_version() -> None:
    start = struct.pack("<QQI", 0, 0, 0)
    empty = MAGIC + b"\x00\x04" + struct.pack("<I", zlib.crc32(start)) + start
    assert scan("e.7z", empty).status == "clean"
    fs = scan("v.7z", MAGIC + b"\x01\x00" + b"\x00" * 24)
    assert fs.status == "incomplete" and "unsupported 7z version" in fs.stopped_by


def test_crc_mismatch_is_reported_and_still_analysed() -> None:
    _machine()
    arch = bytearray(build_7z({"x.pkl": EVIL}))
    arch[8] ^= 0xFF
    fs = scan("m.7z", bytes(arch))
    assert fs.status == "unsafe"
    assert "7z-crc-mismatch" in {i.rule for i in fs.issues}


def test_mutated_archives_never_raise() -> None:
    rng = random.Random(7)
    bases = [build_7z({"a.pkl": GOOD, "b.txt": b"hi" * 50}),
             build_7z({"a.pkl": EVIL}, encode_header=True),
             build_7z({"a.pkl": GOOD, "b": b"x" * 300}, coders=[(b"\x21", LZMA2_PROPS)],
                      compress=lzma2)]
    for _ in range(400):
        data = bytearray(rng.choice(bases))
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(data))
            data[i] = rng.randrange(256)
        fs = scan("m.7z", bytes(data), limits=ScanLimits(max_decompressed_bytes=1 << 22))
        assert fs.status in ("clean", "review", "unsafe", "incomplete")


def test_reader_api_numbers() -> None:
    r = sevenzip._Reader(num(0) + num(127) + num(128) + num(300_000) + num(2**40) + num(2**63))
    assert [r.number() for _ in range(6)] == [0, 127, 128, 300_000, 2**40, 2**63]


# --- archives written by py7zr (optional; only used to BUILD samples) -----------------------


def _py7zr():
    return pytest.importorskip("py7zr")


def py7z(files: dict[str, bytes], filters=None, password: str | None = None) -> bytes:
    py7zr = _py7zr()
    b = io.BytesIO()
    kw = {"password": password} if password else {}
    with py7zr.SevenZipFile(b, "w", filters=filters, **kw) as z:
        for name, data in files.items():
            z.writestr(data, name)
    return b.getvalue()


@pytest.mark.parametrize("filters", ["default", "lzma2", "lzma", "copy", "deflate", "bzip2",
                                     "bcj+lzma2", "delta+lzma"])
def test_py7zr_archives(filters: str) -> None:
    py7zr = _py7zr()
    _machine()
    chosen = {
        "default": None,
        "lzma2": [{"id": py7zr.FILTER_LZMA2}],
        "lzma": [{"id": py7zr.FILTER_LZMA}],
        "copy": [{"id": py7zr.FILTER_COPY}],
        "deflate": [{"id": py7zr.FILTER_DEFLATE}],
        "bzip2": [{"id": py7zr.FILTER_BZIP2}],
        "bcj+lzma2": [{"id": py7zr.FILTER_X86}, {"id": py7zr.FILTER_LZMA2}],
        "delta+lzma": [{"id": py7zr.FILTER_DELTA}, {"id": py7zr.FILTER_LZMA}],
    }[filters]
    files = {"cfg/config.json": b'{"a": 1}', "weights/a.pkl": GOOD,
             "notes.txt": b"lorem ipsum " * 2000}
    fs = scan("m.7z", py7z(files, chosen))
    assert fs.status == "clean", (filters, fs.issues)
    files["weights/b.pkl"] = EVIL
    fs = scan("m.7z", py7z(files, chosen))
    assert fs.status == "unsafe", (filters, fs.issues)


def test_py7zr_encrypted_is_incomplete() -> None:
    _py7zr()
    fs = scan("m.7z", py7z({"a.pkl": GOOD}, password="secret"))
    assert fs.status == "incomplete"
    assert "encrypted" in fs.stopped_by


# --- the reference corpus ------------------------------------------------------------------------


def test_corpus_malicious_7z_is_unsafe() -> None:
    _machine()
    p = Path("/work/shared/reference/picklescan-corpus/data/malicious1.7z")
    if not p.is_file():
        pytest.skip("reference corpus not present")
    fs = scan(p.name, p.read_bytes())  # bytes only: members are never unpickled
    assert fs.status == "unsafe" and fs.format == "7z"
