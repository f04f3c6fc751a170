"""Queue routing by resource: task kinds go to the queues Settings.task_queues names."""

from __future__ import annotations

from polydub.config import Settings
from polydub.jobs.celery_app import all_queues, make_celery, transport_options


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


def test_delivery_is_at_least_once(tmp_path):
    conf = make_celery(Settings(data_dir=tmp_path, broker_visibility_timeout_s=30)).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert transport_options(Settings(data_dir=tmp_path, broker_visibility_timeout_s=30)) == {
        "visibility_timeout": 30,
        "unacked_restore_interval": 5,
        "unacked_restore_throttle": 1,
    }
