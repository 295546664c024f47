"""Structure-aware mutations: each plants the payload somewhere a loader might reach it."""

from __future__ import annotations

import bz2
import gzip
import lzma
import pickletools
import random
import struct
import zlib
from collections.abc import Callable

from fuzz.seeds import PAYLOAD, PAYLOAD4, joblib_like

TAILS = (b".", b"", b"\xff", b"0.", b"junk\n", b"\x00")


def _boundaries(data: bytes) -> list[int]:
    """Opcode offsets of the first pickle in `data` (empty when it does not parse)."""
    out = []
    try:
        for _op, _arg, pos in pickletools.genops(data):
            out.append(pos)
    except Exception:  # noqa: BLE001 - a mutated seed: use what parsed
        pass
    return out


def stacked(rng: random.Random, seed: bytes, _all: list[bytes]) -> bytes:
    return seed + rng.choice((b"", b"N0")) + PAYLOAD + rng.choice(TAILS)


def payload_first(rng: random.Random, seed: bytes, _all: list[bytes]) -> bytes:
    return PAYLOAD + rng.choice(TAILS) + seed


def inserted(rng: random.Random, seed: bytes, _all: list[bytes]) -> bytes:
    cuts = _boundaries(seed) or [0]
    at = rng.choice(cuts)
    piece = rng.choice((PAYLOAD + b"0", PAYLOAD4 + b"0"))
    return seed[:at] + piece + seed[at:]


def nul_number(rng: random.Random, seed: bytes, _all: list[bytes]) -> bytes:
    op = rng.choice((b"I", b"L", b"F", b"p", b"g"))
    junk = bytes(rng.choice(b"0123456789x \x00L") for _ in range(rng.randint(0, 6)))
    pre = b"N" if op in (b"p",) else b""
    post = b"0" if op in (b"I", b"L", b"F", b"g") else b"0"
    return seed + pre + op + b"0\x00" + junk + b"\n" + post + PAYLOAD + rng.choice(TAILS)


def long_line(rng: random.Random, seed: bytes, _all: list[bytes]) -> bytes:
    op = rng.choice((b"V", b"S'", b"I1"))
    body = b"a" * rng.randint(3000, 9000)
    end = b"'" if op == b"S'" else b""
    return op + body + end + b"\n0" + PAYLOAD + rng.choice(TAILS) + seed


def polyglot(rng: random.Random, seed: bytes, _all: list[bytes]) -> bytes:
    at = rng.choice((257, 512, 1024))
    inner = b"x" * max(0, at - 7) + seed[:rng.randint(8, 600)]
    return b"\x80\x02B" + struct.pack("<I", len(inner)) + inner + b"0" + PAYLOAD + b"."


def spliced(rng: random.Random, seed: bytes, every: list[bytes]) -> bytes:
    other = rng.choice(every)
    a = rng.randint(0, len(seed))
    b = rng.randint(0, len(other))
    return seed[:a] + PAYLOAD + rng.choice(TAILS) + other[b:]


def inflated(rng: random.Random, seed: bytes, every: list[bytes]) -> bytes:
    data = bytearray(stacked(rng, seed, every))
    if len(data) > 16:
        at = rng.randrange(0, len(data) - 8)
        width = rng.choice((1, 4, 8))
        value = rng.choice((0, 1, 0x7F, 0xFF, 0x7FFFFFFF, 0xFFFFFFFF, 2**63 - 1))
        data[at:at + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
    return bytes(data)


def flipped(rng: random.Random, seed: bytes, every: list[bytes]) -> bytes:
    data = bytearray(rng.choice((stacked, payload_first, inserted))(rng, seed, every))
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def framed(rng: random.Random, seed: bytes, _all: list[bytes]) -> bytes:
    body = PAYLOAD4 + b"0" + rng.choice((b"N.", b".", b""))
    declared = len(body) + rng.choice((0, 0, -3, 5, -len(body)))
    return b"\x80\x04\x95" + struct.pack("<Q", max(0, declared)) + body + rng.choice(TAILS)


def joblib_frames(rng: random.Random, _seed: bytes, _all: list[bytes]) -> bytes:
    payload = PAYLOAD + b"0"
    base = joblib_like(len(payload))
    wrapper_end = base.rindex(b"ub") + 2
    frame_len = struct.unpack_from("<Q", base, 3)[0]
    if rng.random() < 0.5:  # payload inside the frame, array bytes after it
        body = base[11:wrapper_end] + payload
        return b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body \
            + b"N0" * (len(payload) // 2) + b"N" * (len(payload) % 2) + b"."
    # payload after the array bytes (a stacked tail)
    return base[:11 + frame_len] + bytes(len(payload)) + b"." + payload + rng.choice(TAILS)


def compressed(rng: random.Random, seed: bytes, every: list[bytes]) -> bytes:
    inner = rng.choice((stacked, payload_first, inserted, nul_number))(rng, seed, every)
    return rng.choice((lambda d: gzip.compress(d, mtime=0), bz2.compress, lzma.compress,
                       zlib.compress))(inner)


def zip_member(rng: random.Random, seed: bytes, every: list[bytes]) -> bytes:
    """A torch-style zip whose data.pkl (or another .pkl member) is a mutated pickle."""
    import io
    import zipfile

    inner = rng.choice((stacked, inserted, nul_number, framed, flipped))(rng, rng.choice(every),
                                                                        every)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", rng.choice((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED))) as z:
        z.writestr(rng.choice(("archive/data.pkl", "archive/extra.pkl", "model/data.pkl")), inner)
        z.writestr("archive/version", b"3\n")
        z.writestr("archive/data/0", seed[:64])
    return buf.getvalue()


MUTATORS: dict[str, Callable[[random.Random, bytes, list[bytes]], bytes]] = {
    "stacked": stacked, "payload-first": payload_first, "inserted": inserted,
    "nul-number": nul_number, "long-line": long_line, "polyglot": polyglot,
    "spliced": spliced, "inflated": inflated, "flipped": flipped, "framed": framed,
    "joblib-frames": joblib_frames, "compressed": compressed, "zip-member": zip_member,
}
