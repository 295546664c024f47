"""PDQ: hashes equal Meta's published ones, the multi-index search finds exactly what a full
comparison finds, and images that are not images fail closed."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pdqhash", reason="pdqhash (Meta's PDQ bindings) is not installed")
from PIL import Image  # noqa: E402

from data_builders import image  # noqa: E402

from trueopen.datasets import pdq  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "pdq"
META_HASHES = {  # pdq/python/README.md of facebook/ThreatExchange (see fixtures/pdq/SOURCE.txt)
    "shrink-a-lot.jpg": "d0f8f1ccc0f4a84d0a370a3a228f67f0b36e2ed5b6623e1d33e6339c4e9c9b22",
    "square-128x128.jpg": "d8f8f1eec0f4a84f0e37022a078f63f0b36e2ed596621e1d33e6239c4e9c9b22",
}


def boxes(seed: int, size: int = 256, fmt: str = "PNG", quality: int = 90) -> bytes:
    """A synthetic picture of coloured boxes, encoded in the test."""
    return image(seed, fmt, size=size, boxes=14, smallest=20, largest=3, quality=quality)


@pytest.mark.parametrize("name", sorted(META_HASHES))
def test_hash_equals_metas_published_hash(name: str) -> None:
    h, quality = pdq.hash_image((FIXTURES / name).read_bytes())
    assert h == META_HASHES[name]
    assert quality == 100


def test_two_versions_of_one_photo_are_close_and_different_pictures_are_far() -> None:
    a, b = (pdq.hash_image((FIXTURES / n).read_bytes())[0] for n in sorted(META_HASHES))
    assert pdq.distance(a, b) <= pdq.BITS // 8
    assert pdq.distance(pdq.hash_image(boxes(1))[0], pdq.hash_image(boxes(2))[0]) > 64


def test_reencoded_and_resized_copy_stays_within_31() -> None:
    original = pdq.hash_image(boxes(7))[0]
    small = Image.open(io.BytesIO(boxes(7))).resize((180, 180))
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=60)
    assert pdq.distance(original, pdq.hash_image(buf.getvalue())[0]) <= 31


def test_palette_and_alpha_images_hash_like_rgb() -> None:
    rgb = Image.open(io.BytesIO(boxes(3)))
    out = {}
    for mode in ("RGB", "RGBA", "P", "L"):
        buf = io.BytesIO()
        rgb.convert(mode).save(buf, "PNG")
        out[mode] = pdq.hash_image(buf.getvalue())[0]
    assert all(pdq.distance(out["RGB"], h) <= 31 for h in out.values())


def test_flat_image_has_low_quality() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 30, 200)).save(buf, "PNG")
    assert pdq.hash_image(buf.getvalue())[1] < pdq.MIN_QUALITY


@pytest.mark.parametrize("data", [b"", b"not an image at all", boxes(1)[:200]])
def test_bytes_that_are_not_an_image_raise_valueerror(data: bytes) -> None:
    with pytest.raises(ValueError):
        pdq.hash_image(data)


def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_from_its_header() -> None:
    """A 60000 x 60000 PNG header: refused before any pixel is decoded."""
    with pytest.raises(ValueError, match="pixel limit|not a readable image"):
        pdq.hash_image(_png_header(60_000, 60_000))


def _random_hashes(rng: np.random.Generator, n: int) -> list[str]:
    return [rng.bytes(32).hex() for _ in range(n)]


def _near(rng: np.random.Generator, h: str, flips: int) -> str:
    b = bytearray(bytes.fromhex(h))
    for k in rng.choice(256, size=flips, replace=False):
        b[k // 8] ^= 1 << (k % 8)
    return bytes(b).hex()


@pytest.mark.parametrize("radius", [0, 15, 16, 31, 32, 47, 48, 70])
def test_index_finds_exactly_what_a_full_comparison_finds(radius: int) -> None:
    """Radii on both sides of each chunk boundary (0, 1, 2 flips per chunk and the plain scan)."""
    rng = np.random.default_rng(radius)
    entries = _random_hashes(rng, 300)
    queries = [_near(rng, entries[int(rng.integers(300))], int(rng.integers(0, 80))) if i % 2 else h
               for i, h in enumerate(_random_hashes(rng, 400))]
    index = pdq.PdqIndex((str(i), h) for i, h in enumerate(entries))
    full = sorted((qi, ei, pdq.distance(q, e)) for qi, q in enumerate(queries) for ei, e in enumerate(entries)
                  if pdq.distance(q, e) <= radius)
    assert pdq.match(index, queries, radius) == full
    assert any(d > 0 for _, _, d in full) or radius == 0


def test_index_batches_do_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    entries = _random_hashes(rng, 50)
    queries = [_near(rng, entries[i % 50], 20) for i in range(120)]
    index = pdq.PdqIndex((str(i), h) for i, h in enumerate(entries))
    whole = pdq.match(index, queries, 31)
    monkeypatch.setattr(pdq, "BATCH", 7)
    assert pdq.match(index, queries, 31) == whole
    assert len(whole) >= 100


def test_empty_index_and_empty_queries() -> None:
    assert pdq.match(pdq.PdqIndex([]), ["0" * 64], 31) == []
    assert pdq.match(pdq.PdqIndex([("a", "0" * 64)]), [], 31) == []


@pytest.mark.parametrize("bad", ["abc", "zz" * 32, "0" * 63])
def test_parse_refuses_what_is_not_a_pdq_hash(bad: str) -> None:
    with pytest.raises(ValueError):
        pdq.parse([bad])


def test_image_clusters_link_by_chains_and_leave_singletons_out() -> None:
    rng = np.random.default_rng(9)
    a = rng.bytes(32).hex()
    b = _near(rng, a, 25)
    c = _near(rng, b, 25)  # within 31 of b, probably not of a: joined through b
    far = rng.bytes(32).hex()
    clusters = pdq.image_clusters([("a", a), ("far", far), ("b", b), ("c", c)], 31)
    assert [cl.rows for cl in clusters] == [("a", "b", "c")]
