"""Speech recognition: the interface every ASR engine implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from polydub.domain.transcript import Transcript

ASR_SAMPLE_RATE = 16000


@dataclass(frozen=True)
class TranscribeOptions:
    """Settings of one recognition pass.

    Attributes:
        language: ISO 639-1 code of the spoken language; None detects it.
        beam_size: 1 is greedy (speed mode); 5 is the precision default.
        vad: skip non-speech with a voice activity detector before decoding.
        initial_prompt: text that biases spelling (e.g. glossary terms).
    """

    language: str | None = None
    beam_size: int = 1
    vad: bool = True
    initial_prompt: str | None = None


class Transcriber(Protocol):
    name: str

    def transcribe(self, samples: np.ndarray, options: TranscribeOptions) -> Transcript:
        """Recognise 16 kHz mono float32 `samples`; word timestamps are always filled."""
        ...

    def detect_language(self, samples: np.ndarray) -> tuple[str, float]:
        """The most likely spoken language (ISO 639-1) and its probability."""
        ...
