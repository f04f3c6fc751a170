"""A Celery worker killed mid-job (`polydub worker`, SIGKILL to it and its pool): the broker
hands the unacknowledged task out again and the restarted worker finishes the job.

(A fresh machine taking over from the store, with a broker restart on top, is
tests/scale/test_celery_cluster.py::test_job_survives_a_killed_worker_and_a_broker_restart.)
"""

from __future__ import annotations

import signal

import httpx
from chaos_service import ProgressWatch, check_video, finished, wait_for
from cluster import Cluster, create_translation
from test_process_deaths import never_went_back


def test_a_killed_worker_restarted_finishes_the_job(
    tmp_path, clip_url, postgres_url, redis_server, s3_server, bucket
):
    deployment = Cluster(
        tmp_path / "cluster",
        database_url=postgres_url,
        broker_url=redis_server.url,
        s3_endpoint=s3_server.endpoint,
        bucket=bucket,
        # The killed worker's task is handed out again this many seconds after it was taken.
        extra_env={"POLYDUB_BROKER_VISIBILITY_TIMEOUT_S": "20"},
    )
    worker = deployment.start_worker("w1")
    deployment.start_api()
    key = deployment.create_key()
    watch = None
    try:
        with httpx.Client(base_url=deployment.base, headers={"x-api-key": key}, timeout=30) as c:
            (translation_id,) = create_translation(c, clip_url, ["Spanish"], mode="speed")
            watch = ProgressWatch(deployment.base, key, translation_id)
            wait_for(
                lambda: watch.seen and watch.seen[-1][0] == "running" and watch.progress() >= 0.4,
                "the job to be past its source side",
            )
            worker.kill(signal.SIGKILL)  # the worker and its pool process, mid-stage
            assert c.get(f"/v3/video-translations/{translation_id}").json()["data"]["status"] in (
                "running",
                "pending",
            )
            worker.start()
            data = finished(c, translation_id)
            check_video(c, data, tmp_path / "out")
    except AssertionError:
        print(deployment.logs())
        raise
    finally:
        if watch:
            watch.stop()
        deployment.stop()
    assert never_went_back(watch.seen), watch.seen
    assert data["progress"] == 1.0
