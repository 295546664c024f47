"""One or more well-formed inputs per format the scanner reads, built in code (no network)."""

from __future__ import annotations

import bz2
import collections
import gzip
import io
import json
import lzma
import pickle
import struct
import tarfile
import zipfile
import zlib

# os.system('touch canary') in protocol 0, without STOP: the piece every mutation plants.
PAYLOAD = b"cos\nsystem\n(S'touch canary'\ntR"
# The same through STACK_GLOBAL (protocol 4 opcodes).
PAYLOAD4 = (b"\x8c\x02os\x8c\x06system\x93\x8c\x0ctouch canary\x85R")


def _state() -> dict:
    return collections.OrderedDict(weight=[0.5, -1.25, 3.0], bias=(1, 2), name="layer",
                                   blob=b"\x00\x01\x02" * 8, flag=True, none=None)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _npy() -> bytes:
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() \
        + struct.pack("<4f", 1, 2, 3, 4)


def _safetensors() -> bytes:
    head = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    return struct.pack("<Q", len(head)) + head + struct.pack("<2f", 1, 2)


def _su(text: str) -> bytes:
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


def joblib_like(n: int = 8) -> bytes:
    """A joblib dump of one uint8 array of n values, laid out as joblib writes it."""
    dtype = (_su("numpy") + _su("dtype") + b"\x93" + _su("u1") + b"\x89\x88\x87R"
             + b"(K\x03" + _su("|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb")
    wrapper = (_su("joblib.numpy_pickle") + _su("NumpyArrayWrapper") + b"\x93)\x81"
               + b"}(" + _su("subclass") + _su("numpy") + _su("ndarray") + b"\x93"
               + _su("shape") + b"K" + bytes([n]) + b"\x85" + _su("order") + _su("C")
               + _su("dtype") + dtype + _su("allow_mmap") + b"\x89" + b"ub")
    return b"\x80\x04\x95" + struct.pack("<Q", len(wrapper)) + wrapper + bytes(range(n)) + b"."


def seeds() -> dict[str, list[bytes]]:
    """Format name -> seeds."""
    state = _state()
    pickles = [pickle.dumps(state, protocol=p) for p in range(6)]
    legacy = b"".join(pickle.dumps(x, protocol=2) for x in
                      (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001}, state, ["0"]))
    return {
        "pickle": pickles,
        "torch-legacy": [b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19." + legacy[15:]],
        "torch-zip": [_zip({"archive/data.pkl": pickles[2], "archive/version": b"3\n",
                            "archive/data/0": b"\x00" * 16})],
        "zip": [_zip({"a.pkl": pickles[4], "readme.txt": b"hello\n"})],
        "tar": [_tar({"model.pkl": pickles[2], "notes.txt": b"notes\n"})],
        "gzip": [gzip.compress(pickles[3], mtime=0)],
        "bzip2": [bz2.compress(pickles[2])],
        "xz": [lzma.compress(pickles[4])],
        "zlib": [zlib.compress(pickles[4])],
        "npy": [_npy()],
        "safetensors": [_safetensors()],
        "joblib": [joblib_like()],
        "hdf5": [b"\x89HDF\r\n\x1a\n" + b"\x00" * 504],
        "text": [b"torch==2.1.0\nnumpy>=1.24\n", b"# Model card\n\nLicensed under MIT.\n",
                 b"pkg/__init__.py,sha256=AbC,120\n"],
    }
