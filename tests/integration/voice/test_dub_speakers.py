"""The pipeline with two speakers: diarized, each matched once per target language (a
voice's pitch differs between languages) in its own timed stage, each keeping their sex and
pitch, and per-speaker figures in the report."""

from __future__ import annotations

import pytest

from polydub.pipeline.dub import DubOptions, dub
from polydub.voice_catalog import save_voice

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def two_speaker_clip(tmp_path_factory):
    from polydub.samples import make_talking_clip

    path = tmp_path_factory.mktemp("media") / "dialogue.mp4"
    make_talking_clip(path, 14.0, dialogue=True)
    return path


def test_each_speaker_keeps_one_matched_voice_across_languages(two_speaker_clip, engines, tmp_path):
    options = DubOptions(targets=("es", "pt"), source_language="en", audio_only=True)
    results = dub(
        two_speaker_clip, options, engines, work_root=tmp_path / "work", output_stem=tmp_path / "o"
    )
    es, pt = (r.report for r in results)
    assert es["source"]["speakers"] == ["SPEAKER_00", "SPEAKER_01"]
    voices = es["engines"]["voices"]
    for report in (es, pt):
        assert all(v.startswith("matched:") for v in report["engines"]["voices"].values())
        # Matching is its own step, timed in the report.
        assert "voices" in [s["stage"] for s in report["stages"]]
    assert voices["SPEAKER_00"] != voices["SPEAKER_01"]
    for speaker in es["speakers"] + pt["speakers"]:
        print(f"\n{speaker}")
        assert speaker["similarity"] is not None and speaker["similarity_crosscheck"] is not None
        assert speaker["stock_voice"].startswith("kokoro:")
        assert abs(speaker["pitch_error_semitones"]) <= 1.5
        assert not speaker["warnings"]
    # Piper's male voice first, Kokoro's female voice second: the dub keeps their pitch apart.
    first, second = es["speakers"]
    assert first["dub_pitch_median"] < 165 < second["dub_pitch_median"]

    # Save the first speaker's voice by name; a stock-voice job reuses it for that speaker.
    assert save_voice(engines.synthesizers, voices["SPEAKER_00"], "anna") == "voice:anna"
    again = DubOptions(
        targets=("es",),
        source_language="en",
        audio_only=True,
        use_stock_voice=True,
        saved_voices=(("SPEAKER_00", "anna"),),
    )
    (second_run,) = dub(
        two_speaker_clip, again, engines, work_root=tmp_path / "work", output_stem=tmp_path / "s"
    )
    assert second_run.report["engines"]["voices"]["SPEAKER_00"] == "voice:anna"
    assert second_run.report["engines"]["voices"]["SPEAKER_01"].startswith("kokoro:")
    # The saved voice is the matched one: the dub scores the same against the speaker.
    reused = second_run.report["speakers"][0]
    assert abs(reused["similarity"] - first["similarity"]) < 0.02
