"""The command-line options and formats several commands share, declared once (cli.py and the
command modules it registers, cli_data.py, cli_index.py, cli_reproduce.py, all import them: cli.py
itself could not be imported by those, which it imports to register them)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer


class Format(str, Enum):
    table = "table"
    json = "json"


# Options several commands share, declared once.
OutputOption = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of standard output.")]
NoHashOption = Annotated[bool, typer.Option("--no-hash", help="Skip sha256 of every file (faster on large weights).")]
ReleaseArgument = Annotated[str, typer.Argument(help="A release folder, a .zip / .tar / .tar.gz archive of one, a Hub repo "
                                                "(hf://ORG/NAME[@REV], hf://datasets/ORG/NAME, a Hub URL, or ORG/NAME when no "
                                                "such local path exists) or an HF cache folder (.../models--ORG--NAME).",
                                                show_default=False)]
# Hub and HF-cache options, declared once (sources/options.py SourceOptions).
RevisionOption = Annotated[Optional[str], typer.Option("--revision", help="Branch, tag or commit of a Hub or HF-cache target.")]
OfflineOption = Annotated[bool, typer.Option("--offline", help="Hub targets come from the HF cache only; no network (as HF_HUB_OFFLINE=1).")]
MaxDownloadOption = Annotated[str, typer.Option("--max-download", metavar="SIZE", help="Bytes any one Hub file may fetch (500MB, 2GiB); "
                                                "a file that needs more is `incomplete`.")]
CacheOption = Annotated[bool, typer.Option("--cache", help="Also store the small files read from the Hub in the HF cache "
                                           "(by default nothing is written there).")]


StoreOption = Annotated[Optional[Path], typer.Option("--store", help="The audit store: audits are kept there and an "
                                                     "unchanged release is not audited twice (default: TRUEOPEN_STORE, "
                                                     "else ~/.cache/trueopen/store.sqlite).")]
NoStoreOption = Annotated[bool, typer.Option("--no-store", help="Neither read nor write the audit store.")]
RefreshOption = Annotated[bool, typer.Option("--refresh", help="Audit again even when the store has this state of the "
                                             "release (the new record replaces it).")]
WithOption = Annotated[Optional[list[str]], typer.Option(
    "--with", help="Another location of the same release (its weights folder, its Hub repo...), merged into one audit; "
    "repeatable. Referenced components found there are verified.", show_default=False)]
