"""Checkpoints through the object store: finished stages pushed from one machine's workspace
are reused from another's, at another path; so are the voices one machine tuned."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from polydub.jobs.workspace_sync import PLACEHOLDER, WorkspaceMirror
from polydub.pipeline.checkpoint import run_checkpointed
from polydub.storage.s3 import S3BlobStore, ensure_bucket


class Stem(BaseModel):
    wav: str
    seconds: float


@pytest.fixture
def blobs(s3_server, tmp_path, monkeypatch):
    from scale_services import S3_KEY_ENV

    for name, value in S3_KEY_ENV.items():
        monkeypatch.setenv(name, value)
    store = S3BlobStore(
        "s3://checkpoints/polydub", tmp_path / "cache", endpoint_url=s3_server.endpoint
    )
    ensure_bucket(store)
    store.delete_prefix("work")
    return store


def produce(directory, calls: list):
    calls.append(directory)
    (directory / "speech.wav").write_bytes(b"RIFF" + bytes(100))
    return Stem(wav=str(directory / "speech.wav"), seconds=4.0)


def test_a_stage_finished_on_one_machine_is_reused_on_another(blobs, tmp_path):
    calls: list = []
    first = tmp_path / "machine-a" / "work" / "abc123"
    _, made = run_checkpointed(
        first / "source" / "separate", "separate", {"up": 1}, lambda d: produce(d, calls), Stem
    )
    (first / "source" / "transcribe" / "f00d").mkdir(parents=True)  # started, never finished
    (first / "source" / "transcribe" / "f00d" / "partial.json").write_text("{}")
    assert WorkspaceMirror(blobs, first).push("source") == 3  # wav, artifact, done.json

    stored = blobs.listing("work/abc123")
    assert not any("transcribe" in key for key in stored)
    output = made.directory.relative_to(first).as_posix()  # source/separate/<key>
    artifact = json.loads(blobs.path(f"work/abc123/{output}/artifact.json").read_text())
    assert artifact["wav"] == f"{PLACEHOLDER}/{output}/speech.wav"

    second = tmp_path / "machine-b" / "elsewhere" / "abc123"
    assert WorkspaceMirror(blobs, second).pull("source") == 3
    stem, outcome = run_checkpointed(
        second / "source" / "separate", "separate", {"up": 1}, lambda d: produce(d, calls), Stem
    )
    assert outcome.cached and len(calls) == 1  # not produced again
    assert stem.wav == str(second / output / "speech.wav")
    assert (second / output / "speech.wav").read_bytes() == b"RIFF" + bytes(100)


def test_outputs_of_different_settings_are_stored_side_by_side(blobs, tmp_path):
    # Two jobs on one video with different settings, on two machines: each machine's push
    # keeps the other's output, and a third machine can resume either.
    a = tmp_path / "machine-a" / "work" / "cafe01"
    b = tmp_path / "machine-b" / "work" / "cafe01"
    run_checkpointed(
        a / "targets" / "pt" / "mix", "mix", {"music": True}, lambda d: produce(d, []), Stem
    )
    run_checkpointed(
        b / "targets" / "pt" / "mix", "mix", {"music": False}, lambda d: produce(d, []), Stem
    )
    assert WorkspaceMirror(blobs, a).push("targets/pt") == 3
    assert WorkspaceMirror(blobs, b).push("targets/pt") == 3
    c = tmp_path / "machine-c" / "work" / "cafe01"
    assert WorkspaceMirror(blobs, c).pull("targets/pt") == 6
    calls: list = []
    for music in (True, False):
        _, outcome = run_checkpointed(
            c / "targets" / "pt" / "mix", "mix", {"music": music}, lambda d: produce(d, calls), Stem
        )
        assert outcome.cached
    assert calls == []


def test_push_sends_only_what_changed(blobs, tmp_path):
    workspace = tmp_path / "work" / "def456"
    mirror = WorkspaceMirror(blobs, workspace)
    run_checkpointed(workspace / "source" / "ingest", "ingest", {}, lambda d: produce(d, []), Stem)
    assert mirror.push("source") == 3
    assert mirror.push("source") == 0
    lines = workspace / "targets" / "es" / "lines"
    lines.mkdir(parents=True)
    (lines / "a1b2.wav").write_bytes(b"line")
    (lines / "tmpx83.wav").write_bytes(b"being written")  # a line cache temporary
    assert mirror.push("targets/es") == 1


def test_a_voice_tuned_on_one_machine_is_found_on_another(blobs, tmp_path):
    import numpy as np

    from polydub.engines.tts.matched import MatchedVoice, VoiceStore

    tuned = MatchedVoice(
        style=np.random.default_rng(0).random((510, 1, 256), dtype=np.float32),
        pitch_ratio=1.1,
        gender="female",
        info={"base_voice": "af_heart", "similarity": 0.81},
    )
    first = VoiceStore(tmp_path / "machine-a" / "voices")
    first.share_through(blobs, "voices/matched")
    first.save("abc123", tuned)

    alone = VoiceStore(tmp_path / "machine-c" / "voices")  # not shared: its own directory only
    assert not alone.exists("abc123")
    second = VoiceStore(tmp_path / "machine-b" / "voices")
    second.share_through(blobs, "voices/matched")
    assert not second.exists("never-tuned")
    assert second.exists("abc123")
    fetched = second.load("abc123")
    assert np.array_equal(fetched.style, tuned.style)
    assert (fetched.pitch_ratio, fetched.gender, fetched.info) == (1.1, "female", tuned.info)
