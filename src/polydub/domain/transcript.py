"""What was said, when: words and segments of the source speech, and their translations."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Word(BaseModel):
    """One recognised word with its time span in seconds on the source timeline."""

    start: float
    end: float
    text: str
    probability: float = 1.0


class Segment(BaseModel):
    """A stretch of speech that is translated and re-voiced as one unit.

    `translation` is empty until the translate stage fills it. `speaker` is a label such as
    "SPEAKER_00"; diarization (a separate stage) sets it, the default is one speaker.
    """

    index: int
    start: float
    end: float
    text: str
    words: list[Word] = Field(default_factory=list)
    speaker: str = "SPEAKER_00"
    translation: str = ""

    @property
    def duration(self) -> float:
        return self.end - self.start


class Transcript(BaseModel):
    """The recognised source speech and the language it was spoken in.

    `script_share` is the share of the text's letters written in the language's own scripts
    (None: unknown script or no letters); `script_constrained` says the recogniser had to be
    held to those scripts because its first answer was in another (a translation, say).
    """

    language: str
    language_probability: float = 1.0
    language_detected: bool = False
    duration: float = 0.0
    segments: list[Segment] = Field(default_factory=list)
    script_share: float | None = None
    script_constrained: bool = False

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())
