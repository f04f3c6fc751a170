"""Removing stage checkpoints nobody has used for a while (`polydub gc`).

Checkpoints are a cache: they let a job resume, a batch's languages share the source side and
a proofread's translation reuse its stages, but a video dubbed weeks ago rarely comes back.
A workspace (one source video's checkpoints) goes when nothing in it was written for
`older_than_s`: from this machine's work directory (unless a task holds its lease) and, with
an S3 store, from the bucket's `work/` prefix, where workers mirror them. Outputs and uploaded
assets are never touched; a job that needs a removed workspace again recomputes it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from polydub.storage.cache import delete_unless_leased, entry_last_use, entry_size

WORK_PREFIX = "work"


@dataclass
class GcReport:
    local: list[str] = field(default_factory=list)  # workspace names removed here
    local_bytes: int = 0
    stored: list[str] = field(default_factory=list)  # workspace names removed from the bucket
    kept_in_use: int = 0  # old, but leased by a running task


def collect_checkpoints(
    work_dir: Path, blobs, older_than_s: float, *, dry_run: bool = False, now: float | None = None
) -> GcReport:
    """Remove the workspaces untouched for `older_than_s` seconds (only list them with
    `dry_run`)."""
    cutoff = (time.time() if now is None else now) - older_than_s
    report = GcReport()
    if work_dir.is_dir():
        for workspace in sorted(p for p in work_dir.iterdir() if p.is_dir()):
            if entry_last_use(workspace) >= cutoff:
                continue
            size = entry_size(workspace)
            if dry_run or delete_unless_leased(workspace):
                report.local.append(workspace.name)
                report.local_bytes += size
            else:
                report.kept_in_use += 1
    if getattr(blobs, "remote", False):
        newest: dict[str, float] = {}
        for key, modified in blobs.modified(WORK_PREFIX).items():
            name = key[len(WORK_PREFIX) + 1 :].split("/", 1)[0]
            newest[name] = max(newest.get(name, 0.0), modified)
        for name in sorted(n for n, t in newest.items() if t < cutoff):
            if not dry_run:
                blobs.delete_prefix(f"{WORK_PREFIX}/{name}")
            report.stored.append(name)
    return report
