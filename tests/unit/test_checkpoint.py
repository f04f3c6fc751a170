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
    assert not (tmp_path / "s" / DONE_FILE).exists()
    out, outcome = run_checkpointed(tmp_path / "s", "s", {}, lambda d: Out(value=7), Out)
    assert out.value == 7 and not outcome.cached
    assert not (tmp_path / "s" / "partial.bin").exists()


def test_damaged_checkpoint_is_redone(tmp_path):
    run_checkpointed(tmp_path / "s", "s", {}, lambda d: Out(value=1), Out)
    (tmp_path / "s" / "artifact.json").write_text("{not json")
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
    assert (tmp_path / "s" / "media.bin").read_bytes() == b"x"
