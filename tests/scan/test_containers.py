"""Container analysers: torch zip read the way torch reads it, legacy torch, npy/npz, tar,
gzip, 7z and nesting. Every sample is built here. The pickle engine is replaced by a small
fake (stdlib pickletools disassembly, nothing is unpickled) so the container logic is tested
on its own; the last tests use the real pickle machine when it is present."""

from __future__ import annotations

import collections
import gzip
import io
import os
import pickle
import pickletools
import struct
import tarfile
import zlib
from dataclasses import dataclass, field

import pytest

from trueopen.scan import containers
from trueopen.scan.dispatch import scan_bytes
from trueopen.scan.formats import TORCH_LEGACY_MAGIC, pickle_extent
from trueopen.scan.result import ScanLimits

# --- a fake pickle analyser ------------------------------------------------------------------

_BAD = {"os", "posix", "nt", "builtins", "__builtin__", "subprocess"}


@dataclass
class FakeFinding:
    offset: int
    opcode: str
    verdict: str
    name: str
    detail: str = ""
    trick: str | None = None


@dataclass
class FakeReport:
    verdict: str
    findings: tuple = ()
    globals: tuple = ()
    complete: bool = True
    stopped_by: str | None = None
    opcodes: int = 0
    pickles: int = 0
    weights_only_ok: bool | None = None
    calls: list = field(default_factory=list)


def fake_analyser(stream, size):
    """Disassemble stacked pickles with pickletools (never executes) and list globals."""
    data = stream.read()
    findings, gl, pos, complete, count = [], [], 0, True, 0
    while pos < len(data):
        strings: list[str] = []
        try:
            for op, arg, at in pickletools.genops(io.BytesIO(data[pos:])):
                if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
                    strings.append(arg)
                name = None
                if op.name in ("GLOBAL", "INST"):
                    name = arg.replace(" ", ".")
                elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                    name = f"{strings[-2]}.{strings[-1]}"
                if name:
                    gl.append(name)
                    bad = name.split(".")[0] in _BAD
                    findings.append(FakeFinding(pos + at, op.name, "block" if bad else "allow",
                                                name))
                if op.name == "STOP":
                    pos += at + 1
                    count += 1
                    break
        except Exception:
            complete = False
            break
    verdict = "block" if any(f.verdict == "block" for f in findings) else (
        "allow" if complete else "incomplete")
    return FakeReport(verdict, tuple(findings), tuple(sorted(set(gl))), complete,
                      None if complete else "parse error", pickles=count,
                      weights_only_ok=not any(f.verdict == "block" for f in findings))


def scan(name: str, data: bytes, **kw):
    kw.setdefault("pickle_analyser", fake_analyser)
    return scan_bytes(name, data, **kw)


# --- sample builders ----------------------------------------------------------------------------


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def state_dict_pickle() -> bytes:
    return pickle.dumps(collections.OrderedDict(a=1, b=[1, 2]), protocol=2)


def evil_pickle(protocol: int = 2) -> bytes:
    return pickle.dumps(Evil(), protocol=protocol)


def make_zip(entries, *, comment: bytes = b"") -> bytes:
    """entries: dicts with name, data, and optional local_name, method (0/8), flags, crc."""
    out, central = bytearray(), bytearray()
    for e in entries:
        name = e["name"].encode()
        lname = e.get("local_name", e["name"]).encode()
        data = e["data"]
        method = e.get("method", 0)
        flags = e.get("flags", 0)
        crc = e.get("crc", zlib.crc32(data))
        comp = data
        if method == 8:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            comp = c.compress(data) + c.flush()
        off = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0, crc,
                           len(comp), len(data), len(lname), 0) + lname + comp
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0,
                               crc, len(comp), len(data), len(name), 0, 0, 0, 0, 0, off) + name
    cd_off = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
                       len(central), cd_off, len(comment)) + comment
    return bytes(out)


def torch_zip(pkl: bytes, root: str = "archive", extra=()) -> bytes:
    return make_zip([{"name": f"{root}/data.pkl", "data": pkl},
                     {"name": f"{root}/byteorder", "data": b"little"},
                     {"name": f"{root}/data/0", "data": b"\x00" * 16},
                     {"name": f"{root}/version", "data": b"3\n"}, *extra])


def tar_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def rules(fs) -> set[str]:
    return {i.rule for i in fs.issues}


def tricks(fs) -> set[str]:
    return {i.trick for i in fs.issues if i.trick}


# --- torch zip ----------------------------------------------------------------------------------


def test_torch_zip_state_dict_is_clean() -> None:
    fs = scan("pytorch_model.bin", torch_zip(state_dict_pickle()))
    assert fs.format == "torch-zip"
    assert fs.status == "clean", fs.issues
    assert "collections.OrderedDict" in fs.globals


def test_torch_zip_os_system_is_unsafe_whatever_the_extension() -> None:
    for name in ("model.pt", "model.model", "weights.txt"):
        fs = scan(name, torch_zip(evil_pickle()))
        assert fs.status == "unsafe"
        blocked = [i for i in fs.issues if i.verdict == "block"]
        assert blocked and blocked[0].member == "archive/data.pkl"
        assert "system" in blocked[0].detail


def test_local_central_name_mismatch_is_reported_and_central_name_used() -> None:
    z = make_zip([{"name": "archive/data.pkl", "local_name": "archive/datap.kl",
                   "data": state_dict_pickle()}])
    fs = scan("m.pt", z)
    assert "zip-local-central-mismatch" in tricks(fs)
    assert fs.status == "review"
    z = make_zip([{"name": "archive/data.pkl", "local_name": "archive/datap.kl",
                   "data": evil_pickle()}])
    assert scan("m.pt", z).status == "unsafe"


def test_duplicate_members_are_reported_and_all_copies_scanned() -> None:
    z = make_zip([{"name": "archive/data.pkl", "data": state_dict_pickle()},
                  {"name": "archive/data.pkl", "data": evil_pickle()}])
    fs = scan("m.pt", z)
    assert "zip-duplicate-member" in tricks(fs)
    assert fs.status == "unsafe"


def test_crc_and_flag_bits_are_ignored_like_torch() -> None:
    for entry in ({"crc": 0x1234}, {"flags": 0x1}, {"flags": 0x20}, {"flags": 0x40}):
        z = make_zip([{"name": "model/config.pkl", "data": evil_pickle(), **entry}])
        fs = scan("m.zip", z)
        assert fs.status == "unsafe", entry
        assert tricks(fs) & {"zip-crc-mismatch", "zip-flag-bits"}


def test_pickle_hidden_under_another_name_is_analysed() -> None:
    z = make_zip([{"name": "data.txt", "data": evil_pickle(4)}])
    fs = scan("m.zip", z)
    assert fs.status == "unsafe"
    assert "pickle-renamed" in tricks(fs)


def test_data_pkl_in_two_places() -> None:
    z = torch_zip(state_dict_pickle(), extra=[{"name": "other/data.pkl",
                                                "data": state_dict_pickle()}])
    fs = scan("m.pt", z)
    assert "torch-data-pkl-places" in rules(fs)
    assert fs.status == "review"


def test_deflated_member_is_inflated() -> None:
    z = make_zip([{"name": "archive/data.pkl", "data": evil_pickle(), "method": 8}])
    assert scan("m.pt", z).status == "unsafe"


def test_storage_records_are_not_sniffed_for_other_formats() -> None:
    # Raw tensor bytes that happen to start like gzip must not be opened.
    z = torch_zip(state_dict_pickle(), extra=[{"name": "archive/data/1",
                                                "data": b"\x1f\x8b" + b"\x00" * 30}])
    assert scan("m.pt", z).status == "clean"


def test_unsupported_method_is_incomplete() -> None:
    z = bytearray(make_zip([{"name": "a.pkl", "data": state_dict_pickle()}]))
    # Patch the method to 12 (bzip2) in both headers.
    z[8:10] = struct.pack("<H", 12)
    cd = z.find(b"PK\x01\x02")
    z[cd + 10:cd + 12] = struct.pack("<H", 12)
    fs = scan("m.zip", bytes(z))
    assert fs.status == "incomplete"
    assert "unsupported zip method 12" in fs.stopped_by


def test_not_a_zip_directory_is_incomplete() -> None:
    fs = scan("m.zip", b"PK\x03\x04" + b"\x00" * 40)
    assert fs.status == "incomplete"


def test_torchscript_code_is_code_that_runs_on_load() -> None:
    z = make_zip([{"name": "m/data.pkl", "data": state_dict_pickle()},
                  {"name": "m/code/__torch__/model.py", "data": b"def forward(self): pass\n"},
                  {"name": "m/constants.pkl", "data": pickle.dumps((), protocol=2)}])
    fs = scan("m.pt", z)
    assert fs.format == "torchscript"
    assert fs.status == "review"
    code = [i for i in fs.issues if i.rule == "torchscript-code"]
    assert code and code[0].member == "m/code/__torch__/model.py"


# --- legacy torch -----------------------------------------------------------------------------


def legacy(payload_at: int | None = None) -> bytes:
    parts = [TORCH_LEGACY_MAGIC, pickle.dumps(1001, protocol=2),
             pickle.dumps({"little_endian": True}, protocol=2), state_dict_pickle(),
             pickle.dumps(["0"], protocol=2)]
    if payload_at is not None:
        parts[payload_at] = evil_pickle()
    return b"".join(parts) + struct.pack("<q", 4) + b"\x80\x02garbage-storage"


def test_legacy_torch_stream_skips_raw_storage() -> None:
    fs = scan("pytorch_model.bin", legacy())
    assert fs.format == "torch-legacy"
    assert fs.status == "clean", fs.issues
    assert "legacy-storage-skipped" in rules(fs)


def test_legacy_torch_payload_in_fifth_pickle() -> None:
    fs = scan("pytorch_model.bin", legacy(payload_at=4))
    assert fs.status == "unsafe"


def test_stacked_pickles_all_analysed() -> None:
    fs = scan("x.pkl", pickle.dumps([1, 2]) + evil_pickle())
    assert fs.status == "unsafe"


def test_pickle_extent_finds_stop_and_errors() -> None:
    data = state_dict_pickle()
    ext = pickle_extent(io.BytesIO(data + b"tail"), 0)
    assert ext.error is None and ext.end == len(data) and ext.protocol == 2
    assert pickle_extent(io.BytesIO(data[:-3]), 0).error is not None
    assert "invalid opcode" in pickle_extent(io.BytesIO(b"\xff"), 0).error


# --- numpy --------------------------------------------------------------------------------------


def npy_bytes(arr) -> bytes:
    np = pytest.importorskip("numpy")
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    return buf.getvalue()


def test_npy_plain_array_is_clean() -> None:
    np = pytest.importorskip("numpy")
    fs = scan("a.npy", npy_bytes(np.arange(10)))
    assert fs.format == "npy" and fs.status == "clean"


def test_npy_object_array_payload_is_analysed() -> None:
    np = pytest.importorskip("numpy")
    arr = np.empty(1, dtype=object)
    arr[0] = Evil()
    fs = scan("a.npy", npy_bytes(arr))
    assert fs.status == "unsafe"
    assert "npy-object-array" in rules(fs)


def test_npy_header_limit_is_named() -> None:
    data = b"\x93NUMPY\x02\x00" + struct.pack("<I", 50 * 2**20) + b"{"
    fs = scan("a.npy", data)
    assert fs.status == "incomplete" and "max_npy_header_bytes" in fs.stopped_by


def test_npy_header_is_never_evaluated() -> None:
    header = b"{'descr': __import__('os').system('x'), 'shape': ()}"
    data = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header
    fs = scan("a.npy", data)
    assert fs.status == "incomplete"


def test_npz_members_are_scanned() -> None:
    np = pytest.importorskip("numpy")
    arr = np.empty(1, dtype=object)
    arr[0] = Evil()
    buf = io.BytesIO()
    np.savez_compressed(buf, good=np.arange(3), bad=arr)
    fs = scan("a.npz", buf.getvalue())
    assert fs.format == "npz"
    assert fs.status == "unsafe"
    assert any(i.member == "bad.npy" for i in fs.issues if i.verdict == "block")


# --- wrappers and nesting ------------------------------------------------------------------------


def test_gzip_wrapper() -> None:
    fs = scan("m.pkl.gz", gzip.compress(evil_pickle()))
    assert fs.format == "gzip" and fs.status == "unsafe"


def test_tar_wrapper_and_legacy_tar() -> None:
    fs = scan("m.tar", tar_of({"a/model.pkl": evil_pickle(), "README": b"hello"}))
    assert fs.format == "tar" and fs.status == "unsafe"
    t = tar_of({"sys_info": pickle.dumps({}, protocol=2), "pickle": evil_pickle(),
                "storages": pickle.dumps(0, protocol=2), "tensors": pickle.dumps(0, protocol=2)})
    fs = scan("old.pt", t)
    assert fs.format == "torch-legacy-tar" and fs.status == "unsafe"


def test_zip_in_tar_in_gzip() -> None:
    inner = torch_zip(evil_pickle())
    data = gzip.compress(tar_of({"release/model.pt": inner}))
    fs = scan("release.tar.gz", data)
    assert fs.status == "unsafe"
    blocked = [i for i in fs.issues if i.verdict == "block"]
    assert blocked[0].member == "release.tar.gz!/release.tar!/release/model.pt!/archive/data.pkl"


def test_nesting_limit_is_named() -> None:
    data = evil_pickle()
    for i in range(4):
        data = make_zip([{"name": f"level{i}.zip" if i else "x.pkl", "data": data}])
    # deep.zip holds three nested archives: within max_depth=3, the payload is found.
    assert scan("deep.zip", data).status == "unsafe"
    data = make_zip([{"name": "level4.zip", "data": data}])
    fs = scan("deeper.zip", data)
    assert "limit max_depth" in (fs.stopped_by or "")
    assert fs.status == "incomplete"


def test_decompressed_bytes_limit_is_named() -> None:
    data = gzip.compress(b"\x00" * (2 * 2**20))
    fs = scan("bomb.gz", data, limits=ScanLimits(max_decompressed_bytes=2**20))
    assert fs.status == "incomplete"
    assert "limit max_decompressed_bytes" in fs.stopped_by


def test_7z_is_read_with_the_standard_library() -> None:
    # An empty archive (next header size 0) holds nothing; damage is incomplete, named.
    fs = scan("m.7z", b"7z\xbc\xaf\x27\x1c" + b"\x00" * 32)
    assert fs.format == "7z" and fs.status == "clean"
    fs = scan("m.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 4 + struct.pack("<QQI", 0, 99, 0))
    assert fs.format == "7z" and fs.status == "incomplete"
    assert "truncated 7z" in fs.stopped_by


def test_missing_pickle_analyser_fails_closed(monkeypatch) -> None:
    monkeypatch.setattr(containers, "_default_analyser", lambda: None)
    fs = scan_bytes("m.pt", torch_zip(state_dict_pickle()))
    assert fs.status == "incomplete"
    assert fs.stopped_by == "pickle analyser unavailable"


def test_crashing_analyser_fails_closed() -> None:
    def boom(stream, size):
        raise RuntimeError("bug")

    fs = scan("m.pkl", state_dict_pickle(), pickle_analyser=boom)
    assert fs.status == "incomplete"


def test_joblib_array_bytes_helper() -> None:
    assert containers.joblib_array_bytes("<f8", (2, 3), 5) == 1 + 5 + 48
    assert containers.joblib_array_bytes("|O", (2,), None) is None


# --- with the real pickle machine --------------------------------------------------------------


def _machine():
    try:
        from trueopen.scan import pickle_machine  # noqa: F401
    except ImportError:
        pytest.skip("trueopen.scan.pickle_machine not available yet")


def test_real_machine_torch_zip() -> None:
    _machine()
    assert scan_bytes("m.pt", torch_zip(evil_pickle())).status == "unsafe"
    assert scan_bytes("m.pt", torch_zip(state_dict_pickle())).status in ("clean", "review")


def test_real_machine_legacy_and_npy() -> None:
    _machine()
    assert scan_bytes("m.bin", legacy(payload_at=4)).status == "unsafe"
    assert scan_bytes("m.bin", legacy()).status in ("clean", "review")


# --- joblib ------------------------------------------------------------------------------------


def _u(s: str) -> bytes:
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def joblib_wrapper(raw: bytes, *, shape=(3,), code="f8", align: bool = True,
                   pad: int = 5, endian: str = "<") -> bytes:
    """A hand-written joblib NumpyArrayWrapper (protocol 2) followed by its array bytes."""
    dims = b"".join(b"K" + bytes([d]) for d in shape)
    shape_op = {0: b")", 1: b"\x85", 2: b"\x86", 3: b"\x87"}[len(shape)]
    dtype = (b"cnumpy\ndtype\n" + _u(code) + b"\x89\x88\x87R(K\x03" + _u(endian)
             + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb")
    state = (b"}(" + _u("subclass") + b"cnumpy\nndarray\n" + _u("shape") + dims + shape_op
             + _u("order") + _u("C") + _u("dtype") + dtype + _u("allow_mmap") + b"\x88")
    if align:
        state += _u("numpy_array_alignment_bytes") + b"K\x10"
    out = b"cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81" + state + b"ub"
    if align:
        out += bytes([pad]) + b"\xff" * pad
    return out + raw


def joblib_dump(*wrappers: bytes, extra: bytes = b"") -> bytes:
    body = b"\x80\x02}("
    for i, w in enumerate(wrappers):
        body += _u(f"k{i}") + w
    return body + extra + b"u."


def test_joblib_hand_built_arrays_are_skipped() -> None:
    arr = struct.pack("<3d", 1.0, 2.0, 3.0)
    for w in (joblib_wrapper(arr), joblib_wrapper(arr, align=False),
              joblib_wrapper(b"\x01" * 24, shape=(2, 3), code="i4", endian=">"),
              joblib_wrapper(b"", shape=(0,)), joblib_wrapper(b"ab" * 8, shape=(2,), code="U2")):
        fs = scan("m.joblib", joblib_dump(w, w))
        assert fs.format == "joblib" and fs.status == "clean", fs.issues
        assert "joblib-arrays-skipped" in rules(fs)


def test_joblib_payload_among_arrays_is_found() -> None:
    arr = struct.pack("<3d", 1.0, 2.0, 3.0)
    evil_inline = b"cos\nsystem\n" + _u("echo pwned") + b"\x85R"
    fs = scan("m.joblib", joblib_dump(joblib_wrapper(arr), extra=_u("x") + evil_inline))
    assert fs.status == "unsafe"
    # A payload hidden in the array bytes is data: joblib never unpickles it.
    fs = scan("m.joblib", joblib_dump(joblib_wrapper(evil_pickle()[:24], shape=(3,))))
    assert fs.status == "clean", fs.issues


def test_joblib_untrusted_wrapper_state_is_incomplete() -> None:
    arr = struct.pack("<3d", 1.0, 2.0, 3.0)
    for bad in (joblib_wrapper(arr, code="zz"), joblib_wrapper(arr[:8]),
                joblib_wrapper(arr, shape=(200, 200, 200))):
        fs = scan("m.joblib", joblib_dump(bad))
        assert fs.status == "incomplete", fs.issues
        assert "joblib layout not understood" in fs.stopped_by


def _joblib_dump_bytes(obj) -> bytes:
    joblib = pytest.importorskip("joblib")
    buf = io.BytesIO()
    joblib.dump(obj, buf)
    return buf.getvalue()


def test_real_joblib_dumps_with_arrays_are_clean() -> None:
    _machine()
    np = pytest.importorskip("numpy")
    obj = {"w": np.arange(1000, dtype="<f4").reshape(10, 100), "b": np.ones(7, dtype=">i8"),
           "f": np.asfortranarray(np.eye(5)), "e": np.zeros((0, 3)), "s": np.array(["ab", "c"]),
           "rec": np.zeros(3, dtype=[("x", "<i4"), ("y", "<f8")]), "o": np.array([1, "x"],
                                                                                dtype=object),
           "meta": {"name": "model", "layers": [1, 2, 3]},
           "sub": np.zeros(2, dtype=("<f4", (3,))), "t": np.array(["2020-01-01"], dtype="M8[ns]"),
           "nest": np.zeros(2, dtype=[("a", [("b", "<i2"), ("c", "<u1")]), ("d", "<c16")]),
           "ro": np.array([(1, "s")], dtype=[("x", "<i4"), ("o", "O")])}
    for compress in (0, 3):
        joblib = pytest.importorskip("joblib")
        buf = io.BytesIO()
        joblib.dump(obj, buf, compress=compress)  # compress=3: zlib (gzip-like) wrapper
        fs = scan_bytes("model.joblib", buf.getvalue())
        if compress == 0:
            assert fs.format == "joblib"
            assert fs.status == "clean", fs.issues
        else:
            assert fs.status in ("clean", "incomplete"), fs.issues


def test_real_joblib_dump_with_payload_is_unsafe() -> None:
    _machine()
    np = pytest.importorskip("numpy")
    data = _joblib_dump_bytes({"w": np.arange(10.0), "evil": Evil(), "v": np.ones(3)})
    fs = scan_bytes("model.joblib", data)
    assert fs.status == "unsafe"
    arr = np.empty(1, dtype=object)
    arr[0] = Evil()
    fs = scan_bytes("model.joblib", _joblib_dump_bytes({"w": np.arange(10.0), "o": arr}))
    assert fs.status == "unsafe"
    # An object field inside a structured dtype: the array is a nested pickle too.
    rec = np.array([(1, Evil())], dtype=[("x", "<i4"), ("o", "O")])
    fs = scan_bytes("model.joblib", _joblib_dump_bytes({"r": rec, "w": np.arange(3.0)}))
    assert fs.status == "unsafe"


# --- legacy torch tar ------------------------------------------------------------------------


def _storage_record(key: str, typ: str = "FloatStorage", module: str = "torch") -> bytes:
    return (b"\x80\x02" + _u(key) + _u("cpu") + f"c{module}\n{typ}\n".encode() + b"\x87.")


def legacy_tar(*, storages: bytes | None = None, tensors: bytes | None = None,
               pkl: bytes | None = None) -> bytes:
    if storages is None:
        storages = (pickle.dumps(2, protocol=2)
                    + _storage_record("0") + struct.pack("<q", 3) + b"\x00" * 12
                    + _storage_record("1", "LongStorage") + struct.pack("<q", 1) + b"\x01" * 8
                    + pickle.dumps([], protocol=2))
    if tensors is None:
        tensors = (pickle.dumps(1, protocol=2)
                   + b"\x80\x02" + _u("t0") + _u("0") + b"ctorch\nFloatTensor\n\x87."
                   + struct.pack("<ii", 2, 0) + struct.pack("<4q", 1, 3, 3, 1)
                   + struct.pack("<q", 0))
    return tar_of({"sys_info": pickle.dumps({"little_endian": True}, protocol=2),
                   "pickle": pkl or state_dict_pickle(), "storages": storages,
                   "tensors": tensors})


def test_legacy_tar_records_are_followed() -> None:
    fs = scan("old.pt", legacy_tar())
    assert fs.format == "torch-legacy-tar"
    assert fs.status == "clean", fs.issues
    assert "legacy-storage-skipped" in rules(fs)
    assert "legacy-tar-trailing" not in rules(fs)
    t = legacy_tar(tensors=pickle.dumps(0, protocol=2) + b"tail")
    assert "legacy-tar-trailing" in rules(scan("old.pt", t))


def test_legacy_tar_payload_in_any_record_pickle() -> None:
    bad_record = (pickle.dumps(1, protocol=2) + evil_pickle())
    fs = scan("old.pt", legacy_tar(storages=bad_record))
    assert fs.status == "unsafe"
    views = (pickle.dumps(1, protocol=2) + _storage_record("0") + struct.pack("<q", 2)
             + b"\x00" * 8 + evil_pickle())
    fs = scan("old.pt", legacy_tar(storages=views))
    assert fs.status == "unsafe"
    assert any(i.member == "storages" for i in fs.issues if i.verdict == "block")
    tens = pickle.dumps(2, protocol=2) + b"\x80\x02" + _u("t0") + _u("0") + \
        b"ctorch\nFloatTensor\n\x87." + struct.pack("<ii", 0, 0) + struct.pack("<q", 0) + \
        evil_pickle()
    assert scan("old.pt", legacy_tar(tensors=tens)).status == "unsafe"


def test_legacy_tar_storage_bytes_are_data() -> None:
    # Raw storage bytes that look like a pickle are never unpickled by torch.
    data = evil_pickle()
    storages = (pickle.dumps(1, protocol=2) + _storage_record("0", "ByteStorage")
                + struct.pack("<q", len(data)) + data + pickle.dumps([], protocol=2))
    assert scan("old.pt", legacy_tar(storages=storages)).status == "clean"


def test_legacy_tar_layout_problems_are_named() -> None:
    for storages in (
        pickle.dumps(1, protocol=2) + _storage_record("0", "WeirdStorage")
        + struct.pack("<q", 1) + b"\x00" * 4,
        pickle.dumps(1, protocol=2) + _storage_record("0") + struct.pack("<q", 10**9),
        pickle.dumps("two", protocol=2),
    ):
        fs = scan("old.pt", legacy_tar(storages=storages))
        assert fs.status == "incomplete", fs.issues
        assert "legacy tar layout" in fs.stopped_by


def test_real_machine_legacy_tar_and_joblib_hand_built() -> None:
    _machine()
    assert scan_bytes("old.pt", legacy_tar()).status in ("clean", "review")
    assert scan_bytes("old.pt", legacy_tar(pkl=evil_pickle())).status == "unsafe"
    arr = struct.pack("<3d", 1.0, 2.0, 3.0)
    fs = scan_bytes("m.joblib", joblib_dump(joblib_wrapper(arr)))
    assert fs.status == "clean", fs.issues


# --- compressed wrappers (joblib compress=) ---------------------------------------------------


@pytest.mark.parametrize("codec,fmt", [("zlib", "zlib"), ("xz", "xz"), ("lzma", "lzma"),
                                       ("bz2", "bzip2"), ("gzip", "gzip")])
def test_compressed_wrappers_are_opened(codec: str, fmt: str) -> None:
    import bz2
    import lzma
    comp = {"zlib": zlib.compress, "xz": lambda d: lzma.compress(d, format=lzma.FORMAT_XZ),
            "lzma": lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE),
            "bz2": bz2.compress, "gzip": gzip.compress}[codec]
    fs = scan("model.joblib", comp(evil_pickle()))
    assert fs.format == fmt and fs.status == "unsafe", fs.issues
    fs = scan("model.joblib", comp(state_dict_pickle()))
    assert fs.format == fmt and fs.status == "clean", fs.issues
    fs = scan("m.bin", comp(b"\x00" * (2 * 2**20)), limits=ScanLimits(max_decompressed_bytes=2**20))
    if fmt in ("xz", "gzip"):  # strong magic: sniffed even when the content is not a model
        assert fs.status == "incomplete" and "max_decompressed_bytes" in fs.stopped_by


def test_weak_compression_magics_need_a_decodable_payload() -> None:
    from trueopen.scan.formats import compressed_kind, sniff
    assert compressed_kind(zlib.compress(evil_pickle())) == "zlib"
    assert compressed_kind(zlib.compress(b"plain words " * 20)) is None  # text inside: no
    assert sniff(b"x\x9c" + b"\x00" * 100, "m.bin") != "gzip"
    assert sniff(b"BZh9" + b"\x00" * 100, "m.bin") != "gzip"
    assert compressed_kind(b"\x04\x22\x4d\x18" + b"\x00" * 20) == "lz4"
    fs = scan("m.joblib", b"\x04\x22\x4d\x18" + b"\x00" * 20)
    assert fs.status == "incomplete" and "lz4 not supported" in fs.stopped_by


def test_truncated_compressed_wrapper_is_incomplete() -> None:
    import lzma
    data = lzma.compress(evil_pickle() + b"\x00" * 10000, format=lzma.FORMAT_XZ)
    fs = scan("m.xz", data[: len(data) // 2])
    assert fs.status in ("incomplete", "unsafe")
    assert fs.status == "unsafe" or fs.stopped_by
