"""Stage 9, lipsync: redraw the speaker's mouth to follow the dub, before render.

It builds on fit, not on mix: it scores against the dubbed lines alone, laid on the output
timeline here as mix lays them (mix.build_dub_track), so mix runs beside it
(pipeline/target_side.py, run_mix_and_render) and mix settings never redo it.

The driving signal comes from each line's phoneme timing (cached with the line by the
synthesize stage, scaled by the fit stage's stretch, placed where the line sounds); lines
without phoneme timing (the user's own audio, engines that cannot tell) drive the mouth from
their audio. Where the plan slows the video down, the frames are written on the output
timeline (a slowed source frame repeats, its mouth moving on), so render does not slow them
again; otherwise on the source timeline.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from polydub.engines.lipsync.visemes import MouthTrack, track_from_audio, track_from_speech
from polydub.media.audio import Audio, decode_audio, read_wav
from polydub.media.frames import video_format
from polydub.pipeline.artifacts import (
    FitArtifact,
    IngestArtifact,
    SeparationArtifact,
    SynthLine,
)
from polydub.pipeline.frame_reuse import FrameReuse
from polydub.pipeline.lipsync import lipsync_video, make_renderer
from polydub.pipeline.lipsync_lines import LineSpan
from polydub.pipeline.mix import build_dub_track
from polydub.pipeline.sync_score import ENVELOPE_RATE

# Part of the stage's checkpoint key: bump when the renderers change what they draw.
ENGINE_VERSION = 5  # 5: lines carry their diarized speaker to the face choice


class LipSyncArtifact(BaseModel):
    # The source's frames with the mouth redrawn (video only, H.264); None when no face spoke.
    video: Path | None
    # True when `video` already plays the plan's slow-downs (render must not apply them).
    on_output_timeline: bool = False
    mode: str
    renderer: str
    frames: int
    edited_frames: int
    phoneme_driven_lines: int
    audio_driven_lines: int
    render_fps: float
    # Blend-ring gradient energy over the source's, 5th and 95th percentile of edited frames.
    seam_ratio_p5: float | None = None
    seam_ratio_p95: float | None = None
    speakers: list[dict] = Field(default_factory=list)
    # Audio-visual sync over the edited frames: "ceiling" (source mouth, source speech),
    # "floor" (source mouth, dub speech), "lip_synced" (redrawn mouth, dub speech).
    sync: dict[str, dict] = Field(default_factory=dict)
    faces_found: int = 0
    # Per dubbed line: status ("redrawn", "kept original", "speaker not visible"), why, and
    # its floor / lip-synced scores; a redraw scoring below the untouched mouth is not kept.
    lines: list[dict] = Field(default_factory=list)
    faces: list[dict] = Field(default_factory=list)  # per face that speaks: its lines by status
    warnings: list[str] = Field(default_factory=list)


def line_track(line: SynthLine, fps: float) -> tuple[MouthTrack, bool]:
    """One line's mouth targets from its start; True when they come from phoneme timing."""
    frames = int(math.ceil(line.duration * fps)) + 1
    audio = read_wav(line.path)
    if line.phonemes is not None and line.phonemes.exists():
        data = json.loads(line.phonemes.read_text())
        # The fit stage may have stretched the line: its phonemes stretch with it.
        scale = line.duration / max(float(data["duration"]), 1e-6)
        timed = [(p, s * scale, e * scale) for p, s, e in data["phonemes"]]
        return track_from_speech(timed, audio, fps, frames), True
    return track_from_audio(audio, fps, frames), False


def dub_mouth_track(fitted: FitArtifact, fps: float) -> tuple[MouthTrack, int, int]:
    """Mouth targets over the whole output timeline; with the counts of phoneme- and
    audio-driven lines."""
    frames = int(math.ceil(fitted.plan.output_duration * fps)) + 1
    track = MouthTrack(np.zeros(frames), np.ones(frames), fps)
    timing = {t.index: t for t in fitted.plan.segments}
    by_phonemes = by_audio = 0
    for line in fitted.lines:
        piece, from_phonemes = line_track(line, fps)
        track.place(piece, int(round(timing[line.index].output_start * fps)))
        by_phonemes += from_phonemes
        by_audio += not from_phonemes
    return track, by_phonemes, by_audio


def dubbed_lines(fitted: FitArtifact, speakers: dict[int, str] | None = None) -> list[LineSpan]:
    """The dubbed lines on the source timeline, each judged on its own by the lip-sync, with
    their diarized speaker (segment index -> speaker) when known."""
    speakers = speakers or {}
    return [
        LineSpan(t.index, t.source_start, t.source_end, speakers.get(t.index))
        for t in fitted.plan.segments
    ]


def dub_speech(fitted: FitArtifact, scratch: Path) -> Audio:
    """The dubbed lines on the output timeline, at the sync scorer's rate: the mix's dub track
    (the same file, made at `scratch` and removed after), without waiting for the mix."""
    try:
        return decode_audio(build_dub_track(fitted, scratch), ENVELOPE_RATE)
    finally:
        scratch.unlink(missing_ok=True)


def lipsync(
    ingested: IngestArtifact,
    separated: SeparationArtifact,
    fitted: FitArtifact,
    out_dir: Path,
    *,
    mode: str,
    model: Path | None = None,
    device: str = "auto",
    progress=lambda f: None,
    scan_cache: Path | None = None,
    reuse: FrameReuse | None = None,
    speakers: dict[int, str] | None = None,
) -> LipSyncArtifact:
    """Redraw the speaker's mouth on the source frames to follow the fitted dub (with the
    user's neural `model` when one is configured); `scan_cache` keeps the source's face scan
    for the other languages and later runs; `speakers` (segment index -> diarized speaker)
    links each speaker's lines to one face."""
    fps = video_format(ingested.source).fps
    drive, by_phonemes, by_audio = dub_mouth_track(fitted, fps)
    out = out_dir / "lipsync.mp4"
    speech = dub_speech(fitted, out_dir / "dub.wav")
    info = lipsync_video(
        ingested.source,
        drive,
        out,
        mode=mode,
        renderer=make_renderer(mode, model=model, speech=speech, device=device),
        source_speech=decode_audio(separated.speech_wav, ENVELOPE_RATE),
        dub_speech=speech,
        drive_time=fitted.plan.to_output_time,
        # Outside the translated range the original speech plays: its mouth stays.
        edit_range=(ingested.range_start, ingested.range_end),
        progress=progress,
        warp=fitted.plan if fitted.plan.stretches else None,
        scan_cache=scan_cache,
        lines=dubbed_lines(fitted, speakers),
        reuse=reuse,  # a partial re-dub keeps the previous run's frames outside its edits
    )
    seams = np.array(info.seam_ratios)
    return LipSyncArtifact(
        video=out if info.wrote_video else None,
        on_output_timeline=info.wrote_video and bool(fitted.plan.stretches),
        mode=mode,
        renderer=info.renderer,
        frames=info.frames,
        edited_frames=info.edited_frames,
        phoneme_driven_lines=by_phonemes,
        audio_driven_lines=by_audio,
        render_fps=info.render_fps,
        seam_ratio_p5=float(np.percentile(seams, 5)) if len(seams) else None,
        seam_ratio_p95=float(np.percentile(seams, 95)) if len(seams) else None,
        speakers=[s.__dict__ for s in info.speakers],
        sync=info.sync,
        faces_found=info.faces_found,
        lines=[o.as_dict() for o in info.lines],
        faces=info.faces,
        warnings=info.warnings,
    )
