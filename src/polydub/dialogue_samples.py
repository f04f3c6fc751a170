"""A generated multi-speaker dialogue with known turns, for diarization and voice tests.

Three real voices (Piper's US male, Kokoro's jf_alpha and jm_kumo) take turns at known times;
some turns follow each other with almost no pause (so speech recognition puts both in one
segment and the speaker change must be found inside it), and one turn is a single short word.
Deterministic: same voices, same script, same gaps. Also finds the real two-speaker recording
(with its reference RTTM) that ships inside the pyannote-audio wheel.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from polydub.domain.audio import Audio
from polydub.media.audio import resample

RATE = 16000

# (speaker, text, pause before the turn in seconds)
DIALOGUE: tuple[tuple[str, str, float], ...] = (
    ("A", "Good morning, and thank you for coming in so early today.", 0.6),
    ("B", "Of course. I wanted to hear about the new schedule before everyone else.", 0.8),
    ("A", "The short version is that the morning shift starts one hour later.", 0.25),
    ("C", "Does that change anything for the weekend team as well?", 0.9),
    ("A", "No, the weekend stays exactly as it is now.", 0.7),
    ("B", "Good.", 0.2),
    ("C", "Then I will tell my group this afternoon, they will be happy about it.", 0.8),
    ("B", "Please send me the new plan in writing, so I can print it for the office.", 0.3),
    ("A", "I will send it to both of you before lunch.", 0.8),
)


@dataclass(frozen=True)
class Turn:
    speaker: str
    start: float
    end: float
    text: str


def _speakers(models_dir: Path):
    from polydub.engines.tts.kokoro import KokoroSynthesizer
    from polydub.engines.tts.piper import PiperSynthesizer

    # No sampling noise: test media must come out the same every run.
    piper = PiperSynthesizer(noise_scale=0.0)
    kokoro = KokoroSynthesizer(models_dir)
    return {
        "A": lambda text: piper.synthesize(text, language="en", voice="joe").audio,
        "B": lambda text: kokoro.synthesize(text, language="en", voice="jf_alpha").audio,
        "C": lambda text: kokoro.synthesize(text, language="en", voice="jm_kumo").audio,
    }


def dialogue_track(
    models_dir: Path, dialogue: tuple[tuple[str, str, float], ...] = DIALOGUE
) -> tuple[Audio, list[Turn]]:
    """The dialogue as 16 kHz mono audio and its reference turns (seconds)."""
    speak = _speakers(models_dir)
    pieces: list[np.ndarray] = []
    turns: list[Turn] = []
    t = 0.0
    for speaker, text, pause in dialogue:
        pieces.append(np.zeros(int(pause * RATE), np.float32))
        t += pause
        speech = resample(speak[speaker](text), RATE).samples
        pieces.append(speech)
        turns.append(Turn(speaker, t, t + len(speech) / RATE, text))
        t += len(speech) / RATE
    pieces.append(np.zeros(int(0.8 * RATE), np.float32))
    samples = np.concatenate(pieces).astype(np.float32)
    return Audio(samples * 0.8, RATE), turns


def pyannote_sample() -> tuple[Path, Path] | None:
    """The wav and RTTM of pyannote-audio's sample, found through the installed files
    (importing pyannote.audio would need its many dependencies)."""
    try:
        files = importlib.metadata.files("pyannote-audio") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    found = {f.name: Path(f.locate()) for f in files if f.parent.name == "sample"}
    if "sample.wav" not in found or "sample.rttm" not in found:
        return None
    return found["sample.wav"], found["sample.rttm"]


def read_rttm(path: Path) -> list[tuple[float, float, str]]:
    turns = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            start, duration = float(fields[3]), float(fields[4])
            turns.append((start, start + duration, fields[7]))
    return turns
