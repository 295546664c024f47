"""The pickle machine: benign pickles are allowed, every corpus sample is blocked with the
trick named, both FRAME views match CPython, and every limit stops the analysis by name."""

from __future__ import annotations

import argparse
import collections
import io
import pathlib
import pickle
import pickletools
import random
import struct
import tracemalloc

import pytest

from scan.pickles import (EMPTY_DICT, EMPTY_LIST, MARK, NONE, POP, REDUCE, SETITEMS, STOP,
                          TUPLE1, PROTO, benign_samples, binbytes8_header, binget, binint1,
                          call1_p4, frame, glob, malicious_samples, p4, sbu, sglob)
from trueopen.scan.pickle_machine import (Blob, PDict, PickleLimits, PickleReport, PList,
                                          _Machine, analyse_pickle)
from trueopen.scan.pickle_policy import default_policy


def scan(data: bytes, **limits) -> PickleReport:
    return analyse_pickle(io.BytesIO(data), limits=PickleLimits(**limits))


def not_allowed(report: PickleReport) -> list:
    return [f for f in report.findings if f.verdict != "allow"]


# ------------------------------------------------------------------ benign
BENIGN_OBJECTS = {
    "ordered_dict_of_lists": collections.OrderedDict(a=[1, 2, 3], b=[4.5, "x", None]),
    "namespace": argparse.Namespace(lr=0.1, epochs=3, name="run"),
    "pure_posix_path": pathlib.PurePosixPath("/data/ckpt"),
    "posix_path": pathlib.PosixPath("/data/ckpt"),
    "nested_containers": {"a": ({1, 2}, frozenset({3}), b"\x00" * 10, bytearray(b"ab")),
                          "b": [[[]]], "c": (True, False, None, 1 << 70, -1.5, "é")},
    "recursive_list": (lambda l: (l.append(l), l)[1])([]),
}


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("name", sorted(BENIGN_OBJECTS))
def test_real_benign_pickles_are_allowed_without_review(name, protocol):
    report = scan(pickle.dumps(BENIGN_OBJECTS[name], protocol))
    assert report.verdict == "allow", report
    assert report.complete and report.stopped_by is None
    assert not not_allowed(report)
    assert all(f.name for f in report.findings)  # allow-findings are globals only


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_numpy_arrays_are_allowed(protocol):
    np = pytest.importorskip("numpy")
    for arr in (np.arange(12, dtype=np.float32).reshape(3, 4), np.array(["a", "bc"]),
                np.float64(2.5), np.array([1, "x", None], dtype=object)):
        report = scan(pickle.dumps({"w": arr}, protocol))
        assert report.verdict == "allow", report
        assert any(g.startswith("numpy") for g in report.globals)


@pytest.mark.parametrize("name", sorted(benign_samples()))
def test_hand_built_benign_samples(name):
    report = scan(benign_samples()[name])
    assert report.verdict == "allow", report


def test_torch_style_state_dict_would_load_under_weights_only():
    report = scan(benign_samples()["rebuild_tensor_p2"])
    assert report.weights_only_ok is True
    assert "torch._utils._rebuild_tensor_v2" in report.globals
    assert scan(pickle.dumps(argparse.Namespace(a=1), 4)).weights_only_ok is False


# ------------------------------------------------------------------ malicious corpus
@pytest.mark.parametrize("sample", malicious_samples(), ids=lambda s: s.name)
def test_malicious_samples_are_blocked_with_their_trick(sample):
    report = scan(sample.data)
    assert report.verdict == "block", report
    blocked = {f.name for f in report.findings if f.verdict == "block"}
    if sample.blocked:
        assert any(n == sample.blocked or n.startswith(sample.blocked) for n in blocked), blocked
    if sample.trick:
        assert sample.trick in {f.trick for f in report.findings}, report.findings


def test_call_detail_names_callable_and_arguments():
    report = scan(p4(call1_p4("os", "system", sbu("echo pwned"))))
    (f,) = not_allowed(report)
    assert (f.opcode, f.verdict, f.name) == ("STACK_GLOBAL", "block", "os.system")
    assert "calls os.system('echo pwned')" in f.detail
    assert f.offset == 2 + len(sbu("os")) + 1 + len(sbu("system")) + 1


def test_offsets_are_relative_to_the_stream_start():
    data = p4(call1_p4("os", "system", sbu("x")))
    stream = io.BytesIO(b"JUNKJUNK" + data)
    stream.seek(8)
    shifted = analyse_pickle(stream)
    assert [f.offset for f in shifted.findings] == [f.offset for f in scan(data).findings]


def test_payload_then_broken_stream_is_still_blocked_and_incomplete():
    report = scan(PROTO(4) + call1_p4("builtins", "eval", sbu("1")) + b"\xff")
    assert report.verdict == "block" and not report.complete
    assert "unknown opcode 0xff" in report.stopped_by
    assert report.findings[0].trick == "broken-stream-after-payload"


def test_trailing_garbage_after_a_benign_pickle_is_reported_not_incomplete():
    report = scan(pickle.dumps([1, 2], 2) + b"\xe2\x00garbage")
    assert report.verdict == "allow" and report.complete
    assert report.trailing and "not a complete pickle" in report.trailing


def test_stacked_pickles_are_all_analysed():
    data = pickle.dumps(1, 2) + pickle.dumps("x", 0) + p4(glob("builtins", "exec"))
    report = scan(data)
    assert report.pickles == 3
    assert report.findings[-1].trick == "stacked-pickle"


def test_memo_carries_over_for_loaders_that_reuse_the_unpickler():
    data = p4(sbu("os") + b"q\x05") + p4(binget(5) + sbu("system") + b"\x93")
    report = scan(data)
    assert report.verdict == "block"
    assert "os.system" in report.globals


def test_stack_global_with_a_non_string_operand_stops_like_the_loader():
    report = scan(p4(call1_p4("os", "system", sbu("x")) + POP + binint1(42) + sbu("os")
                     + b"\x93"))
    assert report.verdict == "block" and not report.complete
    assert "requires str" in report.stopped_by


def test_extension_codes_are_review_whatever_is_installed():
    report = scan(PROTO(2) + b"\x82\x01" + STOP)
    assert report.verdict == "review"
    assert report.findings[0].trick == "extension-code"


def test_build_on_an_allowed_instance_is_allowed():
    # argparse.Namespace() then BUILD with a plain state dict
    report = scan(p4(sglob("argparse", "Namespace") + b")" + REDUCE + EMPTY_DICT + sbu("lr")
                     + binint1(1) + b"s" + b"b"))
    assert report.verdict == "allow"


def test_build_setattr_with_a_dunder_key_is_blocked():
    report = scan(p4(sglob("argparse", "Namespace") + b")" + REDUCE + NONE + EMPTY_DICT
                     + sbu("__class__") + sglob("collections", "OrderedDict") + b"s"
                     + b"\x86" + b"b"))
    assert report.verdict == "block"
    assert "dunder-walk" in {f.trick for f in report.findings}


def test_nested_pickle_findings_name_the_inner_payload():
    inner = p4(call1_p4("os", "system", sbu("x")))
    report = scan(p4(call1_p4("pickle", "loads", b"C" + bytes([len(inner)]) + inner)))
    inner_findings = [f for f in report.findings if f.name == "os.system"]
    assert "nested-unpickle" in {f.trick for f in inner_findings if f.verdict == "block"}
    assert "os.system" in report.globals


def test_protocol2_bytes_via_codecs_encode_are_evaluated_for_nested_pickles():
    inner = pickle.dumps(1, 0).decode("latin-1")
    report = scan(PROTO(2) + glob("pickle", "loads") + glob("_codecs", "encode") + sbu(inner)
                  + sbu("latin1") + b"\x86" + REDUCE + TUPLE1 + REDUCE + STOP)
    assert report.verdict == "block"


def test_embedded_pickle_in_data_is_review():
    inner = pickle.dumps(print)  # builtins.print, a stand-in payload
    report = scan(pickle.dumps({"blob": inner}, 4))
    assert report.verdict == "review"
    assert report.findings[0].trick == "embedded-pickle"


# ------------------------------------------------------------------ FRAME views
def test_frame_mismatch_is_blocked_and_both_views_are_analysed():
    sample = next(s for s in malicious_samples() if s.name == "frame_differential")
    # pickletools (the sequential view) sees no global at all ...
    assert not [op for op, _, _ in pickletools.genops(sample.data) if "GLOBAL" in op.name]
    report = scan(sample.data)
    assert report.verdict == "block" and report.complete
    assert {"frame-mismatch", None} <= {f.trick for f in report.findings}
    assert "os.system" in report.globals


class _NoSeek(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        chunk = self._data.read(len(b))
        b[:len(chunk)] = chunk
        return len(chunk)


def test_frame_mismatch_on_a_stream_that_cannot_seek_is_incomplete_but_blocked():
    sample = next(s for s in malicious_samples() if s.name == "frame_differential")
    report = analyse_pickle(io.BufferedReader(_NoSeek(sample.data)))
    assert report.verdict == "block" and not report.complete
    assert "not seekable" in report.stopped_by


def _values(data: bytes, drop: bool):
    m = _Machine(io.BytesIO(data), PickleLimits(), len(data), default_policy(), drop, 0)
    m.run()
    if m.stopped_by or m.trailing:
        return "ERR"
    return [_plain(v) for v in m.values]


def _plain(v):
    if isinstance(v, PDict):
        return {_plain(v.flat[i]): _plain(v.flat[i + 1]) for i in range(0, len(v.flat), 2)}
    if isinstance(v, PList):
        return [_plain(x) for x in v.items]
    if isinstance(v, tuple):
        return tuple(_plain(x) for x in v)
    assert not isinstance(v, Blob)
    return v


def _cpython(data: bytes, drop: bool, tmp_path):
    if drop:   # C unpickler on a file object without peek (torch.load's BytesIO)
        f = io.BytesIO(data)
    else:      # small real file: the peek buffer holds everything, reads are sequential
        path = tmp_path / "seq.pkl"
        path.write_bytes(data)
        f = open(path, "rb")
    values = []
    with f:
        try:
            while True:
                values.append(pickle.load(f))
                if f.tell() >= len(data):
                    return values
        except Exception:
            return "ERR"


ATOMS = [b"K\x07", b"M\x01\x02", b"J\x01\x02\x03\x04", b"N", b"\x88", b"\x8c\x03abc",
         b"X\x02\x00\x00\x00hi", b"C\x03xyz", b"B\x02\x00\x00\x00pq", b"I12\n", b"V\\u0041b\n",
         b"S'q'\n", b"G" + struct.pack(">d", 1.5), b"\x8a\x02\x01\x01", b"U\x02ab",
         b"\x8d\x01" + b"\x00" * 7 + b"z", b"\x96\x02" + b"\x00" * 7 + b"ba"]


def test_both_frame_views_match_cpython_on_random_frames(tmp_path):
    rng = random.Random(20261125)
    mismatches = 0
    for _ in range(1500):
        body = b"(" + b"".join(rng.choice(ATOMS) for _ in range(rng.randint(1, 8))) + b"t."
        data = b"\x80\x04" + body
        cut = rng.randint(2, len(data) - 1)
        data = data[:cut] + frame(rng.randint(0, len(data) - cut)) + data[cut:]
        if rng.random() < 0.3:
            data += data
        for drop in (True, False):
            real = _cpython(data, drop, tmp_path)
            ours = _values(data, drop)
            if real != "ERR":
                assert ours == real, (data, drop)
        m = _Machine(io.BytesIO(data), PickleLimits(), len(data), default_policy(), True, 0)
        m.run()
        mismatches += bool(m.mismatch)
    assert mismatches > 50  # the generator does produce straddling frames


# ------------------------------------------------------------------ limits
def test_limit_max_opcodes():
    report = scan(pickle.dumps(list(range(1000)), 4), max_opcodes=100)
    assert report.verdict == "incomplete" and report.stopped_by.startswith("limit max_opcodes")
    assert report.weights_only_ok is None


def test_limit_max_memo():
    report = scan(pickle.dumps([str(i) for i in range(20000)], 4), max_memo=5000)
    assert report.stopped_by.startswith("limit max_memo")


def test_limit_max_stack_depth():
    report = scan(PROTO(2) + b"N" * 20000 + b"." , max_stack_depth=10000)
    assert report.stopped_by.startswith("limit max_stack_depth")


def test_limit_max_nesting():
    report = scan(PROTO(2) + MARK * 50 + b"N" + b"t" * 50 + STOP, max_nesting=20)
    assert report.stopped_by.startswith("limit max_nesting")


def test_limit_max_arg_bytes():
    report = scan(PROTO(4) + binbytes8_header(1 << 40) + STOP)
    assert report.stopped_by.startswith("limit max_arg_bytes")


def test_limit_max_pickles():
    report = scan(pickle.dumps(1, 2) * 20, max_pickles=5)
    assert report.stopped_by.startswith("limit max_pickles")


def test_limit_max_value_bytes_when_a_needed_name_was_not_kept():
    data = p4(EMPTY_LIST + MARK + b"".join(sbu("x" * 200) for _ in range(50)) + b"e"
              + sglob("collections", "OrderedDict"))
    report = scan(data, max_value_bytes=4000)
    assert report.verdict == "incomplete"
    assert report.stopped_by.startswith("limit max_value_bytes")


@pytest.mark.parametrize("data, reason", [
    (b"", "empty stream"),
    (PROTO(4) + sbu("abc"), "truncated stream"),
    (PROTO(4) + b"\xff", "unknown opcode 0xff"),
    (PROTO(9) + b"N.", "unsupported pickle protocol"),
    (PROTO(4) + b"0.", "stack underflow"),
    (PROTO(4) + b"\x8c\x02\xff\xfe.", "invalid"),
])
def test_broken_streams_are_incomplete_and_say_where(data, reason):
    report = scan(data)
    assert report.verdict == "incomplete" and not report.complete
    assert reason in report.stopped_by


class _Zeros(io.RawIOBase):
    """A non-seekable stream: a BINBYTES8 header then n zero bytes then STOP, made lazily."""

    def __init__(self, n: int) -> None:
        self.head = PROTO(4) + binbytes8_header(n)
        self.left = n
        self.tail = b"\x85."

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self.head:
            k = min(len(b), len(self.head))
            b[:k], self.head = self.head[:k], self.head[k:]
            return k
        if self.left:
            k = min(len(b), self.left)
            b[:k] = bytes(k)
            self.left -= k
            return k
        k = min(len(b), len(self.tail))
        b[:k], self.tail = self.tail[:k], self.tail[k:]
        return k


def test_huge_binbytes8_is_skipped_in_chunks_with_bounded_memory():
    tracemalloc.start()
    try:
        report = analyse_pickle(io.BufferedReader(_Zeros(256 << 20)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.verdict == "allow" and report.complete
    assert peak < 16 << 20


def test_huge_binbytes8_in_a_seekable_file_is_skipped_by_seeking(tmp_path):
    path = tmp_path / "big.pkl"
    with open(path, "wb") as f:
        f.write(PROTO(4) + binbytes8_header(1 << 30))
        f.seek(1 << 30, io.SEEK_CUR)
        f.write(b"\x85.")
    with open(path, "rb") as f:
        report = analyse_pickle(f)
    assert report.verdict == "allow" and report.complete


def test_truncated_huge_argument_is_incomplete(tmp_path):
    report = scan(PROTO(4) + binbytes8_header(1 << 20) + b"\x00" * 10)
    assert "truncated" in report.stopped_by


def test_opcode_count_matches_pickletools():
    data = pickle.dumps({"k%d" % i: [i, float(i)] for i in range(3000)}, 4)
    assert scan(data).opcodes == sum(1 for _ in pickletools.genops(data))


def test_opcode_table_and_bounded_disassembler_match_pickletools():
    from trueopen.scan.opcodes import BY_CODE, OPCODES, disassemble
    assert len(OPCODES) == len(pickletools.opcodes) and sum(map(bool, BY_CODE)) == len(OPCODES)
    data = pickle.dumps({"a": [1, 2.0, b"x" * 100_000, "é"], "b": (None, True)}, 5)
    ours = [(off, op.name) for off, op, _ in disassemble(io.BytesIO(data))]
    assert ours == [(pos, op.name) for op, _, pos in pickletools.genops(data)]
    skipped = [arg for _, op, arg in disassemble(io.BytesIO(data)) if op.name == "BINBYTES"]
    assert skipped == [("<skipped>", 100_000)]


def test_memo_with_gaps_still_resolves_globals() -> None:
    """The memo is a list while indices are dense and a dict after a gap; both must resolve."""
    import io as _io
    from trueopen.scan.pickle_machine import analyse_pickle as _analyse

    def run(put: int) -> set[str]:
        body = (b"\x80\x02" + b"cos\nsystem\n" + b"q" + bytes([put]) + b"0"  # GLOBAL, BINPUT, POP
                + b"h" + bytes([put]) + b"X\x04\x00\x00\x00echo\x85R.")       # BINGET, args, REDUCE
        report = _analyse(_io.BytesIO(body))
        return {f.name for f in report.findings if f.verdict == "block"}

    assert "os.system" in run(0)  # dense memo
    assert "os.system" in run(7)  # a gap before the first PUT
