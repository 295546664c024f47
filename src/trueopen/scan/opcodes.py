"""The pickle machine's opcode table, as data (after CPython's ``pickletools``).

Each opcode has a name, a code byte, an argument kind and a stack effect. The table is built
from ``pickletools.opcodes`` (a stdlib *table*: reading it imports nothing from the file being
analysed and executes nothing); the argument *readers* below are our own, bounded, and read
from a stream, never from a whole file in memory.

Argument kinds say how the C unpickler (``Modules/_pickle.c``) consumes the bytes, because
that matters for FRAME tricks (see ``pickle_machine``): ``fixed`` reads and ``counted``
payloads read with ``read`` are *fixed reads* (``_Unpickler_Read``: a read that does not fit in
the current frame buffer drops the buffer's leftover bytes when reading from a file object
without ``peek``), ``readinto`` payloads (BINBYTES family, BYTEARRAY8) are copied across the
frame end, ``line`` arguments are read with ``readline`` (leftover dropped when the newline is
not inside the buffer).
"""

from __future__ import annotations

import pickletools
import struct
from dataclasses import dataclass
from typing import BinaryIO, Iterator

__all__ = ["ArgKind", "Opcode", "OPCODES", "BY_CODE", "BY_NAME", "ARG_KINDS", "disassemble",
           "ArgumentTooLarge", "Truncated"]


@dataclass(frozen=True)
class ArgKind:
    """How an opcode's argument is laid out in the stream.

    mode: ``none`` | ``fixed`` (``size`` bytes) | ``counted`` (a ``size``-byte little-endian
    length, ``signed`` or not, then that many bytes) | ``line`` (up to ``\\n``) | ``line2`` (two
    lines: module and name). ``payload``: ``read`` or ``readinto`` (C unpickler primitive used
    for the counted payload).
    """

    name: str
    mode: str
    size: int = 0
    signed: bool = False
    payload: str = "read"


ARG_KINDS: dict[str, ArgKind] = {k.name: k for k in (
    ArgKind("none", "none"),
    ArgKind("uint1", "fixed", 1),
    ArgKind("uint2", "fixed", 2),
    ArgKind("int4", "fixed", 4, signed=True),
    ArgKind("uint4", "fixed", 4),
    ArgKind("uint8", "fixed", 8),
    ArgKind("float8", "fixed", 8),
    ArgKind("long1", "counted", 1),
    ArgKind("long4", "counted", 4, signed=True),
    ArgKind("string1", "counted", 1),
    ArgKind("string4", "counted", 4, signed=True),
    ArgKind("bytes1", "counted", 1, payload="readinto"),
    ArgKind("bytes4", "counted", 4, payload="readinto"),
    ArgKind("bytes8", "counted", 8, payload="readinto"),
    ArgKind("bytearray8", "counted", 8, payload="readinto"),
    ArgKind("unicodestring1", "counted", 1),
    ArgKind("unicodestring4", "counted", 4),
    ArgKind("unicodestring8", "counted", 8),
    ArgKind("decimalnl_short", "line"),
    ArgKind("decimalnl_long", "line"),
    ArgKind("floatnl", "line"),
    ArgKind("stringnl", "line"),
    ArgKind("stringnl_noescape", "line"),
    ArgKind("unicodestringnl", "line"),
    ArgKind("stringnl_noescape_pair", "line2"),
)}


@dataclass(frozen=True)
class Opcode:
    """One opcode: ``code`` is the byte value; ``before``/``after`` name the stack effect
    (``mark`` and ``stackslice`` as in pickletools); ``proto`` is the protocol that introduced it
    (the C unpickler accepts every opcode under every protocol)."""

    name: str
    code: int
    arg: ArgKind
    before: tuple[str, ...]
    after: tuple[str, ...]
    proto: int


def _build() -> tuple[Opcode, ...]:
    table = []
    for op in pickletools.opcodes:
        arg = ARG_KINDS[op.arg.name] if op.arg is not None else ARG_KINDS["none"]
        table.append(Opcode(op.name, ord(op.code), arg,
                            tuple(s.name for s in op.stack_before),
                            tuple(s.name for s in op.stack_after), op.proto))
    return tuple(table)


OPCODES: tuple[Opcode, ...] = _build()
BY_CODE: tuple[Opcode | None, ...] = tuple(
    next((o for o in OPCODES if o.code == c), None) for c in range(256))
BY_NAME: dict[str, Opcode] = {o.name: o for o in OPCODES}


class Truncated(EOFError):
    """The stream ended inside an opcode."""


class ArgumentTooLarge(ValueError):
    """A counted argument declares more bytes than the limit allows."""


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise Truncated(f"wanted {n} bytes, got {len(data)}")
    return data


def _skip(stream: BinaryIO, n: int, chunk: int = 1 << 20) -> None:
    while n > 0:
        got = len(stream.read(min(n, chunk)))
        if got == 0:
            raise Truncated(f"{n} bytes missing")
        n -= got


def _readline(stream: BinaryIO, max_line: int) -> bytes:
    line = stream.readline(max_line + 1)
    if not line.endswith(b"\n"):
        if len(line) > max_line:
            raise ArgumentTooLarge(f"line longer than {max_line} bytes")
        raise Truncated("no newline before end of stream")
    return line[:-1]


_FIXED = {("uint1", 1): "<B", ("uint2", 2): "<H", ("int4", 4): "<i", ("uint4", 4): "<I",
          ("uint8", 8): "<Q", ("float8", 8): ">d"}


def read_arg(stream: BinaryIO, kind: ArgKind, *, max_arg_bytes: int = 1 << 30,
             keep: int = 1 << 16, max_line: int = 1 << 16) -> object:
    """Read one argument of ``kind`` from ``stream`` (sequential view, frames ignored).

    Counted payloads longer than ``keep`` bytes are skipped in chunks and returned as the
    tuple ``("<skipped>", length)``; lengths above ``max_arg_bytes`` raise ArgumentTooLarge.
    """
    mode = kind.mode
    if mode == "none":
        return None
    if mode == "fixed":
        return struct.unpack(_FIXED[(kind.name, kind.size)], _read_exact(stream, kind.size))[0]
    if mode == "counted":
        n = int.from_bytes(_read_exact(stream, kind.size), "little", signed=kind.signed)
        if n < 0:
            raise ValueError(f"negative length {n}")
        if n > max_arg_bytes:
            raise ArgumentTooLarge(f"{kind.name} argument of {n} bytes")
        if n > keep:
            _skip(stream, n)
            return ("<skipped>", n)
        return _read_exact(stream, n)
    if mode == "line":
        return _readline(stream, max_line)
    if mode == "line2":
        return (_readline(stream, max_line), _readline(stream, max_line))
    raise AssertionError(mode)


def disassemble(stream: BinaryIO, *, max_opcodes: int = 10_000_000,
                max_arg_bytes: int = 1 << 30) -> Iterator[tuple[int, Opcode, object]]:
    """Yield ``(offset, opcode, raw argument)`` for one pickle, sequentially, like
    ``pickletools.genops`` but bounded and without materialising large arguments. Stops after
    STOP. Raises Truncated / ValueError on malformed input. For tests and debugging; the
    analyser proper is ``pickle_machine.analyse_pickle``."""
    base = stream.tell() if stream.seekable() else 0
    offset = 0
    for _ in range(max_opcodes):
        b = stream.read(1)
        if not b:
            raise Truncated(f"no STOP before end of stream at offset {offset}")
        op = BY_CODE[b[0]]
        if op is None:
            raise ValueError(f"unknown opcode 0x{b[0]:02x} at offset {offset}")
        start = offset
        pos0 = stream.tell() if stream.seekable() else None
        arg = read_arg(stream, op.arg, max_arg_bytes=max_arg_bytes)
        yield start, op, arg
        if pos0 is not None:
            offset = stream.tell() - base
        else:  # non-seekable streams: offsets are only counted for the opcode bytes
            offset += 1
        if op.name == "STOP":
            return
    raise ValueError(f"more than {max_opcodes} opcodes")
