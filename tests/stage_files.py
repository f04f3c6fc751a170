"""What a stage left in its directory: its checkpoints live in one subdirectory per input key
(pipeline/checkpoint.py), beside the lock files of those subdirectories."""

from __future__ import annotations

from pathlib import Path

from polydub.pipeline.checkpoint import DONE_FILE


def checkpoints(stage_dir: Path) -> list[Path]:
    """The finished checkpoints (their done.json files) under a stage's directory."""
    return sorted(stage_dir.rglob(DONE_FILE)) if stage_dir.exists() else []


def leftovers(stage_dir: Path) -> list[Path]:
    """Every file or directory under a stage's directory but the lock files."""
    if not stage_dir.exists():
        return []
    return sorted(p for p in stage_dir.rglob("*") if not p.name.endswith(".lock"))
