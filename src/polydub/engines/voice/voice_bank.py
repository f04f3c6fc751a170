"""A bank of candidate Kokoro voices, heard once per model and language, then cached.

Kokoro ships five voices (four Japanese women, one man); the style space between and beyond
them holds many more. The bank spans it with recipes, each a weighted sum of stock style
tables: every stock voice; for each male voice, steps toward each female voice (a little
brighter, still male) and a step away from the women's mean (darker); for the female voices,
the midpoints of those in the usual female range. Each candidate reads a probe
sentence in the language once; the bank keeps its reading, its median pitch there, its
embedding on every speaker encoder and how clearly the job's speech recogniser hears the
probe's words in it, so matching a new speaker needs no synthesis at all (voice_match.py).
A candidate's sex is its dominant stock voice's, and its pitch must agree.

The bank is cached under the model cache dir, keyed by the stock style tables (the model's
voices), the recipes, the probe sentence, the encoders, the recogniser and BANK_VERSION
(this code).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from polydub.cancellation import carry_cancel, raise_if_cancelled
from polydub.domain.audio import Audio
from polydub.domain.speaker import PitchStats, voice_sex
from polydub.engines.voice.base import ENCODER_SAMPLE_RATE, SpeakerEncoder
from polydub.media.audio import resample
from polydub.media.pitch import pitch_stats

logger = logging.getLogger(__name__)

BANK_VERSION = 2
# Short, phonetically varied sentences each candidate reads (the style space is scored in
# the language the dub will speak: a voice's pitch differs from one language to another).
PROBES = {
    "en": "Thank you for coming today. I would like to show you what we have been working on.",
    "es": "Gracias por venir hoy. Me gustaría mostrarte en qué hemos estado trabajando.",
    "fr": "Merci d'être venus aujourd'hui. Je voudrais vous montrer notre travail récent.",
    "de": "Danke, dass Sie heute gekommen sind. Ich möchte Ihnen unsere Arbeit zeigen.",
    "it": "Grazie per essere venuti oggi. Vorrei mostrarvi il lavoro che abbiamo fatto.",
    "pt": "Obrigado por virem hoje. Eu gostaria de mostrar o que temos feito.",
}
FALLBACK_PROBE = "en"
# Steps in the style space (fractions of the distance between voices). Beyond about half
# the distance past a stock voice Kokoro gets rough; toward the other sex a quarter keeps
# the voice's own sex (its pitch is checked too).
_TOWARD_OTHER_SEX = 0.25
_AWAY_FROM_OTHER_SEX = 0.4


@dataclass(frozen=True)
class ClarityScorer:
    """How clearly a reading says its text: `score(samples at 16 kHz, text, language)`,
    higher is clearer (a recogniser's log-probability of the text, forced through the
    reading). `name` identifies the recogniser in the bank's cache key."""

    name: str
    score: Callable[[np.ndarray, str, str], float]


@dataclass(frozen=True)
class Recipe:
    name: str
    weights: dict[str, float]  # stock voice -> weight in the style sum
    sex: str | None  # the dominant stock voice's


@dataclass(frozen=True)
class BankVoice:
    recipe: Recipe
    pitch: PitchStats  # of its probe reading
    embeddings: dict[str, np.ndarray]  # encoder name -> unit embedding of its probe reading
    probe: Audio  # its reading of the language's probe sentence
    clarity: float | None = None  # ClarityScorer's score of the probe; None: no recogniser

    @property
    def name(self) -> str:
        return self.recipe.name

    @property
    def sex(self) -> str | None:
        return self.recipe.sex


def recipes(genders: dict[str, str | None], *, stock_only: bool = False) -> list[Recipe]:
    """The bank's candidates over stock voices `genders` (name -> "male"/"female"/None)."""
    out = [Recipe(name, {name: 1.0}, sex) for name, sex in genders.items()]
    if stock_only:
        return out
    men = sorted(n for n, g in genders.items() if g == "male")
    women = sorted(n for n, g in genders.items() if g == "female")
    if not men or not women:
        return out
    for man in men:
        # Darker: away from the women's mean. Brighter (still a man): a step toward each.
        away = {man: 1.0 + _AWAY_FROM_OTHER_SEX}
        for woman in women:
            away[woman] = -_AWAY_FROM_OTHER_SEX / len(women)
        out.append(Recipe(f"{man}-away", away, "male"))
        for woman in women:
            weights = {man: 1.0 - _TOWARD_OTHER_SEX, woman: _TOWARD_OTHER_SEX}
            out.append(Recipe(f"{man}~{woman}", weights, "male"))
    # Women: the midpoints of the voices in the usual female range (the highest voice,
    # jf_tebukuro at about 320 Hz, is far from most women's pitch).
    usual = women[:3]
    for i, a in enumerate(usual):
        for b in usual[i + 1 :]:
            out.append(Recipe(f"{a}+{b}", {a: 0.5, b: 0.5}, "female"))
    return out


def style_of(recipe: Recipe, tables: dict[str, np.ndarray]) -> np.ndarray:
    """The (510, 1, 256) style table of a recipe."""
    return sum(w * tables[name] for name, w in recipe.weights.items()).astype(np.float32)


def probe_language(language: str) -> str:
    return language if language in PROBES else FALLBACK_PROBE


class VoiceBank:
    """Candidate voices per language, built on first use and cached in `cache_dir`.

    Args:
        kokoro: a KokoroSynthesizer.
        encoders: the speaker encoders candidates are embedded with (primary first).
        stock_only: only the stock voices (a small bank, for tests).
        workers: candidates synthesised at once while building.
        clarity: scores how clearly each candidate says its probe (None: not scored).
    """

    def __init__(
        self,
        kokoro,
        encoders: Sequence[SpeakerEncoder],
        cache_dir: Path,
        *,
        stock_only: bool = False,
        workers: int | None = None,
        clarity: ClarityScorer | None = None,
    ) -> None:
        self.kokoro = kokoro
        self.encoders = list(encoders)
        self.clarity = clarity
        self.cache_dir = Path(cache_dir)
        self.workers = max(1, workers or os.cpu_count() or 1)
        stock = [v for v in kokoro.voices() if v.engine == "kokoro"]
        self.tables = {v.name: kokoro.style(v.id) for v in stock}
        self.recipes = recipes({v.name: v.gender for v in stock}, stock_only=stock_only)
        self._banks: dict[str, list[BankVoice]] = {}
        # Targets dub concurrently: one build per language.
        self._lock = threading.Lock()

    def voices(self, language: str) -> list[BankVoice]:
        """The bank for `language` (its probe language when it has no probe sentence)."""
        language = probe_language(language)
        with self._lock:
            return self._voices(language)

    def is_built(self, language: str) -> bool:
        """Whether the bank for `language` is in memory or in the cache (loading it is cheap)."""
        language = probe_language(language)
        return language in self._banks or self._path(language).exists()

    def _voices(self, language: str) -> list[BankVoice]:
        if language not in self._banks:
            path = self._path(language)
            bank = _load(path, self.recipes) if path.exists() else None
            if bank is None:
                logger.info("building the voice bank for %s (once per model)", language)
                bank = self._build(language)
                _save(path, bank)
            self._banks[language] = bank
        return self._banks[language]

    def style(self, voice: BankVoice) -> np.ndarray:
        return style_of(voice.recipe, self.tables)

    def _path(self, language: str) -> Path:
        digest = hashlib.sha256()
        digest.update(json.dumps([BANK_VERSION, PROBES[language]]).encode())
        for name in sorted(self.tables):
            digest.update(name.encode() + self.tables[name].tobytes())
        for r in self.recipes:
            digest.update(json.dumps([r.name, r.weights, r.sex], sort_keys=True).encode())
        digest.update(",".join(e.name for e in self.encoders).encode())
        digest.update(json.dumps(self.clarity.name if self.clarity else None).encode())
        return self.cache_dir / "voice-bank" / f"{language}-{digest.hexdigest()[:20]}.npz"

    def hear(self, recipe: Recipe, language: str) -> BankVoice | None:
        """`recipe` reading the probe of `language` (a probe language), with its pitch,
        embeddings and clarity; None when nothing in it is voiced. Also hears recipes off
        the bank (voice_refine.py)."""
        raise_if_cancelled()
        speech = self.kokoro.synthesize_with_style(
            PROBES[language], language=language, style=style_of(recipe, self.tables)
        ).audio
        pitch = pitch_stats(speech.samples, speech.sample_rate)
        if pitch is None:
            return None
        heard = resample(speech, ENCODER_SAMPLE_RATE).samples
        embeddings = {e.name: e.embed(heard) for e in self.encoders}
        clarity = None
        if self.clarity is not None:
            clarity = self.clarity.score(heard, PROBES[language], language)
        return BankVoice(recipe, pitch, embeddings, speech, clarity)

    def _build(self, language: str) -> list[BankVoice]:
        def hear(recipe: Recipe) -> BankVoice | None:
            return self.hear(recipe, language)

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            heard = list(pool.map(carry_cancel(hear), self.recipes))
        bank = []
        for voice in heard:
            # A blend whose pitch left its sex's range is not of that sex any more.
            if voice is None or (voice.sex and voice_sex(voice.pitch) not in (voice.sex, None)):
                continue
            bank.append(voice)
        logger.info("voice bank %s: %d of %d candidates", language, len(bank), len(heard))
        return bank


def _save(path: Path, bank: list[BankVoice]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = [
        {
            "name": v.name,
            "pitch": v.pitch.model_dump(),
            "rate": v.probe.sample_rate,
            "clarity": v.clarity,
        }
        for v in bank
    ]
    arrays = {"meta": np.frombuffer(json.dumps(meta).encode(), np.uint8)}
    for i, v in enumerate(bank):
        pcm = np.clip(v.probe.samples * 32767, -32768, 32767).astype(np.int16)
        arrays[f"probe_{i}"] = pcm
        for encoder, emb in v.embeddings.items():
            arrays[f"emb_{i}_{encoder}"] = np.asarray(emb, np.float32)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
    with os.fdopen(fd, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)


def _load(path: Path, known: list[Recipe]) -> list[BankVoice] | None:
    by_name = {r.name: r for r in known}
    try:
        with np.load(path) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            bank = []
            for i, m in enumerate(meta):
                prefix = f"emb_{i}_"
                embeddings = {
                    k.removeprefix(prefix): data[k].astype(np.float32)
                    for k in data.files
                    if k.startswith(prefix)
                }
                probe = Audio(data[f"probe_{i}"].astype(np.float32) / 32767, m["rate"])
                recipe, pitch = by_name[m["name"]], PitchStats(**m["pitch"])
                bank.append(BankVoice(recipe, pitch, embeddings, probe, m.get("clarity")))
    except (OSError, ValueError, KeyError) as exc:
        logger.warning("rebuilding the voice bank %s: %s", path.name, exc)
        return None
    return bank
