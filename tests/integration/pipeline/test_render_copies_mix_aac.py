"""Render copies the AAC the mix made beside lipsync instead of encoding the mix again: the
output's audio packets are the mix's, with no time shift against the mix (AAC's priming
samples travel with the copy), and an output that keeps another format still encodes."""

from __future__ import annotations

import numpy as np
import pytest
from render_inputs import ingested_and_translated
from stream_digests import stream_md5

from polydub.domain.timing import TimingPlan
from polydub.media.audio import decode_audio
from polydub.media.encode import DEFAULT_AUDIO_ARGS
from polydub.media.ffmpeg import run_ffmpeg
from polydub.media.probe import probe
from polydub.pipeline.artifacts import (
    FitArtifact,
    MixArtifact,
)
from polydub.pipeline.render import render

pytestmark = pytest.mark.integration

RATE = 48000


def _audio_md5(path) -> str:
    return stream_md5(path, "a")


def _lag(reference: np.ndarray, heard: np.ndarray) -> int:
    """Samples `heard` runs behind `reference` (cross-correlation over one second)."""
    window = reference[RATE : 2 * RATE]
    scores = [float(np.dot(window, heard[RATE + k : 2 * RATE + k])) for k in range(-2000, 2000)]
    return int(np.argmax(scores)) - 2000


@pytest.fixture
def inputs(tmp_path):
    clip = tmp_path / "clip.mp4"
    run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=4", "-f", "lavfi", "-i", "sine=d=4",
         "-c:v", "libx264", "-c:a", "aac", "-shortest", str(clip)]
    )  # fmt: skip
    mix = tmp_path / "mix.wav"
    run_ffmpeg(
        ["-f", "lavfi", "-i", f"anoisesrc=d=4:c=pink:r={RATE}:a=0.3", "-ac", "2",
         "-c:a", "pcm_s16le", str(mix)]
    )  # fmt: skip
    # As mix.py makes it, at a bitrate of its own: copied packets are told from encoded ones
    # (the AAC encoder is deterministic, so the same settings would give the same packets).
    aac = tmp_path / "mix.m4a"
    run_ffmpeg(["-i", str(mix), *DEFAULT_AUDIO_ARGS, "-b:a", "96k", str(aac)])
    ingested, translated = ingested_and_translated(clip, mix, 4.0)
    plan = TimingPlan(
        segments=[], stretches=[], source_duration=4.0, max_rate=1.25, dynamic_duration=True
    )
    fitted = FitArtifact(plan=plan, lines=[])
    mixed = MixArtifact(
        mix_wav=mix, dub_wav=mix, integrated_lufs=-16.0, music_kept=True, mix_aac=aac
    )
    return ingested, translated, fitted, mixed


def _dir(path):
    path.mkdir()
    return path


def test_the_mixs_aac_is_copied_in_time(inputs, tmp_path):
    ingested, translated, fitted, mixed = inputs
    out = render(ingested, translated, fitted, mixed, _dir(tmp_path / "copied"), keep_format=False)
    assert _audio_md5(out.video) == _audio_md5(mixed.mix_aac)  # copied, not encoded again
    reference = decode_audio(mixed.mix_wav, RATE).samples
    heard = decode_audio(out.video, RATE).samples
    assert _lag(reference, heard) == 0
    assert abs(len(heard) - len(reference)) < 0.03 * RATE

    # Without the mix's AAC, render encodes the wav itself: the same timing.
    encoded = render(
        ingested, translated, fitted, mixed.model_copy(update={"mix_aac": None}),
        _dir(tmp_path / "encoded"), keep_format=False,
    )  # fmt: skip
    assert _audio_md5(encoded.video) != _audio_md5(mixed.mix_aac)
    assert _lag(reference, decode_audio(encoded.video, RATE).samples) == 0


def test_an_output_keeping_the_sources_format_encodes_its_own_audio(inputs, tmp_path):
    ingested, translated, fitted, mixed = inputs
    out = render(ingested, translated, fitted, mixed, _dir(tmp_path / "kept"), keep_format=True)
    assert _audio_md5(out.video) != _audio_md5(mixed.mix_aac)
    assert probe(out.video).audio.sample_rate == ingested.info.audio.sample_rate
