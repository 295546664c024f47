"""Duplicates and PDQ lists through the whole dataset audit: WebDataset images hashed from their
bytes, near copies clustered, listed images matched within the distance, flat or broken images
counted as unhashed, and the cleaned release free of what --remove names."""

from __future__ import annotations

import csv
import io
import json
import tarfile
from pathlib import Path

import pytest

pytest.importorskip("pdqhash", reason="pdqhash (Meta's PDQ bindings) is not installed")
pytest.importorskip("rensa", reason="rensa (MinHash) is not installed")
from data_builders import image  # noqa: E402
from PIL import Image  # noqa: E402

from trueopen.datasets import audit  # noqa: E402
from trueopen.datasets.pdq import hash_image  # noqa: E402


def picture(seed: int, size: int = 192) -> bytes:
    return image(seed, size=size, boxes=12, smallest=16, largest=3)


def flat() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(buf, "PNG")
    return buf.getvalue()


def smaller_jpeg(png: bytes) -> bytes:
    im = Image.open(io.BytesIO(png)).convert("RGB").resize((150, 150))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=65)
    return buf.getvalue()


def write_wds(path: Path, samples: list[tuple[str, bytes | None, str, dict]]) -> None:
    with tarfile.open(path, "w") as tf:
        for key, picture_bytes, caption, meta in samples:
            members = [(f"{key}.txt", caption.encode()), (f"{key}.json", json.dumps(meta).encode())]
            if picture_bytes is not None:
                members.insert(0, (f"{key}.png", picture_bytes))
            for name, data in members:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))


CAPTION = "a photograph of {} coloured boxes standing on a table near the window in the afternoon light"


@pytest.fixture()
def dataset(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    images = {f"s{i:03d}": picture(i) for i in range(12)}
    images["s012"] = smaller_jpeg(images["s003"])  # a re-encoded, resized copy of s003
    images["s013"] = images["s005"]  # the same bytes again
    samples = [(k, v, CAPTION.format(f"number {int(k[1:])}"), {"url": f"https://img.example.org/{k}.png"})
               for k, v in images.items()]
    samples.append(("s014", flat(), "a plain green square", {"url": "https://img.example.org/s014.png"}))
    samples.append(("s015", b"\x89PNG broken", "a broken file", {"url": "https://img.example.org/s015.png"}))
    samples.append(("s016", picture(13), CAPTION.format("number 3"), {"url": "https://img.example.org/s016.png"}))
    root = tmp_path / "ds"
    root.mkdir()
    write_wds(root / "shard-000.tar", samples[:9])
    write_wds(root / "shard-001.tar", samples[9:])
    return root, images


def test_images_are_hashed_and_duplicates_clustered(dataset: tuple[Path, dict[str, bytes]]) -> None:
    root, _ = dataset
    report = audit(root, checks=["duplicates"])
    dups = report["duplicates"]
    clusters = {(c["kind"], tuple(c["rows"])) for c in dups["clusters"]}
    assert ("image-sha256", ("s005", "s013")) in clusters
    assert ("image-pdq", ("s003", "s012")) in clusters
    assert ("text", ("s003", "s016")) in clusters  # identical captions after normalisation
    assert dups["images_unhashed"] == {"image-not-decoded": 1, "low-quality": 1}
    assert not any("s014" in rows for _, rows in clusters)  # a flat image matches nothing


def test_pdq_blocklist_matches_a_resized_copy_and_never_prints_the_hash(dataset: tuple[Path, dict[str, bytes]],
                                                                      tmp_path: Path) -> None:
    root, images = dataset
    listed = hash_image(images["s003"])[0]
    lst = tmp_path / "hashes.csv"
    lst.write_text("pdq\n" + listed + "\n")
    report = audit(root, blocklists=[lst], checks=["blocklists"])
    matches = report["blocklists"]["matches"]
    assert sorted(m["row"] for m in matches) == ["s003", "s012"]
    assert {m["kind"] for m in matches} == {"pdq"}
    text = json.dumps(report)
    assert listed not in text and "img.example.org" not in text


def test_a_pdq_list_entry_that_is_not_a_hash_is_refused(dataset: tuple[Path, dict[str, bytes]], tmp_path: Path) -> None:
    from trueopen.errors import InputError

    lst = tmp_path / "hashes.csv"
    lst.write_text("pdq\nnot-a-hash\n")
    with pytest.raises(InputError, match="not a pdq value"):
        audit(dataset[0], blocklists=[lst], checks=["blocklists"])


def test_pdq_distance_zero_finds_only_identical_hashes(dataset: tuple[Path, dict[str, bytes]], tmp_path: Path) -> None:
    root, images = dataset
    lst = tmp_path / "hashes.csv"
    lst.write_text("pdq\n" + hash_image(images["s003"])[0] + "\n")
    report = audit(root, blocklists=[lst], checks=["blocklists"], pdq_distance=0)
    assert [m["row"] for m in report["blocklists"]["matches"]] == ["s003"]


def test_write_clean_removes_duplicates_and_a_rerun_finds_none(dataset: tuple[Path, dict[str, bytes]],
                                                               tmp_path: Path) -> None:
    root, _ = dataset
    out = tmp_path / "clean"
    report = audit(root, checks=["duplicates"], remove=["duplicates"], write_clean=out)
    removed = {r["row"]: r for r in csv.DictReader(open(out / "removals.csv"))}
    assert set(removed) == {"s012", "s013", "s016"}  # the first of each cluster stays
    assert {r["reason"] for r in removed.values()} == {"duplicate-image", "duplicate-text"}
    assert report["clean"]["rows_removed"] == 3
    again = audit(out, checks=["duplicates"])
    assert again["duplicates"]["clusters"] == []
    assert again["rows_scanned"] == report["rows_scanned"] - 3


def test_text_near_duplicates_in_jsonl(tmp_path: Path) -> None:
    base = ("the committee met on tuesday to discuss the budget for the new library and agreed to "
            "postpone the vote until the next meeting because several members were absent")
    rows = [{"id": "a", "text": base}, {"id": "b", "text": base.replace("tuesday", "wednesday")},
            {"id": "c", "text": "an entirely different text about rivers, mountains and the weather in spring"},
            {"id": "d", "text": base.upper()}]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = audit(path, checks=["duplicates"], near_dup_threshold=0.7)
    assert [c["rows"] for c in report["duplicates"]["clusters"]] == [["a", "b", "d"]]
    assert report["duplicates"]["text_exact_clusters"] == 0
    strict = audit(path, checks=["duplicates"], near_dup_threshold=1.0)
    assert [c["rows"] for c in strict["duplicates"]["clusters"]] == [["a", "d"]]
    assert strict["duplicates"]["text_exact_clusters"] == 1


def test_a_near_copy_is_removed_by_its_place_when_ids_repeat(tmp_path: Path) -> None:
    """Row 1 is a near copy of row 0; row 2 has the same id as row 1 and an unrelated picture."""
    h0 = hash_image(picture(3))[0]
    h1 = hash_image(smaller_jpeg(picture(3)))[0]
    h2 = hash_image(picture(4))[0]
    lines = [json.dumps({"id": i, "pdq": h, "n": k}) + "\n" for k, (i, h) in enumerate([("a", h0), ("x", h1), ("x", h2)])]
    path = tmp_path / "p.jsonl"
    path.write_text("".join(lines))
    out = tmp_path / "clean"
    report = audit(path, checks=["duplicates"], remove=["duplicates"], write_clean=out)
    assert [c["rows"] for c in report["duplicates"]["clusters"]] == [["a", "x"]]
    assert (out / "p.jsonl").read_text() == lines[0] + lines[2]
