"""Diarization on a generated dialogue of known turns and on a real two-speaker recording.

Whisper gives the words, resemblyzer the voices. DER is printed (run with -s) and bounded.
"""

from __future__ import annotations

import pytest

from polydub.pipeline.artifacts import SeparationArtifact, TranscriptArtifact
from polydub.pipeline.diarization_error import diarization_error_rate
from polydub.pipeline.diarize import diarize, speaker_turns, split_at_speaker_changes, word_speakers

pytestmark = pytest.mark.integration


def _diarized(transcript, samples, encoder, speakers=None):
    per_word = word_speakers(transcript.segments, samples, encoder, speakers=speakers)
    return split_at_speaker_changes(transcript.segments, per_word)


def test_generated_dialogue_count_estimated_and_der_within_10_percent(dialogue, engines):
    _, audio, reference, transcript = dialogue
    segments = _diarized(transcript, audio.samples, engines.speaker_encoder)
    error = diarization_error_rate(reference, speaker_turns(segments))
    scored = diarization_error_rate(reference, speaker_turns(segments), collar=0.25)
    print(
        f"\ngenerated dialogue: {len({s.speaker for s in segments})} speakers found (3 true);"
        f" DER {error.der:.3f} (no collar), {scored.der:.3f} (0.25 s collar)"
    )
    assert {s.speaker for s in segments} == {"SPEAKER_00", "SPEAKER_01", "SPEAKER_02"}
    assert error.der <= 0.10
    # Lines are re-indexed in order and each is one speaker's.
    assert [s.index for s in segments] == list(range(len(segments)))


def test_speaker_num_larger_than_present_finds_the_three_voices(dialogue, engines):
    _, audio, reference, transcript = dialogue
    segments = _diarized(transcript, audio.samples, engines.speaker_encoder, speakers=6)
    assert len({s.speaker for s in segments}) == 3
    assert diarization_error_rate(reference, speaker_turns(segments)).der <= 0.10


def test_real_two_speaker_recording(two_speaker_recording, engines):
    audio, reference, transcript = two_speaker_recording
    segments = _diarized(transcript, audio.samples, engines.speaker_encoder)
    error = diarization_error_rate(reference, speaker_turns(segments))
    scored = diarization_error_rate(reference, speaker_turns(segments), collar=0.25)
    print(
        f"\npyannote sample: {len({s.speaker for s in segments})} speakers found (2 true);"
        f" DER {error.der:.3f} (no collar), {scored.der:.3f} (0.25 s collar);"
        f" {len(transcript.segments)} ASR segments -> {len(segments)} lines"
    )
    assert len({s.speaker for s in segments}) == 2
    # Whisper puts several turns in one segment here: the split at words is what scores.
    assert len(segments) > len(transcript.segments)
    assert scored.der <= 0.10


def test_stage_builds_profiles_with_reference_clips_and_pitch(dialogue, engines, tmp_path):
    path, _, _, transcript = dialogue
    separated = SeparationArtifact(
        speech_wav=path, background_wav=path, raw_speech_wav=path, separator="none"
    )
    transcribed = TranscriptArtifact(transcript=transcript, engine="whisper", beam_size=1)
    result = diarize(
        transcribed, separated, tmp_path, speakers=None, encoder=engines.speaker_encoder
    )
    assert result.speakers == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_02"]
    profiles = {p.speaker: p for p in result.profiles}
    for profile in profiles.values():
        assert 3.0 <= profile.reference_seconds <= 10.0
        assert profile.reference_wav.exists() and len(profile.embedding) == 256
    # Speaker A (Piper's male voice) speaks first; B is Kokoro's female jf_alpha.
    assert profiles["SPEAKER_00"].gender == "male"
    assert profiles["SPEAKER_01"].gender == "female"
