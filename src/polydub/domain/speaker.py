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
        """ "male" or "female" when the pitch says so clearly, else None (voice_sex)."""
        return voice_sex(self.pitch)


# Adult speaking pitch: men mostly 85-155 Hz, women 165-255 Hz. Between the two a voice's
# pitch does not tell its sex, and no constraint is drawn from it.
MALE_BELOW_HZ = 155.0
FEMALE_ABOVE_HZ = 165.0


def voice_sex(pitch: PitchStats | None) -> str | None:
    """ "male" / "female" for a clearly male / female median pitch; None when unclear."""
    if pitch is None:
        return None
    if pitch.median <= MALE_BELOW_HZ:
        return "male"
    if pitch.median >= FEMALE_ABOVE_HZ:
        return "female"
    return None
