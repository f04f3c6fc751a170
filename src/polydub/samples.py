"""Generated media for demos, tests and benchmarks: a talking clip with music, no downloads.

The speech is Piper's bundled English voice reading a short script at known times, over a
synthetic music bed; the picture is a talking face (scikit-image's astronaut, her mouth opening
with the speech's loudness) so every stage, lip-sync included, has work to show, or ffmpeg's
test pattern for tests that need no face. Everything is deterministic.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from polydub.domain.audio import Audio
from polydub.media.audio import resample, write_wav
from polydub.media.ffmpeg import run_ffmpeg

SCRIPT = (
    "Welcome to our short introduction to the new product.",
    "Today I will show you three features that save time every day.",
    "First, you can share your work with the whole team in one click.",
    "Second, the search finds any document in less than a second.",
    "Third, everything works offline, even on a plane.",
    "Thank you for watching, and see you next time.",
    "If you have questions, write to us at any time.",
    "We read every message and answer within a day.",
    "Our team is small, but we care about every detail.",
    "The next version will arrive in the spring.",
    "It brings a new editor and faster exports.",
    "Until then, enjoy the product and tell your friends.",
)
RATE = 48000


def music_bed(seconds: float, rate: int = RATE, seed: int = 7) -> np.ndarray:
    """A soft chord progression with a kick drum: enough to test separation and ducking."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    chords = [(220.0, 277.2, 329.6), (196.0, 246.9, 293.7), (174.6, 220.0, 261.6)]
    out = np.zeros_like(t)
    bar = 2.0
    for k, chord in enumerate(chords * int(seconds // (bar * 3) + 1)):
        a, b = k * bar, min((k + 1) * bar, seconds)
        if a >= seconds:
            break
        idx = (t >= a) & (t < b)
        local = t[idx] - a
        env = np.minimum(1.0, local * 8) * np.exp(-local * 0.6)
        out[idx] += sum(np.sin(2 * np.pi * f * t[idx]) for f in chord) * env / 3
    beat = 0.5
    for start in np.arange(0, seconds, beat):
        i = int(start * rate)
        n = min(int(0.12 * rate), len(out) - i)
        tt = np.arange(n) / rate
        out[i : i + n] += np.sin(2 * np.pi * 60 * tt) * np.exp(-tt * 30) * 0.8
    out += rng.normal(0, 0.003, len(out))
    return (out / (np.abs(out).max() + 1e-9) * 0.5).astype(np.float32)


def _voices(dialogue: bool):
    """Speakers as functions text -> Audio: Piper's male voice, and Kokoro's female one when
    two people talk (a cheap but real two-speaker dialogue for diarization tests)."""
    from polydub.engines.tts.piper import PiperSynthesizer

    # No sampling noise: the same clip every run, so tests that diarize or transcribe it
    # do not depend on the draw (a noisy draw once merged the two dialogue speakers).
    piper = PiperSynthesizer(noise_scale=0.0)
    speakers = [lambda text: piper.synthesize(text, language="en", voice="joe").audio]
    if dialogue:
        from polydub.config import Settings
        from polydub.engines.tts.kokoro import KokoroSynthesizer

        kokoro = KokoroSynthesizer(Settings().models_dir)
        speakers.append(lambda text: kokoro.synthesize(text, language="en", voice="jf_alpha").audio)
    return speakers


def speech_track(
    seconds: float, lines: tuple[str, ...] = SCRIPT, gap: float = 1.0, dialogue: bool = False
) -> tuple[Audio, list[tuple[float, float, str]]]:
    """`lines` read with `gap` seconds between them until `seconds` is filled; with
    `dialogue`, two speakers take turns."""
    speakers = _voices(dialogue)
    out = np.zeros(int(seconds * RATE), np.float32)
    t = 0.6
    timeline = []
    for k, text in enumerate(lines * 10):
        speech = resample(speakers[k % len(speakers)](text), RATE)
        if t + speech.duration > seconds - 0.5:
            break
        i = int(t * RATE)
        out[i : i + len(speech.samples)] = speech.samples
        timeline.append((t, t + speech.duration, text))
        t += speech.duration + gap
    return Audio(out, RATE), timeline


def make_talking_clip(
    path: Path,
    seconds: float = 10.0,
    *,
    width: int = 1280,
    height: int = 720,
    fps: int = 25,
    music: bool = True,
    dialogue: bool = False,
    face: bool = False,
) -> list[tuple[float, float, str]]:
    """Write an H.264/AAC MP4 of speech over music; returns the speech timeline. With `face`
    the picture is a face speaking the words (else a test pattern)."""
    speech, timeline = speech_track(seconds, dialogue=dialogue)
    mix = speech.samples * 0.9
    if music:
        mix = mix + music_bed(seconds) * 0.25
    if face:
        _write_speaking_face(path, speech, Audio(mix.astype(np.float32), RATE), width, height, fps)
        return timeline
    with tempfile.TemporaryDirectory() as tmp:
        wav = write_wav(Path(tmp) / "audio.wav", Audio(mix.astype(np.float32), RATE))
        path.parent.mkdir(parents=True, exist_ok=True)
        run_ffmpeg(
            [
                "-f",
                "lavfi",
                "-i",
                f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}",
                "-i",
                str(wav),
                "-map",
                "0:v",
                "-map",
                "1:a",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-b:a",
                "160k",
                "-shortest",
                str(path),
            ]
        )
    return timeline


def _write_speaking_face(
    path: Path,
    speech: Audio,
    sound: Audio,
    width: int,
    height: int,
    fps: float,
    zoom: float | None = None,
) -> None:
    """The astronaut mouthing `speech` (mouth opening with its loudness), with `sound` as the
    soundtrack; by default the face fills about 60 % of the frame's height, and never more
    than fits in the frame."""
    from polydub.engines.lipsync.visemes import loudness_opening
    from polydub.face_samples import (
        FACE_SIDE,
        TalkingFaces,
        fitting_zoom,
        one_face_placement,
        talking_frames,
        write_video,
    )

    frames = int(round(speech.duration * fps))
    curve = loudness_opening(speech, fps, frames)
    zoom = fitting_zoom(width, height, zoom or 0.6 * height / FACE_SIDE)
    faces = TalkingFaces(width, height, [one_face_placement(width, height, zoom=zoom)])
    write_video(path, talking_frames(faces, [curve]), fps, sound)


def make_speaking_face_clip(
    path: Path,
    seconds: float = 8.0,
    *,
    fps: float = 25.0,
    width: int = 1280,
    height: int = 720,
) -> list[tuple[float, float, str]]:
    """The astronaut reading the sample script in Piper's voice, her mouth opening with the
    speech's loudness, no music; returns the speech timeline (for dubbing tests with a face).
    The face is drawn at twice its size, or smaller where the frame is too small for that."""
    speech, timeline = speech_track(seconds)
    _write_speaking_face(path, speech, speech, width, height, fps, zoom=2.0)
    return timeline
