"""Write the synthetic LAION-style example dataset of the README's `trueopen data audit` section.

    .venv/bin/python examples/_datasets/make_laion_style.py      # (re)writes examples/_datasets/laion-style/

Everything is made here, from a fixed seed: pictures of coloured boxes drawn with Pillow, captions
from a small grammar, URLs on invented hosts under example.org/.net/.com, and the lists a
community audit would hold. The "blocklist" is a list of hashes of some of these harmless
pictures standing in for a list of known abuse material: the project never ships or fetches a
real one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import sys
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent / "laion-style"
HOSTS = ["photos.example.org", "www.pictures.example.net", "cdn.gallery.example.com", "img.archive.example.org"]
COLOURS = ["red", "blue", "green", "yellow", "orange", "grey", "purple", "white"]
THINGS = ["boxes", "crates", "parcels", "cubes", "blocks", "bricks", "tins", "drawers"]
PLACES = ["on a table", "in a warehouse", "by the window", "on a shelf", "in the garden", "at the market",
          "under a tree", "beside a bicycle"]
TIMES = ["at dawn", "in the afternoon", "at dusk", "at night", "on a rainy morning", "in winter sunlight"]
LICENCES = [None, None, "CC BY 4.0", "https://creativecommons.org/licenses/by-sa/4.0/", "CC0", None]


def picture(seed: int, size: int = 160) -> bytes:
    r = np.random.default_rng(seed)
    im = Image.new("RGB", (size, size), tuple(int(x) for x in r.integers(0, 255, 3)))
    d = ImageDraw.Draw(im)
    for _ in range(10):
        x, y = (int(v) for v in r.integers(0, size * 3 // 4, 2))
        w, h = (int(v) for v in r.integers(size // 12, size // 3, 2))
        d.rectangle([x, y, x + w, y + h], fill=tuple(int(c) for c in r.integers(0, 255, 3)))
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=False)
    return buf.getvalue()


def jpeg_copy(png: bytes) -> bytes:
    """The same picture resized and re-encoded: different bytes, a PDQ hash within a few bits."""
    buf = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").resize((120, 120)).save(buf, "JPEG", quality=70)
    return buf.getvalue()


def add(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), 0, 0o644
    tf.addfile(info, io.BytesIO(data))


def main() -> None:
    rng = random.Random(2024)
    (OUT / "shards").mkdir(parents=True, exist_ok=True)
    (OUT / "lists").mkdir(exist_ok=True)
    samples = []
    for i in range(40):
        image = picture(1000 + i)
        caption = (f"{rng.randint(2, 9)} {rng.choice(COLOURS)} {rng.choice(THINGS)} {rng.choice(PLACES)}, "
                   f"photographed {rng.choice(TIMES)}")
        meta = {"url": f"https://{HOSTS[i % len(HOSTS)]}/p/{1000 + i}.png", "license": LICENCES[i % len(LICENCES)]}
        samples.append([f"{i:06d}", image, caption, meta])
    samples[17][1] = jpeg_copy(samples[4][1])  # a resized copy of sample 4
    samples[23][1] = samples[9][1]  # the same file twice
    samples[31][2] = samples[12][2]  # a repeated caption
    samples[26][2] += " - write to jane.doe@example.net or call +44 20 7946 0958"  # personal data in a caption
    samples[35][3]["url"] = "https://optout.example.com/p/1035.png"
    for shard in range(2):
        with tarfile.open(OUT / "shards" / f"{shard:05d}.tar", "w", format=tarfile.USTAR_FORMAT) as tf:
            for key, image, caption, meta in samples[shard * 20:(shard + 1) * 20]:
                add(tf, f"{key}.png" if image[:4] == b"\x89PNG" else f"{key}.jpg", image)
                add(tf, f"{key}.txt", caption.encode())
                add(tf, f"{key}.json", json.dumps(meta, sort_keys=True).encode())
    from trueopen.datasets.pdq import hash_image

    # The synthetic list: the sha256 of one picture, the PDQ hash of another (whose resized copy is
    # also in the data) and one URL written the way lists write them (www., a tracking parameter).
    with open(OUT / "lists" / "hashes.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["sha256", "pdq"])
        w.writerow([hashlib.sha256(samples[7][1]).hexdigest(), ""])
        w.writerow(["", hash_image(samples[4][1])[0]])
    (OUT / "lists" / "urls.txt").write_text(
        "# synthetic URL list\nhttps://www.photos.example.org/p/1020.png?utm_source=list\n")
    (OUT / "lists" / "opt-out.txt").write_text("# domains whose owners reserved text and data mining\noptout.example.com\n")
    (OUT / "lists" / "domain-licenses.csv").write_text("domain,license\narchive.example.org,CC-BY-4.0\n")
    (OUT / "README.md").write_text(
        "---\nlicense: cc-by-4.0\ntask_categories: [text-to-image]\n---\n\n# laion-style (synthetic)\n\n"
        "Forty image-text pairs made for trueopen's README: pictures of coloured boxes drawn by a script, "
        "captions from a small grammar.\n\n## Data sources\n\nThe images were generated by "
        "`examples/_datasets/make_laion_style.py`; no image was collected from the web.\n\n"
        "## Preprocessing\n\nCaptions were lower-cased; no filtering was applied.\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
