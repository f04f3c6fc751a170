"""Match a voice to each source speaker, once per speaker profile and target language.

The voice comes from the voice bank (engines/voice/voice_bank.py: candidates heard once per
model and language, cached) through voice_match.py: never a base voice of the other sex for a
clearly male or female speaker, pitch moved to the speaker's median on the target language,
then the candidate, formant scale and EQ that sound most like them. The matched voice is
cached under a key made of the profile (embedding, pitch), the effort, the target language
and the match version: a re-run or another job with the same speaker reuses it, on any
worker sharing the voice store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from polydub.domain.speaker import SpeakerProfile
from polydub.engines.tts.base import VoiceInfo
from polydub.engines.tts.matched import MatchedVoice, VoiceStore
from polydub.engines.tts.select import VoiceChoice
from polydub.engines.voice.base import ENCODER_SAMPLE_RATE
from polydub.engines.voice.voice_bank import VoiceBank, probe_language
from polydub.engines.voice.voice_match import MatchOptions, SpeakerTarget, match_speaker
from polydub.engines.voice.voice_refine import RefineOptions, refine_match
from polydub.media.audio import read_wav, resample

logger = logging.getLogger(__name__)

SEARCH_VERSION = 12
MATCHED_ENGINE = "matched"
# Below this much reference speech an embedding says little about a voice: stock voice.
MIN_MATCH_SECONDS = 1.0


@dataclass(frozen=True)
class MatchRecord:
    """What matching did for one speaker, for the report."""

    voice_id: str
    base_voice: str  # the bank candidate (a stock voice or a blend of them)
    start_similarity: float
    similarity: float
    pitch_ratio: float
    syntheses: int  # always 0 now: matching hears banked readings
    sex: str | None = None  # the speaker's, from pitch ("male", "female", None: unclear)
    speaker_pitch: float | None = None  # Hz, median
    voice_pitch: float | None = None  # the matched voice on the target language's probe
    pitch_error_semitones: float | None = None
    seconds: float = 0.0  # matching time (0 when the voice came from the cache)
    warnings: list[str] = field(default_factory=list)


def profile_key(profile: SpeakerProfile, options: MatchOptions, language: str) -> str:
    """The cache key of a matched voice."""
    payload = {
        "v": SEARCH_VERSION,
        "embedding": [round(x, 4) for x in profile.embedding],
        "pitch": round(profile.pitch.median, 1) if profile.pitch else None,
        "options": options.__dict__,
        "language": language,
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    return f"m-{digest[:24]}"


class ProfileVoiceMatcher:
    """A VoiceMatcher: a matched Kokoro voice per speaker profile and language, cached in
    `store`. `encoders`: the speaker encoders that score (the profile's own first)."""

    def __init__(
        self,
        bank: VoiceBank,
        store: VoiceStore,
        *,
        mode: str,
        encoders: list | None = None,
    ) -> None:
        self.bank = bank
        self.store = store
        self.encoders = list(encoders or bank.encoders)
        self.options = MatchOptions.for_mode(mode)
        self.refine = RefineOptions.for_mode(mode)
        self.records: dict[str, MatchRecord] = {}
        self._lock = threading.Lock()

    def match(self, profile: SpeakerProfile, language: str) -> VoiceChoice | None:
        """The matched voice of `profile` speaking `language`; None when the speaker said
        too little to match (the caller gives a stock voice)."""
        if profile.reference_seconds < MIN_MATCH_SECONDS:
            return None
        if language not in self.bank.kokoro.languages():
            return None
        key = profile_key(profile, self.options, probe_language(language))
        started = time.perf_counter()
        with self._lock:  # one match per key, even when targets run concurrently
            voice, fresh = self._matched(key, profile, language)
        info = voice.info
        self.records[profile.speaker] = MatchRecord(
            voice_id=f"{MATCHED_ENGINE}:{key}",
            base_voice=info["base_voice"],
            start_similarity=info["start_similarity"],
            similarity=info["similarity"],
            pitch_ratio=voice.pitch_ratio,
            syntheses=0,
            sex=profile.gender,
            speaker_pitch=info.get("speaker_pitch"),
            voice_pitch=info.get("voice_pitch"),
            pitch_error_semitones=info.get("pitch_error_semitones"),
            seconds=round(time.perf_counter() - started, 3) if fresh else 0.0,
            warnings=list(info.get("warnings", [])),
        )
        info = VoiceInfo(f"{MATCHED_ENGINE}:{key}", MATCHED_ENGINE, key, (language,), voice.gender)
        return VoiceChoice(info, style=voice.style)

    def _matched(
        self, key: str, profile: SpeakerProfile, language: str
    ) -> tuple[MatchedVoice, bool]:
        if self.store.exists(key):
            return self.store.load(key), False
        bank = self.bank.voices(language)
        primary = self.encoders[0].name
        target = SpeakerTarget.of(
            _reference_speech(profile),
            profile.pitch,
            self.encoders,
            known={primary: np.asarray(profile.embedding, np.float32)},
        )
        found = match_speaker(bank, target, self.encoders, self.options)
        found = refine_match(self.bank, bank, found, target, self.encoders, language, self.refine)
        for warning in found.warnings:
            logger.warning("voice match %s: %s", profile.speaker, warning)
        logger.info(
            "voice match %s (%s, %s Hz): %s %.3f -> %.3f, pitch %s Hz",
            profile.speaker,
            target.sex or "unclear",
            _hz(found.speaker_pitch),
            found.voice.name,
            found.start_similarity,
            found.similarity,
            _hz(found.voice_pitch),
        )
        error = found.pitch_error_semitones
        voice = MatchedVoice(
            style=self.bank.style(found.voice),
            pitch_ratio=found.pitch_ratio,
            formant_ratio=found.formant_ratio,
            gender=found.voice.sex,
            spectrum_gains=found.spectrum_gains,
            pitch_target=found.speaker_pitch,
            info={
                "base_voice": f"kokoro:{found.voice.name}",
                "start_similarity": round(found.start_similarity, 4),
                "similarity": round(found.similarity, 4),
                "similarities": {k: round(v, 4) for k, v in found.similarities.items()},
                "speaker": profile.speaker,
                "speaker_pitch": _round(found.speaker_pitch, 1),
                "voice_pitch": _round(found.voice_pitch, 1),
                "pitch_error_semitones": _round(error, 2),
                "language": language,
                "warnings": found.warnings,
            },
        )
        self.store.save(key, voice)
        return voice, True


def _hz(x: float | None) -> str:
    return "?" if x is None else f"{x:.0f}"


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(float(x), digits)


def _reference_speech(profile: SpeakerProfile):
    """The speaker's reference clips at the encoder's rate; None when they are gone."""
    if not profile.reference_wav.exists():
        return None
    return resample(read_wav(profile.reference_wav), ENCODER_SAMPLE_RATE).samples


def clone_key(profile: SpeakerProfile) -> str:
    """The name of a speaker's cloned voice: their reference embedding and clips."""
    payload = {"embedding": [round(x, 4) for x in profile.embedding], "clips": profile.clips}
    return "c-" + hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:24]


class CloningVoiceMatcher:
    """A VoiceMatcher over a real cloning model (XttsCloningSynthesizer): the speaker's
    reference clips condition the model directly; cloned once per profile."""

    def __init__(self, cloner) -> None:
        self.cloner = cloner
        self._lock = threading.Lock()

    def match(self, profile: SpeakerProfile, language: str) -> VoiceChoice | None:
        if profile.reference_seconds < MIN_MATCH_SECONDS:
            return None
        if language not in self.cloner.clone_languages:
            return None
        key = clone_key(profile)
        with self._lock:
            if not self.cloner.has_voice(key):
                self.cloner.clone(key, [profile.reference_wav])
        name = self.cloner.name
        return VoiceChoice(VoiceInfo(f"{name}:{key}", name, key, (language,), profile.gender))


class FirstMatch:
    """Asks each matcher in turn (a cloning model first, style matching where it cannot)."""

    def __init__(self, *matchers) -> None:
        self.matchers = matchers

    def match(self, profile: SpeakerProfile, language: str) -> VoiceChoice | None:
        for matcher in self.matchers:
            choice = matcher.match(profile, language)
            if choice is not None:
                return choice
        return None
