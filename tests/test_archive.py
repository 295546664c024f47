"""Tests for trueopen.sources.archive: safe unpacking of release archives."""

from __future__ import annotations

import io
import os
import stat
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from trueopen.sources.archive import ArchiveError, Limits, Skipped, is_archive, unpack


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every entry under root: file -> bytes, folder -> None. Links would show as bytes of
    their target, so also assert none exist."""
    out: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            assert not p.is_symlink(), f"symlink created: {p}"
            rel = p.relative_to(root).as_posix()
            out[rel] = None if p.is_dir() else p.read_bytes()
    return out


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    """(work, dest): archives go in work, unpack into dest = work/a/b/dest, so a `../` escape
    would land in a folder we can inspect."""
    work = tmp_path / "work"
    dest = work / "a" / "b" / "dest"
    dest.mkdir(parents=True)
    return work, dest


def _outside(work: Path, dest: Path) -> list[str]:
    """Files that appeared anywhere under work outside dest (archives excluded)."""
    bad = []
    for dirpath, _dirs, files in os.walk(work):
        for f in files:
            p = Path(dirpath, f)
            if dest in p.parents or p.suffix in (".zip", ".tar", ".tgz", ".gz", ".bin"):
                continue
            bad.append(str(p))
    return bad


def _tar_add(tf: tarfile.TarFile, name: str, data: bytes = b"", **kw: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for k, v in kw.items():
        setattr(info, k, v)
    tf.addfile(info, io.BytesIO(data) if data else None)


# --- detection ---------------------------------------------------------------------------


def test_is_archive_by_content_not_extension(tmp_path: Path) -> None:
    z = tmp_path / "release.bin"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.txt", "x")
    t = tmp_path / "release.zip"  # a tar with a misleading name
    with tarfile.open(t, "w") as tf:
        _tar_add(tf, "a.txt", b"x")
    tgz = tmp_path / "noext"
    with tarfile.open(tgz, "w:gz") as tf:
        _tar_add(tf, "a.txt", b"x")
    empty_zip = tmp_path / "empty"
    zipfile.ZipFile(empty_zip, "w").close()
    plain_gz = tmp_path / "config.json.gz"
    import gzip

    plain_gz.write_bytes(gzip.compress(b'{"a": 1}' * 100))
    text = tmp_path / "archive.tar.gz"
    text.write_text("hello, not an archive")

    assert is_archive(z) and is_archive(t) and is_archive(tgz) and is_archive(empty_zip)
    assert not is_archive(plain_gz)
    assert not is_archive(text)
    assert not is_archive(tmp_path / "missing")
    assert not is_archive(tmp_path)  # a folder


def test_unpack_refuses_non_archive(dirs: tuple[Path, Path]) -> None:
    work, dest = dirs
    f = work / "x.zip"
    f.write_text("nope")
    with pytest.raises(ArchiveError, match="not a zip, tar or tar.gz"):
        unpack(f, dest)


# --- good archives ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["zip", "tar", "tgz"])
def test_nested_dirs_roundtrip(dirs: tuple[Path, Path], fmt: str) -> None:
    work, dest = dirs
    content = {
        "config.json": b'{"a": 1}',
        "weights/model-00001-of-00002.safetensors": os.urandom(3000),
        "weights/deep/er/still/x.txt": b"deep",
        "./dot/./slash.txt": b"normalised",
    }
    arch = work / f"rel.{fmt}"
    if fmt == "zip":
        with zipfile.ZipFile(arch, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("emptydir/", "")
            for k, v in content.items():
                zf.writestr(k, v)
    else:
        with tarfile.open(arch, "w:gz" if fmt == "tgz" else "w") as tf:
            _tar_add(tf, "emptydir", type=tarfile.DIRTYPE)
            for k, v in content.items():
                _tar_add(tf, k, v)
    assert unpack(arch, dest) == []
    tree = _tree(dest)
    assert tree["config.json"] == b'{"a": 1}'
    assert tree["weights/deep/er/still/x.txt"] == b"deep"
    assert tree["weights/model-00001-of-00002.safetensors"] == content[
        "weights/model-00001-of-00002.safetensors"
    ]
    assert tree["dot/slash.txt"] == b"normalised"
    assert tree["emptydir"] is None
    assert _outside(work, dest) == []


def test_tar_does_not_keep_setuid_modes(dirs: tuple[Path, Path]) -> None:
    work, dest = dirs
    arch = work / "m.tar"
    with tarfile.open(arch, "w") as tf:
        _tar_add(tf, "run.sh", b"#!/bin/sh\n", mode=0o4777)
    unpack(arch, dest)
    mode = (dest / "run.sh").stat().st_mode
    assert not mode & (stat.S_ISUID | stat.S_ISGID | stat.S_IXUSR)


# --- unsafe members ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["zip", "tar", "tgz"])
def test_unsafe_names_are_skipped_and_reported(dirs: tuple[Path, Path], fmt: str) -> None:
    work, dest = dirs
    names = {
        "../escape.txt": "path escapes the release (../)",
        "ok/../../../escape2.txt": "path escapes the release (../)",
        "/abs.txt": "absolute path",
        "C:/windows.txt": "absolute path (drive letter)",
        "..\\backslash.txt": "path escapes the release (../)",
    }
    arch = work / f"evil.{fmt}"
    if fmt == "zip":
        with zipfile.ZipFile(arch, "w") as zf:
            zf.writestr("good.txt", b"good")
            for n in names:
                # ZipInfo would normalise some names; write raw names through the info object.
                info = zipfile.ZipInfo("placeholder")
                info.filename = n
                zf.writestr(info, b"evil")
    else:
        with tarfile.open(arch, "w:gz" if fmt == "tgz" else "w") as tf:
            _tar_add(tf, "good.txt", b"good")
            for n in names:
                _tar_add(tf, n, b"evil")
    skipped = unpack(arch, dest)
    assert skipped == [Skipped(n, r) for n, r in names.items()]
    assert _tree(dest) == {"good.txt": b"good"}
    assert _outside(work, dest) == []
    assert not Path("/abs.txt").exists() or Path("/abs.txt").read_bytes() != b"evil"


@pytest.mark.parametrize("gz", [False, True])
def test_tar_links_and_devices_are_skipped(dirs: tuple[Path, Path], gz: bool) -> None:
    work, dest = dirs
    arch = work / "links.tar"
    with tarfile.open(arch, "w:gz" if gz else "w") as tf:
        _tar_add(tf, "real.txt", b"real")
        _tar_add(tf, "link", type=tarfile.SYMTYPE, linkname="/etc/passwd")
        _tar_add(tf, "uplink", type=tarfile.SYMTYPE, linkname="../../..")
        _tar_add(tf, "hard", type=tarfile.LNKTYPE, linkname="real.txt")
        _tar_add(tf, "dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
        _tar_add(tf, "blk", type=tarfile.BLKTYPE)
        _tar_add(tf, "pipe", type=tarfile.FIFOTYPE)
        # Write through the symlink name afterwards: must not follow anything.
        _tar_add(tf, "uplink/pwned.txt", b"evil")
    skipped = unpack(arch, dest)
    assert [(s.member, s.reason) for s in skipped[:6]] == [
        ("link", "symlink"),
        ("uplink", "symlink"),
        ("hard", "hard link"),
        ("dev", "device or fifo"),
        ("blk", "device or fifo"),
        ("pipe", "device or fifo"),
    ]
    tree = _tree(dest)
    assert tree["real.txt"] == b"real"
    # uplink was never created as a link, so uplink/pwned.txt is an ordinary file inside dest.
    assert tree.get("uplink/pwned.txt") == b"evil"
    assert _outside(work, dest) == []


def test_zip_symlink_member_is_skipped(dirs: tuple[Path, Path]) -> None:
    work, dest = dirs
    arch = work / "sym.zip"
    with zipfile.ZipFile(arch, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
        fifo = zipfile.ZipInfo("fifo")
        fifo.create_system = 3
        fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
        zf.writestr(fifo, "")
        zf.writestr("file.txt", "f")
    assert unpack(arch, dest) == [Skipped("link", "symlink"), Skipped("fifo", "device or fifo")]
    assert _tree(dest) == {"file.txt": b"f"}


def test_duplicates_and_conflicts(dirs: tuple[Path, Path]) -> None:
    work, dest = dirs
    arch = work / "dup.tar"
    with tarfile.open(arch, "w") as tf:
        _tar_add(tf, "a.txt", b"first")
        _tar_add(tf, "./a.txt", b"second")
        _tar_add(tf, "f", b"file")
        _tar_add(tf, "f/under-a-file.txt", b"x")
        _tar_add(tf, "d/x.txt", b"x")
        _tar_add(tf, "d", b"file where a folder is")
    skipped = unpack(arch, dest)
    assert skipped[0] == Skipped("./a.txt", "duplicate member")
    assert skipped[1].member == "f/under-a-file.txt" and "conflicts" in skipped[1].reason
    assert skipped[2].member == "d" and "conflicts" in skipped[2].reason
    assert len(skipped) == 3
    assert (dest / "a.txt").read_bytes() == b"first"


def test_zip_duplicate_member(dirs: tuple[Path, Path]) -> None:
    work, dest = dirs
    arch = work / "dup.zip"
    with zipfile.ZipFile(arch, "w") as zf:
        zf.writestr("a.txt", "first")
        with pytest.warns(UserWarning):
            zf.writestr("a.txt", "second")
    assert unpack(arch, dest) == [Skipped("a.txt", "duplicate member")]
    assert (dest / "a.txt").read_text() == "first"


# --- bombs ---------------------------------------------------------------------------------


def test_zip_bomb_total_bytes(dirs: tuple[Path, Path]) -> None:
    work, dest = dirs
    arch = work / "bomb.zip"
    with zipfile.ZipFile(arch, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", b"\0" * 10_000_000)
    assert arch.stat().st_size < 100_000
    with pytest.raises(ArchiveError) as exc:
        unpack(arch, dest, Limits(max_total_bytes=1_000_000))
    msg = str(exc.value)
    assert msg == "archive bomb: more than 1,000,000 bytes uncompressed (limit max_total_bytes)"
    assert "\n" not in msg
    # The partial member is removed, and never more than a chunk past the limit was written.
    assert _tree(dest) == {}


def test_bomb_ratio(dirs: tuple[Path, Path]) -> None:
    work, dest = dirs
    arch = work / "ratio.tgz"
    with tarfile.open(arch, "w:gz") as tf:
        _tar_add(tf, "zeros.bin", b"\0" * (40 * 2**20))
    with pytest.raises(ArchiveError, match=r"expands more than 200x .*\(limit max_ratio\)"):
        unpack(arch, dest)


def test_small_archives_are_not_ratio_bombs(dirs: tuple[Path, Path]) -> None:
    work, dest = dirs
    arch = work / "small.zip"
    with zipfile.ZipFile(arch, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", b"\0" * (8 * 2**20))  # ratio ~1000 but under 16 MiB
    assert unpack(arch, dest) == []


def test_bomb_member_bytes_and_members(dirs: tuple[Path, Path]) -> None:
    work, dest = dirs
    arch = work / "m.tar"
    with tarfile.open(arch, "w") as tf:
        for i in range(5):
            _tar_add(tf, f"f{i}", b"x" * 100)
    with pytest.raises(ArchiveError, match=r"more than 4 members \(limit max_members\)"):
        unpack(arch, dest, Limits(max_members=4))
    dest2 = work / "d2"
    dest2.mkdir()
    with pytest.raises(ArchiveError, match=r"member 'f0' is larger than 50 bytes \(limit max_member_bytes\)"):
        unpack(arch, dest2, Limits(max_member_bytes=50))


def test_zip_member_that_lies_about_its_size(dirs: tuple[Path, Path]) -> None:
    """A zip whose headers say 10 bytes for a 5 MB member: counting bytes while streaming (and
    the CRC) stop it; it must neither pass the limit check on its word nor write 5 MB."""
    work, dest = dirs
    real = b"A" * 5_000_000
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("liar.bin", real)
    data = bytearray(buf.getvalue())
    # Patch uncompressed size in the local header (offset 22) and central directory (offset 24).
    assert data[:4] == b"PK\x03\x04"
    struct.pack_into("<I", data, 22, 10)
    cd = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 10)
    arch = work / "liar.zip"
    arch.write_bytes(bytes(data))
    with zipfile.ZipFile(arch) as zf:
        assert zf.getinfo("liar.bin").file_size == 10
    with pytest.raises(ArchiveError, match="corrupt archive"):
        unpack(arch, dest, Limits(max_total_bytes=1_000_000))
    assert _tree(dest) == {}


def test_zip_header_admitting_a_huge_member_is_refused_early(dirs: tuple[Path, Path]) -> None:
    work, dest = dirs
    arch = work / "big.zip"
    with zipfile.ZipFile(arch, "w") as zf:
        zf.writestr("big.bin", b"x" * 1000)
    with pytest.raises(ArchiveError, match="limit max_member_bytes"):
        unpack(arch, dest, Limits(max_member_bytes=999))
    assert _tree(dest) == {}


def test_tar_oversized_pax_header(dirs: tuple[Path, Path]) -> None:
    work, dest = dirs
    arch = work / "pax.tar"
    with tarfile.open(arch, "w", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo("x.txt")
        info.pax_headers = {"comment": "c" * (2 * 2**20)}
        tf.addfile(info, None)
    with pytest.raises(ArchiveError, match="tar extended header larger than 1 MiB"):
        unpack(arch, dest)


# --- corrupt archives ------------------------------------------------------------------


def _valid_tar_bytes() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        _tar_add(tf, "a.txt", os.urandom(5000))
        _tar_add(tf, "b.txt", os.urandom(5000))
    return buf.getvalue()


@pytest.mark.parametrize(
    "name,make",
    [
        ("trunc.zip", lambda: _zip_bytes()[: len(_zip_bytes()) // 2]),
        ("garbled.zip", lambda: _zip_bytes()[:40] + b"\xff" * 200 + _zip_bytes()[240:]),
        ("trunc.tgz", lambda: __import__("gzip").compress(_valid_tar_bytes())[:3000]),
        ("trunc-data.tar", lambda: _valid_tar_bytes()[:3000]),
        ("bad-2nd-header.tar", lambda: _corrupt_second_header()),
        ("gz-not-tar.tgz", lambda: __import__("gzip").compress(b"\x01" * 300 + b"ustar" * 100)),
    ],
)
def test_corrupt_archives_raise_one_line(dirs: tuple[Path, Path], name: str, make) -> None:
    work, dest = dirs
    arch = work / name
    arch.write_bytes(make())
    with pytest.raises(ArchiveError) as exc:
        unpack(arch, dest)
    assert "\n" not in str(exc.value)
    assert str(exc.value)


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.bin", bytes(range(256)) * 40)
    return buf.getvalue()


def _corrupt_second_header() -> bytes:
    data = bytearray(_valid_tar_bytes())
    # Second header starts after 512 header + 5000 data rounded up to 5120.
    second = 512 + 5120
    data[second + 148 : second + 156] = b"garbage!"  # bad checksum
    return bytes(data)


def test_dest_must_be_a_folder(dirs: tuple[Path, Path]) -> None:
    work, _ = dirs
    arch = work / "a.zip"
    with zipfile.ZipFile(arch, "w") as zf:
        zf.writestr("a", "a")
    with pytest.raises(ArchiveError, match="destination"):
        unpack(arch, work / "missing")


def test_tiny_gzip_is_not_an_archive(tmp_path: Path) -> None:
    import gzip

    p = tmp_path / "x.gz"
    p.write_bytes(gzip.compress(b"x" * 100))
    assert not is_archive(p)


@pytest.mark.parametrize("corrupt", [False, True])
def test_tgz_is_read_in_one_forward_pass(dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                                          corrupt: bool) -> None:
    """A backward seek in a GzipFile re-decompresses from the start: never do one."""
    import gzip

    work, dest = dirs
    data = _corrupt_second_header() if corrupt else _valid_tar_bytes()
    arch = work / "once.tgz"
    arch.write_bytes(gzip.compress(data))
    backward: list[tuple[int, int]] = []
    real_seek = gzip.GzipFile.seek

    def seek(self, offset, whence=0):
        if whence == 0 and offset < self.tell():
            backward.append((self.tell(), offset))
        return real_seek(self, offset, whence)

    monkeypatch.setattr(gzip.GzipFile, "seek", seek)
    if corrupt:
        with pytest.raises(ArchiveError, match="invalid tar header at offset 5632"):
            unpack(arch, dest)
    else:
        assert unpack(arch, dest) == []
        assert sorted(_tree(dest)) == ["a.txt", "b.txt"]
    assert backward == []
