"""Partial re-dubs: which lines a run redoes given the proofread edits (synthesis with a real
engine, eSpeak-NG, through the real line cache), which lines the lip-sync redraws given two
timing plans, and the previous output's frames a redraw keeps."""

from __future__ import annotations

import numpy as np
import pytest

from polydub.domain.timing import SegmentTiming, TimingPlan, VideoStretch
from polydub.domain.transcript import Segment
from polydub.engines.tts.espeak import EspeakSynthesizer
from polydub.media.frames import FrameWriter
from polydub.pipeline.artifacts import FitArtifact, SynthLine, TranslationArtifact
from polydub.pipeline.fit import line_rooms
from polydub.pipeline.frame_reuse import FrameReuse, PreviousFrames
from polydub.pipeline.lipsync import output_slots
from polydub.pipeline.partial_redub import PartialRedub, changed_lines, redraw_ranges
from polydub.pipeline.segment_edits import apply_segment_edits
from polydub.pipeline.synthesize import LineSynthesizer
from polydub.pipeline.timing import TimingOptions

LINES = [(0.5, 2.0, "Hola a todos."), (2.5, 4.0, "Hoy tres cosas."), (4.5, 6.0, "Primero esto."),
         (6.5, 8.0, "Y por fin aquello."), (8.5, 10.0, "Gracias.")]  # fmt: skip
VOICE = "espeak:male"


@pytest.fixture(scope="module")
def synthesizers():
    return {"espeak": EspeakSynthesizer()}


def script() -> TranslationArtifact:
    segments = [
        Segment(index=i, start=a, end=b, text="-", translation=t, speaker="SPEAKER_00")
        for i, (a, b, t) in enumerate(LINES)
    ]
    return TranslationArtifact(
        source_language="en", target_language="es", engine="t", segments=segments
    )


def run(tmp_path, synthesizers, edits: dict):
    """One synthesize stage of the variant kept under tmp_path, with `edits` laid over."""
    translated = apply_segment_edits(script(), edits)
    redub = PartialRedub(tmp_path / "partial", "variant", f"run{sorted(edits.items())}", edits)
    made = redub.synthesize(
        translated,
        ["SPEAKER_00"],
        lines=LineSynthesizer(synthesizers, tmp_path / "lines"),
        assign_voices=lambda speakers: dict.fromkeys(speakers, VOICE),
        rooms=line_rooms(translated, 10.5, TimingOptions()),
        max_rate=1.25,
        workers=1,
        progress=lambda f: None,
    )
    return made, redub.record


def test_an_edit_redoes_its_line_and_the_rooms_it_moved(tmp_path, synthesizers):
    first, record = run(tmp_path, synthesizers, {})
    assert record.segments_redone == [0, 1, 2, 3, 4] and not record.previous_run

    edits = {2: {"translation": "Primero, esto otro."}}
    edited, record = run(tmp_path, synthesizers, edits)
    assert record.previous_run
    assert record.segments_redone == [2] and record.segments_reused == [0, 1, 3, 4]
    kept = {line.index: line for line in first.lines}
    assert all(line == kept[line.index] for line in edited.lines if line.index != 2)
    assert {line.index: line for line in edited.lines}[2].path != kept[2].path

    # Edits add up, as in the studio. A voice for one line: that line only, spoken with it.
    edits[1] = {"voice_id": "espeak:female"}
    voiced, record = run(tmp_path, synthesizers, edits)
    assert record.segments_redone == [1]
    assert {line.index: line.voice for line in voiced.lines}[1] == "espeak:female"
    assert voiced.voices == {"SPEAKER_00": VOICE}

    # Moving a start changes the room of that line and of the one before it.
    edits[3] = {"start": 6.0}
    _, record = run(tmp_path, synthesizers, edits)
    assert record.segments_redone == [2, 3]
    # An edit undone is one more change: the line is spoken as before (from the line cache).
    del edits[2]
    undone, record = run(tmp_path, synthesizers, edits)
    assert record.segments_redone == [2]
    assert {ln.index: ln.path for ln in undone.lines}[2] in {ln.path for ln in first.lines}


def timing(index: int, start: float, end: float, shift: float = 0.0) -> SegmentTiming:
    return SegmentTiming(
        index=index, source_start=start, source_end=end, natural_duration=end - start,
        rate=1.0, dub_duration=end - start, output_start=start + shift, output_end=end + shift,
    )  # fmt: skip


def fitted(tmp_path, timings, stretches=(), audio=None) -> FitArtifact:
    lines = []
    for t in timings:
        name = f"{(audio or {}).get(t.index, 'line')}_{t.index}"
        path = tmp_path / f"{name}.wav"
        path.write_bytes(name.encode())  # the same name, the same sound
        lines.append(SynthLine(index=t.index, path=path, duration=t.dub_duration, rate=1.0,
                               voice=VOICE))  # fmt: skip
    plan = TimingPlan(segments=list(timings), stretches=list(stretches), source_duration=10.0,
                      max_rate=1.25, dynamic_duration=True)  # fmt: skip
    return FitArtifact(plan=plan, lines=lines)


def test_lines_moved_along_by_a_new_slow_down_are_not_redrawn(tmp_path):
    before = fitted(tmp_path, [timing(0, 0.5, 2.0), timing(1, 2.5, 4.0), timing(2, 6.5, 8.0)])
    # Line 1 got longer: the video is slowed under it, and line 2 plays 0.5 s later.
    stretch = VideoStretch(start=2.5, end=4.0, factor=4.5 / 1.5, segment=1)
    longer = timing(1, 2.5, 4.0).model_copy(update={"dub_duration": 4.5, "output_end": 7.0})
    after = fitted(
        tmp_path, [timing(0, 0.5, 2.0), longer, timing(2, 6.5, 8.0, shift=3.0)], [stretch],
        audio={1: "edited"},
    )  # fmt: skip
    assert changed_lines(before, after) == {1}
    (start, end), = redraw_ranges(before, after)  # fmt: skip
    assert start == pytest.approx(2.25) and end == pytest.approx(4.25)


def test_other_sound_at_the_same_place_is_redrawn_and_ranges_merge(tmp_path):
    spans = [timing(0, 0.5, 2.0), timing(1, 2.2, 4.0), timing(2, 6.5, 8.0)]
    before = fitted(tmp_path, spans)
    after = fitted(tmp_path, spans, audio={0: "new", 1: "new"})
    assert changed_lines(before, after) == {0, 1}
    assert redraw_ranges(before, after) == [(0.25, 4.25)]
    assert changed_lines(before, fitted(tmp_path, spans)) == set()


def test_previous_frames_are_taken_by_the_previous_slots(tmp_path):
    """Frames of a previous output on its slowed timeline, found again by source frame; frames
    to redraw, or filling another number of output frames now, are not taken."""
    fps, frames = 25.0, 20
    warp = TimingPlan(
        segments=[],
        stretches=[VideoStretch(start=0.2, end=0.4, factor=2.0)],
        source_duration=frames / fps,
        max_rate=1.25,
        dynamic_duration=True,
    )
    slots = output_slots(warp, fps, frames)
    video = tmp_path / "previous.mp4"
    with FrameWriter(video, fps) as writer:
        for j in range(sum(len(v) for v in slots.values())):
            writer.write(np.full((32, 32, 3), 8 * j, np.uint8))  # grey level = output index
    reuse = FrameReuse(video, redraw=[(0.6, 0.64)], warp=warp)
    previous = PreviousFrames(reuse, slots)
    assert previous.take(2, 2 / fps, 1)[0].mean() == pytest.approx(16, abs=3)
    doubled = previous.take(6, 6 / fps, 2)  # slowed: two output frames
    assert [round(f.mean() / 8) for f in doubled] == slots[6] == [7, 8]
    assert previous.take(7, 7 / fps, 1) is None  # it now fills one frame, not two
    assert previous.take(15, 15 / fps, 1) is None  # inside the range to redraw
    assert round(previous.take(16, 16 / fps, 1)[0].mean() / 8) == slots[16][0] == 21
    previous.close()
