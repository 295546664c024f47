"""Grading a rebuilt weights file against the published one (reproduce/compare.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from trueopen.reproduce.compare import compare_file, sha256_file


def st(path: Path, tensors: dict[str, np.ndarray]) -> Path:
    save_file(tensors, str(path))
    return path


@pytest.fixture
def weights():
    rng = np.random.default_rng(0)
    return {"a.weight": rng.normal(size=(8, 8)).astype(np.float32), "b.bias": rng.normal(size=(8,)).astype(np.float32)}


def test_same_bytes_are_bitwise(tmp_path, weights) -> None:
    pub, prod = st(tmp_path / "pub.safetensors", weights), st(tmp_path / "prod.safetensors", weights)
    r = compare_file(pub, prod)
    assert r.grade == "bitwise" and r.produced_sha256 == r.published_sha256 == sha256_file(pub)
    assert r.tensors == 0  # equal digests need no tensor reading


def test_noise_below_tolerance_is_within_tolerance(tmp_path, weights) -> None:
    noisy = {k: v * np.float32(1 + 1e-7) for k, v in weights.items()}
    r = compare_file(st(tmp_path / "pub.safetensors", weights), st(tmp_path / "prod.safetensors", noisy), rtol=1e-5)
    assert r.grade == "within-tolerance", r
    assert r.tensors == 2 and r.tensors_differing == 0
    assert all(t.cosine and t.cosine > 0.999999 for t in r.worst)


def test_tolerance_is_the_users(tmp_path, weights) -> None:
    noisy = {k: v * np.float32(1 + 1e-3) for k, v in weights.items()}
    pub, prod = st(tmp_path / "pub.safetensors", weights), st(tmp_path / "prod.safetensors", noisy)
    assert compare_file(pub, prod).grade == "differs"
    assert compare_file(pub, prod, rtol=1e-2).grade == "within-tolerance"


def test_a_tampered_tensor_is_named_first(tmp_path, weights) -> None:
    tampered = dict(weights)
    tampered["b.bias"] = weights["b.bias"].copy()
    tampered["b.bias"][3] += 5.0
    r = compare_file(st(tmp_path / "pub.safetensors", weights), st(tmp_path / "prod.safetensors", tampered))
    assert r.grade == "differs" and r.tensors_differing == 1
    worst = r.worst[0]
    assert worst.name == "b.bias" and worst.grade == "differs"
    assert worst.max_abs_diff == pytest.approx(5.0, rel=1e-6)
    assert "1 of 2 tensors differ" in r.detail
    assert [t.name for t in r.worst] == ["b.bias"]  # equal tensors are not listed


def test_shape_and_missing_tensors_are_structural(tmp_path, weights) -> None:
    other = {"a.weight": np.zeros((4, 16), np.float32), "c.new": np.zeros((2,), np.float32)}
    r = compare_file(st(tmp_path / "pub.safetensors", weights), st(tmp_path / "prod.safetensors", other))
    grades = {t.name: t.grade for t in r.worst}
    assert grades == {"a.weight": "shape-differs", "b.bias": "missing", "c.new": "extra"}
    assert r.grade == "differs" and r.tensors_differing == 3


def test_bf16_is_compared_by_value(tmp_path) -> None:
    # safetensors' numpy API cannot return BF16; compare.py widens it. Write the bytes by hand.
    import json
    import struct

    def bf16_file(path: Path, values: list[float]) -> Path:
        raw = b"".join(struct.pack("<f", v)[2:] for v in values)
        header = json.dumps({"w": {"dtype": "BF16", "shape": [len(values)], "data_offsets": [0, len(raw)]}}).encode()
        header += b" " * (-len(header) % 8)
        path.write_bytes(len(header).to_bytes(8, "little") + header + raw)
        return path

    r = compare_file(bf16_file(tmp_path / "pub.safetensors", [1.0, 2.0, 3.0]), bf16_file(tmp_path / "prod.safetensors", [1.0, 2.0, 4.0]))
    assert r.grade == "differs" and r.worst[0].max_abs_diff == pytest.approx(1.0)
    assert r.worst[0].dtype == "BF16"


def test_npz_arrays_are_compared(tmp_path) -> None:
    np.savez(tmp_path / "pub.npz", w=np.arange(6, dtype=np.float64).reshape(2, 3))
    np.savez(tmp_path / "prod.npz", w=np.arange(6, dtype=np.float64).reshape(2, 3) + 1e-12)
    r = compare_file(tmp_path / "pub.npz", tmp_path / "prod.npz")
    assert r.grade == "within-tolerance" and r.tensors == 1


def test_npz_object_arrays_are_never_unpickled(tmp_path) -> None:
    canary = tmp_path / "canary"

    class Payload:
        def __reduce__(self):
            return (open, (str(canary), "w"))

    np.savez(tmp_path / "pub.npz", w=np.zeros(3))
    np.savez(tmp_path / "prod.npz", w=np.array([Payload()], dtype=object))
    assert not canary.exists()  # saving pickles, it does not run the payload
    r = compare_file(tmp_path / "pub.npz", tmp_path / "prod.npz")
    assert r.grade == "differs" and "could not be compared" in r.detail
    assert not canary.exists()


def test_not_produced_and_unknown_formats(tmp_path) -> None:
    pub = tmp_path / "model.bin"
    pub.write_bytes(b"published")
    assert compare_file(pub, tmp_path / "absent.bin").grade == "not-produced"
    prod = tmp_path / "prod.bin"
    prod.write_bytes(b"rebuilt")
    r = compare_file(pub, prod)
    assert r.grade == "differs" and "compared by bytes only" in r.detail


def test_a_malformed_header_is_a_reason_not_a_crash(tmp_path, weights) -> None:
    pub = st(tmp_path / "pub.safetensors", weights)
    bad = tmp_path / "prod.safetensors"
    bad.write_bytes((10**12).to_bytes(8, "little") + b"{}")
    r = compare_file(pub, bad)
    assert r.grade == "differs" and "could not be compared" in r.detail


def test_equal_infinities_are_no_difference(tmp_path) -> None:
    mask = np.array([0.0, -np.inf, -np.inf, 1.5], np.float32)
    shifted = mask.copy()
    shifted[3] += np.float32(1e-7)
    r = compare_file(st(tmp_path / "pub.safetensors", {"mask": mask}), st(tmp_path / "prod.safetensors", {"mask": shifted}))
    assert r.grade == "within-tolerance", r.worst
    flipped = mask.copy()
    flipped[1] = np.inf
    r = compare_file(st(tmp_path / "pub.safetensors", {"mask": mask}), st(tmp_path / "p2.safetensors", {"mask": flipped}))
    assert r.grade == "differs" and r.worst[0].max_abs_diff is None  # unbounded: null in JSON, never inf
    r.model_dump_json()  # valid JSON: no NaN or Infinity


def test_nan_against_a_number_differs_and_the_json_stays_valid(tmp_path) -> None:
    a = np.array([np.nan, np.nan], np.float32)
    b = np.array([np.nan, 1.0], np.float32)
    r = compare_file(st(tmp_path / "pub.safetensors", {"w": a}), st(tmp_path / "prod.safetensors", {"w": b}))
    assert r.grade == "differs"
    assert "NaN" not in r.model_dump_json() and "Infinity" not in r.model_dump_json()


def test_a_complex_tensor_differing_only_in_its_imaginary_part(tmp_path) -> None:
    np.savez(tmp_path / "pub.npz", z=np.array([1 + 1j, 2 + 2j], np.complex64))
    np.savez(tmp_path / "prod.npz", z=np.array([1 + 1j, 2 + 3j], np.complex64))
    r = compare_file(tmp_path / "pub.npz", tmp_path / "prod.npz")
    assert r.grade == "differs" and r.worst[0].max_abs_diff == pytest.approx(1.0)


def test_large_integers_are_compared_exactly(tmp_path) -> None:
    np.savez(tmp_path / "pub.npz", ids=np.array([2**53, 7], np.int64))
    np.savez(tmp_path / "prod.npz", ids=np.array([2**53 + 1, 7], np.int64))
    assert compare_file(tmp_path / "pub.npz", tmp_path / "prod.npz", atol=10.0).grade == "differs"


def test_an_npz_header_claiming_more_than_it_holds_is_refused(tmp_path) -> None:
    import zipfile

    np.savez(tmp_path / "pub.npz", w=np.zeros(4))
    header = np.lib.format.header_data_from_array_1_0(np.zeros(4))
    header["shape"] = (10**12,)
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    with zipfile.ZipFile(tmp_path / "prod.npz", "w") as zf:
        zf.writestr("w.npy", buf.getvalue() + b"\0" * 32)
    r = compare_file(tmp_path / "pub.npz", tmp_path / "prod.npz")
    assert r.grade == "differs" and "could not be compared" in r.detail and "claims" in r.detail


def test_tensors_larger_than_a_chunk(tmp_path, weights, monkeypatch) -> None:
    from trueopen.reproduce import compare

    monkeypatch.setattr(compare, "CHUNK", 7)  # 64 elements in ten chunks
    changed = dict(weights)
    changed["a.weight"] = weights["a.weight"].copy()
    changed["a.weight"][7, 7] += 3.0
    r = compare_file(st(tmp_path / "pub.safetensors", weights), st(tmp_path / "prod.safetensors", changed))
    worst = r.worst[0]
    assert worst.name == "a.weight" and worst.max_abs_diff == pytest.approx(3.0, rel=1e-6)
    assert 0.0 < worst.cosine < 1.0


def test_the_evidence_of_exact_and_zero_based_differences(tmp_path) -> None:
    np.savez(tmp_path / "pub.npz", u=np.array([2**64 - 1], np.uint64), z=np.zeros(2, np.float32))
    np.savez(tmp_path / "prod.npz", u=np.array([2**64 - 2], np.uint64), z=np.array([0, 1e-3], np.float32))
    r = compare_file(tmp_path / "pub.npz", tmp_path / "prod.npz")
    worst = {t.name: t for t in r.worst}
    assert worst["u"].grade == "differs" and worst["u"].max_abs_diff == 1.0
    assert worst["z"].max_rel_diff is None  # unbounded, not 1.8e308
