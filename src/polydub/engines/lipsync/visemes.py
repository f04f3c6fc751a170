"""The driving signal of lip-sync: how open and how wide the mouth should be on each frame.

From synthesised speech it comes from phoneme timing (each phoneme's viseme, reached at its
middle, blended between neighbours as real mouths coarticulate); from the user's own audio it
comes from the speech envelope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from polydub.domain.audio import Audio
from polydub.media.envelope import speech_envelope

# Viseme classes as (opening 0..1, width factor) over IPA symbols (eSpeak / misaki phonemes).
_CLOSED = (0.0, 1.0)  # p b m: lips pressed
_LABIODENTAL = (0.08, 1.0)  # f v: lower lip to the teeth
_ROUNDED = (0.45, 0.8)  # o u w: rounded, narrow
_OPEN = (1.0, 1.0)  # a: jaw down
_MID = (0.65, 1.0)  # e ə ɛ ʌ
_SPREAD = (0.35, 1.1)  # i ɪ j: spread
_TONGUE = (0.3, 1.0)  # t d n l s z r k g ...: teeth nearly together
_POSTALVEOLAR = (0.3, 0.88)  # ʃ ʒ tʃ dʒ: lips pushed forward

VISEME_OF: dict[str, tuple[float, float]] = {}
for symbols, viseme in (
    ("pbmɱ", _CLOSED),
    ("fvʋ", _LABIODENTAL),
    ("oɔuʊwɒøœyʏɵɞɥ", _ROUNDED),
    ("aɑæɐɶ", _OPEN),
    ("eɛəɜʌɘɤɚɝ", _MID),
    ("iɪjɨɯ", _SPREAD),
    ("tdnlɾrɹszθðkgɡŋhxɣχʁɲʎɫʔcɟqɴʀɬɮçʝ", _TONGUE),
    ("ʃʒʂʐɕʑ", _POSTALVEOLAR),
):
    for symbol in symbols:
        VISEME_OF[symbol] = viseme
# Diphthongs and affricates written as single letters by some front ends.
VISEME_OF.update(
    {
        "A": _OPEN,
        "I": _OPEN,
        "W": _OPEN,
        "Y": _ROUNDED,
        "O": _ROUNDED,
        "ʧ": _POSTALVEOLAR,
        "ʤ": _POSTALVEOLAR,
    }
)
NEUTRAL = _TONGUE


def viseme_of(phoneme: str) -> tuple[float, float]:
    """The viseme of a phoneme: that of its first symbol the table knows."""
    for symbol in phoneme:
        if symbol in VISEME_OF:
            return VISEME_OF[symbol]
    return NEUTRAL


@dataclass(frozen=True)
class MouthTrack:
    """Per-frame mouth targets: opening 0 (closed) .. 1 (wide), width as a factor of rest."""

    opening: np.ndarray
    width: np.ndarray
    fps: float

    def __len__(self) -> int:
        return len(self.opening)

    @staticmethod
    def closed(frames: int, fps: float) -> MouthTrack:
        return MouthTrack(np.zeros(frames), np.ones(frames), fps)

    def place(self, other: MouthTrack, start_frame: int) -> None:
        """Write `other` into this track from `start_frame` on (clipped to this track)."""
        a = max(start_frame, 0)
        b = min(start_frame + len(other), len(self))
        if b > a:
            self.opening[a:b] = other.opening[a - start_frame : b - start_frame]
            self.width[a:b] = other.width[a - start_frame : b - start_frame]


def track_from_phonemes(
    phonemes: Iterable[tuple[str, float, float]], fps: float, frames: int
) -> MouthTrack:
    """Mouth targets from timed phonemes (symbol, start s, end s).

    Each phoneme's viseme is its target at its middle; between middles the mouth moves linearly;
    gaps between phonemes (pauses, word breaks over 120 ms) close the mouth.
    """
    keys_t, keys_open, keys_width = [0.0], [0.0], [1.0]
    last_end = 0.0
    for symbol, start, end in phonemes:
        if start - last_end > 0.12:
            keys_t += [last_end + 0.04, start - 0.04]
            keys_open += [0.0, 0.0]
            keys_width += [1.0, 1.0]
        opening, width = viseme_of(symbol)
        mid = (start + end) / 2
        # Closures (p b m) must be seen: hold them over most of the phoneme.
        if opening == 0.0:
            keys_t += [start + 0.25 * (end - start), end - 0.25 * (end - start)]
            keys_open += [0.0, 0.0]
            keys_width += [width, width]
        else:
            keys_t.append(mid)
            keys_open.append(opening)
            keys_width.append(width)
        last_end = end
    keys_t += [last_end + 0.06]
    keys_open.append(0.0)
    keys_width.append(1.0)
    order = np.argsort(keys_t, kind="stable")
    kt = np.asarray(keys_t)[order]
    times = np.arange(frames) / fps + 0.5 / fps  # the middle of each frame's time
    opening = np.interp(times, kt, np.asarray(keys_open)[order])
    width = np.interp(times, kt, np.asarray(keys_width)[order])
    return MouthTrack(opening, width, fps)


def loudness_opening(audio: Audio, fps: float, frames: int) -> np.ndarray:
    """Mouth opening 0..1 per frame from speech loudness: louder is more open, silence closed.

    Loudness is taken relative to the 95th percentile of the speech, compressed (a cube root)
    so soft syllables still open.
    """
    envelope = speech_envelope(audio, fps, frames)
    voiced = envelope[envelope > envelope.max() * 0.05] if envelope.max() > 0 else envelope
    if len(voiced) == 0 or envelope.max() <= 1e-6:
        return np.zeros(frames)
    loud = float(np.percentile(voiced, 95))
    level = np.clip(envelope / (loud + 1e-9), 0, 1)
    gate = np.clip((level - 0.06) / 0.1, 0, 1)  # silence closes the mouth fully
    return np.cbrt(level) * gate


def track_from_audio(audio: Audio, fps: float, frames: int) -> MouthTrack:
    """Mouth targets from speech loudness alone: for audio without phoneme timing (the user's
    own audio)."""
    return MouthTrack(loudness_opening(audio, fps, frames), np.ones(frames), fps)


# Mouths move ahead of the sound they make (the lips shape a syllable before it sounds).
ANTICIPATION_S = 0.06
# Below this viseme opening the phonemes are closing the lips: loudness cannot open them.
_CLOSURE = 0.15
# How much of the jaw's drop the viseme decides; the rest follows loudness.
_SHAPE_WEIGHT = 0.3


def track_from_speech(
    phonemes: Iterable[tuple[str, float, float]], audio: Audio, fps: float, frames: int
) -> MouthTrack:
    """Mouth targets from synthesised speech: the phonemes give the shapes and when they
    happen (closures for p b m, rounding, width), the loudness how far the jaw drops.

    Measured against the speech envelope on five Piper (en) and Kokoro (es) lines at 25 fps:
    visemes alone correlate 0.44-0.57 and trail by 1-2 frames; this blend 0.78-0.90 (mean
    0.84) at zero lag. Without the closures it would score 0.89, with lips open on m/b/p.
    """
    early = [(p, s - ANTICIPATION_S, e - ANTICIPATION_S) for p, s, e in phonemes]
    shape = track_from_phonemes(early, fps, frames)
    level = loudness_opening(audio, fps, frames)
    closing = np.clip(shape.opening / _CLOSURE, 0.0, 1.0)
    opening = _SHAPE_WEIGHT * shape.opening + (1 - _SHAPE_WEIGHT) * level
    return MouthTrack(opening * closing, shape.width, fps)
