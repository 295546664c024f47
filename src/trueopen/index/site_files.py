"""The names of the files a site is made of (shared by the renderer and the publisher, which must
not load the renderer's jinja2 just to check a site)."""

MARKER = ".trueopen-site.json"  # names the pages a site wrote, and the digest of what it was built from
SITE_FILES = ("records.jsonl", "records.csv", "compare.html", "index.html")
