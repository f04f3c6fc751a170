"""A worker's local copies stay under their size bound, least recently used out first."""

from __future__ import annotations

import os

from polydub.storage.cache import entry_size, prune


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
