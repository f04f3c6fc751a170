"""Match a voice to each source speaker, once per speaker profile.

The tuned voice is cached under a key made of the profile (embedding, pitch), the search
effort and the search version, not the target language: a batch of languages tunes once, and
a re-run or another job with the same speaker reuses it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass

from polydub.domain.speaker import SpeakerProfile
from polydub.engines.tts.base import VoiceInfo
from polydub.engines.tts.matched import MatchedVoice, VoiceStore
from polydub.engines.tts.select import VoiceChoice
from polydub.engines.voice.base import ENCODER_SAMPLE_RATE
from polydub.engines.voice.style_search import KokoroStyleSearch, StyleSearchOptions
from polydub.media.audio import read_wav, resample

logger = logging.getLogger(__name__)

SEARCH_VERSION = 9
MATCHED_ENGINE = "matched"
# Below this much reference speech an embedding says little about a voice: stock voice.
MIN_MATCH_SECONDS = 1.0


@dataclass(frozen=True)
class MatchRecord:
    """What matching did for one speaker, for the report."""

    voice_id: str
    base_voice: str
    start_similarity: float
    similarity: float
    pitch_ratio: float
    syntheses: int  # 0 when the voice came from the cache


def profile_key(profile: SpeakerProfile, options: StyleSearchOptions, language: str) -> str:
    """The cache key of a tuned voice."""
    payload = {
        "v": SEARCH_VERSION,
        "embedding": [round(x, 4) for x in profile.embedding],
        "pitch": round(profile.pitch.median, 1) if profile.pitch else None,
        "options": options.__dict__,
        "probe": language,
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    return f"m-{digest[:24]}"


class ProfileVoiceMatcher:
    """A VoiceMatcher: a tuned Kokoro voice per speaker profile, cached in `store`.

    Args:
        probe_language: the language the candidates speak while being scored (the source's,
            so the speaker is compared with speech like their own).
    """

    def __init__(
        self,
        search: KokoroStyleSearch,
        store: VoiceStore,
        *,
        mode: str,
        probe_language: str,
    ) -> None:
        self.search = search
        self.store = store
        self.options = StyleSearchOptions.for_mode(mode)
        self.probe_language = probe_language
        self.records: dict[str, MatchRecord] = {}
        self._lock = threading.Lock()

    def match(self, profile: SpeakerProfile, language: str) -> VoiceChoice | None:
        """The tuned voice of `profile` (any target language); None when the speaker said too
        little to match (the caller gives a stock voice)."""
        if profile.reference_seconds < MIN_MATCH_SECONDS:
            return None
        if language not in self.search.kokoro.languages():
            return None
        key = profile_key(profile, self.options, self.probe_language)
        with self._lock:  # one search per key, even when targets run concurrently
            voice, syntheses = self._tuned(key, profile)
        self.records[profile.speaker] = MatchRecord(
            voice_id=f"{MATCHED_ENGINE}:{key}",
            base_voice=voice.info["base_voice"],
            start_similarity=voice.info["start_similarity"],
            similarity=voice.info["similarity"],
            pitch_ratio=voice.pitch_ratio,
            syntheses=syntheses,
        )
        info = VoiceInfo(f"{MATCHED_ENGINE}:{key}", MATCHED_ENGINE, key, (language,), voice.gender)
        return VoiceChoice(info, style=voice.style)

    def _tuned(self, key: str, profile: SpeakerProfile) -> tuple[MatchedVoice, int]:
        if self.store.exists(key):
            return self.store.load(key), 0
        import numpy as np

        found = self.search.search(
            np.asarray(profile.embedding, np.float32),
            profile.pitch,
            language=self.probe_language,
            options=self.options,
            reference=_reference_speech(profile),
        )
        logger.info(
            "voice match %s: %s %.3f -> %.3f in %d syntheses",
            profile.speaker,
            found.base_voice,
            found.start_similarity,
            found.similarity,
            found.syntheses,
        )
        voice = MatchedVoice(
            style=found.style,
            pitch_ratio=found.pitch_ratio,
            formant_ratio=found.formant_ratio,
            gender=profile.gender,
            spectrum_gains=found.spectrum_gains,
            info={
                "base_voice": found.base_voice,
                "start_similarity": round(found.start_similarity, 4),
                "similarity": round(found.similarity, 4),
                "speaker": profile.speaker,
            },
        )
        self.store.save(key, voice)
        return voice, found.syntheses


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
