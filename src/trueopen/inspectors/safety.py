"""Safety, first version: name the pickle-based files, which a loader would execute.

Until the pickle analyser lands, a release with pickle-based files is `incomplete` (fail
closed: never `clean` for something not analysed). Nothing is ever unpickled or imported.
"""

from __future__ import annotations

from trueopen.inspectors.inventory import Inventory
from trueopen.record import Evidence, Finding, Safety


def assess_safety(inv: Inventory) -> Safety:
    """`clean` when no file is pickle-based, else `incomplete` with one finding per file."""
    pickles = sorted(set(inv.pickle_files))
    if not pickles:
        return Safety(status="clean")
    findings = [
        Finding(rule="pickle-not-analysed", severity="warn",
                message=f"{path}: pickle-based file not analysed yet; loading it could run code",
                evidence=[Evidence(path=path, detail="pickle-based format; not unpickled")])
        for path in pickles
    ]
    return Safety(status="incomplete", findings=findings)
