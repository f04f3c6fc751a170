"""Keeping a local directory of copies under a size bound, least recently used out first.

A directory entry in use (a pipeline workspace a task is working in) is leased: its task holds
a shared lock on the entry's lease file, and `prune` deletes an entry only while holding the
exclusive lock, so it never deletes one that any process on the machine is using. The lock is
the operating system's (flock): it goes with the process that held it, so a killed worker's
lease never pins an entry.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LEASE_FILE = ".lease"


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


@contextmanager
def lease(entry: Path) -> Iterator[None]:
    """Hold `entry` (a directory, created if missing) in use until the block ends: no `prune`
    in any process deletes it meanwhile."""
    while True:
        entry.mkdir(parents=True, exist_ok=True)
        lease_file = entry / LEASE_FILE
        fd = os.open(lease_file, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_SH)  # waits while a prune is deleting the entry
        if _same_file(fd, lease_file):
            break
        os.close(fd)  # a prune deleted the entry before we got the lock: make it anew
    try:
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def delete_unless_leased(entry: Path) -> bool:
    """Delete `entry` unless a process holds its lease; returns whether it went."""
    if not entry.is_dir():
        entry.unlink(missing_ok=True)
        return True
    try:
        fd = os.open(entry / LEASE_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:  # gone meanwhile
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False  # in use
    try:
        shutil.rmtree(entry, ignore_errors=True)
    finally:
        os.close(fd)
    return True


def prune(entries: list[Path], max_bytes: int, keep: set[Path] = frozenset()) -> int:
    """Delete the least recently used of `entries` until the rest fit in `max_bytes`.

    Entries in `keep`, and directories leased by any process (`lease`), are in use right now
    and never deleted. Returns the bytes freed.
    """
    sized = [(entry_last_use(e), entry_size(e), e) for e in entries if e.exists()]
    total = sum(size for _, size, _ in sized)
    freed = 0
    for _, size, entry in sorted(sized, key=lambda item: item[0]):
        if total - freed <= max_bytes:
            break
        if entry in keep:
            continue
        if delete_unless_leased(entry):
            freed += size
    return freed


def prune_workspaces(work_dir: Path, max_bytes: int, keep: set[Path] = frozenset()) -> int:
    """`prune` over the workspaces (one per source video) in `work_dir`."""
    if not work_dir.is_dir():
        return 0
    return prune([p for p in work_dir.iterdir() if p.is_dir()], max_bytes, keep)


def files_under(root: Path) -> list[Path]:
    return [f for f in root.rglob("*") if f.is_file()] if root.exists() else []
