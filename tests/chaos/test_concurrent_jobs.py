"""Concurrent jobs on one video never collide: identical requests all finish with identical
outputs; jobs with different settings each get exactly what a lone run with them gets."""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor

import httpx
from chaos_service import Server, create, finished, output_digests


def test_twenty_identical_creates_at_once_all_finish_identically(clip_url, tmp_path):
    server = Server(tmp_path / "data", POLYDUB_JOB_WORKERS="2")
    server.start()
    key = server.create_key()
    try:
        with httpx.Client(base_url=server.base, headers={"x-api-key": key}, timeout=60) as c:
            with ThreadPoolExecutor(20) as pool:  # all requests in flight at the same moment
                ids = list(pool.map(lambda _: create(c, clip_url), range(20)))
            assert len(set(ids)) == 20
            digests = [output_digests(c, finished(c, i, server)) for i in ids]
    finally:
        server.kill(signal.SIGTERM)
    assert all(d == digests[0] for d in digests), digests
    assert "Traceback" not in server.tail(200_000)


def test_jobs_with_different_settings_at_once_each_equal_a_lone_run(clip_url, tmp_path):
    settings = [{"disable_music_track": False}, {"disable_music_track": True}]
    together = run_jobs(tmp_path / "together", clip_url, settings, at_once=True)
    alone = run_jobs(tmp_path / "alone", clip_url, settings, at_once=False)
    assert together == alone
    assert together[0]["video"] != together[1]["video"]  # the settings do change the output


def run_jobs(data_dir, clip_url, settings: list[dict], *, at_once: bool) -> list[dict]:
    """Digests of one job per settings on a fresh server: submitted together (two job
    workers), or one after another finished."""
    server = Server(data_dir, POLYDUB_JOB_WORKERS="2")
    server.start()
    key = server.create_key()
    try:
        with httpx.Client(base_url=server.base, headers={"x-api-key": key}, timeout=60) as c:
            if at_once:
                with ThreadPoolExecutor(len(settings)) as pool:
                    ids = list(pool.map(lambda fields: create(c, clip_url, **fields), settings))
                return [output_digests(c, finished(c, i, server)) for i in ids]
            return [
                output_digests(c, finished(c, create(c, clip_url, **fields), server))
                for fields in settings
            ]
    finally:
        server.kill(signal.SIGTERM)
