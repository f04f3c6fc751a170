"""Stage 2, separate: split speech from music and effects; optionally clean the speech."""

from __future__ import annotations

from pathlib import Path

from polydub.engines.enhance.base import Enhancer
from polydub.engines.separation.base import Separator
from polydub.pipeline.artifacts import IngestArtifact, SeparationArtifact


def separate(
    ingested: IngestArtifact,
    out_dir: Path,
    *,
    separator: Separator,
    enhancer: Enhancer | None,
) -> SeparationArtifact:
    """Write the speech and background stems; with an enhancer, a cleaned speech stem too."""
    speech = out_dir / "speech.wav"
    background = out_dir / "background.wav"
    separator.separate(ingested.mixture_wav, speech, background)
    cleaned = speech
    if enhancer is not None:
        cleaned = out_dir / "speech_enhanced.wav"
        enhancer.enhance(speech, cleaned)
    return SeparationArtifact(
        speech_wav=cleaned,
        background_wav=background,
        raw_speech_wav=speech,
        enhanced=enhancer is not None,
        separator=separator.name,
        enhancer=enhancer.name if enhancer else None,
    )
