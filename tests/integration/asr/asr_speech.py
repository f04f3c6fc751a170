"""Speech of known timing for the ASR tests: generated words placed with known silences, and
real LibriVox speech with an independent forced alignment."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from polydub.engines.asr.base import ASR_SAMPLE_RATE

ESPEAK_RATE = 22050


@dataclass(frozen=True)
class TimedWord:
    text: str
    start: float
    end: float


def espeak(text: str, tmp_dir: Path, *, voice: str = "en-us", speed: int = 150) -> np.ndarray:
    """Synthesise `text` with espeak-ng; 16 kHz float32 with leading/trailing silence cut."""
    wav = tmp_dir / f"espeak_{abs(hash((text, voice, speed)))}.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text],
        check=True,
        capture_output=True,
    )
    raw = np.frombuffer(wav.read_bytes()[44:], dtype="<i2").astype(np.float32) / 32768.0
    audio = resample_poly(raw, 320, 441).astype(np.float32)  # 22050 -> 16000
    return trim_silence(audio)


def trim_silence(audio: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    """Cut samples before the first and after the last one louder than `threshold`."""
    loud = np.flatnonzero(np.abs(audio) > threshold)
    if loud.size == 0:
        return audio[:0]
    return audio[loud[0] : loud[-1] + 1]


def place_words(
    words: list[str], gaps: list[float], tmp_dir: Path, *, lead: float = 0.7, voice="en-us"
) -> tuple[np.ndarray, list[TimedWord]]:
    """Concatenate separately synthesised words with the given silences between them.

    Returns the 16 kHz signal and every word's true onset and offset (seconds).
    """
    sr = ASR_SAMPLE_RATE
    pieces = [np.zeros(int(lead * sr), np.float32)]
    truth: list[TimedWord] = []
    t = lead
    for i, word in enumerate(words):
        audio = espeak(word, tmp_dir, voice=voice)
        truth.append(TimedWord(word, t, t + len(audio) / sr))
        pieces.append(audio)
        t += len(audio) / sr
        gap = gaps[i] if i < len(gaps) else 0.7
        pieces.append(np.zeros(int(round(gap * sr)), np.float32))
        t += int(round(gap * sr)) / sr
    return np.concatenate(pieces), truth


LIBRIVOX_DIR = Path("/usr/share/pocketsphinx/test/data/librivox")


@dataclass(frozen=True)
class RealSpeech:
    """The five LibriVox clips of Debian's pocketsphinx-testdata, joined with silences."""

    audio: np.ndarray
    text: str  # the shipped transcript, lower case, no punctuation
    clip_spans: list[tuple[float, float]]  # where each clip sits in `audio`


def load_librivox() -> RealSpeech:
    """The clips joined with 0.8 s silences (0.5 s lead); skips the test if not installed."""
    import soundfile as sf

    transcription = LIBRIVOX_DIR / "transcription"
    if not transcription.exists():
        pytest.skip("Debian package pocketsphinx-testdata is not installed")
    texts, pieces, spans = [], [np.zeros(ASR_SAMPLE_RATE // 2, np.float32)], []
    t = 0.5
    for line in transcription.read_text().splitlines():
        words, clip_id = line.rsplit("(", 1)
        texts.append(words.replace("<s>", "").replace("</s>", "").strip())
        audio, rate = sf.read(LIBRIVOX_DIR / f"{clip_id.strip(' )')}.wav", dtype="float32")
        assert rate == ASR_SAMPLE_RATE
        spans.append((t, t + len(audio) / rate))
        pieces += [audio, np.zeros(int(0.8 * rate), np.float32)]
        t += len(audio) / rate + 0.8
    return RealSpeech(np.concatenate(pieces), " ".join(texts), spans)


def forced_alignment(audio: np.ndarray, text: str) -> list[TimedWord]:
    """Word times of `text` in `audio` by PocketSphinx's forced alignment (HMM, 10 ms frames):
    an aligner independent of Whisper, used as the reference for real speech."""
    pocketsphinx = pytest.importorskip("pocketsphinx")
    decoder = pocketsphinx.Decoder(samprate=ASR_SAMPLE_RATE, bestpath=False)
    decoder.set_align_text(text)
    decoder.start_utt()
    decoder.process_raw((np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes(), full_utt=True)
    decoder.end_utt()
    return [
        TimedWord(seg.word.split("(")[0], seg.start_frame / 100, (seg.end_frame + 1) / 100)
        for seg in decoder.seg()
        if not seg.word.startswith("<")
    ]
