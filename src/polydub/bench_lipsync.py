"""`polydub bench-lipsync`: lip-sync frames per second on a generated 720p talking face.

Reports the whole run (both passes: decode, FaceMesh, redraw, H.264 encode) and the renderer
alone, per mode, with the sync scores of the result against the source's ceiling and floor.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console

from polydub.engines.lipsync.base import MouthTarget
from polydub.engines.lipsync.visemes import track_from_audio
from polydub.face_samples import (
    TalkingFaces,
    make_talking_face_clip,
    one_face_placement,
    speech_like_audio,
    syllable_curve,
)
from polydub.media.audio import decode_audio, write_wav
from polydub.media.frames import mux_audio
from polydub.pipeline.lipsync import lipsync_video, make_renderer
from polydub.pipeline.sync_score import ENVELOPE_RATE, score_video

FPS = 25.0


def renderer_fps(mode: str, frames: int = 100) -> float:
    """Frames per second of the mouth renderer alone on a 720p frame."""
    from polydub.engines.face.mediapipe_mesh import MediaPipeFaceLandmarker

    faces = TalkingFaces(1280, 720, [one_face_placement(1280, 720)])
    frame = faces.frame([0.3])
    with MediaPipeFaceLandmarker() as landmarker:
        points = landmarker.landmarks(frame)[0]
    renderer = make_renderer(mode)
    targets = 0.1 + 0.2 * syllable_curve(frames / FPS, FPS, seed=1)
    started = time.perf_counter()
    for opening in targets:
        renderer.render(frame, points, MouthTarget(float(opening)))
    return len(targets) / (time.perf_counter() - started)


def run_lipsync_bench(seconds: float, modes: list[str]) -> int:
    console = Console()
    console.print(
        f"lip-sync bench: {seconds:.0f} s 720p talking face at {FPS:.0f} fps, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="polydub-lipsync-bench-") as tmp:
        root = Path(tmp)
        source = root / "face.mp4"
        make_talking_face_clip(source, seconds, fps=FPS)
        dub = write_wav(
            root / "dub.wav", speech_like_audio(syllable_curve(seconds, FPS, seed=11), FPS, seed=9)
        )
        ceiling = score_video(source).correlation
        floor = score_video(source, dub).correlation
        console.print(f"sync score of the source: ceiling {ceiling:.3f}, floor {floor:.3f}")
        speech = decode_audio(dub, ENVELOPE_RATE)
        drive = track_from_audio(speech, FPS, int(seconds * FPS) + 1)
        source_speech = decode_audio(source, ENVELOPE_RATE)
        for mode in modes:
            silent = root / f"{mode}.video.mp4"
            started = time.perf_counter()
            info = lipsync_video(
                source, drive, silent, mode=mode, source_speech=source_speech, measure_seams=False
            )
            overall = info.frames / (time.perf_counter() - started)
            score = score_video(mux_audio(silent, dub, root / f"{mode}.mp4"))
            check = lipsync_video(
                source, drive, root / "check.mp4", mode=mode, source_speech=source_speech
            )
            seams = np.array(check.seam_ratios)
            console.print(
                f"{mode}: {info.frames} frames; overall {overall:.1f} frames/s (scan "
                f"{info.frames / info.scan_seconds:.1f}, render+encode {info.render_fps:.1f}); "
                f"renderer alone {renderer_fps(mode):.1f} frames/s; sync {score.correlation:.3f} "
                f"({score.correlation / ceiling:.0%} of ceiling) at lag {score.lag_frames:+d}; "
                f"seam ratio p5..p95 {np.percentile(seams, 5):.3f}..{np.percentile(seams, 95):.3f}"
            )
    return 0
