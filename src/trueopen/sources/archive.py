"""Safe unpacking of a release archive (.zip, .tar, .tar.gz) into a fresh folder.

A release archive is data from a stranger. `unpack` writes only regular files and folders,
only inside `dest`, never links or devices, and stops with `ArchiveError` naming the limit as
soon as the bytes actually produced (counted while streaming, never taken from headers)
exceed a limit. Members that cannot be written safely are skipped and reported.
"""

from __future__ import annotations

import errno
import gzip
import os
import re
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

__all__ = ["ArchiveError", "Limits", "Skipped", "is_archive", "unpack"]

_CHUNK = 1 << 20
# The ratio check only starts past this many bytes: tiny archives of text legitimately
# compress very well, and a bomb is only a bomb once it is big.
_RATIO_FLOOR = 16 * 2**20
# tarfile reads pax / GNU long-name headers wholly into memory; cap them.
_MAX_TAR_META_BYTES = 1 * 2**20
_DRIVE = re.compile(r"^[A-Za-z]:")


class ArchiveError(Exception):
    """A one-line, user-facing reason the archive cannot be used (exit code 2)."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what an archive may expand to.

    `max_ratio` is uncompressed bytes over the archive's size on disk, for the whole archive,
    and is only checked once more than 16 MiB have been produced.
    """

    max_members: int = 100_000
    max_total_bytes: int = 64 * 2**30
    max_member_bytes: int = 32 * 2**30
    max_ratio: float = 200.0


@dataclass(frozen=True)
class Skipped:
    """A member that was not written, and why."""

    member: str
    reason: str


def _human(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n:,} bytes"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _kind(path: Path) -> str | None:
    """'zip', 'tar', 'tgz' or None, from the first bytes of the file."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
            if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
                return "zip"
            if len(head) >= 262 and head[257:262] == b"ustar":
                return "tar"
            if head.startswith(b"\x1f\x8b"):
                # Only a gzip that holds a tar is an archive; a lone `x.json.gz` is not.
                f.seek(0)
                try:
                    with gzip.GzipFile(fileobj=f, mode="rb") as gz:
                        inner = gz.read(512)
                except (OSError, EOFError, zlib.error):
                    # A damaged gzip still claims to be a (broken) archive: unpack says why.
                    return "tgz"
                if len(inner) >= 262 and inner[257:262] == b"ustar":
                    return "tgz"
                return None
    except OSError:
        return None
    return None


def is_archive(path: Path) -> bool:
    """True if the file is a zip, tar or gzipped tar, judged by its content, not its name."""
    return _kind(Path(path)) is not None


def unpack(path: Path, dest: Path, limits: Limits = Limits()) -> list[Skipped]:
    """Unpack the archive at `path` into the existing, empty folder `dest`.

    Returns the members that were not written, in archive order. Raises ArchiveError for a
    corrupt archive or one that exceeds `limits`; `dest` may then hold a partial unpack, which
    the caller (who made it as a temp dir) discards. Cost: one sequential pass over the archive.
    """
    path, dest = Path(path), Path(dest)
    kind = _kind(path)
    if kind is None:
        raise ArchiveError(f"not a zip, tar or tar.gz archive: {path.name}")
    if not dest.is_dir() or dest.is_symlink():
        raise ArchiveError(f"destination is not a folder: {dest}")
    try:
        archive_size = max(path.stat().st_size, 1)
    except OSError as exc:
        raise ArchiveError(f"cannot read archive: {_one_line(exc)}") from None
    writer = _Writer(dest.resolve(), limits, archive_size)
    try:
        if kind == "zip":
            _unpack_zip(path, writer)
        else:
            _unpack_tar(path, writer, gzipped=kind == "tgz")
    except OSError as exc:
        # e.g. a zip end record that overstates the directory offset makes zipfile seek to a
        # negative position (EINVAL): say which archive and why, never a bare "Invalid argument".
        raise ArchiveError(f"cannot read archive {path.name}: {_one_line(exc)} "
                           "(corrupt or truncated)") from None
    return writer.skipped


def _clean_name(raw: str) -> tuple[tuple[str, ...] | None, str | None]:
    """Split a member name into safe path parts, or give the reason it is unsafe."""
    if "\x00" in raw:
        return None, "invalid name (NUL byte)"
    # Zips made on Windows use backslashes; treat them as separators so `..\\x` is caught.
    name = raw.replace("\\", "/")
    if name.startswith("/"):
        return None, "absolute path"
    if _DRIVE.match(name):
        return None, "absolute path (drive letter)"
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None, "path escapes the release (../)"
    if not parts:
        return None, "empty name"
    return tuple(parts), None


class _Writer:
    """Writes members under `dest`, counting bytes and enforcing the limits."""

    def __init__(self, dest: Path, limits: Limits, archive_size: int) -> None:
        self.dest = dest
        self.limits = limits
        self.archive_size = archive_size
        self.members = 0
        self.total = 0
        self.skipped: list[Skipped] = []
        self.files: set[tuple[str, ...]] = set()
        self.dirs: set[tuple[str, ...]] = set()

    def count_member(self) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise ArchiveError(
                f"archive bomb: more than {self.limits.max_members:,} members (limit max_members)"
            )

    def declared(self, name: str, size: int) -> None:
        """Refuse early when a header already admits to exceeding a limit (headers that
        understate are caught while streaming)."""
        if size > self.limits.max_member_bytes:
            self._member_too_big(name)

    def _member_too_big(self, name: str) -> None:
        raise ArchiveError(
            f"archive bomb: member '{name}' is larger than "
            f"{_human(self.limits.max_member_bytes)} (limit max_member_bytes)"
        )

    def skip(self, name: str, reason: str) -> None:
        self.skipped.append(Skipped(name, reason))

    def _target(self, parts: tuple[str, ...]) -> Path:
        target = self.dest.joinpath(*parts)
        # Belt and braces: _clean_name already refused `..` and absolute names.
        if os.path.commonpath([self.dest, os.path.abspath(target)]) != str(self.dest):
            raise ArchiveError(f"internal error: member path left the destination: {target}")
        return target

    def _make_dirs(self, name: str, parts: tuple[str, ...]) -> bool:
        for i in range(1, len(parts) + 1):
            sub = parts[:i]
            if sub in self.files:
                self.skip(name, f"conflicts with file member '{'/'.join(sub)}'")
                return False
        try:
            os.makedirs(self._target(parts), exist_ok=True)
        except OSError as exc:
            return self._write_failed(name, exc)
        self.dirs.update(parts[:i] for i in range(1, len(parts) + 1))
        return True

    def _write_failed(self, name: str, exc: OSError) -> bool:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO):
            raise ArchiveError(f"cannot write unpacked files: {_one_line(exc)}") from None
        self.skip(name, f"cannot be written ({exc.strerror or _one_line(exc)})")
        return False

    def directory(self, name: str) -> None:
        parts, reason = _clean_name(name)
        if parts is None:
            self.skip(name, reason or "unsafe name")
            return
        self._make_dirs(name, parts)

    def file(self, name: str, chunks: Callable[[], Iterator[bytes]]) -> None:
        """Write one regular file member from `chunks()`, counting as it streams."""
        parts, reason = _clean_name(name)
        if parts is None:
            self.skip(name, reason or "unsafe name")
            return
        if parts in self.files:
            self.skip(name, "duplicate member")
            return
        if parts in self.dirs:
            self.skip(name, "conflicts with a folder of the same name")
            return
        if len(parts) > 1 and not self._make_dirs(name, parts[:-1]):
            return
        target = self._target(parts)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        flags |= getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(target, flags, 0o644)
        except OSError as exc:
            self._write_failed(name, exc)
            return
        self.files.add(parts)
        written = 0
        ok = False
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks():
                    written += len(chunk)
                    self.total += len(chunk)
                    self._check_sizes(name, written)
                    try:
                        out.write(chunk)
                    except OSError as exc:
                        raise ArchiveError(
                            f"cannot write unpacked files: {_one_line(exc)}"
                        ) from None
            ok = True
        finally:
            if not ok:
                # Do not leave a truncated member behind for a careless caller to audit.
                try:
                    os.unlink(target)
                except OSError:
                    pass

    def _check_sizes(self, name: str, written: int) -> None:
        lim = self.limits
        if written > lim.max_member_bytes:
            self._member_too_big(name)
        if self.total > lim.max_total_bytes:
            raise ArchiveError(
                f"archive bomb: more than {_human(lim.max_total_bytes)} uncompressed "
                f"(limit max_total_bytes)"
            )
        if self.total > _RATIO_FLOOR and self.total / self.archive_size > lim.max_ratio:
            raise ArchiveError(
                f"archive bomb: expands more than {lim.max_ratio:g}x its size (limit max_ratio)"
            )


# Reading errors of the decompressors; anything here means the archive itself is damaged.
_CORRUPT = (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, gzip.BadGzipFile)


def _stream(read: Callable[[int], bytes]) -> Iterator[bytes]:
    while True:
        try:
            chunk = read(_CHUNK)
        except _CORRUPT as exc:
            raise ArchiveError(f"corrupt archive: {_one_line(exc)}") from None
        if not chunk:
            return
        yield chunk


def _unpack_zip(path: Path, writer: _Writer) -> None:
    try:
        zf = zipfile.ZipFile(path)
    except (*_CORRUPT, OSError, ValueError) as exc:
        raise ArchiveError(f"corrupt archive: {_one_line(exc)}") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > writer.limits.max_members:
            raise ArchiveError(
                f"archive bomb: more than {writer.limits.max_members:,} members "
                f"(limit max_members)"
            )
        for info in infos:
            writer.count_member()
            name = info.filename
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                writer.skip(name, "symlink")
                continue
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
                writer.skip(name, "device or fifo")
                continue
            if info.is_dir():
                writer.directory(name)
                continue
            if info.flag_bits & 0x1:
                writer.skip(name, "encrypted member")
                continue
            if info.compress_type not in (
                zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA
            ):
                writer.skip(name, f"unsupported compression method {info.compress_type}")
                continue
            writer.declared(name, info.file_size)

            def chunks(info: zipfile.ZipInfo = info) -> Iterator[bytes]:
                try:
                    member = zf.open(info)
                except (*_CORRUPT, NotImplementedError, RuntimeError, ValueError) as exc:
                    raise ArchiveError(f"corrupt archive: {_one_line(exc)}") from None
                with member:
                    yield from _stream(member.read)

            writer.file(name, chunks)


class _GuardedTarInfo(tarfile.TarInfo):
    """TarInfo that refuses oversized pax / GNU long-name headers before tarfile reads them
    into memory in one go."""

    def _proc_member(self, tarfile_: tarfile.TarFile):  # type: ignore[override]
        meta_types = (
            tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE,
            tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK,
        )
        if self.type in meta_types and self.size > _MAX_TAR_META_BYTES:
            raise ArchiveError(
                f"archive bomb: tar extended header larger than {_human(_MAX_TAR_META_BYTES)} "
                f"(limit tar header size)"
            )
        return super()._proc_member(tarfile_)


class _Tap:
    """File wrapper that remembers the last header-sized read, so the end-of-archive check
    needs no backward seek (a backward seek in a GzipFile decompresses from the start)."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.last_offset = -1
        self.last_block = b""

    def read(self, n: int = -1) -> bytes:
        pos = self.inner.tell()
        data = self.inner.read(n)
        if 0 <= n <= tarfile.BLOCKSIZE:
            self.last_offset, self.last_block = pos, data
        return data

    def seek(self, pos: int, whence: int = 0) -> int:
        return self.inner.seek(pos, whence)

    def tell(self) -> int:
        return self.inner.tell()


def _unpack_tar(path: Path, writer: _Writer, gzipped: bool) -> None:
    try:
        raw = open(path, "rb")
    except OSError as exc:
        raise ArchiveError(f"cannot read archive: {_one_line(exc)}") from None
    with raw:
        inner: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw  # type: ignore[assignment]
        fileobj = _Tap(inner)
        try:
            tf = tarfile.open(fileobj=fileobj, mode="r:", tarinfo=_GuardedTarInfo)
        except (*_CORRUPT, OSError) as exc:
            what = "gzip file does not hold a tar archive" if gzipped else "corrupt archive"
            raise ArchiveError(f"{what}: {_one_line(exc)}") from None
        with tf:
            _tar_members(tf, writer)
            _check_tar_end(tf, fileobj)
        if gzipped:
            inner.close()


def _tar_members(tf: tarfile.TarFile, writer: _Writer) -> None:
    while True:
        try:
            member = tf.next()
        except _CORRUPT as exc:
            raise ArchiveError(f"corrupt archive: {_one_line(exc)}") from None
        if member is None:
            return
        writer.count_member()
        name = member.name
        if member.issym():
            writer.skip(name, "symlink")
        elif member.islnk():
            writer.skip(name, "hard link")
        elif member.ischr() or member.isblk() or member.isfifo():
            writer.skip(name, "device or fifo")
        elif member.isdir():
            writer.directory(name)
        elif member.isreg():
            writer.declared(name, member.size)

            def chunks(member: tarfile.TarInfo = member) -> Iterator[bytes]:
                try:
                    data = tf.extractfile(member)
                except _CORRUPT as exc:
                    raise ArchiveError(f"corrupt archive: {_one_line(exc)}") from None
                if data is None:  # not a regular file after all
                    return
                with data:
                    yield from _stream(data.read)

            writer.file(name, chunks)
        else:
            writer.skip(name, f"unsupported tar member type {member.type!r}")
        # tarfile keeps every TarInfo for random access; we never go back, so drop them.
        tf.members.clear()


def _check_tar_end(tf: tarfile.TarFile, fileobj: _Tap) -> None:
    """tarfile silently stops at a damaged header after the first member; a real end is
    zero blocks or plain end of file, anything else is corruption."""
    if fileobj.last_offset == tf.offset:
        block = fileobj.last_block  # the block tarfile gave up on
    else:
        try:
            if fileobj.tell() != tf.offset:
                fileobj.seek(tf.offset)
            block = fileobj.read(tarfile.BLOCKSIZE)
        except (*_CORRUPT, OSError) as exc:
            raise ArchiveError(f"corrupt archive: {_one_line(exc)}") from None
    if block.strip(b"\x00"):
        raise ArchiveError(f"corrupt archive: invalid tar header at offset {tf.offset}")
