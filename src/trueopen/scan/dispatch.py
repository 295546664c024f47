"""Pick the analyser for a file by its content and turn its issues into one `FileScan`."""

from __future__ import annotations

import io
from typing import Any, BinaryIO, Callable

from trueopen.scan import containers, otherformats
from trueopen.scan.formats import is_tar, maybe_compressed, sniff
from trueopen.scan.result import Collector, FileScan, ScanContext, ScanLimits, Source

__all__ = ["scan_bytes", "scan_file", "scan_source"]

_ZIPS = ("zip", "torch-zip", "torchscript", "npz", "keras-zip")


def scan_source(ctx: ScanContext, col: Collector, src: Source, member: str | None,
                *, nested: bool = False) -> str:
    """Sniff `src` and run the matching analyser, adding issues to `col`. Nested calls (archive
    members) go one level deeper; past `max_depth` the member is reported, not opened."""
    if nested:
        if ctx.depth + 1 > ctx.limits.max_depth:
            col.incomplete("nesting", "archive nested too deeply; member not analysed",
                           "limit max_depth", member=member)
            return "unknown"
        ctx = ScanContext(ctx.path, ctx.limits, ctx.release_files, ctx.pickle_analyser,
                          ctx.depth + 1, ctx.budget)
    head = src.read_at(0, 4096)
    fmt = sniff(head, member or src.name)
    if fmt in ("pickle", "torch-legacy"):
        out = containers.scan_pickle_file(ctx, col, src, member)
        # Polyglots: a loader given the file by another name reads it as that format.
        for other in secondary_formats(head):
            _HANDLERS[other](ctx, col, src, member)
        return out
    found = _scan_as(ctx, col, src, member, fmt)
    # pickle.load accepts any file: every interpretation a loader could take is analysed and
    # the worst reported (issue 13). The head decides for almost every non-pickle file.
    if containers.probe_as_pickle(ctx, col, src, member, head) and found in ("text", "unknown"):
        return "pickle"
    codec = maybe_compressed(head) if found in ("text", "unknown") else None
    if codec:
        # A short zlib / lzma / bzip2 magic that decodes, around content sniffing does not
        # name (a pickle without PROTO): read through the codec too, kept when it finds
        # something a loader would run or a human must see.
        scratch = Collector(col.path)
        containers.scan_gzip(ctx, scratch, src, member, force=codec)
        if any(i.verdict in ("block", "review") for i in scratch.issues):
            containers.merge(col, scratch)
            return "gzip"
    return found


def secondary_formats(head: bytes) -> list[str]:
    """Formats whose signature sits past offset 0 and so can share a file with a pickle: an
    HDF5 user block (signature at 512) and tar (ustar magic at 257, or a v7 checksum)."""
    out = []
    if head[512:520] == b"\x89HDF\r\n\x1a\n":
        out.append("hdf5")
    if is_tar(head):
        out.append("tar")
    return out


def _scan_as(ctx: ScanContext, col: Collector, src: Source, member: str | None, fmt: str) -> str:
    if fmt in _ZIPS:
        hook = None
        if fmt == "keras-zip" or _keras_like(src, ctx):
            hook = otherformats.keras_member_hook(ctx, col)
        return containers.scan_zip(ctx, col, src, member, hook)
    handler: Callable[..., str] | None = _HANDLERS.get(fmt)
    if handler is not None:
        return handler(ctx, col, src, member)
    # No loader executes content it cannot recognise; say so, without failing the file.
    col.add("info", "unrecognised", "content matches no known model or archive format; "
            "no loader would execute it", member=member)
    return "unknown"


_HANDLERS: dict[str, Callable[..., str]] = {
    "tar": containers.scan_tar,
    "gzip": containers.scan_gzip,
    "7z": containers.scan_7z,
    "npy": containers.scan_npy,
    "safetensors": otherformats.scan_safetensors,
    "gguf": otherformats.scan_gguf,
    "onnx": otherformats.scan_onnx,
    "hdf5": otherformats.scan_hdf5,
    "savedmodel-pb": otherformats.scan_savedmodel,
    "text": otherformats.scan_text,
}


def _keras_like(src: Source, ctx: ScanContext) -> bool:
    listing = containers.read_zip_listing(src, ctx.limits.max_members,
                                          ctx.limits.max_buffer_bytes)
    names = {e.name for e in listing.entries}
    return "config.json" in names and ("model.weights.h5" in names or "metadata.json" in names)


def scan_file(path: str, read_at: Callable[[int, int], bytes], size: int,
              open_stream: Callable[[], BinaryIO], *,
              release_files: frozenset[str] = frozenset(),
              limits: ScanLimits | None = None,
              pickle_analyser: Callable[..., Any] | None = None,
              will_read: Callable[[int, int], None] | None = None) -> FileScan:
    """Analyse one release file without executing or importing anything from it.

    `release_files` lists the release's paths (for auto_map code files and ONNX external
    data). `pickle_analyser(stream, size)` replaces the pickle machine (tests). `will_read(start,
    end)` takes a parser's hint of a range it is about to read (a remote file's one request).
    Cost: reads headers and pickle members only, except for compressed archives, which are
    inflated within a budget that scales with the file (`ScanContext.budget_for`).
    """
    limits = limits or ScanLimits()
    ctx = ScanContext(path, limits, release_files, pickle_analyser,
                      budget=ScanContext.budget_for(limits, size))
    col = Collector(path)
    src = Source(path, size, read_at, open_stream, will_read)
    try:
        fmt = scan_source(ctx, col, src, None)
    except RecursionError:
        col.incomplete("internal", "analysis nested too deeply", "interpreter recursion")
        fmt = "unknown"
    except (OSError, MemoryError) as exc:
        col.incomplete("read-error", f"{type(exc).__name__}: {exc}"[:200], "read error")
        fmt = "unknown"
    return col.result(fmt)


def scan_bytes(path: str, data: bytes, **kw: Any) -> FileScan:
    """scan_file over bytes in memory (tests, small remote files)."""
    return scan_file(path, lambda o, n: data[o:o + n], len(data), lambda: io.BytesIO(data),
                     **kw)
