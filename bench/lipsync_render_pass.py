"""The lipsync stage's render pass alone, with the sync check on: wall and CPU seconds.

`polydub bench-lipsync` leaves the sync check out (no dub speech); the pipeline always runs
it (a landmark pass on every edited frame, for the report's lip-sync scores and the per-line
keep-or-restore judgement). The face scan is cached first, so only the render pass is timed.
Run it with PYTHONPATH pointing at another checkout's src for a before/after pair.

    .venv/bin/python bench/lipsync_render_pass.py --seconds 20 --runs 2
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from polydub.engines.lipsync.visemes import track_from_audio
from polydub.face_samples import make_talking_face_clip, speech_like_audio, syllable_curve
from polydub.media.audio import decode_audio, write_wav
from polydub.pipeline.lipsync import lipsync_video
from polydub.pipeline.sync_score import ENVELOPE_RATE

FPS = 25.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="polydub-render-pass-") as tmp:
        root = Path(tmp)
        source = root / "face.mp4"
        make_talking_face_clip(source, args.seconds, fps=FPS)
        curve = syllable_curve(args.seconds, FPS, seed=11)
        dub = write_wav(root / "dub.wav", speech_like_audio(curve, FPS, seed=9))
        speech = decode_audio(dub, ENVELOPE_RATE)
        drive = track_from_audio(speech, FPS, int(args.seconds * FPS) + 1)
        source_speech = decode_audio(source, ENVELOPE_RATE)
        cache = root / "scan"
        cache.mkdir()
        lipsync_video(
            source, drive, root / "warm.mp4", source_speech=source_speech, scan_cache=cache
        )
        for run in range(args.runs):
            cpu, wall = cpu_seconds(), time.perf_counter()
            info = lipsync_video(
                source,
                drive,
                root / "out.mp4",
                source_speech=source_speech,
                dub_speech=speech,
                scan_cache=cache,
            )
            wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
            synced = info.sync.get("lip_synced", {}).get("correlation")
            print(
                f"run {run}: {info.frames} frames, {info.edited_frames} edited; render pass "
                f"{wall:.2f} s wall, {cpu:.2f} s CPU; lip-synced correlation {synced:.4f}"
            )


if __name__ == "__main__":
    main()
