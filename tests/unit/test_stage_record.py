"""A job's record of the stages its steps ran: a later step's replay from checkpoints does not
turn an earlier step's work into "reused" in the report."""

from __future__ import annotations

from polydub.jobs.stage_record import merge, report_stages


def rec(stage: str, target: str | None, cached: bool, seconds: float = 0.0) -> dict:
    return {"stage": stage, "target": target, "seconds": seconds, "cached": cached}


def test_a_replayed_stage_keeps_the_record_of_the_step_that_ran_it():
    source_step = [rec("transcribe", None, True), rec("diarize", None, False, 2.0)]
    target_step = [
        rec("transcribe", None, True),
        rec("diarize", None, True),
        rec("synthesize", "es", False, 5.0),
    ]
    merged = merge(source_step, target_step)
    assert merged == [
        rec("transcribe", None, True),
        rec("diarize", None, False, 2.0),
        rec("synthesize", "es", False, 5.0),
    ]
    finish_step = [rec(r["stage"], r["target"], True) for r in merged] + [
        rec("lipsync", "es", False, 3.0)
    ]
    assert merge(merged, finish_step) == [*merged, rec("lipsync", "es", False, 3.0)]


def test_the_report_marks_what_earlier_steps_ran():
    report = [
        {"stage": "transcribe", "seconds": 0.0, "cached": True},
        {"stage": "synthesize", "seconds": 0.0, "cached": True},
        {"stage": "render", "seconds": 1.5, "cached": False},
    ]
    record = [rec("transcribe", None, True), rec("synthesize", "es", False, 5.0)]
    assert report_stages(report, record) == [
        {"stage": "transcribe", "seconds": 0.0, "cached": True},
        {"stage": "synthesize", "seconds": 5.0, "cached": False},
        {"stage": "render", "seconds": 1.5, "cached": False},
    ]
