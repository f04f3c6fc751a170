"""Which voice policy a target uses: the user's saved voices, stock voices, or matching.

HeyGen's default is to clone the speaker; `use_stock_voice` (or naming preferred stock
voices) asks for preset voices instead.
"""

from __future__ import annotations

from polydub.pipeline.artifacts import DiarizationArtifact
from polydub.pipeline.synthesize import VoiceAssigner


def target_voice_assigner(
    target: str, options, engines, diarized: DiarizationArtifact
) -> VoiceAssigner:
    """The voice assigner of one target language of a dub (options: DubOptions)."""
    from polydub.pipeline.voices import speaker_voice_assigner, stock_voice_assigner

    saved = {speaker: f"voice:{name}" for speaker, name in options.saved_voices}
    if options.use_stock_voice or options.voice_ids or not engines.settings.voice_matching:
        stock = stock_voice_assigner(
            target, engines.synthesizers, options.voice_ids, diarized.profiles
        )
        return lambda speakers: stock(speakers) | {s: v for s, v in saved.items() if s in speakers}
    return speaker_voice_assigner(
        target,
        engines.synthesizers,
        diarized.profiles,
        matcher=profile_matcher(options, engines, diarized),
        saved=saved,
    )


def profile_matcher(options, engines, diarized: DiarizationArtifact):
    from polydub.engines.voice.style_search import KokoroStyleSearch
    from polydub.pipeline.voice_matching import ProfileVoiceMatcher

    search = KokoroStyleSearch(
        engines.synthesizers["kokoro"], engines.speaker_encoder, asr_round_trip(engines)
    )
    styles = ProfileVoiceMatcher(
        search,
        engines.synthesizers["matched"].store,
        mode=options.mode,
        probe_language=diarized.transcript.language,
    )
    if engines.cloner is None:
        return styles
    from polydub.pipeline.voice_matching import CloningVoiceMatcher, FirstMatch

    # A configured cloning model first; tuned Kokoro styles for languages it does not speak.
    return FirstMatch(CloningVoiceMatcher(engines.cloner), styles)


def match_details(voices: dict[str, str], engines) -> dict[str, dict]:
    """speaker -> how their matched or saved voice was made (base voice, probe scores)."""
    out = {}
    for speaker, voice_id in voices.items():
        engine, _, name = voice_id.partition(":")
        store = getattr(engines.synthesizers.get(engine), "store", None)
        if store is not None and store.exists(name):
            out[speaker] = store.load(name).info
    return out


def asr_round_trip(engines):
    """samples (16 kHz), language -> the words the job's speech recogniser hears."""
    from polydub.engines.asr.base import TranscribeOptions

    def transcribe(samples, language: str) -> str:
        options = TranscribeOptions(language=language, beam_size=1, vad=False)
        return engines.transcriber.transcribe(samples, options).text

    return transcribe
