"""Polydub scaled out on real services: jobs submitted over HTTP to `polydub serve` (Celery
executor) run on separate `polydub worker` processes, with PostgreSQL, Redis and an
S3-compatible store; they survive a worker killed mid-job and a broker restart, and their
outputs are byte-identical to the single-machine mode's."""

from __future__ import annotations

import os
import re
import signal
import subprocess

import httpx
import pytest
from cluster import POLYDUB, Cluster, create_translation, output_digests, poll, poll_path
from scale_services import free_port

pytestmark = pytest.mark.e2e

# The frames are kept as they are (no lip-sync, the slowest stage on a CPU): these tests are
# about where and how stages run, and every stage but that one still runs.
AUDIO_ONLY = {"translate_audio_only": True}


@pytest.fixture
def cluster(tmp_path, postgres_url, redis_server, s3_server, bucket):
    def make(**extra_env) -> Cluster:
        built = Cluster(
            tmp_path / "cluster",
            database_url=postgres_url,
            broker_url=redis_server.url,
            s3_endpoint=s3_server.endpoint,
            bucket=bucket,
            extra_env={k: str(v) for k, v in extra_env.items()},
        )
        made.append(built)
        return built

    made: list[Cluster] = []
    yield make
    for built in made:
        built.stop()


def single_machine_digests(tmp_path, clip_url: str, language: str) -> dict[str, str]:
    """The same request served by a plain `polydub serve` (SQLite, local files)."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("POLYDUB_")},
        "POLYDUB_DATA_DIR": str(tmp_path / "single"),
        "POLYDUB_ALLOW_PRIVATE_URLS": "true",
        "POLYDUB_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "POLYDUB_TTS_WORKERS": "1",
        # The same voice choice and models as the cluster's workers (tests/conftest.py sets
        # both): a model pulled into this machine's cache would otherwise speak for one side.
        "POLYDUB_VOICE_MATCHING": os.environ.get("POLYDUB_VOICE_MATCHING", "true"),
        "POLYDUB_USE_PULLED_MODELS": os.environ.get("POLYDUB_USE_PULLED_MODELS", "false"),
    }
    key = (
        subprocess.run(
            [*POLYDUB, "keys", "create", "single"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    from cluster import PolydubProcess

    server = PolydubProcess(
        ["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / "single.log"
    )
    server.start()
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers={"x-api-key": key}, timeout=30) as client:
            for _ in range(600):
                try:
                    client.get("/v3/video-translations")
                    break
                except httpx.TransportError:
                    import time

                    time.sleep(0.2)
            (translation_id,) = create_translation(client, clip_url, [language], **AUDIO_ONLY)
            data = poll(client, translation_id, lambda d: d["status"] == "completed")
            return output_digests(client, data)
    finally:
        server.kill(signal.SIGTERM)


def test_http_jobs_fan_out_over_two_workers_identical_to_single_machine(
    cluster, clip_url, tmp_path, s3_server, bucket
):
    # The source side (separation, ASR) is routed to a "heavy" queue only w1 consumes.
    deployment = cluster(POLYDUB_TASK_QUEUES='{"source": "heavy"}')
    deployment.start_worker("w1", queues="heavy,polydub")
    deployment.start_worker("w2", queues="polydub")
    deployment.start_api()
    key = deployment.create_key()
    try:
        with httpx.Client(base_url=deployment.base, headers={"x-api-key": key}, timeout=30) as c:
            ids = create_translation(c, clip_url, ["Spanish", "Portuguese"], **AUDIO_ONLY)
            done = [poll(c, i, lambda d: d["status"] == "completed") for i in ids]
            digests = [output_digests(c, data) for data in done]
    except AssertionError:
        print(deployment.logs())
        raise
    assert [d["output_language"] for d in done] == ["Spanish", "Portuguese"]
    assert all(d["progress"] == 1.0 and d["report"]["timing"]["segments"] > 0 for d in done)
    # Only w1 advertises the heavy queue, so only w1 ran the source side.
    ran_source = "Task polydub.source_side[source-"  # the line a worker logs on receiving it
    assert ran_source in deployment.workers["w1"].text()
    assert ran_source not in deployment.workers["w2"].text()
    # Media went through the object store: outputs and checkpoints are there, the batch's
    # copy of its input is gone with the batch.
    keys = stored_keys(s3_server.endpoint, bucket)
    assert {f"polydub/translations/{d['id']}/video.mp4" for d in done} <= set(keys)
    assert any(is_done(k, "targets/pt/render") for k in keys)
    assert not [k for k in keys if k.startswith("polydub/batches/")]
    assert digests[0] == single_machine_digests(tmp_path, clip_url, "Spanish")


def stored_keys(s3_endpoint: str, bucket: str) -> list[str]:
    import boto3
    from scale_services import S3_KEY_ENV

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_KEY_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_KEY_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def is_done(key: str, stage: str) -> bool:
    """Whether `key` is the done.json of a finished output of `stage` ("targets/es/mix"):
    outputs live in one directory per input key, `<stage>/<key>/done.json`."""
    return re.search(rf"/{re.escape(stage)}/[0-9a-f]+/done\.json$", key) is not None


def wait_for_done(s3_endpoint: str, bucket: str, stage: str, timeout: float = 600) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(is_done(key, stage) for key in stored_keys(s3_endpoint, bucket)):
            return
        time.sleep(0.2)
    raise AssertionError(f"no finished {stage} stored")


def test_job_survives_a_killed_worker_and_a_broker_restart(
    cluster, clip_url, redis_server, s3_server, bucket
):
    # A dead worker's unacknowledged task goes back to the queue after this many seconds.
    deployment = cluster(POLYDUB_BROKER_VISIBILITY_TIMEOUT_S=30)
    first = deployment.start_worker("w1")
    deployment.start_api()
    key = deployment.create_key()
    try:
        with httpx.Client(base_url=deployment.base, headers={"x-api-key": key}, timeout=30) as c:
            (translation_id,) = create_translation(c, clip_url, ["Spanish"], **AUDIO_ONLY)
            # w1 has stored the source side and the Spanish translation stage: kill it mid-job.
            wait_for_done(s3_server.endpoint, bucket, "targets/es/translate")
            first.kill(signal.SIGKILL)
            assert (
                c.get(f"/v3/video-translations/{translation_id}").json()["data"]["status"]
                == "running"
            )
            redis_server.restart()  # the broker goes away and comes back with its queues
            second = deployment.start_worker("w2")  # a fresh machine: nothing cached locally
            data = poll(c, translation_id, lambda d: d["status"] == "completed")
            # A job submitted after the restart goes through the same broker connection.
            (again_id,) = create_translation(c, clip_url, ["Spanish"], **AUDIO_ONLY)
            again = poll(c, again_id, lambda d: d["status"] == "completed")
            digests = output_digests(c, data), output_digests(c, again)
    except AssertionError:
        print(deployment.logs())
        raise
    stages = {s["stage"]: s["cached"] for s in data["report"]["stages"]}
    # The job ran its source side once, on w1 (the report keeps the record across workers);
    # w2 resumed from w1's checkpoints in the object store and redid only what was unfinished.
    assert not any(stages[name] for name in ("ingest", "separate", "transcribe", "diarize"))
    assert "stage diarize reused" in second.text()
    assert "stage translate (es) reused" in second.text()
    assert stages["translate"] is True and stages["render"] is False
    assert f"translation {translation_id} completed" in second.text()
    assert digests[0] == digests[1]


def test_delete_cancels_work_running_on_a_worker(cluster, clip_url, s3_server, bucket):
    deployment = cluster()
    worker = deployment.start_worker("w1")
    deployment.start_api()
    key = deployment.create_key()
    try:
        with httpx.Client(base_url=deployment.base, headers={"x-api-key": key}, timeout=30) as c:
            (translation_id,) = create_translation(c, clip_url, ["Portuguese"], **AUDIO_ONLY)
            wait_for_done(s3_server.endpoint, bucket, "targets/pt/translate")
            deleted = c.delete(f"/v3/video-translations/{translation_id}")
            assert deleted.json() == {"data": {"id": translation_id, "deleted": True}}
            import time

            deadline = time.monotonic() + 300
            while f"translation {translation_id} cancelled" not in worker.text():
                assert time.monotonic() < deadline, worker.text()[-3000:]
                time.sleep(0.5)
            assert c.get(f"/v3/video-translations/{translation_id}").status_code == 404
    except AssertionError:
        print(deployment.logs())
        raise
    # It stopped at a stage boundary: no output of it exists anywhere in the store.
    keys = stored_keys(s3_server.endpoint, bucket)
    assert not [k for k in keys if f"translations/{translation_id}" in k]
    assert f"translation {translation_id} completed" not in worker.text()


def test_lipsync_runs_on_the_gpu_worker_from_a_proofread_made_on_it(
    cluster, clip_url, tmp_path, s3_server, bucket
):
    # Lip-sync (and, to put the proofread on another machine than the translation's first
    # tasks, proofreads) go to a "gpu" queue that only one worker consumes.
    deployment = cluster(POLYDUB_TASK_QUEUES='{"lipsync": "gpu", "proofread": "gpu"}')
    cpu = deployment.start_worker("cpu", queues="polydub")
    gpu = deployment.start_worker("gpu", queues="gpu")
    deployment.start_api()
    key = deployment.create_key()
    try:
        with httpx.Client(base_url=deployment.base, headers={"x-api-key": key}, timeout=30) as c:
            created = c.post(
                "/v3/video-translations/proofreads",
                json={
                    "video": {"type": "url", "url": clip_url},
                    "output_languages": ["Spanish"],
                    "title": "Review on the gpu worker",
                },
            )
            assert created.status_code == 200, created.text
            (proofread_id,) = created.json()["data"]["proofread_ids"]
            poll_proofread(c, proofread_id)
            # The proofread's checkpoints went to the store, not only to the gpu machine.
            keys = stored_keys(s3_server.endpoint, bucket)
            assert any(is_done(k, "source/diarize") for k in keys)
            assert any(is_done(k, "targets/es/translate") for k in keys)

            generated = c.post(
                f"/v3/video-translations/proofreads/{proofread_id}/generate",
                json={"captions": False},
            )
            assert generated.status_code == 200, generated.text
            translation_id = generated.json()["data"]["video_translation_id"]
            data = poll(c, translation_id, lambda d: d["status"] == "completed")
            lipsync_id = run_lipsync_job(c, clip_url, tmp_path)
    except AssertionError:
        print(deployment.logs())
        raise
    cpu_log, gpu_log = cpu.text(), gpu.text()
    # Each worker says at start which task kinds it receives.
    assert "worker consumes queues polydub: task kinds source, target" in cpu_log
    assert "worker consumes queues gpu: task kinds lipsync, proofread" in gpu_log
    # The cpu worker dubbed the speech from the proofread's stored checkpoints ...
    assert f"Task polydub.dub_language[dub-{translation_id}]" in cpu_log
    assert "stage transcribe reused" in cpu_log and "stage translate (es) reused" in cpu_log
    assert "stage synthesize (es) ran" in cpu_log and "stage mix (es) ran" in cpu_log
    assert "stage lipsync" not in cpu_log and "Task polydub.finish_language[" not in cpu_log
    # ... and the gpu worker lip-synced it, reusing everything up to the mix.
    assert f"Task polydub.finish_language[finish-{translation_id}]" in gpu_log
    assert "Task polydub.dub_language[" not in gpu_log
    for stage in ("translate", "synthesize", "fit", "mix"):
        assert f"stage {stage} (es) reused" in gpu_log
    assert "stage lipsync (es) ran" in gpu_log and "stage render (es) ran" in gpu_log
    # The report: the proofread's work reused, the speech and the picture made by this job.
    stages = {s["stage"]: s["cached"] for s in data["report"]["stages"]}
    assert stages["translate"] is True
    assert stages["mix"] is False and stages["lipsync"] is False
    assert data["progress"] == 1.0
    keys = stored_keys(s3_server.endpoint, bucket)
    assert f"polydub/translations/{translation_id}/video.mp4" in keys
    assert any(is_done(k, "targets/es/lipsync") for k in keys)
    # A Lip Sync job is of the same kind: the gpu worker ran it too.
    assert f"Task polydub.lipsync_job[lipsync-{lipsync_id}]" in gpu_log
    assert "Task polydub.lipsync_job[" not in cpu_log


def run_lipsync_job(client: httpx.Client, clip_url: str, tmp_path) -> str:
    """A Lip Sync job of the face clip served beside `clip_url` with new speech, over HTTP,
    to completion; returns its id."""
    from polydub.media.audio import write_wav
    from polydub.samples import speech_track

    speech, _ = speech_track(4.0, ("See you all next time.",))
    write_wav(tmp_path / "take.wav", speech)
    uploaded = client.post(
        "/v3/assets", files={"file": ("take.wav", (tmp_path / "take.wav").read_bytes())}
    )
    assert uploaded.status_code == 200, uploaded.text
    created = client.post(
        "/v3/lipsyncs",
        json={
            "video": {"type": "url", "url": clip_url.rsplit("/", 1)[0] + "/face.mp4"},
            "audio": {"type": "asset_id", "asset_id": uploaded.json()["data"]["id"]},
        },
    )
    assert created.status_code == 200, created.text
    lipsync_id = created.json()["data"]["lipsync_id"]
    poll_path(client, f"/v3/lipsyncs/{lipsync_id}", timeout=600)
    return lipsync_id


def poll_proofread(client: httpx.Client, proofread_id: str, timeout: float = 600) -> dict:
    return poll_path(client, f"/v3/video-translations/proofreads/{proofread_id}", timeout=timeout)
