"""Speech synthesis: the interface every TTS engine implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from polydub.domain.audio import Audio


@dataclass(frozen=True)
class VoiceInfo:
    """A voice an engine offers. `id` is globally unique: "<engine>:<voice>"."""

    id: str
    engine: str
    name: str
    languages: tuple[str, ...]
    gender: str | None = None


@dataclass(frozen=True)
class PhonemeTiming:
    """When a phoneme sounds in synthesised audio (seconds from its start); feeds lip-sync."""

    phoneme: str
    start: float
    end: float


@dataclass(frozen=True)
class Speech:
    """Synthesised speech, with phoneme timing when the engine can tell it, and `words`: each
    spoken word's phonemes (a run between word gaps) and when it sounds, where it can tell."""

    audio: Audio
    phonemes: tuple[PhonemeTiming, ...] = ()
    words: tuple[PhonemeTiming, ...] = ()


class Synthesizer(Protocol):
    name: str
    sample_rate: int
    # False for engines that can only be sped up by stretching afterwards.
    native_rate_control: bool

    def languages(self) -> set[str]:
        """ISO 639-1 codes this engine speaks."""
        ...

    def voices(self, language: str | None = None) -> list[VoiceInfo]: ...

    def synthesize(self, text: str, *, language: str, voice: str, rate: float = 1.0) -> Speech:
        """Speak `text`; `rate` > 1 speaks faster (1.25 = 25% shorter), re-synthesised, not
        stretched. Leading and trailing silence is trimmed to at most ~50 ms."""
        ...
