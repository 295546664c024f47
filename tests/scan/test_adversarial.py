"""Regression tests for the classes a differential fuzzer found (issue 13): inputs that run code
under the real loader while the scanner said `clean`, plus a crash and stalls.

Each test builds its input itself. Where the class is about the loader's behaviour, the stock
loader first proves it runs the payload (in a throwaway subprocess whose payload only creates
`canary` in its own folder); then the scanner must say `unsafe` or `incomplete`, never `clean`,
and no canary may appear where the scanner ran.
"""

from __future__ import annotations

import bz2
import io
import os
import pickle
import struct
import subprocess
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

from trueopen.errors import InputError
from trueopen.scan.dispatch import scan_bytes
from trueopen.scan.engine import scan_paths
from trueopen.scan.result import Issue, ScanLimits

PAYLOAD = b"cos\nsystem\n(S'touch canary'\ntR"          # protocol 0: os.system('touch canary')
LOADERS = {
    "pickle": "import pickle, sys; pickle.load(open(sys.argv[1], 'rb'))",
    # a loader that reads stacked pickles until the stream ends
    "pickle-all": "import pickle, sys\nf = open(sys.argv[1], 'rb')\nfor _ in range(64): pickle.load(f)",
    "bz2-pickle": "import bz2, pickle, sys; pickle.load(bz2.open(sys.argv[1]))",
    "joblib": "import joblib, sys; joblib.load(sys.argv[1])",
}


def su(text: str) -> bytes:
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


def stock_loader_runs(loader: str, data: bytes, folder: Path) -> bool:
    """Load `data` with the real loader in a fresh process inside `folder`; did it run?"""
    if loader == "joblib":
        pytest.importorskip("joblib")
        pytest.importorskip("numpy")
    folder.mkdir()
    (folder / "sample").write_bytes(data)
    subprocess.run([sys.executable, "-c", LOADERS[loader], "sample"], cwd=folder,
                   capture_output=True, timeout=120, check=False)
    return (folder / "canary").exists()


def scanned(name: str, data: bytes, folder: Path, monkeypatch: pytest.MonkeyPatch, **kw):
    folder.mkdir()
    monkeypatch.chdir(folder)
    fs = scan_bytes(name, data, **kw)
    assert not (folder / "canary").exists()
    return fs


# --- the classes: (name, loader, builder) ------------------------------------------------------

def broken_tail_no_stop() -> bytes:
    return PAYLOAD                                  # calls, then EOF: no STOP


def broken_tail_bad_opcode() -> bytes:
    return PAYLOAD + b"\xff"                        # calls, then an invalid load key


def long_first_line() -> bytes:
    return b"V" + b"a" * 5000 + b"\n0" + PAYLOAD + b"."   # first opcode longer than the head


def hdf5_signature_at_512() -> bytes:
    head = b"\x80\x02B"  # BINBYTES: the signature is not UTF-8
    pad = 512 - len(head) - 4
    body = b"x" * pad + b"\x89HDF\r\n\x1a\n" + b"y" * 64
    return head + struct.pack("<I", len(body)) + body + b"0" + PAYLOAD + b"."


def tar_polyglot() -> bytes:
    # A tar whose first member's name is a pickle: tar readers see a member, pickle.load runs it.
    info = tarfile.TarInfo((PAYLOAD + b".").decode())
    info.size = 3
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        t.addfile(info, io.BytesIO(b"abc"))
    return buf.getvalue()


def bz2_pickle() -> bytes:
    return bz2.compress(b"(dp0\nS'w'\np1\nI1\ns0" + PAYLOAD + b".")


def stacked_nul_int() -> bytes:
    first = pickle.dumps({"weights": [1.0, 2.0]}, protocol=2)
    return first + b"I0\x00x\n0" + PAYLOAD + b"."


def nul_float() -> bytes:
    return b"F1.5\x00junk\n0" + PAYLOAD + b"."


CLASSES = [
    ("broken_tail_no_stop.pkl", "pickle", broken_tail_no_stop),
    ("broken_tail_bad_opcode.pkl", "pickle", broken_tail_bad_opcode),
    ("long_first_line.pkl", "pickle", long_first_line),
    ("hdf5_at_512.pkl", "pickle", hdf5_signature_at_512),
    ("polyglot.tar", "pickle", tar_polyglot),
    ("model.pkl.bz2", "bz2-pickle", bz2_pickle),
    ("stacked_nul_int.pkl", "pickle-all", stacked_nul_int),
    ("nul_float.pkl", "pickle", nul_float),
]


@pytest.mark.parametrize("name,loader,build", CLASSES, ids=[c[0] for c in CLASSES])
def test_loader_runs_it_and_the_scanner_does_not_say_clean(name, loader, build, tmp_path,
                                                           monkeypatch):
    data = build()
    assert stock_loader_runs(loader, data, tmp_path / "load"), "the class no longer fires"
    fs = scanned(name, data, tmp_path / "scan", monkeypatch)
    assert fs.status == "unsafe", (fs.format, fs.issues)
    assert any("os.system" in i.detail or "posix.system" in i.detail for i in fs.issues)


# --- joblib ------------------------------------------------------------------------------------

def _wrapper(n: int) -> bytes:
    """A NumpyArrayWrapper for n uint8 values, BUILD included (protocol 4 text)."""
    dtype = (su("numpy") + su("dtype") + b"\x93" + su("u1") + b"\x89\x88\x87R"
             + b"(K\x03" + su("|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb")
    return (su("joblib.numpy_pickle") + su("NumpyArrayWrapper") + b"\x93)\x81"
            + b"}(" + su("subclass") + su("numpy") + su("ndarray") + b"\x93"
            + su("shape") + b"K" + bytes([n]) + b"\x85" + su("order") + su("C")
            + su("dtype") + dtype + su("allow_mmap") + b"\x89" + b"ub")


def _neutral(n: int) -> bytes:
    """n bytes that are also harmless opcodes (NONE, POP)."""
    return b"N0" * (n // 2) if n % 2 == 0 else b"K\x000" + b"N0" * ((n - 3) // 2)


def joblib_frame_confusion() -> bytes:
    # Inside a FRAME, joblib reads the array from the file at the frame's end: the bytes after
    # BUILD that are still in the frame are opcodes, not array data.
    payload = PAYLOAD + b"0"
    framed = _wrapper(len(payload)) + payload
    return (b"\x80\x04\x95" + struct.pack("<Q", len(framed)) + framed
            + _neutral(len(payload)) + b".")


def joblib_wrapper_in_plain_pickle() -> bytes:
    # The "array bytes" after the wrapper are what pickle.load executes next.
    payload = PAYLOAD + b"0"
    return b"\x80\x04" + _wrapper(len(payload)) + payload + b"."


def test_joblib_frame_confusion(tmp_path, monkeypatch):
    data = joblib_frame_confusion()
    assert stock_loader_runs("joblib", data, tmp_path / "load")
    fs = scanned("m.joblib", data, tmp_path / "scan", monkeypatch)
    assert fs.status == "unsafe", fs.issues


def test_joblib_wrapper_in_a_plain_pickle(tmp_path, monkeypatch):
    data = joblib_wrapper_in_plain_pickle()
    fs = scanned("m.pkl", data, tmp_path / "scan", monkeypatch)
    assert fs.status == "unsafe", fs.issues
    assert any("system" in i.detail for i in fs.issues if i.verdict == "block")


def test_a_real_joblib_dump_stays_clean(tmp_path):
    joblib = pytest.importorskip("joblib")
    np = pytest.importorskip("numpy")
    for compress in (0, 3):
        path = tmp_path / f"arrays{compress}.joblib"
        joblib.dump({"a": np.arange(1000, dtype=np.float32), "b": np.ones((7, 3))}, path,
                    compress=compress)
        fs = scan_bytes(path.name, path.read_bytes())
        assert fs.status == "clean", (compress, fs.issues)


# --- semantics: inert streams, computed names, partial -----------------------------------------

@pytest.mark.parametrize("text", [
    b"torch==2.1.0\nnumpy>=1.24\n",
    b"pkg/__init__.py,sha256=AbC,120\npkg-1.0.dist-info/RECORD,,\n",
    b"(lp0\nI1\naI2\na",                          # truncated list of ints: nothing imported
])
def test_a_stream_the_loader_rejects_before_any_import_is_inert(text):
    fs = scan_bytes("requirements.txt", text)
    assert fs.status == "clean", fs.issues
    assert not fs.stopped_by


def test_a_text_file_that_imports_before_breaking_stays_unsafe():
    fs = scan_bytes("notes.txt", PAYLOAD + b"\nsome prose after it\n")
    assert fs.status == "unsafe"


def test_text_naming_an_unimportable_module_is_not_an_import():
    fs = scan_bytes("model_config.yaml", b"chat_template:\n  '{% for m in messages %}'\n")
    assert fs.status == "clean", fs.issues


def test_stack_global_with_a_computed_name_blocks():
    # STACK_GLOBAL on the result of a call (here str.lower('OS'), 'system'): unknown until load.
    data = (b"\x80\x04" + su("builtins") + su("str") + b"\x93" + su("lower") + b"\x86"
            + su("builtins") + su("getattr") + b"\x93" + b"\x8c\x03str"  # noise kept on stack
            + b"0" + b"0" + b"0"
            + su("operator") + su("methodcaller") + b"\x93" + b"0"
            + su("builtins") + su("str") + b"\x93" + b"\x8c\x02OS" + b"\x85R"  # str('OS') -> call
            + su("system") + b"\x93" + b".")
    fs = scan_bytes("m.pkl", data)
    assert fs.status == "unsafe"
    assert any(i.trick == "computed-global-name" for i in fs.issues), fs.issues


def test_partial_is_judged_by_what_it_wraps():
    import functools
    ok = pickle.dumps({"f": functools.partial(int, "7")}, protocol=2)
    assert scan_bytes("ok.pkl", ok).status == "clean"
    bad = pickle.dumps({"f": functools.partial(os.system, "true")}, protocol=2)
    fs = scan_bytes("bad.pkl", bad)
    assert fs.status == "unsafe"
    assert any(i.trick == "functools-partial" for i in fs.issues)


def test_partial_whose_state_swaps_the_target_is_not_clean():
    # partial(int) then BUILD with state (os.system, ...): __setstate__ replaces the target.
    data = (b"\x80\x02cfunctools\npartial\ncbuiltins\nint\n\x85R"
            b"(cos\nsystem\n)NNtb.")
    fs = scan_bytes("swap.pkl", data)
    assert fs.status == "unsafe", fs.issues


def test_trailing_bytes_are_shown():
    data = pickle.dumps([1, 2], protocol=2) + b"(lp0\nI1\na"
    fs = scan_bytes("t.pkl", data)
    assert any(i.rule == "trailing-bytes" for i in fs.issues), fs.issues


# --- archives: crash, stalls -------------------------------------------------------------------

def _zip_with_bad_directory_offset() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", b"hello")
    data = bytearray(buf.getvalue())
    eocd = data.rfind(b"PK\x05\x06")
    struct.pack_into("<I", data, eocd + 16, 0x7FFFFFF0)  # directory offset past the end
    return bytes(data)


def test_a_corrupt_zip_release_is_a_one_line_error_naming_it(tmp_path):
    from trueopen.sources import open_release

    path = tmp_path / "release.zip"
    path.write_bytes(_zip_with_bad_directory_offset())
    with pytest.raises(InputError) as err:
        with open_release(path):
            pass
    assert "release.zip" in str(err.value) and "\n" not in str(err.value)


def test_many_members_cost_linear_bookkeeping(monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(3000):
            z.writestr(f"{i}.pkl", b"\x01")
    compared = 0
    original = Issue.__eq__

    def counting(self, other):
        nonlocal compared
        compared += 1
        return original(self, other)

    monkeypatch.setattr(Issue, "__eq__", counting)
    fs = scan_bytes("many.zip", buf.getvalue())
    assert len(fs.issues) >= 3000
    # A list checked with `in` compares each new issue with all before it (4.5M here).
    assert compared < 10 * 3000


def test_shared_deflate_stream_is_read_once_within_a_budget_that_scales(monkeypatch):
    from trueopen.scan import result

    stream = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp = stream.compress(b"\0" * (8 << 20)) + stream.flush()
    crc, usize = zlib.crc32(b"\0" * (8 << 20)), 8 << 20
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(comp), usize, 5,
                        0) + b"a.bin"
    cd = b""
    for i in range(9):
        nm = b"w%d.bin" % i
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(comp),
                          usize, len(nm), 0, 0, 0, 0, 0, 0) + nm
    data = local + comp
    data += cd + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 9, 9, len(cd), len(data), 0)
    taken = []
    real = result.Budget.take

    def take(self, n):
        taken.append(n)
        return real(self, n)

    monkeypatch.setattr(result.Budget, "take", take)
    limits = ScanLimits(min_decompressed_bytes=1 << 20, decompress_ratio=10)
    fs = scan_bytes("bomb.zip", data, limits=limits)
    assert fs.status == "incomplete"
    assert sum(1 for i in fs.issues if i.rule == "zip-shared-data") == 8
    budget = max(1 << 20, 10 * len(data))
    assert sum(taken) <= budget + (4 << 20)  # one read chunk past the budget at most


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="named pipe"):
        scan_paths([fifo])


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_refused_never_clean():
    with pytest.raises(InputError, match="character device"):
        scan_paths(["/dev/zero"])


def test_a_symlink_loop_says_so(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(InputError, match="symbolic link loop"):
        scan_paths([tmp_path / "a"])


def test_control_characters_in_names_are_escaped_in_the_table(tmp_path):
    from rich.console import Console

    from trueopen.formats.scan_report import render_table

    (tmp_path / "evil\nname.pkl").write_bytes(PAYLOAD + b".")
    console = Console(record=True, width=200)
    render_table(scan_paths([tmp_path]), console)
    text = console.export_text()
    assert "evil\\x0aname.pkl" in text
    assert not any(line.startswith("name.pkl") for line in text.splitlines())


# --- found by the project's own fuzzer (fuzz/) -------------------------------------------------

def test_a_payload_where_legacy_storage_should_start_is_read(tmp_path, monkeypatch):
    # Five stacked pickles make the rest "legacy storage"; a loader that keeps calling
    # pickle.load runs what is there, so it is read as that loader would.
    magic = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."
    five = magic + b"".join(pickle.dumps(x, protocol=2) for x in (1001, {"v": 1}, {"w": 1}, ["0"]))
    data = five + PAYLOAD + b"."
    assert stock_loader_runs("pickle-all", data, tmp_path / "load")
    fs = scanned("legacy.pt", data, tmp_path / "scan", monkeypatch)
    assert fs.status == "unsafe", fs.issues


def test_a_compressed_pickle_without_proto_is_read_through_its_codec(tmp_path, monkeypatch):
    inner = (b"\x8c\x02os\x8c\x06system\x93\x8c\x0ctouch canary\x85R0"
             b"# Model card\n\nLicensed under MIT.\n")
    data = zlib.compress(inner)
    fs = scanned("card.md.z", data, tmp_path / "scan", monkeypatch)
    assert fs.status == "unsafe", fs.issues


def test_text_that_merely_looks_like_a_zlib_header_stays_clean():
    fs = scan_bytes("notes.txt", b"x^2 + y^2 = r^2 is a circle\n")
    assert fs.status == "clean", fs.issues


def test_requirement_and_record_files_leave_a_release_clean(tmp_path):
    # Issue 8.6 at the audit level: inert text does not make the release's safety incomplete,
    # and the files are counted in one finding rather than listed one by one.
    from trueopen.audit import audit

    (tmp_path / "requirements.txt").write_text("torch==2.1.0\nnumpy>=1.24\n")
    (tmp_path / "RECORD").write_text("pkg/__init__.py,sha256=AbC,120\n")
    (tmp_path / "README.md").write_text("# A model\n")
    record = audit(tmp_path, hash_contents=False)
    assert record.safety.status == "clean"
    inert = [f for f in record.safety.findings if f.rule == "safety-inert-files"]
    assert len(inert) == 1 and inert[0].message.startswith("1 ")
    assert not record.safety.files


def test_an_importing_text_file_makes_the_release_unsafe(tmp_path):
    from trueopen.audit import audit

    (tmp_path / "notes.txt").write_bytes(PAYLOAD + b".")
    (tmp_path / "README.md").write_text("# A model\n")
    assert audit(tmp_path, hash_contents=False).safety.status == "unsafe"
