"""After its jobs, `polydub serve` keeps the work directory under POLYDUB_WORK_CACHE_BYTES,
least recently used workspaces out first."""

from __future__ import annotations

import os
import time

from polydub.config import Settings
from polydub.jobs import executor as executor_module
from polydub.jobs.context import ServiceContext
from polydub.jobs.executor import InProcessExecutor
from polydub.jobs.keys import create_key
from polydub.jobs.models import Batch


def test_work_dir_is_trimmed_once_no_batch_runs(tmp_path, monkeypatch):
    context = ServiceContext.create(Settings(data_dir=tmp_path / "data", work_cache_bytes=2500))
    work = context.settings.work_dir
    for age, name in ((300, "oldest"), (200, "older"), (100, "recent")):
        stage = work / name / "source"
        stage.mkdir(parents=True)
        (stage / "audio.wav").write_bytes(b"x" * 1000)
        when = time.time() - age
        os.utime(stage / "audio.wav", (when, when))
    ran = []
    monkeypatch.setattr(executor_module, "run_batch_here", lambda c, b, s: ran.append(b))
    with context.db.session() as session:
        key, _ = create_key(session, "trim")
        batch = Batch(owner_id=key.id, kind="translation", request={})
        session.add(batch)
        session.flush()
        batch_id = batch.id
    executor = InProcessExecutor(context)
    executor.submit(batch_id)
    executor._queue.put(None)  # then the worker loop ends
    executor._work()
    assert ran == [batch_id]
    assert sorted(p.name for p in work.iterdir()) == ["older", "recent"]
