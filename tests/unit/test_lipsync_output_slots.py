"""Lip-sync on the output timeline: which output frames each source frame fills when the
plan slows part of the video down (as ffmpeg's slow-down filter shows them)."""

from __future__ import annotations

from polydub.domain.timing import TimingPlan, VideoStretch
from polydub.pipeline.lipsync import output_slots


def plan(*stretches: VideoStretch, duration: float = 2.0) -> TimingPlan:
    return TimingPlan(
        segments=[], stretches=list(stretches), source_duration=duration, max_rate=1.25,
        dynamic_duration=True,
    )  # fmt: skip


def test_without_slow_downs_every_frame_fills_its_own_slot():
    slots = output_slots(plan(), 25.0, 50)
    assert slots == {i: [i] for i in range(50)}


def test_a_slowed_part_repeats_its_frames_and_shifts_the_rest():
    # 0.4 .. 0.8 s played twice as slowly: 10 source frames fill 20 output frames.
    slots = output_slots(plan(VideoStretch(start=0.4, end=0.8, factor=2.0)), 25.0, 50)
    assert slots[0] == [0] and slots[9] == [9]
    assert all(len(slots[i]) == 2 for i in range(10, 20))
    assert slots[10] == [10, 11] and slots[19] == [28, 29]
    assert slots[20] == [30] and slots[49] == [59]
    assert sum(len(v) for v in slots.values()) == 60  # 2.4 s at 25 fps
