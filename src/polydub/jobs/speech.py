"""Generated speech (POST /v3/voices/speech): a text read by a stock or cloned voice through
the project's TTS, stored as a wav, with each word's time as the synthesis measured it.

Word times come from the engine's own per-token durations (Kokoro and the voices matched
through it); an engine that cannot time words (Piper, eSpeak) gives none rather than a guess.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from polydub.engines.text_language import rank_languages
from polydub.engines.tts.word_timestamps import WordTime, word_timestamps
from polydub.errors import InvalidInputError
from polydub.media.audio import write_wav

SPEECH_PREFIX = "speech"


@dataclass(frozen=True)
class GeneratedSpeech:
    request_id: str
    audio_key: str
    duration: float
    words: list[WordTime] | None  # None: the engine cannot time words


def speech_language(engine, text: str, asked: str | None, voice_language: str | None) -> str:
    """The language to read `text` in: the one asked for, else the one the text is written
    in, else the voice's own (a clone's recording's), else the likeliest the engine speaks.

    Raises:
        InvalidInputError: the engine does not speak the language asked for.
    """
    spoken = engine.languages() or getattr(getattr(engine, "kokoro", None), "languages", set)()
    if asked is not None:
        if asked not in spoken:
            raise InvalidInputError(
                f"this voice does not speak {asked!r}; it speaks {', '.join(sorted(spoken))}",
                param="language",
            )
        return asked
    ranked = [code for code, _ in rank_languages(text)]
    if ranked and ranked[0] in spoken:
        return ranked[0]
    if voice_language in spoken:
        return voice_language
    return next((code for code in ranked if code in spoken), sorted(spoken)[0])


def generate_speech(
    context, owner_id: str, engine, voice_id: str, text: str, *, language: str, speed: float
) -> GeneratedSpeech:
    """Speak `text` with `voice_id` of `engine`, store the audio under the caller's speech.

    Raises:
        InvalidInputError: nothing speakable in the text, or a speed the engine refuses.
    """
    try:
        name = voice_id.partition(":")[2]  # engines take their own voice names
        speech = engine.synthesize(text, language=language, voice=name, rate=speed)
    except ValueError as exc:
        raise InvalidInputError(str(exc), param="text") from exc
    request_id = uuid.uuid4().hex
    workdir = context.settings.work_dir / SPEECH_PREFIX
    path = write_wav(workdir / f"{request_id}.wav", speech.audio)
    try:
        key = context.blobs.put_file(f"{SPEECH_PREFIX}/{owner_id}/{request_id}.wav", path)
    finally:
        path.unlink(missing_ok=True)
    words = None
    if speech.words:
        phonemize = _phonemizer(engine, language)
        words = word_timestamps(text, speech.words, phonemize)
    return GeneratedSpeech(request_id, key, round(speech.audio.duration, 3), words)


def _phonemizer(engine, language: str):
    kokoro = getattr(engine, "kokoro", engine)  # a matched voice speaks through Kokoro
    return lambda word: kokoro.phonemize(word, language)
