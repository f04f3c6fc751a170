"""Which voice speaks for each speaker of a target language.

Stock voices, one per speaker, deterministic; or voices matched to each source speaker, with
the user's saved voices taking precedence. An assigner is any function from speaker labels
to voice ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from polydub.domain.speaker import SpeakerProfile
from polydub.engines.tts.base import Synthesizer
from polydub.engines.tts.select import VoiceMatcher, choose_speaker_voice, default_voice_for_speaker
from polydub.errors import InvalidInputError
from polydub.pipeline.synthesize import VoiceAssigner


def stock_voice_assigner(
    language: str,
    synthesizers: dict[str, Synthesizer],
    preferred: Iterable[str] = (),
    profiles: Iterable[SpeakerProfile] = (),
) -> VoiceAssigner:
    """Speakers get stock voices in turn; `preferred` voice ids (stock_voice_config's
    preferred_stock_voice_ids) restrict the pool to those that speak `language` (when none of
    them does, the language's default pool is used), and a speaker whose pitch is clearly
    male or female takes the preferred voices of that sex when there are any. Without
    preferred voices, a speaker whose profile gives a sex (from pitch) gets a voice of that
    sex: speakers of one sex take that sex's voices in turn."""
    pool = [v for v in preferred if speaks(v, language, synthesizers)]
    genders = {p.speaker: p.gender for p in profiles}

    pool_genders = {v: _stock_gender(v, language, synthesizers) for v in pool}

    def assign(speakers: list[str]) -> dict[str, str]:
        if pool:
            # The preferred voices of the speaker's sex when the list has any.
            voices, turns = {}, {}
            for i, speaker in enumerate(sorted(speakers)):
                gender = genders.get(speaker)
                own = [v for v in pool if gender is not None and pool_genders[v] == gender]
                turn = turns.get(gender, 0) if own else i
                voices[speaker] = (own or pool)[turn % len(own or pool)]
                if own:
                    turns[gender] = turn + 1
            return voices
        voices, turns = {}, {}
        for i, speaker in enumerate(sorted(speakers)):
            gender = genders.get(speaker)
            turn = i if gender is None else turns.get(gender, 0)
            voice = default_voice_for_speaker(language, turn, synthesizers.values(), gender=gender)
            voices[speaker] = voice.id
            if gender is not None:
                turns[gender] = turn + 1
        return voices

    return assign


def speaker_voice_assigner(
    language: str,
    synthesizers: dict[str, Synthesizer],
    profiles: Iterable[SpeakerProfile],
    *,
    matcher: VoiceMatcher | None,
    saved: Mapping[str, str] | None = None,
) -> VoiceAssigner:
    """Each speaker gets, in order of precedence: the saved voice named for them (`saved`:
    speaker -> "voice:<name>"), a voice matched to their profile, or a stock voice of their
    pitch's gender (a speaker too short to match, a language Kokoro does not speak)."""
    by_speaker = {p.speaker: p for p in profiles}
    saved = dict(saved or {})

    def assign(speakers: list[str]) -> dict[str, str]:
        voices = {}
        for i, speaker in enumerate(sorted(speakers)):
            if speaker in saved:
                voices[speaker] = saved[speaker]
                continue
            profile = by_speaker.get(speaker)
            choice = choose_speaker_voice(
                language,
                i,
                synthesizers.values(),
                profile=profile,
                matcher=matcher,
                gender=profile.gender if profile is not None else None,
            )
            voices[speaker] = choice.voice.id
        return voices

    return assign


def _stock_gender(voice_id: str, language: str, synthesizers: dict[str, Synthesizer]):
    engine = synthesizers.get(voice_id.partition(":")[0])
    voices = engine.voices(language) if engine is not None else []
    return next((v.gender for v in voices if v.id == voice_id), None)


def speaks(voice_id: str, language: str | None, synthesizers: dict[str, Synthesizer]) -> bool:
    """Whether an engine offers `voice_id` in `language` (None: in any): a stock voice, or a
    stored one (a cloned voice, which its store knows)."""
    engine = synthesizers.get(voice_id.partition(":")[0])
    if engine is None:
        return False
    knows = getattr(engine, "knows", None)
    if knows is not None:
        return knows(voice_id, language)
    return any(v.id == voice_id for v in engine.voices(language))


def check_voice_ids(voice_ids: Iterable[str], synthesizers: dict[str, Synthesizer]) -> None:
    """Refuse voice ids no engine offers, naming the first one.

    Raises:
        InvalidInputError: param stock_voice_config.preferred_stock_voice_ids.
    """
    for voice_id in voice_ids:
        if not speaks(voice_id, None, synthesizers):
            raise InvalidInputError(
                f"unknown stock voice {voice_id!r}; voice ids look like 'kokoro:ef_dora'",
                param="stock_voice_config.preferred_stock_voice_ids",
            )
