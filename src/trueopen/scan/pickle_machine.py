"""A streaming interpreter of the pickle machine that never unpickles.

``analyse_pickle(stream)`` runs the pickle virtual machine the way CPython's C unpickler
(``Modules/_pickle.c``) does - stack, mark stack, memo holding values, protocols 0-5, several
pickles stacked in one stream - but every ``find_class`` is replaced by a policy lookup
(``pickle_policy``) and every call (REDUCE, BUILD, INST, OBJ, NEWOBJ, NEWOBJ_EX) by a record
of what would have been called with which arguments. Nothing from the file is imported or
executed.

Reading model (why there are two "views")
-----------------------------------------
The C unpickler reading from a *file object* handles FRAME by reading the whole frame into its
buffer (``load_frame``: ``_Unpickler_Read(frame_len)`` then rewind). A later fixed-size read
(opcode byte, fixed argument, length prefix, string payload) or ``readline`` that does not fit
in the buffer's leftover *drops the leftover* and reads from the file position, i.e. the frame
end; byte payloads (BINBYTES family, BYTEARRAY8, ``_Unpickler_ReadInto``) copy the leftover
first. That is what happens for file objects without ``peek`` (``io.BytesIO`` - torch.load of a
zip checkpoint) and for real files whenever the frame was not already in the peek buffer
(frames over the buffer size): the **file view**. ``pickle.loads(bytes)``, ``pickletools``
and a peek-buffered small file read the same bytes strictly in sequence: the **sequential
view**. Well-formed pickles never let an opcode straddle a frame end, so both views agree; when
one does (or a STOP leaves bytes inside its frame), the views disagree, which is reported as
trick ``frame-mismatch`` (block) and both views are analysed (the sequential one needs a
seekable stream).

Costs: one pass over the stream (two when frames disagree), buffered reads of 256 KiB, large
arguments skipped by seeking or chunked reads; memory bounded by ``PickleLimits`` (values keep
at most 4096-character strings, 1 MiB byte strings, 64 items per container, and a total
``max_value_bytes``).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import io
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from trueopen.scan.opcodes import BY_CODE, Opcode
from trueopen.scan.pickle_policy import (VERDICT_RANK, GlobalVerdict, PicklePolicy,
                                         default_policy, is_dunder)
from trueopen.scan.torch_allowlist import weights_only_ok

__all__ = ["PickleLimits", "PickleFinding", "PickleReport", "analyse_pickle"]


# --------------------------------------------------------------------------- public types
@dataclass(frozen=True)
class PickleLimits:
    """Explicit budgets; the finding/``stopped_by`` names the one that stopped an analysis."""

    max_opcodes: int = 50_000_000
    max_memo: int = 1_000_000
    max_stack_depth: int = 100_000     # items on the stack + marks
    max_nesting: int = 1_000           # container nesting (open MARKs) of values we build
    max_arg_bytes: int = 1 << 30       # one opcode argument: skipped by seek/chunks, never held
    max_pickles: int = 10_000          # stacked pickles in one stream
    max_value_bytes: int = 64 << 20    # strings/bytes/containers kept as values (approximate)
    max_nested_depth: int = 3          # nested pickles analysed inside pickle.loads(b"...") etc.


@dataclass(frozen=True)
class PickleFinding:
    offset: int
    opcode: str
    verdict: str
    name: str
    detail: str
    trick: str | None = None


@dataclass(frozen=True)
class PickleReport:
    verdict: str
    findings: tuple[PickleFinding, ...]
    globals: tuple[str, ...]
    complete: bool
    stopped_by: str | None
    opcodes: int
    pickles: int
    weights_only_ok: bool | None
    trailing: str | None = None        # bytes after the last complete pickle that are not one
    # An opcode that imports or calls (GLOBAL, STACK_GLOBAL, INST, OBJ, REDUCE, BUILD, NEWOBJ,
    # EXT*, PERSID) was reached. A stream the loader rejects before that is inert (issue 8.6).
    reached: bool = True
    # Where the analysis ended, when it ended because the real loader fails there, and how:
    # "error" (the loader raises) or "truncated" (the stream ended before STOP).
    loader_fails_at: str | None = None
    ended: str | None = None


# --------------------------------------------------------------------------- values
CHUNK = 1 << 18
KEEP_STR = 4096            # characters of a str value kept
KEEP_STR_BYTES = 4 * KEEP_STR
KEEP_BYTES = 1 << 20       # bytes of a bytes value kept (nested pickle analysis)
KEEP_LONG = 4096           # bytes of a LONG1/LONG4 argument decoded
LINE_KEEP = 1 << 16        # bytes of a text line kept
CAP = 64                   # items retained per container
_STR_COST = 56
_CONTAINER_COST = 96


class Global:
    """A resolved global (what find_class would have returned)."""

    __slots__ = ("module", "name", "full", "gv", "fkey")

    def __init__(self, module: str, name: str, gv: GlobalVerdict) -> None:
        self.module, self.name, self.gv = module, name, gv
        self.full = f"{module}.{name}"
        self.fkey: tuple | None = None

    def __repr__(self) -> str:
        return self.full


class Call:
    """The (never computed) result of calling ``func`` with ``args``."""

    __slots__ = ("func", "args", "kind", "off")

    def __init__(self, func: Any, args: Any, kind: str, off: int) -> None:
        self.func, self.args, self.kind, self.off = func, args, kind, off

    def __repr__(self) -> str:
        return f"{_render(self.func, 1)}({_render_args(self.args, 2)})"


class Blob:
    """A value not kept (too large, or the value budget is spent): kind and length only."""

    __slots__ = ("kind", "length")

    def __init__(self, kind: str, length: int) -> None:
        self.kind, self.length = kind, length

    def __repr__(self) -> str:
        return f"<{self.kind} of {self.length} bytes>"


def _memo_lookup(memo: list | dict, idx: int) -> Any:
    if type(memo) is list:
        return memo[idx] if 0 <= idx < len(memo) else _MISSING
    return memo.get(idx, _MISSING)


class PList:
    __slots__ = ("items", "n")

    def __init__(self, items: list | None = None) -> None:
        self.items = items if items is not None else []
        self.n = len(self.items)

    def extend(self, new: list) -> None:
        self.n += len(new)
        room = CAP - len(self.items)
        if room > 0:
            self.items.extend(new[:room])

    def __repr__(self) -> str:
        return "[" + ", ".join(_render(x, 2) for x in self.items[:4]) + (
            ", …" if self.n > 4 else "") + "]"


class PDict:
    __slots__ = ("flat", "n", "dunder")

    def __init__(self) -> None:
        self.flat: list = []     # k0, v0, k1, v1, ... (first CAP pairs)
        self.n = 0
        self.dunder: str | None = None

    def add(self, items: list) -> None:
        self.n += len(items) >> 1
        room = 2 * CAP - len(self.flat)
        if room > 0:
            self.flat.extend(items[:room])
        if len(items) > room and self.dunder is None:
            keys = items[max(room, 0)::2]
            try:
                hit = "\x00__" in "\x00" + "\x00".join(keys)
            except TypeError:   # not all keys are str
                hit = any(type(k) is str and k[:2] == "__" for k in keys)
            if hit:
                self.dunder = next(k for k in keys if type(k) is str and is_dunder(k))  \
                    if any(type(k) is str and is_dunder(k) for k in keys) else None

    def keys(self) -> list:
        return self.flat[0::2]

    def dunder_key(self) -> str | None:
        for k in self.flat[0::2]:
            if type(k) is str and is_dunder(k):
                return k
        return self.dunder if self.dunder and is_dunder(self.dunder) else None

    def __repr__(self) -> str:
        pairs = [f"{_render(self.flat[i], 2)}: {_render(self.flat[i + 1], 2)}"
                 for i in range(0, min(len(self.flat), 8), 2)]
        return "{" + ", ".join(pairs) + (", …" if self.n > 4 else "") + "}"


class PSet:
    __slots__ = ("items", "n", "frozen")

    def __init__(self, items: list | None = None, frozen: bool = False) -> None:
        self.items = list(items[:CAP]) if items else []
        self.n = len(items) if items else 0
        self.frozen = frozen

    def extend(self, new: list) -> None:
        self.n += len(new)
        room = CAP - len(self.items)
        if room > 0:
            self.items.extend(new[:room])

    def __repr__(self) -> str:
        return ("frozenset" if self.frozen else "set") + "(" + repr(PList(self.items)) + ")"


class Opaque:
    """A value the loader would get from elsewhere: persistent id, extension code, buffer."""

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what

    def __repr__(self) -> str:
        return f"<{self.what}>"


def _render(v: Any, depth: int = 3) -> str:
    if depth <= 0:
        return "…"
    if type(v) is str:
        return repr(v if len(v) <= 80 else v[:77] + "...")
    if type(v) in (bytes, bytearray):
        return repr(bytes(v[:40])) + ("…" if len(v) > 40 else "")
    if type(v) is tuple:
        inner = ", ".join(_render(x, depth - 1) for x in v[:6])
        return "(" + inner + ("," if len(v) == 1 else "") + (", …" if len(v) > 6 else "") + ")"
    if isinstance(v, Call):
        return f"{_render(v.func, depth - 1)}({_render_args(v.args, depth - 1)})"
    try:
        text = repr(v)
    except Exception:  # pragma: no cover - our own value classes only
        text = f"<{type(v).__name__}>"
    return text if len(text) <= 120 else text[:117] + "..."


def _render_args(args: Any, depth: int) -> str:
    if type(args) is tuple:
        return ", ".join(_render(a, depth) for a in args[:6]) + (", …" if len(args) > 6 else "")
    return "*" + _render(args, depth)


class _Stop(Exception):
    """Analysis ends: kind 'error' (the real loader fails here too), 'truncated', 'limit'."""

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.reason, self.kind = reason, kind


_MISSING = object()
_PARTIAL = "functools.partial"
# Opcodes through which a loader imports or calls: a stream that breaks before all of them runs
# nothing (issue 8.6). BUILD calls __setstate__.
# PERSID is not among them: without a persistent_load the loader fails there, and the loaders
# that set one (torch) only build storages with it.
_REACHING = frozenset({"GLOBAL", "STACK_GLOBAL", "INST", "OBJ", "REDUCE", "BUILD", "NEWOBJ",
                       "NEWOBJ_EX", "EXT1", "EXT2", "EXT4"})
_I4 = struct.Struct("<i")
_U4 = struct.Struct("<I")
_F8 = struct.Struct(">d")
_NESTED_LOADERS = frozenset({
    "pickle.loads", "pickle._loads", "pickle.load", "dill.loads", "dill._dill.loads",
    "cloudpickle.loads", "torch.storage._load_from_bytes", "joblib.numpy_pickle.loads",
    "numpy.loads", "pandas.read_pickle", "torch.serialization.load", "torch.load"})
_DEFERRED = frozenset({"torch.storage._load_from_bytes"})  # allowed when the bytes are clean
_TEXT_CODECS = frozenset({"latin1", "latin-1", "iso-8859-1", "iso8859-1", "utf-8", "utf8",
                          "ascii", "us-ascii"})


# --------------------------------------------------------------------------- the machine
class _Machine:
    def __init__(self, stream: BinaryIO, limits: PickleLimits, size: int | None,
                 policy: PicklePolicy, drop: bool, depth: int) -> None:
        self.stream = stream
        self.read = stream.read
        self.limits = limits
        self.policy = policy
        self.drop = drop                 # True: file view (frames drop leftovers)
        self.depth = depth
        self.size = size                 # bytes available from the start, when known
        self.seekable = False
        try:
            self.seekable = bool(stream.seekable())
        except Exception:
            self.seekable = False
        self.buf = b""
        self.pos = 0
        self.base = 0                    # offset of buf[0] from the stream start
        self.lim = 0
        self.fend = -1                   # offset of the active frame's end (file view)
        self.eof = False
        self.stack: list = []
        self.marks: list[int] = []
        # The memo is a list while its indices are dense (0, 1, 2, ... in order: what every
        # pickler writes) and becomes a dict on the first PUT that would leave a hole; a list
        # costs 8 bytes per entry where a dict with int keys costs ~70 (issue item 7's memory
        # target: a 500k-key vocabulary dict memoizes 500k strings).
        self.memo: list | dict[int, Any] = []
        self.prev_memo: list | dict[int, Any] = []
        self.proto = 0
        self.ops = 0
        self.next_check = min(4096, limits.max_opcodes + 1)
        self.budget = limits.max_value_bytes
        self.pickle_index = 0
        self.pickles_done = 0
        self.pickle_start = 0
        self.last_get = -10
        self.findings: dict[tuple, list] = {}
        self.globals: set[str] = set()
        self.gcache: dict[tuple[str, str], Global] = {}
        self.deferred: dict[str, int] = {}
        # functools.partial is judged by what it wraps (issue 8): uses whose target is allowed,
        # and whether any use wrapped something that is not.
        self.partial_ok = 0
        self.partial_bad = False
        self.mismatch: list[str] = []     # frame disagreements seen (file view)
        self.complete = True
        self.stopped_by: str | None = None
        self.trailing: str | None = None
        self.broken = False
        self.reached = False
        self.fail_reason: str | None = None
        self.fail_kind: str | None = None
        self.memo_doubt = False           # a PUT index we could not read (C might have)
        self.values: list = []            # top value of the first pickles (tests)

    # ------------------------------------------------------------------ findings
    def _find(self, off: int, opname: str, verdict: str, name: str, detail: str,
              trick: str | None) -> tuple:
        key = (verdict, name, trick)
        if key not in self.findings:
            self.findings[key] = [off, opname, detail]
        return key

    def _global(self, module: str, name: str, off: int, opname: str,
                via_memo: bool = False) -> Global:
        if not all(part.isidentifier() for part in module.split(".")):
            # `import` cannot find a module named like "chat_template:" or "  x": the loader
            # fails here (ModuleNotFoundError). This keeps text that happens to start with "c"
            # or "i" from being read as an import (issue 13).
            raise _Stop(f"{opname} at offset {off} names module {module[:60]!r}, which no "
                        "import can find: the loader fails here", "error")
        g = self.gcache.get((module, name))
        if g is None:
            g = Global(module, name, self.policy.judge(module, name))
            self.gcache[(module, name)] = g
        gv = g.gv
        self.globals.add(g.full)
        trick = gv.trick
        if gv.verdict != "allow":
            if trick is None and gv.category == "nested-unpickle":
                trick = "nested-unpickle"
            if trick is None and via_memo:
                trick = "memo-aliasing"
            if trick is None and self.pickle_index > 0:
                trick = "stacked-pickle"
        else:
            trick = None
        alias = f" (= {gv.canonical})" if gv.canonical != g.full else ""
        how = {"GLOBAL": "imports", "STACK_GLOBAL": "imports", "INST": "instantiates"}.get(
            opname, "references")
        g.fkey = self._find(off, opname, gv.verdict, g.full,
                            f"{how} {g.full}{alias} — {gv.reason}", trick)
        if g.full in _DEFERRED:
            self.deferred[g.full] = self.deferred.get(g.full, 0) + 1
        return g

    def _note_call(self, func: Any, args: Any, off: int, opname: str) -> str:
        """Record a call site; returns the worst verdict of the callable."""
        if isinstance(func, Global):
            gv = func.gv
            if gv.verdict != "allow" and func.fkey in self.findings:
                entry = self.findings[func.fkey]
                if not entry[2].startswith("calls "):
                    where = f" (imported at offset {entry[0]})" if entry[1] != opname else ""
                    entry[2] = (f"calls {func.full}({_render_args(args, 2)}) at offset {off}"
                                f"{where} — {gv.reason}")
            return gv.verdict
        if isinstance(func, Call):
            origin = func.func
            inner = func.args[0] if type(func.args) is tuple and func.args else None
            if isinstance(origin, Global) and origin.gv.canonical == _PARTIAL \
                    and isinstance(inner, Global) and inner.gv.verdict == "allow":
                return "allow"  # calling partial(int) calls int
            name = f"{origin.full}(...)" if isinstance(origin, Global) else "<call result>"
            verdict = "review"
            if isinstance(origin, Global) and origin.gv.verdict == "block":
                verdict = "block"
            self._find(off, opname, verdict, name,
                       f"calls the result of {_render(func, 2)} with ({_render_args(args, 2)}) "
                       "— indirect call through a returned object", "indirect-call")
            return verdict
        if isinstance(func, Opaque):
            self._find(off, opname, "review", func.what,
                       f"calls {func.what} with ({_render_args(args, 2)}) — callable supplied "
                       "outside the pickle", "indirect-call")
            return "review"
        return "allow"  # not callable: the real loader raises TypeError here

    def _mutation(self, target: Any, off: int, opname: str, what: str) -> None:
        if isinstance(target, Global):
            self._find(off, opname, "block", target.full,
                       f"{opname} {what} {target.full} itself (a module-level object, not a "
                       "fresh instance) — changes interpreter state for later code",
                       "global-mutation")

    # ------------------------------------------------------------------ reading
    def _set_lim(self) -> None:
        n = len(self.buf)
        if self.fend >= 0:
            f = self.fend - self.base
            self.lim = f if f < n else n
        else:
            self.lim = n

    def _fill(self, n: int) -> bool:
        """Make at least n bytes available from pos (frames ignored); False at end of stream."""
        avail = len(self.buf) - self.pos
        if avail >= n:
            return True
        if self.eof:
            return False
        parts = [self.buf[self.pos:]] if avail else []
        need = n - avail
        while need > 0:
            chunk = self.read(max(CHUNK, need))
            if not chunk:
                self.eof = True
                break
            parts.append(chunk)
            need -= len(chunk)
        self.base += self.pos
        self.buf = b"".join(parts)
        self.pos = 0
        self._set_lim()
        return len(self.buf) >= n

    def _skip(self, n: int, off: int) -> None:
        have = len(self.buf) - self.pos
        if n <= have:
            self.pos += n
            return
        n -= have
        self.base += len(self.buf)
        self.buf = b""
        self.pos = 0
        if self.seekable and self.size is not None and not self.eof:
            if self.base + n > self.size:
                raise _Stop(f"truncated stream: argument of opcode at offset {off} runs past "
                            f"the end ({self.size} bytes)", "truncated")
            self.stream.seek(n, io.SEEK_CUR)
            self.base += n
        else:
            while n > 0:
                chunk = self.read(min(n, 1 << 20)) if not self.eof else b""
                if not chunk:
                    self.eof = True
                    raise _Stop(f"truncated stream: argument of opcode at offset {off} runs "
                                "past the end", "truncated")
                n -= len(chunk)
                self.base += len(chunk)
        self._set_lim()

    def _straddle(self, off: int, opname: str, left: int, what: str) -> None:
        self.mismatch.append(f"{opname} at offset {off} {what}")
        self._find(off, opname, "block", "",
                   f"{opname} at offset {off} {what}: the frame leaves {left} byte(s) that the C "
                   "unpickler reading a file drops while pickle.loads/pickletools read them — "
                   "the two readers see different programs", "frame-mismatch")

    def _frame_check(self, n: int, off: int, opname: str) -> None:
        """File view: a fixed read of n bytes at pos against the active frame."""
        if self.fend < 0:
            return
        rem = self.fend - (self.base + self.pos)
        if rem >= n:
            return
        if rem > 0:
            self._straddle(off, opname, rem, f"reads {n} byte(s) across the end of its frame")
            self._skip(rem, off)
        self.fend = -1
        self._set_lim()

    def _take(self, n: int, off: int, opname: str) -> bytes:
        if self.drop:
            self._frame_check(n, off, opname)
        if not self._fill(n):
            raise _Stop(f"truncated stream at offset {self.base + self.pos} (inside {opname} "
                        f"at offset {off})", "truncated")
        p = self.pos
        self.pos = p + n
        return self.buf[p:p + n]

    def _payload(self, n: int, off: int, opname: str, keep: int, into: bool) -> bytes | None:
        """Counted payload: bytes when n <= keep (and the budget allows), else skipped."""
        if self.drop and self.fend >= 0:
            rem = self.fend - (self.base + self.pos)
            if n > rem:
                if into:            # _Unpickler_ReadInto copies the leftover, then reads on
                    self.fend = -1
                    self._set_lim()
                else:
                    self._frame_check(n, off, opname)
        if n <= keep and n < self.budget:
            if not self._fill(n):
                raise _Stop(f"truncated stream: {opname} at offset {off} declares {n} bytes",
                            "truncated")
            p = self.pos
            self.pos = p + n
            self.budget -= n + _STR_COST
            return self.buf[p:p + n]
        self._skip(n, off)
        return None

    def _readline(self, off: int, opname: str) -> bytes | Blob:
        pieces: list[bytes] = []
        total = 0
        while True:
            limit = len(self.buf)
            in_frame = self.drop and self.fend >= 0
            if in_frame:
                f = self.fend - self.base
                if f < limit:
                    limit = f
            i = self.buf.find(b"\n", self.pos, limit)
            if i >= 0:
                piece = self.buf[self.pos:i]
                self.pos = i + 1
                total += len(piece)
                if total <= LINE_KEEP:
                    pieces.append(piece)
                    return b"".join(pieces)
                return Blob("line", total)
            piece_len = limit - self.pos
            if in_frame and limit == self.fend - self.base:
                # No newline before the frame end: C drops the leftover and reads a new line.
                dropped = total + piece_len
                self.pos = limit
                self.fend = -1
                self._set_lim()
                if dropped:
                    self._straddle(off, opname, dropped,
                                   "reads a line across the end of its frame")
                    pieces, total = [], 0
                continue
            total += piece_len
            if total <= LINE_KEEP:
                pieces.append(self.buf[self.pos:limit])
            else:
                pieces = []
            self.pos = limit
            if not self._fill(1):
                raise _Stop(f"truncated stream: no newline for {opname} at offset {off}",
                            "truncated")

    # ------------------------------------------------------------------ limits
    def _checkpoint(self) -> None:
        lim = self.limits
        off = self.base + self.pos
        if self.ops > lim.max_opcodes:
            raise _Stop(f"limit max_opcodes ({lim.max_opcodes}) at offset {off}", "limit")
        if len(self.stack) + len(self.marks) > lim.max_stack_depth:
            raise _Stop(f"limit max_stack_depth ({lim.max_stack_depth}) at offset {off}",
                        "limit")
        if len(self.memo) > lim.max_memo:
            raise _Stop(f"limit max_memo ({lim.max_memo}) at offset {off}", "limit")
        self.next_check = min(self.ops + 4096, lim.max_opcodes + 1)

    def _value_limit(self, off: int, what: str) -> None:
        self.complete = False
        if self.stopped_by is None:
            self.stopped_by = (f"limit max_value_bytes ({self.limits.max_value_bytes}): {what} "
                               f"at offset {off} was not kept")

    # ------------------------------------------------------------------ main loop
    def run(self) -> None:
        try:
            self._loop()
        except _Stop as stop:
            self._stopped(stop)
        except RecursionError:  # pragma: no cover - values are never walked recursively
            self._stopped(_Stop("limit max_nesting (recursion)", "limit"))

    def _stopped(self, stop: _Stop) -> None:
        if stop.kind == "limit":
            self.complete = False
            self.stopped_by = stop.reason
            return
        self.broken = True
        self.fail_reason, self.fail_kind = stop.reason, stop.kind
        if self.pickles_done >= 1:
            self.trailing = (f"bytes after pickle {self.pickles_done} (offset "
                             f"{self.pickle_start}) are not a complete pickle: {stop.reason}")
        else:
            self.complete = False
            self.stopped_by = stop.reason

    def _loop(self) -> None:  # noqa: C901 - one tight dispatch loop on purpose
        """The hot loop: common opcodes inline over a local buffer; anything unusual (frame or
        buffer end, rare opcode, any doubt) re-runs that opcode on the careful path."""
        stack = self.stack
        push = stack.append
        marks = self.marks
        i4 = _I4.unpack_from
        u4 = _U4.unpack_from
        f8 = _F8.unpack_from
        max_nesting = self.limits.max_nesting
        near_end = self._near_end
        one = self._one
        while True:
            buf, pos, lim = self.buf, self.pos, self.lim
            ops, check, budget = self.ops, self.next_check, self.budget
            lim16 = lim - 16
            memo = self.memo
            mlist = type(memo) is list
            try:
                while True:
                    if pos > lim16:
                        self.pos, self.ops, self.budget = pos, ops, budget
                        if near_end():
                            return
                        buf, pos, lim = self.buf, self.pos, self.lim
                        ops, check, budget = self.ops, self.next_check, self.budget
                        lim16 = lim - 16
                        memo = self.memo
                        mlist = type(memo) is list
                        continue
                    op = buf[pos]
                    pos += 1
                    ops += 1
                    if ops >= check:
                        self.pos, self.ops, self.budget = pos, ops, budget
                        self._checkpoint()
                        check = self.next_check
                    if op == 0x8c:                               # SHORT_BINUNICODE
                        e = pos + 1 + buf[pos]
                        if e <= lim and budget > 56 and (e - pos < 17 or (
                                buf[pos + 1] != 0x67 and buf[pos + 1] != 0x38)):
                            push(buf[pos + 1:e].decode())
                            budget -= e - pos + 56
                            pos = e
                            continue
                    elif op == 0x94:                             # MEMOIZE
                        if stack:
                            if mlist:
                                memo.append(stack[-1])
                            else:
                                memo[len(memo)] = stack[-1]
                            continue
                    elif op == 0x4a:                             # BININT
                        push(i4(buf, pos)[0])
                        pos += 4
                        continue
                    elif op == 0x4b:                             # BININT1
                        push(buf[pos])
                        pos += 1
                        continue
                    elif op == 0x4d:                             # BININT2
                        push(buf[pos] | (buf[pos + 1] << 8))
                        pos += 2
                        continue
                    elif op == 0x71:                             # BINPUT
                        if stack:
                            i = buf[pos]
                            if not mlist:
                                memo[i] = stack[-1]
                            elif i < len(memo):
                                memo[i] = stack[-1]
                            elif i == len(memo):
                                memo.append(stack[-1])
                            else:  # a hole: the careful path turns the memo into a dict
                                i = -1
                            if i >= 0:
                                pos += 1
                                continue
                    elif op == 0x68:                             # BINGET
                        i = buf[pos]
                        if mlist:
                            v = memo[i] if i < len(memo) else _MISSING
                        else:
                            v = memo.get(i, _MISSING)
                        if v is not _MISSING:
                            push(v)
                            pos += 1
                            self.last_get = ops
                            continue
                    elif op == 0x28:                             # MARK
                        marks.append(len(stack))
                        if len(marks) <= max_nesting:
                            continue
                        marks.pop()
                    elif op == 0x75:                             # SETITEMS
                        if marks:
                            m = marks[-1]
                            d = stack[m - 1] if m > 0 else None
                            if type(d) is PDict and not (len(stack) - m) & 1:
                                marks.pop()
                                d.add(stack[m:])
                                del stack[m:]
                                continue
                    elif op == 0x65:                             # APPENDS
                        if marks:
                            m = marks[-1]
                            d = stack[m - 1] if m > 0 else None
                            if type(d) is PList:
                                marks.pop()
                                d.extend(stack[m:])
                                del stack[m:]
                                continue
                    elif op == 0x58:                             # BINUNICODE
                        n = u4(buf, pos)[0]
                        e = pos + 4 + n
                        if e <= lim and n <= 4096 and budget > n + 56 and (n < 16 or (
                                buf[pos + 4] != 0x67 and buf[pos + 4] != 0x38)):
                            push(buf[pos + 4:e].decode())
                            budget -= n + 56
                            pos = e
                            continue
                    elif op == 0x7d:                             # EMPTY_DICT
                        push(PDict())
                        budget -= 96
                        continue
                    elif op == 0x5d:                             # EMPTY_LIST
                        push(PList())
                        budget -= 96
                        continue
                    elif op == 0x29:                             # EMPTY_TUPLE
                        push(())
                        continue
                    elif op == 0x4e:                             # NONE
                        push(None)
                        continue
                    elif op == 0x88:                             # NEWTRUE
                        push(True)
                        continue
                    elif op == 0x89:                             # NEWFALSE
                        push(False)
                        continue
                    elif op == 0x85:                             # TUPLE1
                        if len(stack) > (marks[-1] if marks else 0):
                            stack[-1] = (stack[-1],)
                            continue
                    elif op == 0x86:                             # TUPLE2
                        if len(stack) >= (marks[-1] if marks else 0) + 2:
                            t = (stack[-2], stack[-1])
                            del stack[-2:]
                            push(t)
                            continue
                    elif op == 0x87:                             # TUPLE3
                        if len(stack) >= (marks[-1] if marks else 0) + 3:
                            t = (stack[-3], stack[-2], stack[-1])
                            del stack[-3:]
                            push(t)
                            continue
                    elif op == 0x74:                             # TUPLE
                        if marks:
                            m = marks.pop()
                            t = tuple(stack[m:m + CAP])
                            del stack[m:]
                            push(t)
                            continue
                    elif op == 0x47:                             # BINFLOAT
                        push(f8(buf, pos)[0])
                        pos += 8
                        continue
                    elif op == 0x72:                             # LONG_BINPUT
                        if stack:
                            i = u4(buf, pos)[0]
                            if not mlist:
                                memo[i] = stack[-1]
                            elif i < len(memo):
                                memo[i] = stack[-1]
                            elif i == len(memo):
                                memo.append(stack[-1])
                            else:  # a hole: the careful path turns the memo into a dict
                                i = -1
                            if i >= 0:
                                pos += 4
                                continue
                    elif op == 0x6a:                             # LONG_BINGET
                        i = u4(buf, pos)[0]
                        if mlist:
                            v = memo[i] if i < len(memo) else _MISSING
                        else:
                            v = memo.get(i, _MISSING)
                        if v is not _MISSING:
                            push(v)
                            pos += 4
                            self.last_get = ops
                            continue
                    elif op == 0x73:                             # SETITEM
                        if len(stack) >= (marks[-1] if marks else 0) + 3 and \
                                type(stack[-3]) is PDict:
                            stack[-3].add(stack[-2:])
                            del stack[-2:]
                            continue
                    elif op == 0x61:                             # APPEND
                        if len(stack) >= (marks[-1] if marks else 0) + 2 and \
                                type(stack[-2]) is PList:
                            stack[-2].extend(stack[-1:])
                            del stack[-1]
                            continue
                    # not handled inline (pos is still just after the opcode byte): run this
                    # opcode on the careful path
                    self.pos, self.ops, self.budget = pos - 1, ops - 1, budget
                    if one():
                        return
                    buf, pos, lim = self.buf, self.pos, self.lim
                    ops, check, budget = self.ops, self.next_check, self.budget
                    lim16 = lim - 16
                    memo = self.memo
                    mlist = type(memo) is list
            except UnicodeDecodeError:
                # strict UTF-8 failed inline (pos is just after the opcode byte): the careful
                # path decodes with surrogatepass like the C unpickler, or stops if invalid.
                self.pos, self.ops, self.budget = pos - 1, ops - 1, budget
                if one():
                    return

    def _near_end(self) -> bool:
        if self.lim - self.pos < 16 and not self.eof and (
                self.fend < 0 or self.fend - self.base > len(self.buf)):
            self._fill(CHUNK)
        if self.pos + 16 <= self.lim:
            return False
        return self._one()

    def _one(self) -> bool:
        """Run one opcode on the careful path (frames, refills, every check)."""
        off = self.base + self.pos
        if self.drop and self.fend >= 0 and self.fend - off <= 0:
            self.fend = -1
            self._set_lim()
        if not self._fill(1):
            if off == 0:
                raise _Stop("empty stream", "truncated")
            raise _Stop(f"truncated stream at offset {off}: no STOP", "truncated")
        code = self._take(1, off, "opcode")[0]
        spec: Opcode | None = BY_CODE[code]
        if spec is None:
            raise _Stop(f"unknown opcode 0x{code:02x} at offset {off}: the loader fails here "
                        "(invalid load key)", "error")
        self.ops += 1
        if self.ops >= self.next_check:
            self._checkpoint()
        arg = self._read_arg(spec, off)
        try:
            return bool(_HANDLERS[code](self, arg, off))
        except UnicodeDecodeError as exc:
            raise _Stop(f"invalid text in {spec.name} at offset {off}: the loader fails here "
                        f"({exc.reason})", "error") from None

    def _read_arg(self, spec: Opcode, off: int) -> Any:
        kind = spec.arg
        mode = kind.mode
        if mode == "none":
            return None
        name = spec.name
        if mode == "fixed":
            raw = self._take(kind.size, off, name)
            if kind.name == "float8":
                return struct.unpack(">d", raw)[0]
            return int.from_bytes(raw, "little", signed=kind.signed)
        if mode == "counted":
            n = int.from_bytes(self._take(kind.size, off, name), "little", signed=kind.signed)
            if n < 0:
                raise _Stop(f"{name} at offset {off} declares a negative length: the loader "
                            "fails here", "error")
            if n > self.limits.max_arg_bytes:
                raise _Stop(f"limit max_arg_bytes ({self.limits.max_arg_bytes}): {name} at "
                            f"offset {off} declares {n} bytes", "limit")
            if kind.name.startswith("long"):
                keep = KEEP_LONG
            elif kind.name.startswith("unicode"):
                keep = KEEP_STR_BYTES
            else:
                keep = KEEP_BYTES
            data = self._payload(n, off, name, keep, kind.payload == "readinto")
            return data if data is not None else Blob(kind.name, n)
        if mode == "line":
            return self._readline(off, name)
        first = self._readline(off, name)
        return first, self._readline(off, name)

    # ------------------------------------------------------------------ stack helpers
    def _fence(self) -> int:
        return self.marks[-1] if self.marks else 0

    def _pop(self, off: int, opname: str) -> Any:
        if len(self.stack) <= self._fence():
            raise _Stop(f"stack underflow at {opname} offset {off}: the loader fails here",
                        "error")
        return self.stack.pop()

    def _top(self, off: int, opname: str) -> Any:
        if len(self.stack) <= self._fence():
            raise _Stop(f"stack underflow at {opname} offset {off}: the loader fails here",
                        "error")
        return self.stack[-1]

    def _pop_mark(self, off: int, opname: str) -> list:
        if not self.marks:
            raise _Stop(f"{opname} at offset {off} without MARK: the loader fails here",
                        "error")
        m = self.marks.pop()
        items = self.stack[m:]
        del self.stack[m:]
        return items

    def _push(self, v: Any) -> None:
        self.stack.append(v)

    def _keep_str(self, s: str, off: int) -> str | Blob:
        if len(s) >= 16 and s[:2] in ("gA", "80"):
            self._embedded_text(s, off)
        if len(s) > KEEP_STR:
            return Blob("str", len(s))
        if self.budget <= len(s) + _STR_COST:
            return Blob("str", len(s))
        self.budget -= len(s) + _STR_COST
        return s

    # ------------------------------------------------------------------ handlers
    # constants and numbers
    def _op_NONE(self, arg, off):
        self._push(None)

    def _op_NEWTRUE(self, arg, off):
        self._push(True)

    def _op_NEWFALSE(self, arg, off):
        self._push(False)

    def _op_BININT(self, arg, off):
        self._push(arg)

    _op_BININT1 = _op_BININT2 = _op_BININT

    def _op_BINFLOAT(self, arg, off):
        self._push(arg)

    def _op_INT(self, arg, off):
        if isinstance(arg, Blob):
            self._push(Blob("int", arg.length))
            return
        if arg in (b"00", b"01"):
            self._push(arg == b"01")
            return
        value = _parse_int(arg)
        self._push(Opaque("int the C loader may read") if value is None else value)

    def _op_LONG(self, arg, off):
        if isinstance(arg, Blob):
            self._push(Blob("int", arg.length))
            return
        text = arg.split(b"\0", 1)[0]
        text = text[:-1] if text.endswith(b"L") else text
        value = _parse_int(text)
        self._push(Opaque("int the C loader may read") if value is None else value)

    def _op_LONG1(self, arg, off):
        if isinstance(arg, Blob):
            self._push(Blob("int", arg.length))
        else:
            self._push(int.from_bytes(arg, "little", signed=True))

    _op_LONG4 = _op_LONG1

    def _op_FLOAT(self, arg, off):
        if isinstance(arg, Blob):
            self._push(Blob("float", arg.length))
            return
        try:
            # C reads up to the first NUL (PyOS_string_to_double stops there).
            self._push(float(arg.split(b"\0", 1)[0]))
        except ValueError:
            # When in doubt, keep analysing: an unread float can only hide nothing.
            self._push(Opaque("float the C loader may read"))

    # strings and bytes
    def _str_or_blob(self, arg, off, kind: str, decode) -> None:
        if isinstance(arg, Blob):
            self._push(Blob(kind, arg.length))
            return
        self._push(self._keep_str(decode(arg), off))

    def _op_SHORT_BINUNICODE(self, arg, off):
        self._str_or_blob(arg, off, "str", lambda b: b.decode("utf-8", "surrogatepass"))

    _op_BINUNICODE = _op_BINUNICODE8 = _op_SHORT_BINUNICODE

    def _op_UNICODE(self, arg, off):
        self._str_or_blob(arg, off, "str", lambda b: b.decode("raw-unicode-escape"))

    def _op_STRING(self, arg, off):
        if isinstance(arg, Blob):
            self._push(Blob("str", arg.length))
            return
        body = arg
        if len(body) >= 2 and body[:1] == body[-1:] and body[:1] in (b"'", b'"'):
            body = body[1:-1]
        else:
            raise _Stop(f"STRING at offset {off} is not quoted: the loader fails here",
                        "error")
        try:
            raw = codecs.escape_decode(body)[0]
        except ValueError:
            raise _Stop(f"STRING at offset {off} has a bad escape: the loader fails here",
                        "error") from None
        self._push(self._keep_str(raw.decode("latin-1"), off))

    def _op_BINSTRING(self, arg, off):
        # py2 str: decoded with the loader's encoding (ASCII by default, latin1/bytes in numpy
        # and some loaders); latin-1 never fails, so analysis goes on whatever the loader.
        self._str_or_blob(arg, off, "str", lambda b: b.decode("latin-1"))

    _op_SHORT_BINSTRING = _op_BINSTRING

    def _bytes(self, arg, off, kind: str):
        if isinstance(arg, Blob):
            self._push(Blob(kind, arg.length))
            return
        value = bytes(arg) if kind == "bytes" else bytearray(arg)
        self._push(value)
        self._embedded(value, off)

    def _op_BINBYTES(self, arg, off):
        self._bytes(arg, off, "bytes")

    _op_SHORT_BINBYTES = _op_BINBYTES8 = _op_BINBYTES

    def _op_BYTEARRAY8(self, arg, off):
        self._bytes(arg, off, "bytearray")

    def _op_NEXT_BUFFER(self, arg, off):
        self._push(Opaque("out-of-band buffer"))

    def _op_READONLY_BUFFER(self, arg, off):
        self._top(off, "READONLY_BUFFER")

    # containers
    def _op_EMPTY_LIST(self, arg, off):
        self._push(PList())

    def _op_EMPTY_DICT(self, arg, off):
        self._push(PDict())

    def _op_EMPTY_SET(self, arg, off):
        self._push(PSet())

    def _op_EMPTY_TUPLE(self, arg, off):
        self._push(())

    def _op_TUPLE(self, arg, off):
        items = self._pop_mark(off, "TUPLE")
        self._push(tuple(items[:CAP]))

    def _op_TUPLE1(self, arg, off):
        a = self._pop(off, "TUPLE1")
        self._push((a,))

    def _op_TUPLE2(self, arg, off):
        b = self._pop(off, "TUPLE2")
        a = self._pop(off, "TUPLE2")
        self._push((a, b))

    def _op_TUPLE3(self, arg, off):
        c = self._pop(off, "TUPLE3")
        b = self._pop(off, "TUPLE3")
        a = self._pop(off, "TUPLE3")
        self._push((a, b, c))

    def _op_LIST(self, arg, off):
        items = self._pop_mark(off, "LIST")
        self._push(PList(items[:CAP]))
        self.stack[-1].n = len(items)

    def _op_DICT(self, arg, off):
        items = self._pop_mark(off, "DICT")
        if len(items) & 1:
            raise _Stop(f"DICT at offset {off} with an odd number of items: the loader fails "
                        "here", "error")
        d = PDict()
        d.add(items)
        self._push(d)

    def _op_FROZENSET(self, arg, off):
        items = self._pop_mark(off, "FROZENSET")
        self._push(PSet(items, frozen=True))

    def _target_below_mark(self, off, opname):
        if not self.marks:
            raise _Stop(f"{opname} at offset {off} without MARK: the loader fails here",
                        "error")
        m = self.marks[-1]
        if m < 1:
            raise _Stop(f"stack underflow at {opname} offset {off}: the loader fails here",
                        "error")
        target = self.stack[m - 1]
        return target, self._pop_mark(off, opname)

    def _op_APPEND(self, arg, off):
        v = self._pop(off, "APPEND")
        if not self.stack:
            raise _Stop(f"stack underflow at APPEND offset {off}: the loader fails here",
                        "error")
        self._extend(self.stack[-1], [v], off, "APPEND")

    def _op_APPENDS(self, arg, off):
        target, items = self._target_below_mark(off, "APPENDS")
        self._extend(target, items, off, "APPENDS")

    def _extend(self, target, items, off, opname):
        if type(target) is PList or type(target) is PSet:
            target.extend(items)
        elif isinstance(target, Global):
            self._mutation(target, off, opname, "appends to")
        # on an instance made by a call, the class's own append/extend runs: the class's
        # verdict (at its global) already covers it

    def _op_SETITEM(self, arg, off):
        v = self._pop(off, "SETITEM")
        k = self._pop(off, "SETITEM")
        if not self.stack:
            raise _Stop(f"stack underflow at SETITEM offset {off}: the loader fails here",
                        "error")
        self._setitems(self.stack[-1], [k, v], off, "SETITEM")

    def _op_SETITEMS(self, arg, off):
        target, items = self._target_below_mark(off, "SETITEMS")
        if len(items) & 1:
            raise _Stop(f"SETITEMS at offset {off} with an odd number of items: the loader "
                        "fails here", "error")
        self._setitems(target, items, off, "SETITEMS")

    def _setitems(self, target, items, off, opname):
        if type(target) is PDict:
            target.add(items)
        elif isinstance(target, Global):
            self._mutation(target, off, opname, "sets items on")

    def _op_ADDITEMS(self, arg, off):
        target, items = self._target_below_mark(off, "ADDITEMS")
        self._extend(target, items, off, "ADDITEMS")

    # stack and memo
    def _op_POP(self, arg, off):
        if self.marks and self.marks[-1] == len(self.stack):
            self.marks.pop()    # C: POP removes a MARK sitting on top of the stack
            return
        self._pop(off, "POP")

    def _op_DUP(self, arg, off):
        self._push(self._top(off, "DUP"))
        self.last_get = self.ops

    def _op_MARK(self, arg, off):
        self.marks.append(len(self.stack))
        if len(self.marks) > self.limits.max_nesting:
            raise _Stop(f"limit max_nesting ({self.limits.max_nesting}) at offset {off}",
                        "limit")

    def _op_POP_MARK(self, arg, off):
        self._pop_mark(off, "POP_MARK")

    def _memo_put(self, idx, off, opname):
        if idx is None:
            # We cannot read the index the C loader may: keep going, and let a later GET of
            # an unknown index push an unresolved value instead of stopping.
            self._top(off, opname)
            self.memo_doubt = True
            return
        if isinstance(idx, Blob):
            raise _Stop(f"{opname} at offset {off} has an unreadable index", "error")
        if idx < 0:
            raise _Stop(f"negative {opname} index at offset {off}: the loader fails here",
                        "error")
        value = self._top(off, opname)
        memo = self.memo
        if type(memo) is list:
            if idx < len(memo):
                memo[idx] = value
                return
            if idx == len(memo):
                memo.append(value)
                return
            # a hole: C's memo_len counts stored entries, which a dict's len() keeps doing
            memo = self.memo = dict(enumerate(memo))
        memo[idx] = value

    def _op_PUT(self, arg, off):
        self._memo_put(_parse_int(arg) if not isinstance(arg, Blob) else arg, off, "PUT")

    def _op_BINPUT(self, arg, off):
        self._memo_put(arg, off, "BINPUT")

    _op_LONG_BINPUT = _op_BINPUT

    def _op_MEMOIZE(self, arg, off):
        memo = self.memo
        if type(memo) is list:
            memo.append(self._top(off, "MEMOIZE"))
        else:
            memo[len(memo)] = self._top(off, "MEMOIZE")

    def _memo_get(self, idx, off, opname):
        if not isinstance(idx, int) and self.memo_doubt:
            self._push(Opaque("memo value under an unread index"))
            return
        if not isinstance(idx, int):
            raise _Stop(f"{opname} at offset {off} has an unreadable index: the loader fails "
                        "here", "error")
        v = _memo_lookup(self.memo, idx)
        if v is _MISSING:
            v = _memo_lookup(self.prev_memo, idx)
            if v is _MISSING and self.memo_doubt:
                v = Opaque("memo value under an unread index")
            elif v is _MISSING:
                raise _Stop(f"{opname} at offset {off}: memo index {idx} was never stored; the "
                            "loader fails here", "error")
            # A loader that reuses one Unpickler for stacked pickles keeps the memo.
        self._push(v)
        self.last_get = self.ops

    def _op_GET(self, arg, off):
        self._memo_get(_parse_int(arg) if not isinstance(arg, Blob) else None, off, "GET")

    def _op_BINGET(self, arg, off):
        self._memo_get(arg, off, "BINGET")

    _op_LONG_BINGET = _op_BINGET

    # globals and calls
    def _decode_name(self, raw, off, opname) -> str:
        if isinstance(raw, Blob):
            raise _Stop(f"{opname} at offset {off} names a global longer than {LINE_KEEP} "
                        "bytes", "limit")
        return raw.decode("utf-8")  # C: strict UTF-8; UnicodeDecodeError -> loader error

    def _op_GLOBAL(self, arg, off):
        module = self._decode_name(arg[0], off, "GLOBAL")
        name = self._decode_name(arg[1], off, "GLOBAL")
        self._push(self._global(module, name, off, "GLOBAL"))

    def _op_STACK_GLOBAL(self, arg, off):
        via_memo = self.ops - self.last_get <= 2
        name = self._pop(off, "STACK_GLOBAL")
        module = self._pop(off, "STACK_GLOBAL")
        for v in (module, name):
            if isinstance(v, Blob) and v.kind in ("str", "unicodestring1", "unicodestring4",
                                                  "unicodestring8"):
                if v.length > KEEP_STR:
                    self._find(off, "STACK_GLOBAL", "block", "",
                               f"STACK_GLOBAL with a {v.length}-character name — no real "
                               "module or attribute is named like that", "type-confusion")
                else:
                    self._value_limit(off, "a STACK_GLOBAL operand")
                self._push(Opaque("unresolved global"))
                return
            if isinstance(v, (Call, Opaque, Global)):
                # A name computed by a call (or read from a global) is only known when the
                # loader runs; no pickler writes one, so it is unresolved and blocks (issue 13).
                self._find(off, "STACK_GLOBAL", "block", "",
                           f"STACK_GLOBAL with a computed operand ({_render(v, 1)}): what it "
                           "imports is decided at load time", "computed-global-name")
                self._push(Opaque("unresolved global"))
                return
            if type(v) is not str:
                raise _Stop(f"STACK_GLOBAL at offset {off} with a {type(v).__name__} operand "
                            f"({_render(v, 1)}): the loader fails here (requires str)", "error")
        self._push(self._global(module, name, off, "STACK_GLOBAL", via_memo))

    def _op_REDUCE(self, arg, off):
        args = self._pop(off, "REDUCE")
        func = self._top(off, "REDUCE")
        self.stack[-1] = self._call(func, args, off, "REDUCE")

    def _call(self, func, args, off, opname, kind="call"):
        self._note_call(func, args, off, opname)
        if isinstance(func, Global):
            full = func.gv.canonical
            if full == "codecs.encode" and type(args) is tuple and len(args) >= 1 and \
                    type(args[0]) is str:
                enc = args[1] if len(args) > 1 else "utf-8"
                if type(enc) is str and enc.lower().replace("_", "-") in _TEXT_CODECS:
                    try:
                        value = args[0].encode(enc, "surrogatepass" if "8" in enc else "strict")
                        self._embedded(value, off)
                        return value
                    except (UnicodeError, LookupError):
                        pass
            if full in _NESTED_LOADERS or func.full in _NESTED_LOADERS:
                self._nested(func, args, off, opname)
            if full == _PARTIAL:
                self._partial_target(args[0] if type(args) is tuple and args else None, off,
                                     opname)
        return Call(func, args, kind, off)

    def _partial_target(self, target: Any, off: int, opname: str) -> None:
        """functools.partial(target, ...) calls target later: judge it by target."""
        if isinstance(target, Global) and target.gv.verdict == "allow":
            self.partial_ok += 1
            return
        self.partial_bad = True
        if isinstance(target, Global):
            self._find(off, opname, target.gv.verdict, target.full,
                       f"functools.partial wraps {target.full} — {target.gv.reason}",
                       "functools-partial")

    def _op_BUILD(self, arg, off):
        state = self._pop(off, "BUILD")
        inst = self._top(off, "BUILD")
        if isinstance(inst, Global):
            self._mutation(inst, off, "BUILD", "sets attributes/state of")
            return
        if isinstance(inst, Call) and isinstance(inst.func, Global) \
                and inst.func.gv.canonical == _PARTIAL:
            # partial.__setstate__ replaces the wrapped callable with state[0]: judged too.
            self._partial_target(state[0] if type(state) is tuple and state else None, off,
                                 "BUILD")
            return
        slotstate = None
        if type(state) is tuple and len(state) == 2:
            state, slotstate = state
        for st, setattr_ in ((state, False), (slotstate, True)):
            if type(st) is PDict:
                key = st.dunder_key()
                if key:
                    self._find(off, "BUILD", "block" if setattr_ else "review",
                               _render(inst.func, 1) if isinstance(inst, Call) else "",
                               f"BUILD {'setattr' if setattr_ else 'updates __dict__'} with "
                               f"dunder key {key!r} on {_render(inst, 2)}", "dunder-walk")
        # Otherwise BUILD runs the instance's class __setstate__ (or sets its __dict__): the
        # class's verdict at its global covers it.

    def _op_INST(self, arg, off):
        module = self._decode_name(arg[0], off, "INST")
        name = self._decode_name(arg[1], off, "INST")
        cls = self._global(module, name, off, "INST")
        items = self._pop_mark(off, "INST")
        self._push(self._call(cls, tuple(items[:CAP]), off, "INST", "inst"))

    def _op_OBJ(self, arg, off):
        items = self._pop_mark(off, "OBJ")
        if not items:
            raise _Stop(f"stack underflow at OBJ offset {off}: the loader fails here", "error")
        self._push(self._call(items[0], tuple(items[1:CAP]), off, "OBJ", "obj"))

    def _op_NEWOBJ(self, arg, off):
        args = self._pop(off, "NEWOBJ")
        cls = self._pop(off, "NEWOBJ")
        self._push(self._call(cls, args, off, "NEWOBJ", "newobj"))

    def _op_NEWOBJ_EX(self, arg, off):
        kwargs = self._pop(off, "NEWOBJ_EX")
        args = self._pop(off, "NEWOBJ_EX")
        cls = self._pop(off, "NEWOBJ_EX")
        full = args + (kwargs,) if type(args) is tuple else args
        self._push(self._call(cls, full, off, "NEWOBJ_EX", "newobj"))

    def _ext(self, code, off, opname):
        if code <= 0:
            raise _Stop(f"{opname} at offset {off} with code {code} <= 0: the loader fails "
                        "here", "error")
        name = f"<extension code {code}>"
        self._find(off, opname, "review", name,
                   f"{opname} {code}: resolved only through copyreg's extension registry of the "
                   "loading process (empty in a stock interpreter, so the stock loader fails "
                   "here; anything registered at load time decides what it is)",
                   "extension-code")
        self._push(Opaque(name))

    def _op_EXT1(self, arg, off):
        self._ext(arg, off, "EXT1")

    def _op_EXT2(self, arg, off):
        self._ext(arg, off, "EXT2")

    def _op_EXT4(self, arg, off):
        self._ext(arg, off, "EXT4")

    def _op_PERSID(self, arg, off):
        if isinstance(arg, Blob):
            self._push(Opaque("persistent id"))
            return
        arg.decode("ascii")  # C: strict ASCII; errors stop the loader
        self._push(Opaque(f"persistent id {arg[:40]!r}"))

    def _op_BINPERSID(self, arg, off):
        pid = self._pop(off, "BINPERSID")
        self._push(Opaque(f"persistent {_render(pid, 2)}"))

    # framing and control
    def _op_PROTO(self, arg, off):
        if arg > 5:
            raise _Stop(f"unsupported pickle protocol {arg} at offset {off}: the loader fails "
                        "here", "error")
        self.proto = arg

    def _op_FRAME(self, arg, off):
        if not self.drop:
            return  # sequential view: frames are only a length hint
        n = arg
        here = self.base + self.pos
        if self.fend >= 0:
            rem = self.fend - here
            if n <= rem:
                return  # the C unpickler finds it in its buffer and rewinds: no new frame
            if rem > 0:
                self._straddle(off, "FRAME", rem, "opens a frame before the previous one ends")
                self._skip(rem, off)
                here = self.base + self.pos
        self.fend = here + n
        self._set_lim()

    def _op_STOP(self, arg, off):
        value = self._pop(off, "STOP")
        if len(self.values) < 16:
            self.values.append(value)
        self.pickles_done += 1
        if self.drop and self.fend >= 0:
            rem = self.fend - (self.base + self.pos)
            if rem > 0:
                if not self._fill(1):
                    return True  # the frame overstates its length; nothing follows anyway
                self._straddle(off, "STOP", rem, "ends the pickle inside a frame")
                try:
                    self._skip(rem, off)
                except _Stop:
                    return True
            self.fend = -1
            self._set_lim()
        if not self._fill(1):
            return True
        if self.pickles_done >= self.limits.max_pickles:
            raise _Stop(f"limit max_pickles ({self.limits.max_pickles}) at offset "
                        f"{self.base + self.pos}", "limit")
        # Next stacked pickle: a fresh Unpickler (pickle.load in a loop, torch legacy format).
        if self.memo:
            self.prev_memo = self.memo
        self.memo = []
        self.stack.clear()
        self.marks.clear()
        self.proto = 0
        self.pickle_index += 1
        self.pickle_start = self.base + self.pos
        return False

    # nested pickles
    def _nested(self, func: Global, args: Any, off: int, opname: str) -> None:
        data = args[0] if type(args) is tuple and args else None
        if type(data) not in (bytes, bytearray):
            return
        if self.depth >= self.limits.max_nested_depth:
            self._value_limit(off, "a nested pickle (max_nested_depth)")
            return
        inner = _analyse(io.BytesIO(bytes(data)), self.limits, len(data), self.policy,
                         self.depth + 1)
        for f in inner.findings:
            if f.verdict == "allow":
                continue
            self._find(off, opname, f.verdict, f.name,
                       f"inside the pickle passed to {func.full} at offset {off}: {f.detail}",
                       "nested-unpickle")
        self.globals.update(inner.globals)
        if func.full in _DEFERRED and inner.complete and inner.verdict == "allow":
            self.deferred[func.full] = self.deferred.get(func.full, 0) - 1

    def _embedded(self, value: bytes | bytearray, off: int) -> None:
        """Data bytes that are themselves a pickle: a staged payload for later loading."""
        if len(value) < 4 or value[0] != 0x80 or value[1] > 5 or value[-1] != 0x2e:
            return
        if self.depth >= self.limits.max_nested_depth:
            return
        inner = _analyse(io.BytesIO(bytes(value)), self.limits, len(value), self.policy,
                         self.depth + 1)
        bad = [f for f in inner.findings if f.verdict != "allow"]
        if bad:
            worst = max(bad, key=lambda f: VERDICT_RANK[f.verdict])
            self._find(off, "BINBYTES", "review", worst.name or "<embedded pickle>",
                       f"data holds a pickle that would {worst.verdict} if unpickled later: "
                       f"{worst.detail}", "embedded-pickle")

    def _embedded_text(self, s: str, off: int) -> None:
        """base64 ("gA...") or hex ("80...") text of a pickle held as data."""
        try:
            raw = bytes.fromhex(s) if s[:2] == "80" else base64.b64decode(s, validate=True)
        except (ValueError, binascii.Error):
            return
        self._embedded(raw, off)

    # ------------------------------------------------------------------ result
    def finish(self) -> None:
        if self.partial_ok and not self.partial_bad:
            # Every partial wrapped an allowed callable: calling it is calling that callable.
            for key in [k for k in self.findings if k[1] == _PARTIAL and k[0] == "review"]:
                del self.findings[key]
        for name, count in self.deferred.items():
            if count <= 0:
                for key in [k for k in self.findings if k[1] == name and k[0] == "review"]:
                    del self.findings[key]
        if self.broken:
            payload = any(k[0] != "allow" for k in self.findings)
            if payload:
                for key in [k for k in self.findings if k[0] != "allow" and k[2] is None]:
                    entry = self.findings.pop(key)
                    new = (key[0], key[1], "broken-stream-after-payload")
                    self.findings.setdefault(new, entry)


def _reaching(handler: Callable[[Any, Any, int], Any]) -> Callable[[Any, Any, int], Any]:
    """Mark that an importing or calling opcode went through (none of them is inline)."""
    def run(machine: Any, arg: Any, off: int) -> Any:
        out = handler(machine, arg, off)
        # Only once the opcode went through: the C loader checks the stack and MARK before
        # it imports or calls, so a failing opcode ran nothing.
        machine.reached = True
        return out
    return run


def _handler_table() -> list:
    """Opcode byte -> the machine's handler (a plain function of machine, arg, offset). Built
    once: per machine it cost 0.1 ms, most of a probe of a small text file."""
    table: list = [None] * 256
    for code, spec in enumerate(BY_CODE):
        if spec is not None:
            handler = getattr(_Machine, "_op_" + spec.name)
            table[code] = _reaching(handler) if spec.name in _REACHING else handler
    return table


_HANDLERS = _handler_table()


def _parse_int(raw: bytes) -> int | None:
    """INT/LONG/PUT/GET text as CPython's C unpickler reads it: the text ends at the first NUL
    (a C string), then base 0 (strtol) or base 10 (PyLong_FromString). None when we cannot
    read it: the caller keeps analysing rather than assume the loader fails (issue 13)."""
    text = raw.split(b"\0", 1)[0].strip()
    for base in (0, 10):
        try:
            return int(text, base)
        except ValueError:
            continue
    return None


# --------------------------------------------------------------------------- entry point
def _analyse(stream: BinaryIO, limits: PickleLimits, size: int | None, policy: PicklePolicy,
             depth: int) -> PickleReport:
    start = None
    try:
        if stream.seekable():
            start = stream.tell()
            if size is None:
                end = stream.seek(0, io.SEEK_END)
                stream.seek(start)
                size = end - start
    except (OSError, ValueError, AttributeError):
        start = None
    m = _Machine(stream, limits, size, policy, drop=True, depth=depth)
    m.run()
    m.finish()
    findings = dict(m.findings)
    globals_ = set(m.globals)
    complete, stopped_by = m.complete, m.stopped_by
    pickles = m.pickles_done
    s_reached = False
    if m.mismatch:
        if start is not None:
            stream.seek(start)
            s = _Machine(stream, limits, size, policy, drop=False, depth=depth)
            s.run()
            s.finish()
            s_reached = s.reached
            for key, entry in s.findings.items():
                old = findings.get(key)
                if old is None or entry[0] < old[0]:
                    findings[key] = [entry[0], entry[1], entry[2] + " (sequential view)"]
            globals_ |= s.globals
            if not s.complete:
                complete = False
                stopped_by = stopped_by or f"sequential view: {s.stopped_by}"
            pickles = max(pickles, s.pickles_done)
        else:
            complete = False
            stopped_by = stopped_by or ("frame-mismatch: the sequential view (pickle.loads, "
                                        "pickletools) was not analysed: stream not seekable")
    out = sorted((PickleFinding(e[0], e[1], k[0], k[1], e[2], k[2]) for k, e in findings.items()),
                 key=lambda f: (f.offset, -VERDICT_RANK[f.verdict], f.name, f.trick or ""))
    worst = max((VERDICT_RANK[f.verdict] for f in out), default=0)
    verdict = {0: "allow", 1: "review", 2: "block"}[worst]
    if not complete and verdict != "block":
        verdict = "incomplete"
    return PickleReport(
        verdict=verdict,
        findings=tuple(out),
        globals=tuple(sorted(globals_)),
        complete=complete,
        stopped_by=stopped_by,
        opcodes=m.ops,
        pickles=pickles,
        weights_only_ok=weights_only_ok(globals_) if complete else None,
        trailing=m.trailing,
        reached=m.reached or s_reached,
        loader_fails_at=m.fail_reason,
        ended=m.fail_kind,
    )


def analyse_pickle(stream: BinaryIO, *, limits: PickleLimits = PickleLimits(),
                   size: int | None = None) -> PickleReport:
    """Analyse the pickle stream(s) starting at the stream's current position.

    Never unpickles, imports or calls anything from the stream. ``size`` is the number of
    bytes available (used for truncation checks on streams that cannot tell). Offsets in the
    report are relative to the starting position.

    Cost: one streaming pass (two when FRAME boundaries disagree, which needs a seekable
    stream); about half a microsecond per opcode on hot paths; memory bounded by ``limits``.
    """
    return _analyse(stream, limits, size, default_policy(), 0)
