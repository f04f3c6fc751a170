"""Engines of later stages load in the background while the first stages run."""

from __future__ import annotations

import pytest

from polydub.config import Settings
from polydub.pipeline.dub import engines_ahead
from polydub.pipeline.dub_options import DubOptions
from polydub.pipeline.engine_set import EngineSet

pytestmark = pytest.mark.integration


def test_preload_builds_the_engines_once_in_the_background(tmp_path):
    engines = EngineSet(Settings(cache_dir=tmp_path / "cache", data_dir=tmp_path / "data"))
    engines.preload(["speaker_encoder", "no_such_engine"]).join(timeout=120)
    loaded = engines.__dict__.get("speaker_encoder")
    assert loaded is not None  # built by the background thread; the bad name was only logged
    assert engines.speaker_encoder is loaded  # the stage gets the same engine, not a second


def test_a_dub_preloads_what_its_later_stages_need():
    assert engines_ahead(DubOptions(targets=("es",))) == [
        "transcriber",
        "speaker_encoder",
        "synthesizers",
    ]
    assert engines_ahead(DubOptions(targets=("es",), dub_audio="speech.wav")) == []
