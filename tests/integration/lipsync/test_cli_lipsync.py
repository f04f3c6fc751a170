"""`polydub lipsync` and `polydub sync-score` on a generated talking face."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from polydub.cli import app

pytestmark = pytest.mark.integration


def test_lipsync_then_sync_score(talking_face, dub_wav, tmp_path):
    runner = CliRunner()
    out = tmp_path / "out.mp4"
    done = runner.invoke(
        app, ["lipsync", str(talking_face), str(dub_wav), "-o", str(out), "--mode", "speed"]
    )
    assert done.exit_code == 0, done.output
    assert out.is_file()
    scored = runner.invoke(app, ["sync-score", str(out), "--json"])
    assert scored.exit_code == 0, scored.output
    score = json.loads(scored.stdout.strip().splitlines()[-1])
    assert score["correlation"] > 0.75 and abs(score["lag_frames"]) <= 1
    assert score["face_frames"] == score["frames"]


def test_lipsync_refuses_missing_files_and_unknown_modes(talking_face, dub_wav, tmp_path):
    runner = CliRunner()
    missing = runner.invoke(
        app, ["lipsync", str(tmp_path / "nope.mp4"), str(dub_wav), "-o", str(tmp_path / "o.mp4")]
    )
    assert missing.exit_code == 2
    unknown = runner.invoke(
        app,
        [
            "lipsync",
            str(talking_face),
            str(dub_wav),
            "-o",
            str(tmp_path / "o.mp4"),
            "--mode",
            "fancy",
        ],
    )
    assert unknown.exit_code == 2
