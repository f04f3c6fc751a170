"""A worker's local copies stay under their size bound, least recently used out first, and a
workspace any process on the machine is using stays."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import threading

from polydub.storage.cache import LEASE_FILE, entry_size, lease, prune


def make_workspace(root, name: str, size: int, used_at: float):
    workspace = root / name
    (workspace / "source" / "ingest").mkdir(parents=True)
    media = workspace / "source" / "ingest" / "audio.wav"
    media.write_bytes(b"\0" * size)
    os.utime(media, (used_at, used_at))
    return workspace


def test_least_recently_used_workspaces_go_first(tmp_path):
    old = make_workspace(tmp_path, "old", 4000, 1_000)
    middle = make_workspace(tmp_path, "middle", 4000, 2_000)
    new = make_workspace(tmp_path, "new", 4000, 3_000)
    freed = prune([old, middle, new], max_bytes=9000)
    assert freed == 4000
    assert not old.exists() and middle.exists() and new.exists()


def test_an_entry_in_use_is_kept_even_when_oldest(tmp_path):
    in_use = make_workspace(tmp_path, "in-use", 4000, 1_000)
    other = make_workspace(tmp_path, "other", 4000, 2_000)
    prune([in_use, other], max_bytes=5000, keep={in_use})
    assert in_use.exists() and not other.exists()
    assert entry_size(in_use) == 4000


def test_nothing_goes_while_under_the_bound(tmp_path):
    entries = [make_workspace(tmp_path, f"w{i}", 1000, 1_000 + i) for i in range(3)]
    assert prune(entries, max_bytes=3000) == 0
    assert all(entry.exists() for entry in entries)


LEASE_HOLDER = """
import sys, time
from pathlib import Path
from polydub.storage.cache import lease
with lease(Path(sys.argv[1])):
    print("leased", flush=True)
    time.sleep(600)
"""


def hold_lease(workspace) -> subprocess.Popen:
    """Another process (a task of another pool child) working in `workspace`."""
    holder = subprocess.Popen(
        [sys.executable, "-c", LEASE_HOLDER, str(workspace)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "leased"
    return holder


def test_a_workspace_leased_by_another_process_survives_until_that_process_dies(tmp_path):
    leased = make_workspace(tmp_path, "leased", 4000, 1_000)
    other = make_workspace(tmp_path, "other", 4000, 2_000)
    holder = hold_lease(leased)
    try:
        assert prune([leased, other], max_bytes=5000) == 4000
        assert leased.exists() and not other.exists()
    finally:
        holder.kill()  # SIGKILL: no cleanup runs, the OS drops the lock with the process
        holder.wait()
    assert prune([leased], max_bytes=0) > 0
    assert not leased.exists()


def test_a_task_waiting_on_a_prune_that_deletes_its_workspace_leases_a_fresh_one(tmp_path):
    workspace = make_workspace(tmp_path, "raced", 4000, 1_000)
    # A prune in another process holds the exclusive lock and is deleting the workspace ...
    fd = os.open(workspace / LEASE_FILE, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    entered = threading.Event()
    release = threading.Event()

    def task() -> None:
        with lease(workspace):  # ... while a task asks for it: the task waits
            (workspace / "source").mkdir(exist_ok=True)
            entered.set()
            release.wait(30)

    thread = threading.Thread(target=task)
    thread.start()
    assert not entered.wait(0.5)
    shutil.rmtree(workspace)
    os.close(fd)  # the prune is done
    try:
        assert entered.wait(30)
        # The task holds the lease of the workspace as it now is, so it is not deleted.
        assert prune([workspace], max_bytes=0) == 0
        assert (workspace / "source").is_dir()
    finally:
        release.set()
        thread.join()
