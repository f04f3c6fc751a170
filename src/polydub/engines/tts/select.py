"""Which engine and voice speaks a language, and which voice each speaker gets.

Policy: a neural voice trained on the language first (Piper for English: a native English
voice, where Kokoro's shipped voices are Japanese and speak English with an accent; Kokoro for
es/fr/it/pt/hi/ja), then a neural voice speaking through eSpeak phonemes it was not trained on
(Kokoro's German), then eSpeak-NG itself. Speakers get distinct voices, alternating gender,
deterministically, so re-running a job gives everyone the same voice.

Voice matching (a later stage) plugs in through `VoiceMatcher`: given a speaker's profile, it
returns a voice and optionally a tuned Kokoro style; without one, stock voices are used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from polydub.engines.tts.base import Synthesizer, VoiceInfo
from polydub.errors import UnsupportedLanguageError

# Among engines of the same quality tier, the earlier one wins.
ENGINE_PREFERENCE = ("piper", "kokoro", "espeak")
_FALLBACK_ENGINES = frozenset({"espeak"})


@dataclass(frozen=True)
class VoiceChoice:
    """The voice a speaker gets; `style` is a tuned Kokoro style table when one was matched."""

    voice: VoiceInfo
    style: np.ndarray | None = None


class VoiceMatcher(Protocol):
    """Finds a voice resembling a source speaker (e.g. a Kokoro style tuned by similarity)."""

    def match(self, profile: Any, language: str) -> VoiceChoice | None:
        """A voice for the speaker described by `profile`, or None to use a stock voice."""
        ...


def quality_tier(synthesizer: Synthesizer, language: str) -> int:
    """0: neural, trained on the language; 1: neural, untrained (eSpeak phonemes); 2: eSpeak."""
    if synthesizer.name in _FALLBACK_ENGINES:
        return 2
    is_untrained = getattr(synthesizer, "is_untrained", None)
    return 1 if is_untrained is not None and is_untrained(language) else 0


def ranked_engines(language: str, synthesizers: Iterable[Synthesizer]) -> list[Synthesizer]:
    """The engines that speak `language`, best first."""

    def rank(s: Synthesizer) -> tuple[int, int]:
        order = ENGINE_PREFERENCE.index(s.name) if s.name in ENGINE_PREFERENCE else 99
        return quality_tier(s, language), order

    return sorted((s for s in synthesizers if language in s.languages()), key=rank)


def tts_languages(synthesizers: Iterable[Synthesizer]) -> dict[str, list[str]]:
    """Every language some engine speaks -> the engines' names, best first."""
    synthesizers = list(synthesizers)
    codes = sorted({code for s in synthesizers for code in s.languages()})
    return {code: [s.name for s in ranked_engines(code, synthesizers)] for code in codes}


def speaker_voices(language: str, synthesizers: Iterable[Synthesizer]) -> list[VoiceInfo]:
    """The voices speakers are given in turn: from the best tier that speaks the language,
    best engine first, alternating male and female where the voices allow.

    Raises:
        UnsupportedLanguageError: no engine speaks the language.
    """
    ranked = ranked_engines(language, synthesizers)
    if not ranked:
        raise UnsupportedLanguageError(
            f"no speech synthesis engine speaks {language!r}", param="output_language"
        )
    best_tier = quality_tier(ranked[0], language)
    pool = [v for s in ranked if quality_tier(s, language) == best_tier for v in s.voices(language)]
    return _alternate_genders(pool)


def default_voice_for_speaker(
    language: str,
    speaker_index: int,
    synthesizers: Iterable[Synthesizer],
    *,
    gender: str | None = None,
) -> VoiceInfo:
    """A stock voice for the `speaker_index`-th speaker (0-based), deterministic.

    Speakers cycle through `speaker_voices`; with `gender` known ("male"/"female"), they cycle
    through the voices of that gender when there are any.
    """
    voices = speaker_voices(language, synthesizers)
    if gender is not None:
        voices = [v for v in voices if v.gender == gender] or voices
    return voices[speaker_index % len(voices)]


def choose_voice(language: str, synthesizers: Iterable[Synthesizer]) -> VoiceInfo:
    """The best voice for `language` (the first speaker's)."""
    return default_voice_for_speaker(language, 0, synthesizers)


def choose_speaker_voice(
    language: str,
    speaker_index: int,
    synthesizers: Iterable[Synthesizer],
    *,
    profile: Any = None,
    matcher: VoiceMatcher | None = None,
    gender: str | None = None,
) -> VoiceChoice:
    """A matched voice when a matcher and the speaker's profile are given, else a stock one."""
    if matcher is not None and profile is not None:
        matched = matcher.match(profile, language)
        if matched is not None:
            return matched
    return VoiceChoice(
        default_voice_for_speaker(language, speaker_index, synthesizers, gender=gender)
    )


def _alternate_genders(voices: list[VoiceInfo]) -> list[VoiceInfo]:
    """Reorder so consecutive speakers differ in gender while both genders remain."""
    queues: dict[str | None, list[VoiceInfo]] = {}
    for voice in voices:
        queues.setdefault(voice.gender, []).append(voice)
    ordered: list[VoiceInfo] = []
    last_gender: str | None = None
    while any(queues.values()):
        # Keep the first voice's gender first; afterwards prefer a different gender.
        candidates = [g for g, q in queues.items() if q]
        pick = next((g for g in candidates if g != last_gender), candidates[0])
        ordered.append(queues[pick].pop(0))
        last_gender = pick
    return ordered
