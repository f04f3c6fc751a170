"""The engines a run will need load in the background while its first stages run
(pipeline/engine_warmup.py): only those it will use, in the order its stages need them, and a
failure to load one is left to its stage."""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace

from polydub.cancellation import CancelCheck
from polydub.pipeline.dub_options import DubOptions
from polydub.pipeline.engine_warmup import EngineWarmup, warmup_steps


class RecordingEngines:
    """Stands in for EngineSet: each engine records its load and the thread that loaded it."""

    def __init__(self, voice_matching: bool = True, broken: str | None = None) -> None:
        self.settings = SimpleNamespace(voice_matching=voice_matching)
        self.loaded: list[tuple[str, str]] = []
        self.broken = broken

    def _load(self, name: str) -> str:
        if name == self.broken:
            raise RuntimeError(f"{name} is missing")
        self.loaded.append((name, threading.current_thread().name))
        return name

    @cached_property
    def separator(self):
        return self._load("separator")

    @cached_property
    def transcriber(self):
        return self._load("transcriber")

    @cached_property
    def speaker_encoder(self):
        return self._load("speaker_encoder")

    @cached_property
    def speaker_encoders(self):
        return self._load("speaker_encoders")

    @cached_property
    def synthesizers(self):
        # No Kokoro here: the voice-bank step finds none and fails, as a missing one would.
        return self._load("synthesizers")

    def names(self) -> list[str]:
        return [name for name, _ in self.loaded]


def _never() -> CancelCheck:
    return CancelCheck(lambda: False)


def _load_all(options: DubOptions, engines: RecordingEngines, **flags) -> None:
    for step in warmup_steps(options, engines, **flags):
        try:
            step()
        except Exception:  # noqa: BLE001 - the voice bank needs a real Kokoro
            pass


def test_a_dub_loads_its_engines_in_the_order_its_stages_need_them():
    engines = RecordingEngines()
    _load_all(DubOptions(targets=("es",)), engines)
    assert engines.names() == [
        "separator",
        "transcriber",
        "speaker_encoder",
        "synthesizers",
        "speaker_encoders",
    ]


def test_only_the_engines_the_run_uses_are_loaded():
    given_transcript = RecordingEngines()
    _load_all(DubOptions(targets=("es",), source_srt=Path("in.srt")), given_transcript)
    assert "transcriber" not in given_transcript.names()

    own_audio = RecordingEngines()
    _load_all(DubOptions(targets=("es",), dub_audio=Path("dub.wav")), own_audio)
    assert own_audio.names() == ["separator", "transcriber", "speaker_encoder"]

    stock = RecordingEngines()
    _load_all(DubOptions(targets=("es",), use_stock_voice=True), stock)
    assert "speaker_encoders" not in stock.names()

    matching_off = RecordingEngines(voice_matching=False)
    _load_all(DubOptions(targets=("es",)), matching_off)
    assert "speaker_encoders" not in matching_off.names()


def test_a_workspace_that_separated_before_loads_no_separator():
    rerun = RecordingEngines()
    _load_all(DubOptions(targets=("es",)), rerun, separated_before=True)
    assert rerun.names() == ["transcriber", "speaker_encoder", "synthesizers", "speaker_encoders"]


def test_the_warmup_loads_in_its_own_thread_and_ends_with_the_run():
    engines = RecordingEngines()
    warmup = EngineWarmup(DubOptions(targets=("es",)), engines, _never()).start()
    warmup.stop()  # the end of the run: joins the thread
    assert engines.names()[:3] == ["separator", "transcriber", "speaker_encoder"]
    assert all(thread == "background-engine-warmup" for _, thread in engines.loaded)
    # The stages find what it loaded and load nothing again.
    assert engines.transcriber == "transcriber"
    assert engines.names().count("transcriber") == 1


def test_an_engine_that_fails_to_load_is_left_to_its_stage_and_the_rest_still_load():
    engines = RecordingEngines(broken="transcriber")
    warmup = EngineWarmup(DubOptions(targets=("es",)), engines, _never()).start()
    warmup.stop()
    assert warmup.error is None  # logged, not kept: the stage raises it with its context
    assert engines.names()[:3] == ["separator", "speaker_encoder", "synthesizers"]


def test_a_cancelled_job_loads_nothing_more():
    engines = RecordingEngines()
    warmup = EngineWarmup(DubOptions(targets=("es",)), engines, CancelCheck(lambda: True))
    warmup.start().stop()
    assert engines.names() == []
