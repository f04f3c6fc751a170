"""A source speaker as the voice stages see them: reference speech, pitch, embedding."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel


class PitchStats(BaseModel):
    """Fundamental frequency of voiced speech, in Hz."""

    median: float
    p10: float
    p90: float


class SpeakerProfile(BaseModel):
    """What voice matching needs to know about one diarized speaker.

    `reference_wav` holds the clean clips chosen to represent the speaker (3-10 s when the
    speaker says that much), 16 kHz mono; `embedding` is the speaker encoder's (unit length).
    """

    speaker: str
    speech_seconds: float  # everything the speaker says
    reference_wav: Path
    reference_seconds: float
    clips: list[tuple[float, float]]  # the reference clips on the source timeline
    pitch: PitchStats | None  # None when no voiced frame was found
    embedding: list[float]
    encoder: str

    @property
    def gender(self) -> str | None:
        """A guess from pitch (adult voices: below ~165 Hz mostly male), for stock fallbacks."""
        if self.pitch is None:
            return None
        return "male" if self.pitch.median < 165.0 else "female"
