"""Speech synthesis engines, found by name; each factory imports its engine only when called."""

from __future__ import annotations

from pathlib import Path

from polydub.engines.registry import Registry
from polydub.engines.tts.base import Synthesizer

TTS_ENGINES = Registry[Synthesizer]("tts")


@TTS_ENGINES.register("kokoro")
def _kokoro(
    *, cache_dir: Path, threads: int | None = None, extra_voices: dict[str, Path] | None = None
) -> Synthesizer:
    from polydub.engines.tts.kokoro import KokoroSynthesizer

    return KokoroSynthesizer(cache_dir, threads=threads, extra_voices=extra_voices)


@TTS_ENGINES.register("piper")
def _piper(*, threads: int | None = None, extra_voices: dict | None = None) -> Synthesizer:
    from polydub.engines.tts.piper import PiperSynthesizer

    return PiperSynthesizer(threads=threads, extra_voices=extra_voices)


@TTS_ENGINES.register("espeak")
def _espeak(*, binary: str = "espeak-ng") -> Synthesizer:
    from polydub.engines.tts.espeak import EspeakSynthesizer

    return EspeakSynthesizer(binary)
