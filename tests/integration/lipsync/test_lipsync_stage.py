"""The lipsync stage of the dub pipeline: Piper lines whose phoneme timing is cached by the
synthesize stage drive the mouth of a generated talking face."""

from __future__ import annotations

import json

import numpy as np
import pytest
from face_clips import FPS, SECONDS

from polydub.domain.timing import SegmentTiming, TimingPlan
from polydub.media.probe import probe
from polydub.pipeline.artifacts import (
    FitArtifact,
    IngestArtifact,
    SeparationArtifact,
)
from polydub.pipeline.lipsync_stage import line_track, lipsync
from polydub.pipeline.synthesize import LineSynthesizer

pytestmark = pytest.mark.integration

LINES = [(0.3, "Good morning, my friends."), (2.4, "Today we talk about maps and papers.")]


@pytest.fixture(scope="module")
def piper_lines(tmp_path_factory):
    from polydub.engines.tts.piper import PiperSynthesizer

    cache = LineSynthesizer({"piper": PiperSynthesizer()}, tmp_path_factory.mktemp("lines"))
    return [
        cache.speak(text, language="en", voice_id="piper:joe", rate=1.0, index=i)
        for i, (_, text) in enumerate(LINES)
    ]


def test_synthesized_lines_keep_their_phoneme_timing(piper_lines):
    for line in piper_lines:
        assert line.phonemes is not None and line.phonemes.exists()
        data = json.loads(line.phonemes.read_text())
        assert data["duration"] == pytest.approx(line.duration, abs=1e-3)
        ends = [end for _, _, end in data["phonemes"]]
        assert ends == sorted(ends) and 0 < ends[-1] <= line.duration + 1e-3


def test_a_stretched_line_stretches_its_mouth_track(piper_lines):
    line = piper_lines[1]
    track, from_phonemes = line_track(line, FPS)
    longer, _ = line_track(line.model_copy(update={"duration": line.duration * 1.5}), FPS)
    assert from_phonemes
    # The same shapes, 1.5 times slower: the last open frame moves out by about half.
    last = np.flatnonzero(track.opening > 0.05)[-1]
    last_long = np.flatnonzero(longer.opening > 0.05)[-1]
    assert last_long == pytest.approx(last * 1.5, abs=3)


def test_stage_drives_the_mouth_from_phonemes_and_scores_it(talking_face, piper_lines, tmp_path):
    segments = []
    for (start, _), line in zip(LINES, piper_lines, strict=True):
        end = start + line.duration
        segments.append(
            SegmentTiming(
                index=line.index,
                source_start=start,
                source_end=end,
                natural_duration=line.duration,
                rate=1.0,
                dub_duration=line.duration,
                output_start=start,
                output_end=end,
            )
        )
    plan = TimingPlan(
        segments=segments, source_duration=SECONDS, max_rate=1.25, dynamic_duration=False
    )
    ingested = IngestArtifact(
        source=talking_face,
        info=probe(talking_face),
        mixture_wav=talking_face,
        range_start=0.0,
        range_end=SECONDS,
    )
    separated = SeparationArtifact(
        speech_wav=talking_face,
        background_wav=talking_face,
        raw_speech_wav=talking_face,
        separator="none",
    )

    synced = lipsync(
        ingested,
        separated,
        FitArtifact(plan=plan, lines=piper_lines),
        tmp_path,
        mode="speed",
    )

    assert synced.phoneme_driven_lines == 2 and synced.audio_driven_lines == 0
    assert synced.edited_frames == synced.frames == int(SECONDS * FPS)
    sync = synced.sync
    print(
        {k: (round(v["correlation"], 3), v["lag_frames"]) for k, v in sync.items()},
        f"seams {synced.seam_ratio_p5:.3f}..{synced.seam_ratio_p95:.3f}",
    )
    assert sync["ceiling"]["correlation"] > 0.9
    assert sync["floor"]["correlation"] < 0.4
    assert sync["lip_synced"]["correlation"] >= 0.8 * sync["ceiling"]["correlation"]
    assert abs(sync["lip_synced"]["lag_frames"]) <= 1
    assert 0.9 <= synced.seam_ratio_p5 and synced.seam_ratio_p95 <= 1.1
