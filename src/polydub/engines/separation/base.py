"""Speech / background separation: the interface every separator implements."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class Separator(Protocol):
    name: str

    def separate(self, mixture: Path, speech_out: Path, background_out: Path) -> None:
        """Split the audio file `mixture` into a speech stem and a background stem (music and
        effects), both WAV at the mixture's sample rate. Works in bounded memory: long inputs
        are processed in chunks, so memory does not grow with the input's length."""
        ...
