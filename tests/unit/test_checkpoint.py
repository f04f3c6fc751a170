"""Checkpoints: reuse on identical inputs, rerun on changed inputs or an interrupted stage."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from polydub.pipeline.checkpoint import DONE_FILE, run_checkpointed


class Out(BaseModel):
    value: int


def test_reuses_output_when_inputs_are_unchanged(tmp_path):
    calls = []

    def produce(d):
        calls.append(d)
        (d / "media.bin").write_bytes(b"x")
        return Out(value=len(calls))

    a, first = run_checkpointed(tmp_path / "s", "s", {"x": 1}, produce, Out)
    b, second = run_checkpointed(tmp_path / "s", "s", {"x": 1}, produce, Out)
    assert (a, b) == (Out(value=1), Out(value=1))
    assert (first.cached, second.cached) == (False, True)
    c, third = run_checkpointed(tmp_path / "s", "s", {"x": 2}, produce, Out)
    assert c == Out(value=2) and not third.cached


def test_interrupted_stage_reruns_from_scratch(tmp_path):
    def crash(d):
        (d / "partial.bin").write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_checkpointed(tmp_path / "s", "s", {}, crash, Out)
    out, outcome = run_checkpointed(tmp_path / "s", "s", {}, lambda d: Out(value=7), Out)
    assert out.value == 7 and not outcome.cached
    assert (outcome.directory / DONE_FILE).exists()
    assert not (outcome.directory / "partial.bin").exists()


def test_damaged_checkpoint_is_redone(tmp_path):
    _, first = run_checkpointed(tmp_path / "s", "s", {}, lambda d: Out(value=1), Out)
    (first.directory / "artifact.json").write_text("{not json")
    out, outcome = run_checkpointed(tmp_path / "s", "s", {}, lambda d: Out(value=2), Out)
    assert out.value == 2 and not outcome.cached


def test_concurrent_identical_stages_run_once_and_share_the_checkpoint(tmp_path):
    # Two identical requests at the same moment: the second waits, then reuses the first's
    # output instead of wiping its directory mid-write.
    import threading
    import time

    calls = []

    def produce(d):
        calls.append(d)
        time.sleep(0.3)
        (d / "media.bin").write_bytes(b"x")
        return Out(value=len(calls))

    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                run_checkpointed(tmp_path / "s", "s", {"x": 1}, produce, Out)
            )
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert sorted(outcome.cached for _, outcome in results) == [False, True]
    assert all(artifact == Out(value=1) for artifact, _ in results)
    assert (results[0][1].directory / "media.bin").read_bytes() == b"x"


def test_different_inputs_never_touch_each_others_output(tmp_path):
    # Two jobs on one video with different settings: the second must neither wipe nor
    # overwrite the first's files, which the first's later stages may still read.
    def produce(value):
        def make(d):
            (d / "premix.wav").write_bytes(bytes([value]) * 8)
            return Out(value=value)

        return make

    a, first = run_checkpointed(tmp_path / "mix", "mix", {"music": True}, produce(1), Out)
    b, second = run_checkpointed(tmp_path / "mix", "mix", {"music": False}, produce(2), Out)
    assert first.directory != second.directory
    assert (first.directory / "premix.wav").read_bytes() == bytes([1]) * 8
    assert (second.directory / "premix.wav").read_bytes() == bytes([2]) * 8
    # Each key's output is still reused (resume), the other's still intact.
    again, third = run_checkpointed(tmp_path / "mix", "mix", {"music": True}, produce(9), Out)
    assert again == a and third.cached and third.directory == first.directory
    assert b == Out(value=2)
