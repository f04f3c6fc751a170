"""Voice matching without a cloning model: tune a Kokoro style toward a source speaker.

Start from the stock voice most like the speaker (resemblyzer cosine on a spoken probe),
then climb in the timbre half of the style vector (Kokoro's first 128 values feed the
decoder; the other 128 drive duration and intonation, which we leave to the stock voice):
speed mode keeps the best of a few random steps per round; precision mode probes antithetic
steps, estimates the slope of the similarity from them (an evolution strategy) and steps
along it, keeping whatever sounds most like the speaker. A naturalness term keeps the style
near the region the stock voices span (far steps get rough). If the tuned voice is heard
with more word errors than the stock voice on another sentence (ASR round trip), the step is
halved, up to twice, then dropped. Finally pitch is moved to the speaker's median with
Praat, and the formant scale that scores highest is chosen. The search is deterministic
(seeded).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from polydub.domain.audio import Audio
from polydub.domain.speaker import PitchStats
from polydub.engines.voice.base import ENCODER_SAMPLE_RATE, SpeakerEncoder, cosine
from polydub.media.audio import resample
from polydub.media.pitch import pitch_stats, shift_voice

# Short, phonetically varied sentences spoken by every candidate (the speaker's language
# when listed; the style carries across languages, resemblyzer scores 0.9 across them).
PROBES = {
    "en": "Thank you for coming today. I would like to show you what we have been working on.",
    "es": "Gracias por venir hoy. Me gustaría mostrarte en qué hemos estado trabajando.",
    "fr": "Merci d'être venus aujourd'hui. Je voudrais vous montrer notre travail récent.",
    "de": "Danke, dass Sie heute gekommen sind. Ich möchte Ihnen unsere Arbeit zeigen.",
    "it": "Grazie per essere venuti oggi. Vorrei mostrarvi il lavoro che abbiamo fatto.",
    "pt": "Obrigado por virem hoje. Eu gostaria de mostrar o que temos feito.",
}
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
_FORMANT_RATIOS = (0.88, 0.94, 1.0, 1.06, 1.12)


@dataclass(frozen=True)
class StyleSearchOptions:
    rounds: int
    candidates: int  # probes per round
    # "select": keep the best random step (cautious: held-out WER unchanged in the bench);
    # "slope": antithetic probes estimate the slope, then a step along it (climbs further,
    # and may cost intelligibility: the ASR check backs it off).
    strategy: str = "select"
    step: float = 0.6  # step size, in units of the stock voices' spread per dimension
    shrink: float = 0.7  # step factor after a round without improvement
    naturalness: float = 0.05  # similarity given up per spread unit beyond the stock region
    seed: int = 0

    @staticmethod
    def for_mode(mode: str) -> StyleSearchOptions:
        """speed: about 16 syntheses per speaker; precision: about 45."""
        if mode == "precision":
            return StyleSearchOptions(rounds=5, candidates=6, strategy="slope")
        return StyleSearchOptions(rounds=2, candidates=4, strategy="select")


@dataclass(frozen=True)
class MatchedStyle:
    """A tuned voice: the style table, the pitch/formant change to apply, and its scores."""

    base_voice: str  # the stock voice the search started from
    style: np.ndarray  # (510, 1, 256)
    pitch_ratio: float
    formant_ratio: float
    start_similarity: float  # the stock start voice vs the speaker
    similarity: float  # the tuned voice (with its pitch change) vs the speaker
    syntheses: int


class KokoroStyleSearch:
    """Args:
    kokoro: a KokoroSynthesizer.
    encoder: the speaker encoder that scores.
    transcribe: 16 kHz samples, language -> the words heard; when given, a tuned voice
        that is understood worse than its stock voice is backed off toward it.
    """

    def __init__(
        self,
        kokoro,
        encoder: SpeakerEncoder,
        transcribe: Callable[[np.ndarray, str], str] | None = None,
    ) -> None:
        self.kokoro = kokoro
        self.encoder = encoder
        self.transcribe = transcribe
        self._calls = 0

    def _speak(self, style: np.ndarray, language: str) -> Audio:
        self._calls += 1
        text = PROBES.get(language, PROBES["en"])
        return self.kokoro.synthesize_with_style(text, language=language, style=style).audio

    def _score(self, audio: Audio, target: np.ndarray) -> float:
        samples = resample(audio, ENCODER_SAMPLE_RATE).samples
        return cosine(self.encoder.embed(samples), target)

    def search(
        self,
        target: np.ndarray,
        pitch: PitchStats | None,
        *,
        language: str,
        options: StyleSearchOptions,
    ) -> MatchedStyle:
        """Tune a style toward the speaker embedded as `target` (with `pitch` when known)."""
        self._calls = 0
        language = language if language in PROBES else "en"
        stock = {v.name: self.kokoro.style(v.id) for v in self.kokoro.voices(language)}
        scored = {name: self._score(self._speak(s, language), target) for name, s in stock.items()}
        base = max(scored, key=scored.get)
        # Steps move every row of the table alike; their scale is the stock voices' spread.
        means = np.stack([s.mean(axis=(0, 1)) for s in stock.values()])
        spread = means.std(axis=0) + 1e-4
        spread[_TIMBRE:] = 0.0
        rng = np.random.default_rng(options.seed)
        dims = np.flatnonzero(spread)

        def objective(z: np.ndarray) -> float:
            # z: the step in units of the stock spread, timbre values only.
            delta = np.zeros(256, np.float32)
            delta[dims] = z * spread[dims]
            sim = self._score(self._speak(stock[base] + delta, language), target)
            return sim - options.naturalness * max(0.0, float(np.sqrt(np.mean(z**2))) - 1.0)

        z_best = np.zeros(len(dims))
        f_best = scored[base]
        step = options.step
        for _ in range(options.rounds):
            if options.strategy == "select":
                z_round, f_round = z_best, f_best
                for _ in range(options.candidates):
                    z = z_best + step * rng.standard_normal(len(dims))
                    f = objective(z)
                    if f > f_round:
                        z_round, f_round = z, f
                if f_round > f_best:
                    z_best, f_best = z_round, f_round
                else:
                    step *= options.shrink
                continue
            # Antithetic pairs estimate the slope (evolution strategies); any probe that
            # scores higher is kept too, then one step goes along the estimated slope.
            slope = np.zeros(len(dims))
            z_round, f_round = z_best, f_best
            for _ in range(max(1, options.candidates // 2)):
                eps = rng.standard_normal(len(dims))
                f_plus, f_minus = objective(z_best + step * eps), objective(z_best - step * eps)
                slope += (f_plus - f_minus) * eps
                for f, z in ((f_plus, z_best + step * eps), (f_minus, z_best - step * eps)):
                    if f > f_round:
                        z_round, f_round = z, f
            if np.any(slope):
                z_step = z_best + step * slope / np.sqrt(np.mean(slope**2))
                f_step = objective(z_step)
                if f_step > f_round:
                    z_round, f_round = z_step, f_step
            if f_round > f_best:
                z_best, f_best = z_round, f_round
            else:
                step *= options.shrink
        best_delta = np.zeros(256, np.float32)
        best_delta[dims] = z_best * spread[dims]
        best = f_best
        best_delta = self._keep_intelligible(stock[base], best_delta, language)
        style = (stock[base] + best_delta).astype(np.float32)
        pitch_ratio, formant_ratio, final = self._match_pitch(style, pitch, language, target, best)
        return MatchedStyle(
            base_voice=f"kokoro:{base}",
            style=style,
            pitch_ratio=pitch_ratio,
            formant_ratio=formant_ratio,
            start_similarity=scored[base],
            similarity=final,
            syntheses=self._calls,
        )

    def _word_errors(self, style: np.ndarray, language: str) -> float:
        import jiwer

        self._calls += 1
        text = CHECKS[language]
        speech = self.kokoro.synthesize_with_style(text, language=language, style=style).audio
        audio = resample(speech, ENCODER_SAMPLE_RATE)
        heard = _words(self.transcribe(audio.samples, language))
        return jiwer.wer(_words(text), heard) if heard else 1.0

    def _keep_intelligible(self, stock: np.ndarray, delta: np.ndarray, language: str) -> np.ndarray:
        """Halve the step from the stock voice (twice at most, then drop it) while the tuned
        voice is heard with more word errors than the stock voice on the check sentence."""
        if self.transcribe is None or not np.any(delta):
            return delta
        baseline = self._word_errors(stock, language)
        for _ in range(_BACKOFFS):
            if self._word_errors(stock + delta, language) <= baseline:
                return delta
            delta = delta / 2
        return delta if self._word_errors(stock + delta, language) <= baseline else delta * 0

    def _match_pitch(
        self,
        style: np.ndarray,
        pitch: PitchStats | None,
        language: str,
        target: np.ndarray,
        similarity: float,
    ) -> tuple[float, float, float]:
        """(pitch ratio, formant ratio, similarity): pitch moved to the speaker's median (at
        most half an octave), and the formant scale that then sounds most like the speaker."""
        probe = self._speak(style, language)
        own = pitch_stats(probe.samples, probe.sample_rate)
        if pitch is None or own is None:
            return 1.0, 1.0, similarity
        ratio = float(np.clip(pitch.median / own.median, 1 / _MAX_PITCH_SHIFT, _MAX_PITCH_SHIFT))
        if max(ratio, 1 / ratio) < _MIN_PITCH_SHIFT:
            ratio = 1.0
        # The formant scale (vocal tract length) is searched on its own: it is post-processing,
        # so each candidate costs a Praat pass and an embedding, not a synthesis.
        candidates = [(similarity if ratio == 1.0 else -1.0, 1.0)]
        for formant in _FORMANT_RATIOS:
            shifted = shift_voice(
                probe.samples, probe.sample_rate, pitch_ratio=ratio, formant_ratio=formant
            )
            candidates.append((self._score(Audio(shifted, probe.sample_rate), target), formant))
        sim, formant = max(candidates)
        return ratio, formant, sim


def _words(text: str) -> str:
    """Case-folded words without punctuation, for counting word errors."""
    return " ".join(re.sub(r"[^\w\s']", " ", text.casefold()).split())
