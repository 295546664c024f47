"""Compare a rebuilt weights file with the published one: bitwise, else tensor by tensor.

safetensors files are read through trueopen's bounded header reader, one tensor at a time (memory:
the largest tensor of each file, not the files). Not the `safetensors` library: its numpy API
cannot return BF16 tensors (numpy has no bfloat16); here BF16 is widened to float32, exactly.
npz files are read with numpy, `allow_pickle=False`: an object array is refused, never unpickled.
Any other format is compared by sha256 only.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trueopen.readers.safetensors_header import read_header
from trueopen.record import TensorDiff, WeightsComparison

# Defaults of numpy.allclose, applied per element: |produced - published| <= atol + rtol * |published|.
DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-8
WORST_SHOWN = 5
MAX_NPZ_MEMBERS = 100_000
MAX_NPY_HEADER = 10_000  # numpy's own default bound on an .npy header

_NUMPY_DTYPES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "U16": np.uint16, "F16": np.float16,
    "I32": np.int32, "U32": np.uint32, "F32": np.float32, "F64": np.float64, "I64": np.int64, "U64": np.uint64,
    "C64": np.complex64,
}


class UnreadableWeights(Exception):
    """A weights file whose tensors cannot be read (malformed header, pickled npz member...)."""


@dataclass(frozen=True)
class _Tensor:
    dtype: str
    shape: tuple[int, ...]
    values: np.ndarray | None  # None: a dtype compared by bytes only (F8, F4, ...)
    raw: bytes


def compare_file(published: Path, produced: Path, *, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
                 published_sha256: str | None = None) -> WeightsComparison:
    """Grade one produced file against the published one: bitwise, within-tolerance, differs or not-produced."""
    path = published.name
    pub_sha = published_sha256 or sha256_file(published)
    if not produced.is_file():
        return WeightsComparison(path=path, grade="not-produced", published_sha256=pub_sha,
                                 detail="the replay did not write this file")
    prod_sha = sha256_file(produced)
    if prod_sha == pub_sha:
        return WeightsComparison(path=path, grade="bitwise", published_sha256=pub_sha, produced_sha256=prod_sha)
    suffix = published.suffix.lower()
    if suffix not in (".safetensors", ".npz"):
        return WeightsComparison(path=path, grade="differs", published_sha256=pub_sha, produced_sha256=prod_sha,
                                 detail=f"sha256 differs; {suffix or 'this format'} is compared by bytes only")
    try:
        diffs = _compare_tensors(published, produced, rtol, atol)
    except UnreadableWeights as exc:
        return WeightsComparison(path=path, grade="differs", published_sha256=pub_sha, produced_sha256=prod_sha,
                                 detail=f"sha256 differs and the tensors could not be compared: {exc}")
    bad = [d for d in diffs if d.grade not in ("equal", "within-tolerance")]
    grade = "differs" if bad else "within-tolerance"
    worst = sorted((d for d in diffs if d.grade != "equal"), key=_badness)[:WORST_SHOWN]
    detail = (f"{len(bad)} of {len(diffs)} tensors differ beyond rtol={rtol:g}, atol={atol:g}" if bad
              else f"every tensor within rtol={rtol:g}, atol={atol:g}; the bytes differ")
    return WeightsComparison(path=path, grade=grade, published_sha256=pub_sha, produced_sha256=prod_sha,
                             tensors=len(diffs), tensors_differing=len(bad), worst=worst, detail=detail)


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _badness(d: TensorDiff) -> tuple:
    """Sort key: structural differences first, then the largest relative, then absolute difference."""
    structural = d.grade in ("missing", "extra", "shape-differs")
    return (not structural, -(d.max_rel_diff or 0.0), -(d.max_abs_diff or 0.0), d.name)


def _compare_tensors(published: Path, produced: Path, rtol: float, atol: float) -> list[TensorDiff]:
    """Tensor by tensor: one pair in memory at a time."""
    with _Tensors(published) as pub, _Tensors(produced) as prod:
        names = sorted(set(pub.names) | set(prod.names))
        return [_compare_one(n, pub.read(n) if n in pub.names else None, prod.read(n) if n in prod.names else None,
                             rtol, atol) for n in names]


def _compare_one(name: str, a: _Tensor | None, b: _Tensor | None, rtol: float, atol: float) -> TensorDiff:
    if a is None or b is None:
        t = a or b
        assert t is not None
        return TensorDiff(name=name, grade="extra" if a is None else "missing", shape=list(a.shape) if a else None,
                          produced_shape=list(b.shape) if b else None, dtype=a.dtype if a else None,
                          produced_dtype=b.dtype if b else None)
    base = dict(name=name, shape=list(a.shape), produced_shape=list(b.shape), dtype=a.dtype, produced_dtype=b.dtype)
    if a.shape != b.shape:
        return TensorDiff(grade="shape-differs", **base)
    if a.dtype == b.dtype and bytes(a.raw) == bytes(b.raw):
        return TensorDiff(grade="equal", max_abs_diff=0.0, max_rel_diff=0.0, cosine=1.0 if a.raw else None, **base)
    if a.values is None or b.values is None:
        return TensorDiff(grade="differs", **base)
    x, y = _flat(a.values), _flat(b.values)
    exact = a.values.dtype.kind in "biu" and b.values.dtype.kind in "biu"  # integers: equal or not, no tolerance
    acc = _Accumulator()
    for start in range(0, x.size, CHUNK):
        acc.add(x[start:start + CHUNK], y[start:start + CHUNK], rtol, atol, exact)
    return TensorDiff(grade="within-tolerance" if acc.within else "differs", max_abs_diff=_finite(acc.max_abs),
                      max_rel_diff=_finite(acc.max_rel), cosine=acc.cosine(), **base)


CHUNK = 1 << 20  # elements compared at a time: memory stays a few times 8 MiB whatever the tensor


def _flat(values: np.ndarray) -> np.ndarray:
    """One flat array per tensor: complex numbers as their (real, imaginary) pairs, so a difference
    in the imaginary part counts; integers kept as integers (float64 cannot tell 2**53 + 1 apart)."""
    v = values.ravel()
    if v.dtype.kind == "c":
        return v.astype(np.complex128).view(np.float64)
    return v


class _Accumulator:
    """Largest differences, tolerance and cosine over a tensor compared chunk by chunk."""

    def __init__(self) -> None:
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.within = True
        self.dot = self.nx = self.ny = 0.0

    def add(self, x: np.ndarray, y: np.ndarray, rtol: float, atol: float, exact: bool) -> None:
        exact_diff = None
        if exact:
            unequal = x != y
            self.within &= not bool(np.any(unequal))
            # |x - y| in 64-bit unsigned arithmetic (modular, so exact below 2**64); float64 would
            # round 2**64 - 1 and 2**64 - 2 to the same number.
            ux, uy = x.astype(np.uint64), y.astype(np.uint64)
            with np.errstate(all="ignore"):
                exact_diff = np.where(x > y, ux - uy, uy - ux).astype(np.float64)
            x, y = x.astype(np.float64), y.astype(np.float64)
        else:
            x, y = x.astype(np.float64, copy=False), y.astype(np.float64, copy=False)
        with np.errstate(all="ignore"):
            same = (x == y) | (np.isnan(x) & np.isnan(y))  # equal infinities and NaN pairs differ by nothing
            diff = np.abs(y - x) if exact_diff is None else exact_diff
            diff = np.where(same & (diff == 0) if exact_diff is not None else same, 0.0, diff)
            diff = np.where(np.isnan(diff), np.inf, diff)  # NaN against a number, inf against another value
            scale = np.abs(x)
            if not exact:
                # A non-finite value matches only itself: inf against -inf is not "within" an infinite scale.
                wild = ~same & ~(np.isfinite(x) & np.isfinite(y))
                self.within &= not bool(np.any(wild)) and bool(np.all(diff <= atol + rtol * scale))
            if diff.size:
                self.max_abs = max(self.max_abs, float(np.max(diff)))
                rel = np.where(diff == 0, 0.0, diff / np.where(scale > 0, scale, 0.0))
                # against 0 a difference is unboundedly relative: inf (null in JSON), not the largest float
                self.max_rel = max(self.max_rel, float(np.max(np.nan_to_num(rel, nan=np.inf, posinf=np.inf))))
            fx, fy = np.where(np.isfinite(x), x, 0.0), np.where(np.isfinite(y), y, 0.0)
            self.dot += float(np.dot(fx, fy))
            self.nx += float(np.dot(fx, fx))
            self.ny += float(np.dot(fy, fy))

    def cosine(self) -> float | None:
        if self.nx <= 0 or self.ny <= 0:
            return None
        return _finite(self.dot / (np.sqrt(self.nx) * np.sqrt(self.ny)))


def _finite(v: float) -> float | None:
    """JSON has no inf or nan: an unbounded difference is reported as null (with grade differs)."""
    return v if np.isfinite(v) else None


class _Tensors:
    """The tensors of a safetensors or npz file, read one at a time (a context manager)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.names: set[str] = set()
        self._fh = None
        self._npz = None
        self._base = 0
        self._entries: dict = {}

    def __enter__(self) -> _Tensors:
        try:
            if self.path.suffix.lower() == ".safetensors":
                self._open_safetensors()
            else:
                self._open_npz()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()
        if self._npz is not None:
            self._npz.close()

    def _open_safetensors(self) -> None:
        self._fh = fh = self.path.open("rb")
        size = self.path.stat().st_size

        def read_at(offset: int, length: int) -> bytes:
            fh.seek(offset)
            return fh.read(length)

        header = read_header(read_at, size)
        if not header.ok:
            raise UnreadableWeights(f"{self.path.name}: {header.problems[0].detail}")
        self._base = 8 + header.header_size
        self._entries = {t.name: t for t in header.tensors}
        self.names = set(self._entries)

    def _check_npz_member(self, name: str) -> None:
        """An array's header must describe the bytes its member holds: a header that claims more
        (a huge shape over a small member) is refused before numpy allocates anything."""
        assert self._npz is not None
        zf = self._npz.zip
        member = name if name in zf.namelist() else f"{name}.npy"
        try:
            info = zf.getinfo(member)
            with zf.open(member) as fh:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, _order, dtype = np.lib.format.read_array_header_1_0(fh, max_header_size=MAX_NPY_HEADER)
                else:
                    shape, _order, dtype = np.lib.format.read_array_header_2_0(fh, max_header_size=MAX_NPY_HEADER)
                header = fh.tell()
        except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
            raise UnreadableWeights(f"{self.path.name}:{name}: {exc}"[:300]) from None
        if dtype.hasobject:
            raise UnreadableWeights(f"{self.path.name}:{name}: an object array (pickled): refused")
        count = 1
        for d in shape:
            count *= int(d)
        if count * dtype.itemsize != info.file_size - header:
            raise UnreadableWeights(f"{self.path.name}:{name}: its header claims {count * dtype.itemsize} bytes, "
                                    f"the member holds {info.file_size - header}")

    def _open_npz(self) -> None:
        try:
            self._npz = np.load(self.path, allow_pickle=False)
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise UnreadableWeights(f"{self.path.name}: {exc}") from None
        if len(self._npz.files) > MAX_NPZ_MEMBERS:
            raise UnreadableWeights(f"{self.path.name}: more than {MAX_NPZ_MEMBERS} arrays")
        self.names = set(self._npz.files)

    def read(self, name: str) -> _Tensor:
        if self._npz is not None:
            self._check_npz_member(name)
            try:
                arr = self._npz[name]
            except (ValueError, MemoryError, OSError, zipfile.BadZipFile) as exc:  # object arrays need pickle: refused
                raise UnreadableWeights(f"{self.path.name}:{name}: {type(exc).__name__}: {exc}"[:300]) from None
            return _Tensor(str(arr.dtype), tuple(arr.shape), arr if arr.dtype.kind in "biufc" else None, arr.tobytes())
        t = self._entries[name]
        assert self._fh is not None
        self._fh.seek(self._base + t.start)
        raw = self._fh.read(t.end - t.start)
        if len(raw) != t.end - t.start:
            raise UnreadableWeights(f"{self.path.name}:{name}: the file ends inside the tensor")
        return _Tensor(t.dtype, tuple(t.shape), _values(t.dtype, raw), raw)


def _values(dtype: str, raw: bytes) -> np.ndarray | None:
    if dtype == "BF16":
        # bfloat16 is the top half of a float32: widening it is exact.
        return (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    np_type = _NUMPY_DTYPES.get(dtype)
    if np_type is None:
        return None
    return np.frombuffer(raw, dtype=np.dtype(np_type).newbyteorder("<"))
