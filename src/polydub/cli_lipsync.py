"""`polydub lipsync` and `polydub sync-score`: the lip-sync engine alone, and its measure."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from rich.console import Console

from polydub.engines.lipsync.visemes import track_from_audio
from polydub.errors import InvalidInputError
from polydub.media.audio import decode_audio
from polydub.media.frames import mux_audio, video_format
from polydub.media.probe import probe
from polydub.pipeline.lipsync import LipSyncInfo, lipsync_video, make_renderer
from polydub.pipeline.sync_score import ENVELOPE_RATE, SyncScore, score_video


def run_lipsync(
    video: Path,
    speech: Path,
    out: Path,
    *,
    mode: str,
    console: Console,
    model: Path | None = None,
    device: str = "auto",
) -> LipSyncInfo:
    """Redraw the speaker's mouth in `video` to follow `speech`, and mux `speech` in."""
    for path in (video, speech):
        if not path.is_file():
            raise InvalidInputError(f"no such file: {path}", param=str(path))
    fmt = video_format(video)
    info = probe(video)
    audio = decode_audio(speech, ENVELOPE_RATE)
    # Past the end of the new speech the mouth stays closed, to the end of the video.
    frames = int(math.ceil(max(info.duration, audio.duration) * fmt.fps)) + 1
    drive = track_from_audio(audio, fmt.fps, frames)
    source_speech = decode_audio(video, ENVELOPE_RATE) if info.audio is not None else None
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        silent = Path(tmp) / "video.mp4"
        renderer = make_renderer(mode, model=model, speech=audio, device=device)
        result = lipsync_video(
            video,
            drive,
            silent,
            mode=mode,
            renderer=renderer,
            source_speech=source_speech,
            dub_speech=audio,
        )
        mux_audio(silent if result.wrote_video else video, speech, out)
    console.print(
        f"wrote {out}: {result.edited_frames}/{result.frames} frames edited ({result.renderer}), "
        f"scan {result.scan_seconds:.1f} s, render {result.render_fps:.1f} frames/s"
    )
    for name, score in result.sync.items():
        console.print(f"sync {name}: {score['correlation']:.3f} at lag {score['lag_frames']:+d}")
    for line in result.lines:
        console.print(f"{line.status}: {line.edited_frames}/{line.frames} frames; {line.reason}")
    for warning in result.warnings:
        console.print(f"[yellow]warning[/]: {warning}")
    return result


def run_sync_score(video: Path, audio: Path | None, console: Console) -> SyncScore:
    if not video.is_file():
        raise InvalidInputError(f"no such file: {video}", param=str(video))
    if audio is None and probe(video).audio is None:
        raise InvalidInputError(f"{video.name} has no audio: pass the speech with --audio")
    score = score_video(video, audio)
    console.print(
        f"sync score {score.correlation:.3f} at lag {score.lag_frames:+d} frames "
        f"({score.lag_seconds * 1000:+.0f} ms); at zero lag {score.zero_lag_correlation:.3f}; "
        f"face on {score.face_frames}/{score.frames} frames"
    )
    return score
