"""Settings an operator gets wrong, what `polydub config` shows, JSON logs, and the CLI's
entry points (`python -m polydub`, `--version`)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

import pytest

from polydub import __version__
from polydub.cli_config import MASK, effective_settings, format_settings
from polydub.config import Settings, SettingsError, check_secrets, load_settings
from polydub.logging_setup import configure_logging
from polydub.request_ids import request_id_set


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "polydub", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def test_a_bad_value_is_one_line_naming_the_variable(monkeypatch):
    monkeypatch.setenv("POLYDUB_JOB_WORKERS", "abc")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = raised.value.message
    assert message.startswith("POLYDUB_JOB_WORKERS: ") and "'abc'" in message
    assert "\n" not in message


def test_the_cli_reports_a_bad_setting_without_a_traceback():
    result = run_cli("languages", POLYDUB_JOB_WORKERS="abc")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "POLYDUB_JOB_WORKERS" in lines[0]
    assert "Traceback" not in result.stderr


def test_python_m_polydub_prints_the_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"polydub {__version__}"


def test_production_refuses_placeholder_secrets(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "polydub-change-me")
    settings = Settings(
        environment="production",
        signing_secret="change-me-to-a-long-random-string",
        database_url="postgresql://polydub:secret@db:5432/polydub",
    )
    with pytest.raises(SettingsError) as raised:
        check_secrets(settings)
    for name in ("POLYDUB_SIGNING_SECRET", "POLYDUB_DATABASE_URL", "AWS_SECRET_ACCESS_KEY"):
        assert name in raised.value.message
    check_secrets(settings.model_copy(update={"environment": "development"}))  # allowed


def test_production_starts_with_real_secrets(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "Jx8vQ2mN4pL7rT1w")
    check_secrets(
        Settings(
            environment="production",
            signing_secret="9f4b2c7e1a8d3f6b0c5e9a2d7f1b4c8e",
            database_url="postgresql://polydub:Hq3kP9sV2xL5@db:5432/polydub",
        )
    )


def test_the_service_refuses_to_start_with_a_placeholder_in_production(tmp_path):
    from polydub.api.app import create_app

    settings = Settings(data_dir=tmp_path, environment="production", signing_secret="...")
    with pytest.raises(SettingsError, match="POLYDUB_SIGNING_SECRET"):
        create_app(settings, start_executor=False)
    assert not (tmp_path / "polydub.db").exists()  # refused before touching anything


def test_config_masks_secrets_and_reads_as_an_env_file():
    environ = {
        "POLYDUB_SIGNING_SECRET": "s3cr3t-value",
        "POLYDUB_DATABASE_URL": "postgresql://polydub:pg-pass@db:5432/polydub",
        "AWS_SECRET_ACCESS_KEY": "aws-pass",
    }
    settings = Settings(
        signing_secret=environ["POLYDUB_SIGNING_SECRET"],
        database_url=environ["POLYDUB_DATABASE_URL"],
    )
    text = format_settings(effective_settings(settings, environ))
    for secret in ("s3cr3t-value", "pg-pass", "aws-pass"):
        assert secret not in text
    lines = dict(line.split("=", 1) for line in text.splitlines() if not line.startswith("#"))
    assert lines == {
        "POLYDUB_DATABASE_URL": f"postgresql://polydub:{MASK}@db:5432/polydub",
        "POLYDUB_SIGNING_SECRET": MASK,
        "AWS_SECRET_ACCESS_KEY": MASK,
    }
    assert "# POLYDUB_JOB_WORKERS=1" in text.splitlines()  # defaults shown, commented out


def test_json_logs_are_one_object_per_line_with_the_request_id(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    handler = configure_logging("info", "json")
    try:
        with request_id_set("req-9"):
            logging.getLogger("polydub.test").info("job %s done", "j1", extra={"job_id": "j1"})
        logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1  # alembic's start-up chatter is quiet at INFO
    entry = json.loads(lines[0])
    assert entry["message"] == "job j1 done" and entry["request_id"] == "req-9"
    assert entry["job_id"] == "j1" and entry["level"] == "INFO"


def test_face_model_start_up_lines_are_kept_off_stderr():
    script = (
        "import sys, numpy as np\n"
        "from polydub.stderr_filter import filter_native_noise\n"
        "filter_native_noise()\n"
        "from polydub.engines.face.mediapipe_mesh import MediaPipeFaceLandmarker\n"
        "MediaPipeFaceLandmarker().landmarks(np.zeros((64, 64, 3), dtype=np.uint8))\n"
        "print('a line of our own', file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["a line of our own"]
    # Not imported: its Python runtime is what pinned numpy<2 (only its model files are used).
    check = "import sys, polydub.engines.face.mediapipe_mesh as m, numpy as np\n"
    check += "m.MediaPipeFaceLandmarker().landmarks(np.zeros((64, 64, 3), np.uint8))\n"
    check += "assert 'mediapipe' not in sys.modules\n"
    assert subprocess.run([sys.executable, "-c", check], timeout=120).returncode == 0


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("POLYDUB_CT2_MODELS", "not json", "POLYDUB_CT2_MODELS: not valid JSON"),
        ("POLYDUB_EXECUTOR", "bogus", "POLYDUB_EXECUTOR: Input should be 'subprocess'"),
        ("POLYDUB_LOG_FORMAT", "xml", "POLYDUB_LOG_FORMAT: Input should be 'text' or 'json'"),
    ],
)
def test_each_bad_setting_names_its_variable(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert raised.value.message.startswith(expected)
