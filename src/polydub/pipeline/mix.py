"""Stage 8, mix: the dub over the background, ducked under speech, loudness-normalised.

It runs beside the lipsync stage (both build on fit; pipeline/target_side.py), which lays out
the same dub track for itself (`build_dub_track`).

All audio work streams through files in blocks (or through ffmpeg), so memory does not grow
with the length of the video.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from polydub.cancellation import raise_if_cancelled
from polydub.media.audio import read_wav, resample
from polydub.media.encode import DEFAULT_AUDIO_ARGS
from polydub.media.ffmpeg import run_ffmpeg
from polydub.media.loudness import integrated_loudness, normalize_loudness
from polydub.media.timewarp import audio_warp_filter
from polydub.pipeline.artifacts import (
    FitArtifact,
    IngestArtifact,
    MixArtifact,
    SeparationArtifact,
)

MIX_RATE = 48000
BLOCK = MIX_RATE * 10  # 10 s blocks
CROSSFADE_S = 0.05


def _stereo(block: np.ndarray) -> np.ndarray:
    if block.ndim == 1:
        block = block[:, None]
    if block.shape[1] == 1:
        return np.repeat(block, 2, axis=1)
    return block[:, :2]


def _range_weight(t0: float, n: int, start: float, end: float) -> np.ndarray:
    """1 inside the translated range, 0 outside, with short linear crossfades at its edges."""
    t = t0 + np.arange(n) / MIX_RATE
    rise = np.clip((t - start) / CROSSFADE_S + 0.5, 0.0, 1.0) if start > 0 else np.ones(n)
    fall = np.clip((end - t) / CROSSFADE_S + 0.5, 0.0, 1.0)
    return np.minimum(rise, fall)


def build_bed(
    ingested: IngestArtifact,
    separated: SeparationArtifact,
    out: Path,
    *,
    keep_music: bool,
) -> Path:
    """The soundtrack under the dub, on the source timeline: the background stem inside the
    translated range (silence without music), the original sound outside it."""
    full_range = ingested.range_start <= 0.0 and ingested.range_end >= ingested.info.duration
    with (
        sf.SoundFile(str(ingested.mixture_wav)) as mix_f,
        sf.SoundFile(str(separated.background_wav)) as bg_f,
        sf.SoundFile(str(separated.speech_wav)) as sp_f,
        sf.SoundFile(str(out), "w", samplerate=MIX_RATE, channels=2, subtype="PCM_16") as dst,
    ):
        if bg_f.samplerate != MIX_RATE or sp_f.samplerate != MIX_RATE:
            raise ValueError("separated stems must be at the mixture's 48 kHz")
        pos = 0
        while True:
            raise_if_cancelled()
            mixture = mix_f.read(BLOCK, dtype="float32", always_2d=True)
            n = len(mixture)
            if n == 0:
                break
            background = _fit_len(_stereo(bg_f.read(n, dtype="float32", always_2d=True)), n)
            inside = background if keep_music else np.zeros_like(background)
            if full_range:
                block = inside
            else:
                outside = _stereo(mixture)
                if separated.enhanced:
                    speech = _fit_len(_stereo(sp_f.read(n, dtype="float32", always_2d=True)), n)
                    outside = background + speech
                w = _range_weight(pos / MIX_RATE, n, ingested.range_start, ingested.range_end)
                block = inside * w[:, None] + outside * (1.0 - w[:, None])
            dst.write(block)
            pos += n
    return out


def _fit_len(block: np.ndarray, n: int) -> np.ndarray:
    if len(block) >= n:
        return block[:n]
    return np.pad(block, ((0, n - len(block)), (0, 0)))


def build_dub_track(fitted: FitArtifact, out: Path) -> Path:
    """The dubbed lines placed on the output timeline, mono 48 kHz, written line by line."""
    total = round(fitted.plan.output_duration * MIX_RATE)
    placed = sorted(
        zip(fitted.plan.segments, fitted.lines, strict=True), key=lambda p: p[0].output_start
    )
    with sf.SoundFile(str(out), "w", samplerate=MIX_RATE, channels=1, subtype="PCM_16") as dst:
        pos = 0
        for timing, line in placed:
            raise_if_cancelled()
            start = max(pos, round(timing.output_start * MIX_RATE))
            _write_silence(dst, start - pos)
            samples = resample(read_wav(line.path), MIX_RATE).samples
            dst.write(np.clip(samples, -1.0, 1.0))
            pos = start + len(samples)
        _write_silence(dst, max(0, total - pos))
    return out


def _write_silence(dst: sf.SoundFile, n: int) -> None:
    while n > 0:
        k = min(n, BLOCK)
        dst.write(np.zeros(k, np.float32) if dst.channels == 1 else np.zeros((k, dst.channels)))
        n -= k


def mix(
    ingested: IngestArtifact,
    separated: SeparationArtifact,
    fitted: FitArtifact,
    out_dir: Path,
    *,
    keep_music: bool,
    target_lufs: float,
    encode_aac: bool = False,
) -> MixArtifact:
    """The dub laid over the ducked bed at `target_lufs`; with `encode_aac`, also encoded as
    render's default audio (AAC), off render's path: the mix runs beside lipsync, render
    after it (about 1.1 s of a 60 s dub's render)."""
    bed = build_bed(ingested, separated, out_dir / "bed.wav", keep_music=keep_music)
    if fitted.plan.stretches:
        warped = out_dir / "bed_warped.wav"
        graph = audio_warp_filter(fitted.plan.stretches, ingested.info.duration)
        run_ffmpeg(
            [
                "-i",
                str(bed),
                "-filter_complex",
                graph,
                "-map",
                "[aout]",
                "-c:a",
                "pcm_s16le",
                str(warped),
            ]
        )
        bed.unlink()
        bed = warped
    dub = build_dub_track(fitted, out_dir / "dub.wav")
    premix = out_dir / "premix.wav"
    # The bed is ducked by about 10 dB while the dub speaks (sidechain compression), then
    # the dub is laid on top.
    graph = (
        "[1:a]aformat=channel_layouts=stereo,asplit=2[sc][voice];"
        "[0:a][sc]sidechaincompress=threshold=0.015:ratio=8:attack=15:release=350:makeup=1[bed];"
        "[bed][voice]amix=inputs=2:normalize=0:duration=longest[out]"
    )
    run_ffmpeg(
        [
            "-i",
            str(bed),
            "-i",
            str(dub),
            "-filter_complex",
            graph,
            "-map",
            "[out]",
            "-c:a",
            "pcm_s16le",
            str(premix),
        ]
    )
    final = normalize_loudness(premix, out_dir / "mix.wav", target_lufs=target_lufs)
    premix.unlink()
    bed.unlink()
    aac = None
    if encode_aac:
        aac = out_dir / "mix.m4a"
        run_ffmpeg(["-i", str(final), *DEFAULT_AUDIO_ARGS, str(aac)])
    return MixArtifact(
        mix_wav=final,
        dub_wav=dub,
        integrated_lufs=integrated_loudness(final),
        music_kept=keep_music,
        mix_aac=aac,
    )
