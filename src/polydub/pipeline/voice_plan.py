"""Which voice policy a target uses: the user's saved voices, stock voices, or matching.

HeyGen's default is to clone the speaker; `use_stock_voice` (or naming preferred stock
voices) asks for preset voices instead.
"""

from __future__ import annotations

import threading
import weakref

from pydantic import BaseModel

from polydub.pipeline.artifacts import DiarizationArtifact
from polydub.pipeline.synthesize import VoiceAssigner

# Bumped when how voices are chosen changes: the voices stage's checkpoint key.
VOICE_PLAN_VERSION = 3


class VoicesArtifact(BaseModel):
    """The voices stage: which voice speaks for each speaker of one target language, and
    how matched ones were made (base voice, pitch, sex, warnings)."""

    voices: dict[str, str]  # speaker -> voice id
    matches: dict[str, dict] = {}  # speaker -> the match record's fields
    warnings: list[str] = []


def choose_voices(target: str, options, engines, diarized: DiarizationArtifact) -> VoicesArtifact:
    """The voices stage's work: assign every speaker a voice (matching those who need it)."""
    from dataclasses import asdict

    assign = target_voice_assigner(target, options, engines, diarized)
    voices = assign(diarized.speakers)
    records = getattr(assign, "records", {})
    matches = {speaker: asdict(record) for speaker, record in records.items()}
    warnings = [f"{s}: {w}" for s, m in matches.items() for w in m.get("warnings", [])]
    return VoicesArtifact(voices=voices, matches=matches, warnings=warnings)


def voices_stage_inputs(options, engines) -> dict:
    """What the voices stage's choice depends on besides the diarization."""
    return {
        "v": VOICE_PLAN_VERSION,
        "matching": bool(engines.settings.voice_matching),
        "stock": bool(options.use_stock_voice),
        "voice_ids": list(options.voice_ids),
        "saved": [list(x) for x in options.saved_voices],
        "mode": options.mode,
    }


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
    matcher = profile_matcher(options, engines, diarized)
    assign = speaker_voice_assigner(
        target, engines.synthesizers, diarized.profiles, matcher=matcher, saved=saved
    )
    # The records of what matching did for each speaker, for the voices stage's artifact.
    assign.records = getattr(matcher, "records", {})
    return assign


def profile_matcher(options, engines, diarized: DiarizationArtifact | None = None):
    from polydub.pipeline.voice_matching import ProfileVoiceMatcher

    styles = ProfileVoiceMatcher(
        voice_bank(engines),
        engines.synthesizers["matched"].store,
        mode=options.mode,
        encoders=engines.speaker_encoders,
    )
    if engines.cloner is None:
        return styles
    from polydub.pipeline.voice_matching import CloningVoiceMatcher, FirstMatch

    # A configured cloning model first; matched Kokoro voices for languages it does not speak.
    return FirstMatch(CloningVoiceMatcher(engines.cloner), styles)


# One bank per Kokoro engine: its candidates' readings stay in memory between jobs.
_BANKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_BANKS_LOCK = threading.Lock()


def voice_bank(engines):
    """The voice bank of the engines' Kokoro, cached under the model cache dir."""
    from polydub.engines.voice.voice_bank import VoiceBank

    kokoro = engines.synthesizers["kokoro"]
    with _BANKS_LOCK:
        if kokoro not in _BANKS:
            _BANKS[kokoro] = VoiceBank(
                kokoro,
                engines.speaker_encoders,
                engines.settings.models_dir,
                clarity=probe_clarity(engines),
            )
        return _BANKS[kokoro]


# The banks `polydub models` (scripts/setup.sh) builds ahead of any job: the probe
# languages the dubs most often target. Each costs about 25 s on two idle cores; the others
# (de, en: also hi, ja) are built at their language's first job, as before.
SETUP_BANK_LANGUAGES = ("es", "pt", "fr")


def prepare_voice_banks(engines, languages=SETUP_BANK_LANGUAGES) -> list[str]:
    """Build (or load) the voice bank of each of `languages` Kokoro speaks, so a first job
    does not pay for it; returns the probe languages ready. None when matching is off."""
    from polydub.engines.voice.voice_bank import probe_language

    if not engines.settings.voice_matching:
        return []
    bank = voice_bank(engines)
    spoken = bank.kokoro.languages()
    ready = sorted({probe_language(x) for x in languages if x in spoken})
    for language in ready:
        bank.voices(language)
    return ready


def match_details(voices: dict[str, str], engines) -> dict[str, dict]:
    """speaker -> how their matched or saved voice was made (base voice, probe scores)."""
    out = {}
    for speaker, voice_id in voices.items():
        engine, _, name = voice_id.partition(":")
        store = getattr(engines.synthesizers.get(engine), "store", None)
        if store is not None and store.exists(name):
            out[speaker] = store.load(name).info
    return out


def probe_clarity(engines):
    """The job's recogniser scoring how clearly a bank voice says its probe (voice_match's
    clarity); the recogniser loads only when a bank is built."""
    from polydub.engines.voice.voice_bank import ClarityScorer
    from polydub.engines.voice.voice_match import CLARITY_FLOOR

    def score(samples, text: str, language: str) -> float:
        return engines.transcriber.text_log_likelihood(samples, text, language, floor=CLARITY_FLOOR)

    return ClarityScorer(f"{engines.asr_model_key}:floor{CLARITY_FLOOR}", score)


def asr_round_trip(engines):
    """samples (16 kHz), language -> the words the job's speech recogniser hears."""
    from polydub.engines.asr.base import TranscribeOptions

    def transcribe(samples, language: str) -> str:
        options = TranscribeOptions(language=language, beam_size=1, vad=False)
        return engines.transcriber.transcribe(samples, options).text

    return transcribe
