"""Safety: every file scanned by the model-file engine (trueopen.scan), never loaded."""

from __future__ import annotations

from collections.abc import Callable

from trueopen.record import Evidence, Finding, Safety, SafetyFile
from trueopen.release import Release
from trueopen.scan.engine import scan_release, worst
from trueopen.scan.result import FileScan, worth_listing

SEVERITY = {"block": "block", "review": "warn", "info": "info"}
_EXAMPLES = 5


def assess_safety(release: Release, progress: Callable[[int], None] | None = None) -> Safety:
    """Scan the release and summarise: the worst status, one finding per issue, one entry per
    file whose format can carry code."""
    scans = scan_release(release, progress=progress)
    listed = [s for s in scans if worth_listing(s.format, s.issues)]
    findings = [finding for scan in listed for finding in to_findings(scan)]
    # Text files with nothing to say stay silent, as before; those with a note are counted.
    inert = [s.path for s in scans if s.issues and not worth_listing(s.format, s.issues)]
    if inert:
        # One finding for all files no loader runs, with a few as evidence (issue 13).
        findings.append(Finding(
            rule="safety-inert-files", severity="info",
            message=f"{len(inert)} unrecognised or not-a-pickle file(s): no loader runs anything in them",
            evidence=[Evidence(path=p, detail="text or unrecognised; not a pickle")
                      for p in sorted(inert)[:_EXAMPLES]]))
    files = [SafetyFile(path=s.path, format=s.format, status=s.status, globals=list(s.globals),
                        weights_only_ok=s.weights_only_ok, stopped_by=s.stopped_by)
             for s in listed]
    return Safety(status=worst(s.status for s in scans), findings=findings, files=files)


def to_findings(scan: FileScan) -> list[Finding]:
    """The scan's issues as audit findings, with their byte offsets as evidence."""
    out = []
    for issue in scan.issues:
        where = f"{scan.path}!{issue.member}" if issue.member else scan.path
        detail = f"{issue.detail} (trick: {issue.trick})" if issue.trick else issue.detail
        out.append(Finding(rule=f"safety-{issue.rule}", severity=SEVERITY.get(issue.verdict, "info"),
                           message=f"{where}: {detail}",
                           evidence=[Evidence(path=scan.path, offset=issue.offset,
                                              detail=f"member {issue.member}: {detail}" if issue.member else detail)]))
    return out
