"""Speech recognition engines, by name. Importing this module loads no model."""

from __future__ import annotations

from polydub.engines.asr.base import Transcriber
from polydub.engines.registry import Registry

ASR_ENGINES = Registry[Transcriber]("asr")


@ASR_ENGINES.register("whisper")
def _whisper(**kwargs) -> Transcriber:
    """faster-whisper; kwargs: model_dir, cache_dir, threads (see WhisperTranscriber)."""
    from polydub.engines.asr.whisper import WhisperTranscriber

    return WhisperTranscriber(**kwargs)
