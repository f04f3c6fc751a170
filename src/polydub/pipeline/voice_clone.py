"""Clone a voice from a recording: the voice matching a dub does for one speaker, done for
the one speaker of an uploaded recording.

The recording is decoded (optionally denoised), transcribed (its language detected unless
given), and its cleanest lines become the speaker's profile (pipeline/speaker_profiles.py);
the voice matched to that profile (pipeline/voice_matching.py, cached per profile) is the
cloned voice. A recording with too little speech is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from polydub.engines.asr.base import ASR_SAMPLE_RATE, TranscribeOptions
from polydub.engines.tts.matched import MatchedVoice
from polydub.engines.voice.voice_bank import PROBES
from polydub.errors import InvalidInputError
from polydub.media.audio import decode_audio, read_wav, write_wav
from polydub.pipeline.speaker_profiles import build_profiles
from polydub.pipeline.voice_matching import MIN_MATCH_SECONDS, ProfileVoiceMatcher

SPEAKER = "SPEAKER_00"
# The language a voice is tuned speaking when the recording's has no probe sentences.
FALLBACK_PROBE = "en"


@dataclass(frozen=True)
class ClonedVoice:
    voice: MatchedVoice
    language: str  # ISO 639-1: the recording's
    gender: str | None
    report: dict  # what matching found: base voice, similarities, speech used


def clone_recording(
    engines,
    recording: Path,
    workdir: Path,
    *,
    language: str | None = None,
    denoise: bool = True,
    mode: str = "speed",
) -> ClonedVoice:
    """The matched voice of the speaker in `recording` (any audio or video file).

    Raises:
        InvalidInputError: param "audio": undecodable, or too little speech to match.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        audio = decode_audio(recording, ASR_SAMPLE_RATE)
    except Exception as exc:
        raise InvalidInputError("the audio could not be decoded", param="audio") from exc
    if denoise and audio.duration > 0:
        decoded = write_wav(workdir / "recording.wav", audio)
        engines.enhancer.enhance(decoded, workdir / "denoised.wav")
        audio = read_wav(workdir / "denoised.wav")
    if audio.duration < MIN_MATCH_SECONDS:
        raise InvalidInputError(
            f"the audio is {audio.duration:.1f} s long; a voice needs at least "
            f"{MIN_MATCH_SECONDS:.0f} s of speech",
            param="audio",
        )
    transcript = engines.transcriber.transcribe(
        audio.samples, TranscribeOptions(language=language, beam_size=1, vad=True)
    )
    segments = [s.model_copy(update={"speaker": SPEAKER}) for s in transcript.segments]
    if not segments:
        raise InvalidInputError("no speech was heard in the audio", param="audio")
    (profile,) = build_profiles(segments, audio.samples, engines.speaker_encoder, workdir)
    if profile.reference_seconds < MIN_MATCH_SECONDS:
        raise InvalidInputError(
            f"only {profile.reference_seconds:.1f} s of clear speech was heard; a voice needs "
            f"at least {MIN_MATCH_SECONDS:.0f} s",
            param="audio",
        )
    probe = transcript.language if transcript.language in PROBES else FALLBACK_PROBE
    matcher = _matcher(engines, mode)
    choice = matcher.match(profile, probe)
    if choice is None:  # only when Kokoro does not speak the probe language
        raise InvalidInputError("this voice cannot be matched", param="audio")
    store = engines.synthesizers["matched"].store
    voice = store.load(choice.voice.name)
    record = matcher.records[SPEAKER]
    report = {
        "base_voice": record.base_voice,
        "start_similarity": record.start_similarity,
        "similarity": record.similarity,
        "pitch_ratio": round(record.pitch_ratio, 4),
        "speaker_pitch": record.speaker_pitch,
        "voice_pitch": record.voice_pitch,
        "warnings": record.warnings,
        "syntheses": record.syntheses,
        "speech_seconds": profile.speech_seconds,
        "reference_seconds": profile.reference_seconds,
        "language_detected": transcript.language_detected,
    }
    return ClonedVoice(voice, transcript.language, profile.gender, report)


def _matcher(engines, mode: str) -> ProfileVoiceMatcher:
    from polydub.pipeline.voice_plan import voice_bank

    return ProfileVoiceMatcher(
        voice_bank(engines),
        engines.synthesizers["matched"].store,
        mode=mode,
        encoders=engines.speaker_encoders,
    )
