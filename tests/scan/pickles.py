"""Raw-opcode builders for the pickle corpus (no pickler involved: every byte is chosen here).

Malicious samples only ever create a file named ``canary`` in the current directory (the
subprocess proofs in test_pickle_canaries.py run them in a temporary folder).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

# ------------------------------------------------------------------ opcode helpers
PROTO = lambda n: b"\x80" + bytes([n])  # noqa: E731
STOP = b"."
MARK = b"("
TUPLE = b"t"
TUPLE1 = b"\x85"
TUPLE2 = b"\x86"
EMPTY_TUPLE = b")"
EMPTY_DICT = b"}"
EMPTY_LIST = b"]"
REDUCE = b"R"
BUILD = b"b"
MEMOIZE = b"\x94"
STACK_GLOBAL = b"\x93"
DUP = b"2"
POP = b"0"
NONE = b"N"
NEWOBJ = b"\x81"
NEWOBJ_EX = b"\x92"
SETITEM = b"s"
SETITEMS = b"u"
APPEND = b"a"
OBJ = b"o"


def frame(n: int) -> bytes:
    return b"\x95" + struct.pack("<Q", n)


def sbu(s: str) -> bytes:
    """SHORT_BINUNICODE."""
    raw = s.encode()
    assert len(raw) < 256
    return b"\x8c" + bytes([len(raw)]) + raw


def bu(s: str) -> bytes:
    """BINUNICODE."""
    raw = s.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def string0(s: str) -> bytes:
    """Protocol-0 STRING."""
    return b"S" + repr(s).encode() + b"\n"


def binbytes(b: bytes) -> bytes:
    return b"B" + struct.pack("<I", len(b)) + b


def binbytes8_header(n: int) -> bytes:
    return b"\x8e" + struct.pack("<Q", n)


def binput(i: int) -> bytes:
    return b"q" + bytes([i])


def binget(i: int) -> bytes:
    return b"h" + bytes([i])


def long_binput(i: int) -> bytes:
    return b"r" + struct.pack("<I", i)


def long_binget(i: int) -> bytes:
    return b"j" + struct.pack("<I", i)


def binint1(i: int) -> bytes:
    return b"K" + bytes([i])


def glob(module: str, name: str) -> bytes:
    """GLOBAL (protocol 0-3)."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def sglob(module: str, name: str) -> bytes:
    """STACK_GLOBAL with memoized operands, like the protocol-4 pickler."""
    return sbu(module) + MEMOIZE + sbu(name) + MEMOIZE + STACK_GLOBAL


def inst(module: str, name: str) -> bytes:
    return b"i" + module.encode() + b"\n" + name.encode() + b"\n"


def call1_p4(module: str, name: str, arg: bytes) -> bytes:
    """``module.name(arg)`` at protocol 4; ``arg`` is already-encoded opcodes."""
    return sglob(module, name) + arg + TUPLE1 + REDUCE


def call1_p0(module: str, name: str, arg: str) -> bytes:
    return glob(module, name) + MARK + string0(arg) + TUPLE + REDUCE


def p4(body: bytes) -> bytes:
    return PROTO(4) + body + STOP


# ------------------------------------------------------------------ payloads
SHELL = "touch canary"
PYCODE = "open('canary', 'w').close()"


@dataclass(frozen=True)
class Sample:
    """One corpus entry: raw bytes, the threat-catalogue row it covers (model-security.md §2),
    the global we must block (or '' when the finding has no name), the trick we must report,
    and how the stock loader runs it (``load`` once, ``load2`` twice, ``loads`` from bytes;
    None = no canary proof because the payload cannot fire on a stock interpreter)."""

    name: str
    data: bytes
    threat: str
    blocked: str
    trick: str | None = None
    loader: str | None = "load"


def _frame_differential() -> bytes:
    """Threat row 10: FRAME/BINBYTES differential.

    The frame (>= 128 KiB, so CPython reads it with read() and not from its peek buffer) ends
    one byte into BINBYTES' 4-byte length. The file view drops that byte and reads the length
    01 00 00 00 after the frame: a 1-byte string, then the payload runs. The sequential view
    (pickle.loads, pickletools) reads length 0x100 and swallows the payload as bytes.
    """
    pad = b"N0" * 65536
    payload = POP + sglob("os", "system") + sbu(SHELL) + TUPLE1 + REDUCE + STOP
    filler = 256 - 2 - len(payload)
    assert filler > 0
    body = pad + b"B" + b"\x00"                       # frame ends after the first length byte
    after = b"\x01\x00\x00" + b"\x00" + b"x" + payload + b"N" * filler + STOP
    return PROTO(4) + frame(len(body)) + body + after


def malicious_samples() -> list[Sample]:
    os_call_p4 = call1_p4("os", "system", sbu(SHELL))
    eval_p2 = PROTO(2) + glob("builtins", "eval") + bu(PYCODE) + TUPLE1 + REDUCE + STOP
    nested_inner = p4(call1_p4("os", "system", sbu(SHELL)))
    samples = [
        Sample("reduce_os_system_p4", p4(os_call_p4), "1", "os.system"),
        Sample("reduce_posix_system_p0", call1_p0("posix", "system", SHELL) + STOP, "1",
               "posix.system"),
        Sample("reduce_eval_p2", eval_p2, "1", "builtins.eval"),
        Sample("reduce_open_p4", p4(sglob("builtins", "open") + sbu("canary") + sbu("w")
                                    + TUPLE2 + REDUCE), "8", "builtins.open"),
        # memo: operands stored in sparse slots and fetched with BINGET / LONG_BINGET
        Sample("memo_sparse_slots", p4(sbu("os") + binput(7) + POP + sbu("system")
                                       + long_binput(300) + POP + binget(7) + long_binget(300)
                                       + STACK_GLOBAL + sbu(SHELL) + TUPLE1 + REDUCE),
               "2", "os.system", "memo-aliasing"),
        # memo written after DUP (the memo value is the stack value, not the previous argument)
        Sample("memo_after_dup", p4(sbu("os") + DUP + binput(1) + POP + POP + sbu("system") + DUP
                                    + binput(2) + POP + POP + binget(1) + binget(2)
                                    + STACK_GLOBAL + sbu(SHELL) + TUPLE1 + REDUCE),
               "3", "os.system", "memo-aliasing"),
        # memoized global called later through GET
        Sample("memo_global_alias", p4(sglob("os", "system") + binput(9) + POP + NONE + POP
                                       + binget(9) + sbu(SHELL) + TUPLE1 + REDUCE),
               "2", "os.system"),
        # nullifAI: payload, then an invalid opcode / a truncated operand
        Sample("broken_after_payload", PROTO(4) + os_call_p4 + b"\xff" + b"junk", "4",
               "os.system", "broken-stream-after-payload"),
        Sample("truncated_after_payload", PROTO(4) + os_call_p4 + b"X\xff\xff\x00\x00ab", "4",
               "os.system", "broken-stream-after-payload"),
        # dotted names walked attribute by attribute
        Sample("dotted_pathlib_os_system", p4(call1_p4("pathlib", "os.system", sbu(SHELL))), "5",
               "pathlib.os.system", "dotted-name"),
        Sample("dotted_torch_utils_os_system", p4(call1_p4("torch._utils", "os.system",
                                                           sbu(SHELL))),
               "5", "torch._utils.os.system", "dotted-name", loader=None),
        Sample("gadget_argparse_os", p4(call1_p4("argparse", "_os.system", sbu(SHELL))), "7",
               "argparse._os.system", "dotted-name"),
        Sample("dunder_walk_builtins", p4(call1_p4("argparse", "__builtins__.eval",
                                                   bu(PYCODE))),
               "7", "argparse.__builtins__.eval", "dunder-walk", loader=None),
        # name-resolving trampoline, then an indirect call of its result
        Sample("pkgutil_resolve_name", p4(call1_p4("pkgutil", "resolve_name", sbu("os:system"))
                                          + sbu(SHELL) + TUPLE1 + REDUCE), "6",
               "pkgutil.resolve_name"),
        # long tail of stdlib gadgets
        Sample("runpy_run_code", p4(sglob("runpy", "_run_code") + glob("builtins", "compile")
                                    + bu(PYCODE) + sbu("x") + sbu("exec") + b"\x87" + REDUCE
                                    + EMPTY_DICT + TUPLE2 + REDUCE), "8", "runpy._run_code"),
        Sample("cprofile_run", p4(call1_p4("cProfile", "run", bu(PYCODE))), "8", "cProfile.run"),
        Sample("timeit_setup", p4(sglob("timeit", "timeit") + bu("pass") + bu(PYCODE)
                                  + TUPLE2 + REDUCE), "8", "timeit.timeit"),
        Sample("logging_filehandler", p4(call1_p4("logging", "FileHandler", sbu("canary"))), "8",
               "logging.FileHandler"),
        Sample("io_fileio", p4(sglob("_io", "FileIO") + sbu("canary") + sbu("w") + TUPLE2
                               + REDUCE), "8", "_io.FileIO"),
        Sample("pydoc_pipepager", p4(sglob("pydoc", "pipepager") + sbu("") + sbu(SHELL)
                                     + TUPLE2 + REDUCE), "8", "pydoc.pipepager"),
        Sample("subprocess_run_inst", MARK + b"(lp0\n" + string0("touch") + b"a" + string0("canary")
               + b"a" + inst("subprocess", "run") + STOP, "1", "subprocess.run"),
        Sample("os_system_inst", MARK + string0(SHELL) + inst("os", "system") + STOP, "1",
               "os.system"),
        Sample("os_system_obj", PROTO(1) + MARK + glob("os", "system") + string0(SHELL) + OBJ
               + STOP, "1", "os.system"),
        # nested pickle
        Sample("nested_pickle_loads", p4(call1_p4("_pickle", "loads", binbytes(nested_inner))),
               "9", "_pickle.loads", "nested-unpickle"),
        # FRAME differential (file view runs it, pickle.loads does not)
        Sample("frame_differential", _frame_differential(), "10", "", "frame-mismatch"),
        # several pickles in one stream (legacy torch format, picklescan malicious6)
        Sample("stacked_second_pickle", p4(EMPTY_LIST) + p4(os_call_p4), "14", "os.system",
               "stacked-pickle", loader="load2"),
        # interpreter state changed through an allow-listed object
        Sample("global_mutation_build", p4(sglob("collections", "OrderedDict") + NONE
                                           + EMPTY_DICT + sbu("x") + sglob("os", "system")
                                           + SETITEM + TUPLE2 + BUILD),
               "7", "collections.OrderedDict", "global-mutation", loader=None),
        Sample("copyreg_extension", p4(sglob("copyreg", "add_extension") + sbu("os")
                                       + sbu("system") + binint1(200) + b"\x87" + REDUCE + POP
                                       + b"\x82\xc8" + sbu(SHELL) + TUPLE1 + REDUCE),
               "6", "copyreg.add_extension", loader="load"),
        Sample("scanner_deactivation", p4(sglob("picklescan.scanner", "scan_pickle_bytes")),
               "25", "picklescan.scanner.scan_pickle_bytes", loader=None),
        Sample("newobj_ex_popen", p4(sglob("subprocess", "Popen") + MARK + EMPTY_LIST + TUPLE
                                     + EMPTY_DICT + NEWOBJ_EX), "1", "subprocess.Popen",
               loader=None),
    ]
    return samples


def benign_samples() -> dict[str, bytes]:
    """Hand-built benign pickles that must be allowed without review."""
    return {
        "ordered_dict_p4": p4(sglob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + MARK
                              + sbu("w") + EMPTY_LIST + MARK + binint1(1) + binint1(2)
                              + b"e" + SETITEMS),
        "rebuild_tensor_p2": (PROTO(2) + glob("collections", "OrderedDict") + EMPTY_TUPLE
                              + REDUCE + sbu("w") + glob("torch._utils", "_rebuild_tensor_v2")
                              + MARK + MARK + sbu("storage") + glob("torch", "FloatStorage")
                              + sbu("0") + sbu("cpu") + binint1(4) + TUPLE + b"Q" + binint1(0)
                              + binint1(4) + TUPLE1 + binint1(1) + TUPLE1 + b"\x89"
                              + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE
                              + TUPLE + REDUCE + SETITEM + STOP),
    }
