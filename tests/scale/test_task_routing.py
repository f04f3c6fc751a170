"""Queue routing by resource: task kinds go to the queues Settings.task_queues names."""

from __future__ import annotations

import pytest

from polydub.config import Settings
from polydub.jobs.celery_app import (
    TASK_KINDS,
    all_queues,
    kinds_for_queues,
    make_celery,
    transport_options,
)


def route(app, task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_every_task_goes_to_the_default_queue_unless_routed(tmp_path):
    app = make_celery(Settings(data_dir=tmp_path))
    assert {route(app, t) for t in ("polydub.source_side", "polydub.dub_language")} == {"polydub"}


def test_heavy_kinds_are_routed_to_the_queues_named_for_them(tmp_path):
    settings = Settings(data_dir=tmp_path, task_queues={"source": "gpu", "target": "tts"})
    app = make_celery(settings)
    assert route(app, "polydub.source_side") == "gpu"
    assert route(app, "polydub.dub_language") == "tts"
    assert route(app, "polydub.proofread") == "polydub"
    assert all_queues(settings) == ["gpu", "polydub", "tts"]


def test_lipsync_kind_sends_both_of_its_tasks_to_the_gpu_queue(tmp_path):
    settings = Settings(data_dir=tmp_path, task_queues={"lipsync": "gpu"})
    app = make_celery(settings)
    assert route(app, "polydub.finish_language") == "gpu"
    assert route(app, "polydub.lipsync_job") == "gpu"
    assert route(app, "polydub.dub_language") == "polydub"
    assert route(app, "polydub.source_side") == "polydub"
    assert all_queues(settings) == ["gpu", "polydub"]
    # What each worker advertises receiving, by the queues it consumes.
    assert kinds_for_queues(settings, ["gpu"]) == ["lipsync"]
    assert kinds_for_queues(settings, ["polydub"]) == [
        "source",
        "target",
        "proofread",
        "voice_clone",
    ]


def test_every_task_of_the_worker_belongs_to_one_kind(tmp_path):
    app = make_celery(Settings(data_dir=tmp_path))
    app.loader.import_default_modules()  # polydub.jobs.tasks, as a worker loads it
    registered = {name for name in app.tasks if name.startswith("polydub.")}
    routed = [name for names in TASK_KINDS.values() for name in names]
    assert sorted(routed) == sorted(registered)


def test_a_routing_naming_an_unknown_kind_is_refused(tmp_path):
    with pytest.raises(ValueError, match="lip-sync.*known kinds: source, target, lipsync"):
        make_celery(Settings(data_dir=tmp_path, task_queues={"lip-sync": "gpu"}))


def test_delivery_is_at_least_once(tmp_path):
    conf = make_celery(Settings(data_dir=tmp_path, broker_visibility_timeout_s=30)).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert transport_options(Settings(data_dir=tmp_path, broker_visibility_timeout_s=30)) == {
        "visibility_timeout": 30,
        "unacked_restore_interval": 5,
        "unacked_restore_throttle": 1,
    }
