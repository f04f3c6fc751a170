"""The typed artifacts stages hand to each other, saved as JSON beside their media files."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from polydub.domain.media import MediaInfo
from polydub.domain.speaker import SpeakerProfile
from polydub.domain.timing import TimingPlan
from polydub.domain.transcript import Segment, Transcript
from polydub.pipeline.phrasing import PhrasingAttempt
from polydub.pipeline.translation_quality import LineQuality


class IngestArtifact(BaseModel):
    source: Path
    info: MediaInfo
    mixture_wav: Path  # the whole original audio, 48 kHz stereo
    range_start: float  # the translated range on the source timeline
    range_end: float


class SeparationArtifact(BaseModel):
    speech_wav: Path  # the speech stem; enhanced when enhancement was asked for
    background_wav: Path  # music and effects
    raw_speech_wav: Path  # the speech stem before enhancement (same as speech_wav without it)
    enhanced: bool = False
    separator: str
    enhancer: str | None = None


class TranscriptArtifact(BaseModel):
    transcript: Transcript
    engine: str
    beam_size: int


class DiarizationArtifact(BaseModel):
    transcript: Transcript  # the same segments with `speaker` set
    speakers: list[str]
    method: str
    profiles: list[SpeakerProfile] = Field(default_factory=list)  # one per speaker


class GlossaryMiss(BaseModel):
    segment: int
    source_term: str
    target_term: str


class TranslationArtifact(BaseModel):
    source_language: str
    target_language: str
    engine: str
    segments: list[Segment]
    # The steps a pivot route took ("apertium en->es", "apertium es->fr") and what to expect
    # of it; a direct engine leaves both empty.
    route: list[str] = Field(default_factory=list)
    route_quality: str | None = None
    # Segments left without words of their own because their sentence's translation was too
    # short to share (the neighbour in the same sentence speaks it): not dropped speech.
    carried_by_neighbour: list[int] = Field(default_factory=list)
    # Names, numbers and addresses detected and kept as said (the user's glossary aside).
    protected_terms: list[str] = Field(default_factory=list)
    # Per spoken line: a quality signal to review the worst lines first.
    line_quality: list[LineQuality] = Field(default_factory=list)
    glossary_misses: list[GlossaryMiss] = Field(default_factory=list)
    # Sentences predicted too long for their time, and whether a shorter phrasing was found.
    phrasing: list[PhrasingAttempt] = Field(default_factory=list)


class SynthLine(BaseModel):
    index: int  # the segment's index
    path: Path
    duration: float
    rate: float
    voice: str
    # When each phoneme sounds (JSON beside the cached line; feeds lip-sync). None when the
    # engine cannot tell.
    phonemes: Path | None = None
    # The line's length at rate 1.0 as predicted before it was spoken (corrected by what it
    # really lasted), when the engine predicts durations; the fit stage plans on it.
    natural: float | None = None


class SynthesisArtifact(BaseModel):
    voices: dict[str, str]  # speaker -> voice id
    lines: list[SynthLine]


class FitArtifact(BaseModel):
    plan: TimingPlan
    lines: list[SynthLine]  # the fitted audio of each line, as it is placed


class MixArtifact(BaseModel):
    mix_wav: Path  # the final soundtrack on the output timeline
    dub_wav: Path  # the dubbed speech alone on the output timeline (for the ASR round trip)
    integrated_lufs: float
    music_kept: bool
    # The mix encoded with the MP4 default's audio settings, made beside lipsync so that
    # render only copies it; None when render encodes the audio itself (another format).
    mix_aac: Path | None = None


class RenderArtifact(BaseModel):
    video: Path
    srt: Path
    vtt: Path
    reencoded_video: bool
