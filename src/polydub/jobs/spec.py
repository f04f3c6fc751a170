"""The job spec: what a job is asked to make, parsed once into one typed object.

The API builds it from a HeyGen request (api/job_specs.py), the CLI from its options; it is
stored with the batch and every runner reads it, never the request. Field names are
Polydub's own and each concept has one name (HeyGen's `disable_music_track` is `keep_music`
here, everywhere). Media stay references until a runner resolves them to files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from polydub.domain.glossary import Glossary, GlossaryTerm
from polydub.pipeline.dub import DubOptions

JobKind = Literal["translation", "proofread", "lipsync", "voice_clone"]
SPEC_VERSION = 1


class MediaRef(BaseModel):
    """A job's input file: a URL to download, an uploaded asset, or (CLI only) a local path."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["url", "asset", "path"]
    value: str  # the URL, the asset id or the path


class JobSpec(BaseModel):
    """Everything a job needs besides its language(s), which each job row holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = SPEC_VERSION
    kind: JobKind
    video: MediaRef
    source_language: str | None = None  # ISO 639-1; detected when None
    mode: Literal["speed", "precision"] = "speed"
    speakers: int | None = None
    start: float | None = None
    end: float | None = None
    audio_only: bool = False
    keep_music: bool = True
    enhance: bool = False
    keep_format: bool = False
    dynamic_duration: bool = True
    # The glossary's terms as they were when the job was created (None: no glossary), so a
    # job keeps its terms even if the glossary is edited or deleted before it runs.
    glossary_terms: tuple[GlossaryTerm, ...] | None = None
    source_srt: MediaRef | None = None  # the source's script: no speech recognition
    output_srt: MediaRef | None = None  # the translation: no machine translation
    dub_audio: MediaRef | None = None  # the user's own dub audio: no MT, no TTS
    fps_mode: Literal["vfr", "cfr", "passthrough"] | None = None
    watermark: bool = False
    embed_captions: bool = False
    voice_ids: tuple[str, ...] = ()  # preferred stock voices
    use_stock_voice: bool = False
    saved_voices: tuple[tuple[str, str], ...] = ()  # (speaker, saved voice name)
    proofread_id: str | None = None  # a translation generated from this proofread's script

    @property
    def glossary(self) -> Glossary | None:
        return None if self.glossary_terms is None else Glossary(terms=self.glossary_terms)

    def media(self) -> dict[str, MediaRef]:
        """The inputs to resolve before running, by the request field each came from."""
        refs = {"video": self.video, "audio": self.dub_audio}
        refs["srt"] = self.source_srt or self.output_srt
        return {param: ref for param, ref in refs.items() if ref is not None}


class VoiceCloneSpec(BaseModel):
    """A voice clone job: the recording (a URL or asset, or `audio_key`: the blob of audio
    sent inline) and how to read it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = SPEC_VERSION
    kind: Literal["voice_clone"] = "voice_clone"
    audio: MediaRef | None = None
    audio_key: str | None = None
    language: str | None = None  # ISO 639-1; detected when None
    denoise: bool = True

    def media(self) -> dict[str, MediaRef]:
        """The input to resolve before running (none when the audio came inline)."""
        return {"audio": self.audio} if self.audio is not None else {}


Resolver = Callable[[MediaRef, str], Path]


def dub_options(
    spec: JobSpec,
    targets: tuple[str, ...],
    *,
    resolve: Resolver,
    max_rate: float,
    target_lufs: float,
    edits: Mapping[str, Mapping[int, str | dict]] | None = None,
    max_slowdown: float = 1.3,
) -> DubOptions:
    """The pipeline's options for `targets` (ISO codes), with the spec's media resolved to
    files by `resolve(ref, param)`; `max_rate` and `target_lufs` are the service's settings."""

    def file(ref: MediaRef | None, param: str) -> Path | None:
        return None if ref is None else resolve(ref, param)

    return DubOptions(
        targets=targets,
        source_language=spec.source_language,
        mode=spec.mode,
        speakers=spec.speakers,
        start=spec.start,
        end=spec.end,
        audio_only=spec.audio_only,
        keep_music=spec.keep_music,
        enhance=spec.enhance,
        keep_format=spec.keep_format,
        dynamic_duration=spec.dynamic_duration,
        glossary=spec.glossary,
        max_rate=max_rate,
        max_slowdown=max_slowdown,
        target_lufs=target_lufs,
        edits={code: dict(lines) for code, lines in (edits or {}).items()},
        source_srt=file(spec.source_srt, "srt"),
        output_srt=file(spec.output_srt, "srt"),
        dub_audio=file(spec.dub_audio, "audio"),
        fps_mode=spec.fps_mode,
        watermark=spec.watermark,
        embed_captions=spec.embed_captions,
        voice_ids=spec.voice_ids,
        use_stock_voice=spec.use_stock_voice,
        saved_voices=spec.saved_voices,
    )
