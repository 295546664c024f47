"""The terminal report of a dataset audit (rich); reads the report dict, decides nothing."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def render(report: dict[str, Any], console: Console) -> None:
    ds = report["dataset"]
    console.print(f"[bold]{ds['path']}[/]  {ds['format']}, {ds['shards_read']}/{ds['shards']} shards, "
                  f"{report['rows_scanned']:,} rows  (engine {report['engine']})", highlight=False)
    cols = ", ".join(f"{k}={v}" for k, v in ds["columns"].items() if v)
    console.print(f"columns: {cols or 'none recognised'}", highlight=False)
    for s in report["shards_skipped"]:
        console.print(f"[red]skipped[/] {s['shard']}: {s['error']}", highlight=False)
    t = Table(title="Checks", show_lines=False, title_justify="left")
    t.add_column("check")
    t.add_column("list or rule")
    t.add_column("rows", justify="right")
    bl = report["blocklists"]
    for lst in bl["lists"]:
        kinds = ", ".join(f"{k} {n:,}" for k, n in lst["kinds"].items())
        t.add_row("blocklist", f"{lst['list']} ({kinds})", f"{lst['rows_matched']:,}")
    if bl["lists"]:
        t.add_row("blocklists", "any list", f"{bl['rows_matched']:,}")
    if report.get("opt_out"):
        o = report["opt_out"]
        t.add_row("opt-out", f"{o['list']} ({_n(o['domains'], 'domain')})", f"{o['rows_matched']:,}")
    d = report.get("duplicates")
    if d:
        if d["text_clusters"] is not None:
            t.add_row("duplicates (text)", f"MinHash LSH, threshold {d['text_threshold']}",
                      f"{d['text_rows_duplicated']:,} in {_n(d['text_clusters'], 'cluster')}")
        t.add_row("duplicates (image sha256)", "exact", _n(d['image_exact_clusters'], 'cluster'))
        if d["image_near_clusters"] is not None:
            t.add_row("duplicates (image PDQ)", f"distance <= {d['pdq_distance']}", _n(d['image_near_clusters'], 'cluster'))
        if d.get("images_unhashed"):
            why = ", ".join(f"{k} {v:,}" for k, v in d["images_unhashed"].items())
            t.add_row("images not hashed", why, f"{sum(d['images_unhashed'].values()):,}")
    if report.get("disguised_copies") is not None:
        t.add_row("disguised copies", "sentence skeleton", _n(report['disguised_copies']['pairs'], 'pair'))
    pd = report.get("personal_data")
    if pd:
        totals = ", ".join(f"{k} {v:,}" for k, v in pd["totals"].items()) or "none"
        t.add_row("personal data", f"{pd['text_column'] or 'no text column'}: {totals}", f"{pd['rows_with_any']:,}")
    console.print(t)
    lic = report.get("licences")
    if lic:
        lt = Table(title="Licences", title_justify="left")
        lt.add_column("licence")
        lt.add_column("rows", justify="right")
        lt.add_column("share", justify="right")
        for row in lic["by_licence"][:15]:
            lt.add_row(row["license"], f"{row['rows']:,}", _pct(row["share"]))
        lt.add_row("(none known)", f"{lic['rows_without_licence']:,}", _pct(lic["unknown_share"]))
        console.print(lt)
    card = report.get("card")
    if card:
        got = [i["item"] for i in card["data_information"] if i["described"]]
        miss = [i["item"] for i in card["data_information"] if not i["described"]]
        console.print(f"data card {card['path']}: describes {', '.join(got) or 'none'} of the OSAID data information"
                      + (f"; not: {', '.join(miss)}" if miss else ""), highlight=False)
    for n in report["not_run"]:
        console.print(f"[yellow]not run[/] {n['check']}: {n['reason']}", highlight=False)
    clean = report.get("clean")
    if clean:
        console.print(f"cleaned release: {clean['path']} ({clean['rows_written']:,} rows written, "
                      f"{clean['rows_removed']:,} removed; removals.csv)", highlight=False)
    console.print("Evidence is row names and sha256 of list entries (--format json); matched URLs, captions and "
                  "images are never printed.", style="dim", highlight=False)
