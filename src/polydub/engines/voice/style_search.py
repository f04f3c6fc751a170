"""Voice matching without a cloning model: tune a Kokoro style toward a source speaker.

Start from the stock voice most like the speaker (resemblyzer cosine on a spoken probe),
then climb in the timbre half of the style vector (Kokoro's first 128 values feed the
decoder; the other 128 drive duration and intonation, which we leave to the stock voice).
Every candidate is scored as it will be heard: with its pitch moved to the speaker's median
(Praat) and its long-term spectrum matched to theirs (a third-octave EQ, spectrum_match), so
the syntheses go to what Praat and an EQ cannot change. Each round scores random steps
against the current voice reading the same sentence (two sentences alternate, so the slope
is not fitted to one wording), sums them into a slope estimate (an evolution strategy) and
line-searches along it; candidates are synthesised concurrently, one per core. A naturalness
term keeps the style near the region the stock voices span (far steps get rough). If the
tuned voice is heard with more word errors than the stock voice on the probe and another
sentence (ASR round trip), the step is halved, up to twice, then dropped. Finally pitch is
moved to the speaker's median, and the formant scale that scores highest on the probe plus
that other sentence is chosen, with the EQ fitted to it. Stock voices' readings are cached
per model. The search is deterministic (seeded).
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from polydub.cancellation import carry_cancel, raise_if_cancelled
from polydub.domain.audio import Audio
from polydub.domain.speaker import PitchStats
from polydub.engines.voice.base import ENCODER_SAMPLE_RATE, SpeakerEncoder, cosine
from polydub.engines.voice.voice_bank import PROBES
from polydub.media.audio import resample
from polydub.media.pitch import pitch_stats, shift_voice
from polydub.media.spectrum_match import apply_gains, band_levels, matching_gains

# Every candidate speaks the voice bank's probe sentence (the speaker's language when listed; the
# style carries across languages, resemblyzer scores 0.9 across them).
# Other sentences to check intelligibility on: the probe is what the search fits, so a voice
# may say it well and other text worse.
CHECKS = {
    "en": "The weather will be cold tomorrow, so please bring a warm coat and gloves.",
    "es": "Mañana hará frío, así que por favor trae un abrigo y unos guantes.",
    "fr": "Il fera froid demain, alors apportez un manteau chaud et des gants.",
    "de": "Morgen wird es kalt, also bringen Sie bitte einen warmen Mantel mit.",
    "it": "Domani farà freddo, quindi porta un cappotto caldo e dei guanti.",
    "pt": "Amanhã vai fazer frio, então traga um casaco quente e luvas.",
}
_BACKOFFS = 2  # halvings of a tuned voice that is understood worse than its stock voice
_TIMBRE = 128  # style values that shape the voice's timbre (Kokoro's decoder half)
_MAX_PITCH_SHIFT = 1.5  # at most half an octave up or down: beyond that Praat sounds hollow
_MIN_PITCH_SHIFT = 1.03  # half a semitone: not worth the processing
# Formant scales tried around the voice's own (1.0); beyond +-12% voices sound unnatural.
_FORMANT_RATIOS = (0.88, 0.91, 0.94, 0.97, 1.0, 1.03, 1.06, 1.09, 1.12)


@dataclass(frozen=True)
class StyleSearchOptions:
    rounds: int
    candidates: int  # random steps per round that estimate the slope
    step: float = 0.8  # step size, in units of the stock voices' spread per dimension
    shrink: float = 0.7  # step factor after a round without improvement
    naturalness: float = 0.05  # similarity given up per spread unit beyond the stock region
    line: tuple[float, ...] = (1.0, 2.0, 3.0)  # step multiples tried along the slope
    seed: int = 0

    @staticmethod
    def for_mode(mode: str) -> StyleSearchOptions:
        """speed: about 15 syntheses per speaker; precision: about 40."""
        if mode == "precision":
            return StyleSearchOptions(rounds=3, candidates=10)
        return StyleSearchOptions(rounds=1, candidates=10)


@dataclass(frozen=True)
class MatchedStyle:
    """A tuned voice: the style table, the pitch/formant change to apply, and its scores."""

    base_voice: str  # the stock voice the search started from
    style: np.ndarray  # (510, 1, 256)
    pitch_ratio: float
    formant_ratio: float
    start_similarity: float  # the stock start voice vs the speaker
    similarity: float  # the tuned voice (with its pitch change and EQ) vs the speaker
    syntheses: int
    spectrum_gains: tuple[float, ...] = ()  # the matching EQ (spectrum_match), dB per band


@dataclass(frozen=True)
class _Speaker:
    """Who the search listens for: their embedding, pitch and long-term spectrum."""

    embedding: np.ndarray
    pitch: PitchStats | None
    levels: np.ndarray | None  # band_levels of their reference speech; None: no EQ


# Stock voices read a sentence the same way for every speaker (Kokoro is deterministic):
# their readings are synthesised once per model, not once per speaker.
_STOCK_SPEECH: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class KokoroStyleSearch:
    """Args:
    kokoro: a KokoroSynthesizer.
    encoder: the speaker encoder that scores.
    transcribe: 16 kHz samples, language -> the words heard; when given, a tuned voice
        that is understood worse than its stock voice is backed off toward it.
    workers: candidates synthesised at once (Kokoro runs on one thread per call); default:
        one per core.
    """

    def __init__(
        self,
        kokoro,
        encoder: SpeakerEncoder,
        transcribe: Callable[[np.ndarray, str], str] | None = None,
        *,
        workers: int | None = None,
    ) -> None:
        self.kokoro = kokoro
        self.encoder = encoder
        self.transcribe = transcribe
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._calls = 0
        self._calls_lock = threading.Lock()
        self._stock_errors: dict[tuple[str, str], int] = {}

    def _speak(self, style: np.ndarray, language: str, text: str) -> Audio:
        raise_if_cancelled()  # each candidate synthesis: a search makes dozens
        with self._calls_lock:
            self._calls += 1
        return self.kokoro.synthesize_with_style(text, language=language, style=style).audio

    def _map(self, fn: Callable, items: list) -> list:
        """fn over items, `workers` at a time, results in order (so the search stays
        deterministic)."""
        if self.workers == 1 or len(items) < 2:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return list(pool.map(carry_cancel(fn), items))

    def _stock_speech(self, name: str, text: str, language: str) -> Audio:
        readings = _STOCK_SPEECH.setdefault(self.kokoro, {})
        if (name, text) not in readings:
            readings[name, text] = self._speak(self.kokoro.style(name), language, text)
        return readings[name, text]

    def _heard(
        self, audio: Audio, speaker: _Speaker, formant: float = 1.0, ratio: float | None = None
    ) -> tuple[float, tuple[float, ...]]:
        """(similarity, EQ gains) of `audio` as it will be heard: with its pitch moved to the
        speaker's (by `ratio` when already known) and its spectrum matched to theirs (the
        search then spends its syntheses on what Praat and an EQ cannot change)."""
        if ratio is None:
            ratio = pitch_change(audio, speaker.pitch)
        samples = shift_voice(
            audio.samples, audio.sample_rate, pitch_ratio=ratio, formant_ratio=formant
        )
        gains: tuple[float, ...] = ()
        if speaker.levels is not None:
            gains = matching_gains(speaker.levels, samples, audio.sample_rate)
            samples = apply_gains(samples, audio.sample_rate, gains)
        samples = resample(Audio(samples, audio.sample_rate), ENCODER_SAMPLE_RATE).samples
        return cosine(self.encoder.embed(samples), speaker.embedding), gains

    def _score(self, audio: Audio, speaker: _Speaker) -> float:
        return self._heard(audio, speaker)[0]

    def search(
        self,
        target: np.ndarray,
        pitch: PitchStats | None,
        *,
        language: str,
        options: StyleSearchOptions,
        reference: np.ndarray | None = None,
    ) -> MatchedStyle:
        """Tune a style toward the speaker embedded as `target` (with `pitch` when known);
        with their `reference` speech (16 kHz), an EQ matches the voice's spectrum to it."""
        self._calls = 0
        levels = None if reference is None else band_levels(reference, ENCODER_SAMPLE_RATE)
        speaker = _Speaker(np.asarray(target), pitch, levels)
        language = language if language in PROBES else "en"
        probe_text = PROBES[language]
        stock = {v.name: self.kokoro.style(v.id) for v in self.kokoro.voices(language)}
        readings = self._map(lambda name: self._stock_speech(name, probe_text, language), [*stock])
        probes = dict(zip(stock, readings, strict=True))
        scored = {name: self._score(probes[name], speaker) for name in stock}
        # A voice whose pitch Praat cannot bring to the speaker's would keep the wrong pitch
        # (a female start for a male speaker, say), however well it scores: not a start.
        reachable = [name for name in stock if pitch_reachable(probes[name], pitch)] or stock
        base = max(reachable, key=scored.get)
        # Steps move every row of the table alike; their scale is the stock voices' spread.
        means = np.stack([s.mean(axis=(0, 1)) for s in stock.values()])
        spread = means.std(axis=0) + 1e-4
        spread[_TIMBRE:] = 0.0
        rng = np.random.default_rng(options.seed)
        dims = np.flatnonzero(spread)
        heard: dict[bytes, Audio] = {}  # the probe of each step tried, to reuse the best one

        def objective(z: np.ndarray, text: str = probe_text) -> float:
            # z: the step in units of the stock spread, timbre values only.
            delta = np.zeros(256, np.float32)
            delta[dims] = z * spread[dims]
            audio = self._speak(stock[base] + delta, language, text)
            if text == probe_text:
                heard[z.tobytes()] = audio
            sim = self._score(audio, speaker)
            return sim - options.naturalness * max(0.0, float(np.sqrt(np.mean(z**2))) - 1.0)

        z_best = np.zeros(len(dims))
        heard[z_best.tobytes()] = probes[base]
        f_best = scored[base]
        step = options.step
        # Half the probes speak another sentence (read by the current voice too, for
        # reference), so the slope is not fitted to one sentence's wording.
        check_text = CHECKS[language]
        stock_check = self._stock_speech(base, check_text, language)
        references = {probe_text: f_best, check_text: self._score(stock_check, speaker)}
        for round_ in range(options.rounds):
            z_from = z_best
            z_best, f_best = self._estimate_and_step(
                objective, z_best, f_best, references, step, options, rng
            )
            if z_best is z_from:
                step *= options.shrink
            elif round_ < options.rounds - 1:  # the new voice reads both sentences
                references = {probe_text: f_best, check_text: objective(z_best, check_text)}
        best_delta = np.zeros(256, np.float32)
        best_delta[dims] = z_best * spread[dims]
        kept, probe, check = self._keep_intelligible(
            base, stock[base], best_delta, heard[z_best.tobytes()], language
        )
        style = (stock[base] + kept).astype(np.float32)
        # The ASR check's reading of another sentence, when there is one, joins the probe:
        # twice the speech, so the formant scale is not chosen for one sentence's wording.
        heard_speech = probe if check is None else _joined(probe, check)
        pitch_ratio, formant_ratio, final, gains = self._match_pitch(heard_speech, speaker)
        return MatchedStyle(
            base_voice=f"kokoro:{base}",
            style=style,
            pitch_ratio=pitch_ratio,
            formant_ratio=formant_ratio,
            start_similarity=scored[base],
            similarity=final,
            syntheses=self._calls,
            spectrum_gains=gains,
        )

    def _estimate_and_step(self, objective, z_best, f_best, references, step, options, rng):
        """One round of a one-sided evolution strategy: random steps, each scored against
        the current voice reading the same sentence, estimate the slope (every probe counts,
        not only the best, so the estimate averages out scoring noise); then a short line
        search along it. Returns the best (z, score) on the probe sentence."""
        texts = list(references)
        steps = [rng.standard_normal(len(z_best)) for _ in range(options.candidates)]
        scores = self._map(
            lambda i: objective(z_best + step * steps[i], texts[i % len(texts)]),
            list(range(len(steps))),
        )
        slope = np.zeros(len(z_best))
        for i, (eps, score) in enumerate(zip(steps, scores, strict=True)):
            slope += (score - references[texts[i % len(texts)]]) * eps
        if not np.any(slope):
            return z_best, f_best
        direction = slope / np.sqrt(np.mean(slope**2))
        # The line is walked `workers` points at a time; it stops past the peak.
        for start in range(0, len(options.line), self.workers):
            points = [
                z_best + scale * step * direction for scale in options.line[start:][: self.workers]
            ]
            for z, f in zip(points, self._map(objective, points), strict=True):
                if f <= f_best:
                    return z_best, f_best
                z_best, f_best = z, f
        return z_best, f_best

    def _word_errors(self, readings: list[tuple[Audio, str]], language: str) -> int:
        """How many words the recogniser gets wrong in these (speech, text) readings."""
        return sum(
            word_errors(speech, text, language, self.transcribe) for speech, text in readings
        )

    def _keep_intelligible(
        self, base: str, stock: np.ndarray, delta: np.ndarray, probe: Audio, language: str
    ) -> tuple[np.ndarray, Audio, Audio | None]:
        """Halve the step from the stock voice (twice at most, then drop it) while the tuned
        voice is heard with more word errors than the stock voice, counted over the probe
        (`probe`: the tuned voice's reading of it) and the check sentence together.
        Returns the step (`delta` itself when kept whole) and the kept voice's readings of
        the probe and the check sentence (no check reading without a recogniser)."""
        if self.transcribe is None:
            return delta, probe, None
        texts = [PROBES[language], CHECKS[language]]
        stock_readings = [self._stock_speech(base, text, language) for text in texts]
        if not np.any(delta):
            return delta, *stock_readings
        if (base, language) not in self._stock_errors:  # the same for every speaker
            stock_pairs = list(zip(stock_readings, texts, strict=True))
            self._stock_errors[base, language] = self._word_errors(stock_pairs, language)
        baseline = self._stock_errors[base, language]
        readings = [probe, self._speak(stock + delta, language, texts[1])]
        for backoff in range(_BACKOFFS + 1):
            if self._word_errors(list(zip(readings, texts, strict=True)), language) <= baseline:
                return delta, *readings
            if backoff < _BACKOFFS:
                delta = delta / 2
                style = stock + delta
                readings = self._map(lambda text, s=style: self._speak(s, language, text), texts)
        return delta * 0, *stock_readings

    def _match_pitch(
        self, probe: Audio, speaker: _Speaker
    ) -> tuple[float, float, float, tuple[float, ...]]:
        """(pitch ratio, formant ratio, similarity, EQ gains): pitch moved to the speaker's
        median (at most half an octave), and the formant scale that then sounds most like the
        speaker, with its own EQ. The formant scale (vocal tract length) is post-processing:
        each candidate costs a Praat pass and an embedding, not a synthesis."""
        ratio = pitch_change(probe, speaker.pitch)
        candidates = [
            (*self._heard(probe, speaker, formant, ratio), formant) for formant in _FORMANT_RATIOS
        ]
        sim, gains, formant = max(candidates, key=lambda c: c[0])
        return ratio, formant, sim, gains


def _median_ratio(audio: Audio, pitch: PitchStats | None) -> float | None:
    """The speaker's median pitch over `audio`'s (None when either is unknown)."""
    own = pitch_stats(audio.samples, audio.sample_rate) if pitch is not None else None
    return None if pitch is None or own is None else pitch.median / own.median


def pitch_reachable(audio: Audio, pitch: PitchStats | None) -> bool:
    """Whether Praat can move `audio` to the speaker's median pitch (True when unknown)."""
    ratio = _median_ratio(audio, pitch)
    return ratio is None or 1 / _MAX_PITCH_SHIFT <= ratio <= _MAX_PITCH_SHIFT


def pitch_change(audio: Audio, pitch: PitchStats | None) -> float:
    """The pitch change that moves `audio` to the speaker's median (1.0 when unknown, or
    too small to be worth processing; at most half an octave)."""
    ratio = _median_ratio(audio, pitch)
    if ratio is None:
        return 1.0
    ratio = float(np.clip(ratio, 1 / _MAX_PITCH_SHIFT, _MAX_PITCH_SHIFT))
    return 1.0 if max(ratio, 1 / ratio) < _MIN_PITCH_SHIFT else ratio


def _joined(first: Audio, second: Audio) -> Audio:
    return Audio(np.concatenate([first.samples, second.samples]), first.sample_rate)


def word_errors(speech: Audio, text: str, language: str, transcribe: Callable) -> int:
    """Words the recogniser (16 kHz samples, language -> text) gets wrong in `speech`, a
    reading of `text`."""
    import jiwer

    audio = resample(speech, ENCODER_SAMPLE_RATE)
    heard, truth = plain_words(transcribe(audio.samples, language)), plain_words(text)
    if not heard:
        return len(truth.split())
    counts = jiwer.process_words(truth, heard)
    return counts.substitutions + counts.deletions + counts.insertions


def plain_words(text: str) -> str:
    """Case-folded words without punctuation, for counting word errors."""
    return " ".join(re.sub(r"[^\w\s']", " ", text.casefold()).split())
