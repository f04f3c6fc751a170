"""A job survives the death of the process running it: the job process killed by the OOM
killer (the server replaces it), the whole server killed and started again on the same data."""

from __future__ import annotations

import os
import signal

import httpx
from chaos_service import ProgressWatch, Server, check_video, create, finished, wait_for


def never_went_back(seen: list[tuple[str, float]]) -> bool:
    progress = [p for _, p in seen]
    return all(later >= earlier for earlier, later in zip(progress, progress[1:], strict=False))


def started_running(watch: ProgressWatch, at_least: float):
    return lambda: watch.seen and watch.seen[-1][0] == "running" and watch.progress() >= at_least


def test_a_killed_job_process_is_replaced_and_the_job_finishes(clip_url, tmp_path):
    server = Server(tmp_path / "data")
    server.start()
    key = server.create_key()
    watch = None
    try:
        with httpx.Client(base_url=server.base, headers={"x-api-key": key}, timeout=30) as c:
            translation_id = create(c, clip_url)
            watch = ProgressWatch(server.base, key, translation_id)
            wait_for(started_running(watch, 0.2), "the job to be under way", server=server)
            victim = server.job_process()
            assert victim is not None, server.tail()
            os.kill(victim, signal.SIGKILL)  # what the OOM killer does
            data = finished(c, translation_id, server)
            check_video(c, data, tmp_path / "out")
        assert server.process.poll() is None and server.starts == 1  # never restarted
        assert server.job_process() not in (None, victim)  # a replacement did the rest
        assert never_went_back(watch.seen), watch.seen
    finally:
        if watch:
            watch.stop()
        server.kill(signal.SIGTERM)


def test_a_killed_server_restarted_on_its_data_finishes_the_job(clip_url, tmp_path):
    server = Server(tmp_path / "data")
    server.start()
    key = server.create_key()
    watch = None
    try:
        with httpx.Client(base_url=server.base, headers={"x-api-key": key}, timeout=30) as c:
            translation_id = create(c, clip_url)
            watch = ProgressWatch(server.base, key, translation_id)
            wait_for(started_running(watch, 0.2), "the job to be under way", server=server)
            server.kill(signal.SIGKILL)  # server, job process and ffmpeg, all at once
            server.start()
            data = finished(c, translation_id, server)
            check_video(c, data, tmp_path / "out")
        stages = {s["stage"]: s["cached"] for s in data["report"]["stages"]}
        assert stages["ingest"] is True  # resumed from its checkpoints, not from scratch
        assert data["progress"] == 1.0
        assert never_went_back(watch.seen), watch.seen
        assert watch.seen[-1] == ("completed", 1.0)
    finally:
        if watch:
            watch.stop()
        server.kill(signal.SIGTERM)
