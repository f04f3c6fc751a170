"""`polydub bench-lipsync --real`: lip-sync on real footage from packages (see face_footage).

Per clip and mode it prints the frames where the speaker's face was found, the frames edited,
the sync scores (ceiling: source mouth with source speech; floor: source mouth with the dub;
lip-synced: the video as written with the dub), the seam ratios, each line's verdict, and
writes a montage PNG of source and dub mouths to look at.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from rich.console import Console

from polydub.domain.audio import Audio
from polydub.engines.lipsync.visemes import track_from_audio
from polydub.face_footage import CLIPS, FootageClip, FootageUnavailable, footage_clip
from polydub.lipsync_montage import mouth_montage
from polydub.media.audio import decode_audio
from polydub.media.frames import video_format
from polydub.pipeline.lipsync import LipSyncInfo, lipsync_video
from polydub.pipeline.lipsync_lines import LineSpan
from polydub.pipeline.sync_score import ENVELOPE_RATE

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
LEAD_S, GAP_S = 0.4, 0.6


def _read_speech() -> list[Audio]:
    """Real read speech (Debian pocketsphinx-testdata) when installed, else Piper's voice."""
    clips = sorted(LIBRIVOX.glob("*.wav")) if LIBRIVOX.is_dir() else []
    if clips:
        return [decode_audio(p, ENVELOPE_RATE) for p in clips]
    from polydub.media.audio import resample
    from polydub.samples import SCRIPT, _voices

    speak = _voices(False)[0]
    return [resample(speak(text), ENVELOPE_RATE) for text in SCRIPT[:6]]


def dub_speech(seconds: float, pieces: list[Audio]) -> tuple[Audio, list[LineSpan]]:
    """The dub: speech pieces one after another with short gaps, cut to fit `seconds`; each
    piece is one line (a long piece is cut at the end of the clip)."""
    out = np.zeros(int(seconds * ENVELOPE_RATE), np.float32)
    lines, t, k = [], LEAD_S, 0
    while t < seconds - 1.0:
        piece = pieces[k % len(pieces)].samples
        i = int(t * ENVELOPE_RATE)
        n = min(len(piece), len(out) - i - int(0.2 * ENVELOPE_RATE))
        out[i : i + n] = piece[:n]
        lines.append(LineSpan(k, t, t + n / ENVELOPE_RATE))
        t += n / ENVELOPE_RATE + GAP_S
        k += 1
    return Audio(out, ENVELOPE_RATE), lines


def _score_text(sync: dict, name: str) -> str:
    value = sync.get(name, {}).get("correlation", float("nan"))
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"


def _share_of_ceiling(sync: dict) -> str:
    """ " (NN % of the ceiling)" where the source has its own speech, else nothing."""
    ceiling = sync.get("ceiling", {}).get("correlation")
    synced = sync.get("lip_synced", {}).get("correlation")
    if ceiling is None or synced is None or not ceiling > 0 or math.isnan(synced):
        return ""
    return f" ({synced / ceiling:.0%} of the ceiling)"


def montage_frames(info: LipSyncInfo, fps: float, columns: int = 10) -> dict[int, str]:
    """About `columns` frames to show, spread over the lines by their length (at least two a
    line, a third and two thirds in), each labelled with its line's verdict."""
    total = sum(line.end - line.start for line in info.lines) or 1.0
    picks = {}
    for line in info.lines:
        count = max(2, round(columns * (line.end - line.start) / total))
        for share in np.linspace(0.33, 0.66, 2) if count == 2 else np.linspace(0.1, 0.9, count):
            picks[int((line.start + share * (line.end - line.start)) * fps)] = line.status
    keys = sorted(picks)
    if len(keys) > columns:
        keys = [keys[int(i)] for i in np.linspace(0, len(keys) - 1, columns)]
    return {k: picks[k] for k in keys}


def print_clip(console: Console, name: str, info: LipSyncInfo, seconds: float) -> None:
    seams = np.array(info.seam_ratios) if info.seam_ratios else np.array([np.nan])
    spoken = sum(line.speech_frames for line in info.lines)
    visible = sum(line.visible_frames for line in info.lines)
    edited_share = info.edited_frames / max(info.speaker_frames, 1)
    console.print(
        f"  {info.mode}: speaker's face on {info.speaker_frames}/{info.frames} frames "
        f"({visible}/{spoken} of the dub's speech frames); edited {info.edited_frames} "
        f"({edited_share:.0%} of the speaker's face frames); sync ceiling "
        f"{_score_text(info.sync, 'ceiling')} floor {_score_text(info.sync, 'floor')} "
        f"lip-synced {_score_text(info.sync, 'lip_synced')}{_share_of_ceiling(info.sync)}; "
        "seam ratio p5..p95 "
        f"{np.nanpercentile(seams, 5):.3f}..{np.nanpercentile(seams, 95):.3f}; "
        f"{info.frames / max(seconds, 1e-6):.1f} frames/s"
    )
    for line in info.lines:
        console.print(
            f"    line {line.index} ({line.start:.1f}-{line.end:.1f} s): {line.status}; "
            f"face {line.face}; {line.edited_frames}/{line.frames} frames; {line.reason}"
        )
    for warning in info.warnings:
        console.print(f"    [yellow]warning[/]: {warning}")


def _source_speech(path: Path, clip: FootageClip, samples: int) -> Audio:
    """The clip's own speech on the dub's timeline, or silence for a silent clip (a silent
    source speech gives no ceiling, and no speaker by voice)."""
    out = np.zeros(samples, np.float32)
    if clip.speech_from is not None:
        own = decode_audio(path, ENVELOPE_RATE).samples[:samples]
        out[: len(own)] = own
    return Audio(out, ENVELOPE_RATE)


def run_footage_bench(
    modes: list[str], cache: Path, out_dir: Path, console: Console, names: list[str] | None = None
) -> int:
    """Lip-sync every real clip (or those named) in each mode; montages and videos go to
    `out_dir`."""
    unknown = set(names or []) - {c.name for c in CLIPS}
    if unknown:
        console.print(f"unknown clips: {', '.join(sorted(unknown))}")
        return 2
    pieces = _read_speech()
    out_dir.mkdir(parents=True, exist_ok=True)
    for clip in CLIPS:
        if names and clip.name not in names:
            continue
        try:
            path = footage_clip(clip, cache)
        except FootageUnavailable as exc:
            console.print(f"[bold]{clip.name}[/]: skipped: {exc}")
            continue
        fmt = video_format(path)
        seconds = fmt.frames / fmt.fps
        speech, lines = dub_speech(seconds, pieces)
        frames = int(math.ceil(seconds * fmt.fps)) + 1
        drive = track_from_audio(speech, fmt.fps, frames)
        source_speech = _source_speech(path, clip, len(speech.samples))
        console.print(
            f"[bold]{clip.name}[/]: {clip.what}; {fmt.width}x{fmt.height}, {seconds:.1f} s, "
            f"{len(lines)} dubbed lines; "
            + ("its own speech; " if clip.speech_from is not None else "silent; ")
            + "from "
            + "; ".join(f"{m.package} {m.version} ({m.licence})" for m in clip.sources)
        )
        for mode in modes:
            out = out_dir / f"{clip.name}.{mode}.mp4"
            started = time.perf_counter()
            info = lipsync_video(
                path,
                drive,
                out,
                mode=mode,
                source_speech=source_speech,
                dub_speech=speech,
                lines=lines,
            )
            print_clip(console, clip.name, info, time.perf_counter() - started)
            if info.wrote_video:
                labels = montage_frames(info, fmt.fps)
                png = mouth_montage(
                    path, out, list(labels), labels, out_dir / f"{clip.name}.{mode}.png"
                )
                console.print(f"    montage: {png}")
    return 0
