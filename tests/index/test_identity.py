"""A release's identity URL and revision, read without running git."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from builders import write_release
from trueopen.index.identity import identify, normalise_remote
from trueopen.sources import open_locations

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def ident(folder: Path, given: str | None = None):
    with open_locations(folder) as release:
        return identify(release, given)


def checkout(root: Path, head: str = "ref: refs/heads/main\n", packed: bool = False,
             origin: str = "git@github.com:org/repo.git") -> Path:
    write_release(root, {"README.md": "# m\n", "train.py": "print(1)\n"})
    git = root / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text(head)
    if packed:
        (git / "packed-refs").write_text(f"# pack-refs with: peeled\n{COMMIT} refs/heads/main\n")
    else:
        (git / "refs" / "heads" / "main").write_text(COMMIT + "\n")
    (git / "config").write_text(f'[core]\n\tbare = false\n[remote "origin"]\n\turl = {origin}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n')
    return root


@pytest.mark.parametrize("packed", [False, True])
def test_a_checkout_is_its_remote_at_head(tmp_path, packed) -> None:
    i = ident(checkout(tmp_path / "repo", packed=packed))
    assert i.id == "https://github.com/org/repo"
    assert i.revision == COMMIT and i.revision_kind == "git-head"


def test_a_detached_head(tmp_path) -> None:
    i = ident(checkout(tmp_path / "repo", head=COMMIT + "\n", origin="https://user:secret@gitlab.com/g/p.git"))
    assert i.revision == COMMIT and i.id == "https://gitlab.com/g/p"  # credentials never kept


def test_uncommitted_edits_change_the_key_not_the_revision(tmp_path) -> None:
    root = checkout(tmp_path / "repo")
    before = ident(root)
    (root / "train.py").write_text("print(2)  # edited\n")
    after = ident(root)
    assert after.revision == before.revision == COMMIT
    assert after.content != before.content


def test_a_plain_folder_is_its_file_url_with_a_fingerprint(tmp_path) -> None:
    root = write_release(tmp_path / "rel", {"README.md": "# m\n", "w.bin": b"1234"})
    first = ident(root)
    assert first.id == root.resolve().as_uri() and first.revision_kind == "fingerprint"
    assert first.revision.startswith("fp:") and ident(root) == first
    st = (root / "w.bin").stat()
    os.utime(root / "w.bin", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert ident(root).content != first.content  # same size, newer time: another state


def test_the_users_id_wins(tmp_path) -> None:
    root = checkout(tmp_path / "repo")
    assert ident(root, "https://example.org/my-model").id == "https://example.org/my-model"


@pytest.mark.parametrize(("remote", "url"), [
    ("git@github.com:org/repo.git", "https://github.com/org/repo"),
    ("ssh://git@github.com/org/repo.git", "https://github.com/org/repo"),
    ("https://github.com/org/repo/", "https://github.com/org/repo"),
    ("https://token@github.com/org/repo.git", "https://github.com/org/repo"),
])
def test_remotes_are_normalised(remote, url) -> None:
    assert normalise_remote(remote) == url


def test_a_huge_or_garbled_git_folder_is_not_trusted(tmp_path) -> None:
    root = checkout(tmp_path / "repo")
    (root / ".git" / "HEAD").write_text("ref: " + "x" * (2 << 20))
    (root / ".git" / "config").write_text("[[[ not ini")
    i = ident(root)
    assert i.revision_kind == "fingerprint" and i.id == root.resolve().as_uri()


def test_a_copy_keeping_size_and_mtime_is_another_state(tmp_path) -> None:
    root = write_release(tmp_path / "rel", {"README.md": "# m\n", "w.bin": b"1234"})
    first = ident(root)
    st = (root / "w.bin").stat()
    (root / "w.bin").write_bytes(b"5678")  # same size
    os.utime(root / "w.bin", ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime, as cp -p leaves it
    assert ident(root).content != first.content


def test_a_with_locations_revision_is_part_of_the_state(tmp_path) -> None:
    import dataclasses

    from trueopen.record import Target

    root = write_release(tmp_path / "code", {"README.md": "# m\n"})
    with open_locations(root) as release:
        hub_a = dataclasses.replace(release, locations=(("", release.target), ("weights", Target(kind="hf-hub", ref="org/w", revision="a" * 40))))
        hub_b = dataclasses.replace(hub_a, locations=(("", release.target), ("weights", Target(kind="hf-hub", ref="org/w", revision="b" * 40))))
        assert identify(hub_a).content != identify(hub_b).content
