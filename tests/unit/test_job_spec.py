"""The job spec: HeyGen's request fields parsed once into Polydub's names, stored and read
back (also from batches stored before specs existed), and turned into pipeline options."""

from __future__ import annotations

from pathlib import Path

import pytest

from polydub.domain.glossary import GlossaryTerm
from polydub.errors import InvalidInputError
from polydub.jobs.heygen_requests import spec_from_request, stored_spec
from polydub.jobs.spec import JobSpec, MediaRef, dub_options

FULL_TRANSLATION = {
    "video": {"type": "url", "url": "https://example.com/talk.mp4"},
    "output_languages": ["Spanish"],
    "audio": {"type": "asset_id", "asset_id": "a1"},
    "input_language": "English",
    "translate_audio_only": True,
    "speaker_num": 2,
    "mode": "precision",
    "enable_caption": True,
    "keep_the_same_format": True,
    "enable_dynamic_duration": False,
    "disable_music_track": True,
    "enable_speech_enhancement": True,
    "enable_watermark": True,
    "start_time": 1.5,
    "end_time": 9.0,
    "stock_voice_config": {
        "use_stock_voice": True,
        "preferred_stock_voice_ids": ["kokoro:ef_dora"],
    },
    "srt": {"type": "asset_id", "asset_id": "s1"},
    "srt_role": "output",
    "fps_mode": "cfr",
}


def test_every_heygen_field_lands_under_one_polydub_name():
    spec = spec_from_request("translation", FULL_TRANSLATION)
    assert spec.video == MediaRef(kind="url", value="https://example.com/talk.mp4")
    assert spec.dub_audio == MediaRef(kind="asset", value="a1")
    assert spec.output_srt == MediaRef(kind="asset", value="s1") and spec.source_srt is None
    assert (spec.source_language, spec.mode, spec.speakers) == ("en", "precision", 2)
    assert (spec.start, spec.end, spec.fps_mode) == (1.5, 9.0, "cfr")
    assert spec.audio_only and spec.enhance and spec.keep_format and spec.watermark
    assert spec.embed_captions and not spec.dynamic_duration and not spec.keep_music
    assert spec.use_stock_voice and spec.voice_ids == ("kokoro:ef_dora",)


def test_defaults_follow_each_request_kind():
    video = {"type": "url", "url": "https://example.com/v.mp4"}
    translation = spec_from_request("translation", {"video": video})
    proofread = spec_from_request("proofread", {"video": video, "enable_video_stretching": True})
    assert translation.dynamic_duration and translation.keep_music and translation.mode == "speed"
    assert proofread.dynamic_duration
    assert not spec_from_request("proofread", {"video": video}).dynamic_duration
    # An SRT without a role is the source's script.
    with_srt = spec_from_request("lipsync", {"video": video, "srt": video})
    assert with_srt.source_srt is not None and with_srt.output_srt is None


def test_an_unknown_input_language_names_the_param():
    with pytest.raises(InvalidInputError) as error:
        spec_from_request("translation", {**FULL_TRANSLATION, "input_language": "Klingonese"})
    assert error.value.param == "input_language"


def test_a_stored_spec_reads_back_equal_and_a_pre_spec_request_still_loads():
    terms = (GlossaryTerm(source="Polydub", target="Polydub"),)
    spec = spec_from_request("translation", FULL_TRANSLATION, glossary_terms=terms)
    assert stored_spec("translation", spec.model_dump(mode="json")) == spec
    legacy = {**FULL_TRANSLATION, "_glossary_terms": [t.model_dump() for t in terms]}
    assert stored_spec("translation", legacy) == spec


def test_a_spec_refuses_fields_it_does_not_know():
    with pytest.raises(ValueError):
        JobSpec.model_validate(
            {"kind": "translation", "video": {"kind": "url", "value": "x"}, "no_music": True}
        )


def test_dub_options_resolve_the_media_and_take_the_service_settings(tmp_path):
    spec = spec_from_request("translation", FULL_TRANSLATION)
    asked = []

    def resolve(ref: MediaRef, param: str) -> Path:
        asked.append((ref.kind, param))
        return tmp_path / ref.value

    options = dub_options(
        spec, ("es",), resolve=resolve, max_rate=1.3, target_lufs=-14.0, edits={"es": {2: "hola"}}
    )
    # The video is the runner's to fetch (once per batch); the options take the side inputs.
    assert sorted(asked) == [("asset", "audio"), ("asset", "srt")]
    assert options.dub_audio == tmp_path / "a1" and options.output_srt == tmp_path / "s1"
    assert (options.targets, options.max_rate, options.target_lufs) == (("es",), 1.3, -14.0)
    assert options.edits == {"es": {2: "hola"}}
    assert not options.keep_music and options.speakers == 2 and options.mode == "precision"
