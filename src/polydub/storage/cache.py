"""Keeping a local directory of copies under a size bound, least recently used out first."""

from __future__ import annotations

import shutil
from pathlib import Path


def entry_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def entry_last_use(path: Path) -> float:
    """When an entry was last written or touched (a directory: its newest file)."""
    if path.is_file():
        return path.stat().st_mtime
    times = [f.stat().st_mtime for f in path.rglob("*") if f.is_file()]
    return max(times, default=path.stat().st_mtime)


def prune(entries: list[Path], max_bytes: int, keep: set[Path] = frozenset()) -> int:
    """Delete the least recently used of `entries` until the rest fit in `max_bytes`.

    Entries in `keep` (in use right now) are never deleted. Returns the bytes freed.
    """
    sized = [(entry_last_use(e), entry_size(e), e) for e in entries if e.exists()]
    total = sum(size for _, size, _ in sized)
    freed = 0
    for _, size, entry in sorted(sized, key=lambda item: item[0]):
        if total - freed <= max_bytes:
            break
        if entry in keep:
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        freed += size
    return freed


def files_under(root: Path) -> list[Path]:
    return [f for f in root.rglob("*") if f.is_file()] if root.exists() else []
