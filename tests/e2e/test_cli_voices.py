"""`polydub voices`: stock voice ids per language, saved voices, and refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from polydub.engines.tts.matched import MatchedVoice, VoiceStore

pytestmark = pytest.mark.e2e

POLYDUB = [sys.executable, "-m", "polydub.cli"]


def _cli(*args: str, data: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "POLYDUB_DATA_DIR": str(data), "COLUMNS": "200"}
    return subprocess.run([*POLYDUB, *args], capture_output=True, text=True, env=env, timeout=300)


def test_voices_lists_stock_ids_per_language_and_saved_voices(tmp_path):
    VoiceStore(tmp_path / "voices").save(
        "anna", MatchedVoice(np.zeros((510, 1, 256), np.float32), gender="female")
    )
    spanish = _cli("voices", "--language", "Spanish", data=tmp_path)
    assert spanish.returncode == 0, spanish.stderr[-2000:]
    assert "kokoro:jm_kumo" in spanish.stdout and "piper:joe" not in spanish.stdout
    assert "voice:anna" in spanish.stdout
    english = _cli("voices", "--language", "en", data=tmp_path)
    assert "piper:joe" in english.stdout
    unknown = _cli("voices", "save", "bob", "--from", "matched:m-nothing", data=tmp_path)
    assert unknown.returncode == 2 and "no matched voice" in unknown.stderr
