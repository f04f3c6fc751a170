"""What the render stage takes besides the timing plan, for a clip and a mix a test made:
the clip as ingested and a one-line translation ("hi" -> "hola", 1.0-1.8 s)."""

from __future__ import annotations

from pathlib import Path

from polydub.domain.transcript import Segment
from polydub.media.probe import probe
from polydub.pipeline.artifacts import IngestArtifact, TranslationArtifact


def ingested_and_translated(
    clip: Path, mix: Path, duration: float
) -> tuple[IngestArtifact, TranslationArtifact]:
    ingested = IngestArtifact(
        source=clip, info=probe(clip), mixture_wav=mix, range_start=0.0, range_end=duration
    )
    translated = TranslationArtifact(
        source_language="en",
        target_language="es",
        engine="test",
        segments=[Segment(index=0, start=1.0, end=1.8, text="hi", translation="hola")],
    )
    return ingested, translated
