"""Speech enhancement: the interface every denoiser implements."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class Enhancer(Protocol):
    name: str

    def enhance(self, speech_in: Path, speech_out: Path) -> None:
        """Write a cleaned copy of the speech WAV `speech_in` (noise and reverb reduced) to
        `speech_out`, same sample rate and length, in bounded memory."""
        ...
