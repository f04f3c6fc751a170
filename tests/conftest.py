"""Shared fixtures: settings pointing into a temporary data dir, engines loaded once per
session, and a generated talking clip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Voice matching tunes each new speaker for ~30 s; tests of other features dub with stock
# voices (CLI, API and worker processes inherit this). The speaker tests turn matching on,
# as every default install runs it (tests/integration/voice/conftest.py).
os.environ.setdefault("POLYDUB_VOICE_MATCHING", "false")
# Models a developer pulled into their own cache must not change what tests run; the tests of
# `polydub models` pull into a temporary cache and turn this back on explicitly.
os.environ.setdefault("POLYDUB_USE_PULLED_MODELS", "false")

from polydub.config import Settings


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    # Weights are assembled into the user's cache once and reused; job files go to tmp.
    return Settings(data_dir=tmp_path_factory.mktemp("polydub-data"))


@pytest.fixture(scope="session")
def engines(settings):
    from polydub.pipeline.engine_set import EngineSet

    return EngineSet(settings)


@pytest.fixture(scope="session")
def talking_clip(tmp_path_factory) -> tuple[Path, list[tuple[float, float, str]]]:
    """A 10-second 720p clip of English speech over music, and its speech timeline."""
    from polydub.samples import make_talking_clip

    path = tmp_path_factory.mktemp("media") / "talk.mp4"
    timeline = make_talking_clip(path, 10.0)
    return path, timeline
