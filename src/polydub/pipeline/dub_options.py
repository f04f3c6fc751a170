"""What a dub is asked to make (DubOptions), and where its work lives."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from polydub.domain.glossary import Glossary
from polydub.pipeline.checkpoint import file_key
from polydub.pipeline.timing import TimingOptions


@dataclass(frozen=True)
class DubOptions:
    """What to make; each field is the CLI face of a HeyGen request field."""

    targets: tuple[str, ...]  # ISO 639-1 codes
    source_language: str | None = None
    mode: str = "speed"  # "speed" | "precision"
    speakers: int | None = None
    start: float | None = None
    end: float | None = None
    audio_only: bool = False
    keep_music: bool = True
    enhance: bool = False
    keep_format: bool = False
    dynamic_duration: bool = True
    glossary: Glossary | None = None
    max_rate: float = 1.25
    max_slowdown: float = 1.3  # the most a stretch of video is slowed
    target_lufs: float = -16.0
    # Proofread edits: target code -> segment index -> the reviewed translation, or the fields
    # a reviewer changed (pipeline/segment_edits.py: translation, speaker, voice_id, start, end).
    edits: dict[str, dict[int, str | dict]] = field(default_factory=dict)
    source_srt: Path | None = None  # srt_role "input": the source transcript, no ASR
    output_srt: Path | None = None  # srt_role "output": the translation, no MT
    dub_audio: Path | None = None  # the user's own dubbing audio: no MT, no TTS
    fps_mode: str | None = None  # "vfr" | "cfr" | "passthrough" (with dub_audio)
    watermark: bool = False
    embed_captions: bool = False  # a soft subtitle track in the video
    voice_ids: tuple[str, ...] = ()  # preferred stock voices ("kokoro:ef_dora")
    use_stock_voice: bool = False  # stock voices instead of voices matched to each speaker
    saved_voices: tuple[tuple[str, str], ...] = ()  # (speaker, registry name) to reuse

    @property
    def beam_size(self) -> int:
        return 5 if self.mode == "precision" else 1

    @property
    def timing(self) -> TimingOptions:
        # Audio-only output keeps every frame, so video can never be slowed.
        dynamic = self.dynamic_duration and not self.audio_only
        return TimingOptions(
            max_rate=self.max_rate, dynamic_duration=dynamic, max_slowdown=self.max_slowdown
        )


def workspace_for(source: Path, work_root: Path) -> Path:
    """A source's workspace is named by its content, so renaming a file keeps its checkpoints."""
    return work_root / file_key(source)[:20]
