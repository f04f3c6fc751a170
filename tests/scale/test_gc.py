"""`polydub gc`: workspaces of checkpoints untouched for a while go, here and in the bucket;
recent ones, leased ones and everything outside the work area stay."""

from __future__ import annotations

import os
import time

from typer.testing import CliRunner

from polydub.cli import app
from polydub.config import Settings
from polydub.storage import open_blob_store
from polydub.storage.cache import lease
from polydub.storage.gc import collect_checkpoints

DAY = 86400.0


def workspace(root, name: str, age_days: float):
    stage = root / name / "source" / "ingest"
    stage.mkdir(parents=True)
    (stage / "done.json").write_text("{}")
    (stage / "audio.wav").write_bytes(b"x" * 1000)
    when = time.time() - age_days * DAY
    for path in (root / name).rglob("*"):
        os.utime(path, (when, when))
    return root / name


def test_old_local_workspaces_go_unless_in_use(tmp_path):
    work = tmp_path / "work"
    old, busy = workspace(work, "old", 30), workspace(work, "busy", 30)
    recent = workspace(work, "recent", 1)
    with lease(busy):  # a task that has held it since long ago
        when = time.time() - 30 * DAY
        os.utime(busy / ".lease", (when, when))
        report = collect_checkpoints(work, None, 14 * DAY)
    assert report.local == ["old"] and report.local_bytes >= 1000 and report.kept_in_use == 1
    assert not old.exists() and busy.exists() and recent.exists()


def test_dry_run_only_lists(tmp_path):
    work = tmp_path / "work"
    old = workspace(work, "old", 30)
    assert collect_checkpoints(work, None, 14 * DAY, dry_run=True).local == ["old"]
    assert old.exists()


def test_cli_reports_what_it_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYDUB_DATA_DIR", str(tmp_path / "data"))
    from polydub.config import load_settings

    workspace(load_settings().work_dir, "old", 30)
    done = CliRunner().invoke(app, ["gc", "--older-than-days", "7"])
    assert done.exit_code == 0, done.output
    assert "removed 1 workspaces here" in done.output


def test_old_workspaces_go_from_the_bucket(s3_server, bucket, tmp_path, monkeypatch):
    from scale_services import S3_KEY_ENV

    for name, value in S3_KEY_ENV.items():
        monkeypatch.setenv(name, value)
    blobs = open_blob_store(
        Settings(
            data_dir=tmp_path / "data",
            storage_url=f"s3://{bucket}/media",
            storage_endpoint_url=s3_server.endpoint,
        )
    )
    blobs.put_bytes("work/old/source/ingest/done.json", b"{}")
    blobs.put_bytes("translations/t1/video.mp4", b"an output")  # never a checkpoint
    time.sleep(2.1)
    cutoff_age = 1.0  # seconds: "old" was written before, "new" after
    blobs.put_bytes("work/new/source/ingest/done.json", b"{}")
    report = collect_checkpoints(tmp_path / "no-work-here", blobs, cutoff_age)
    assert report.stored == ["old"]
    assert not blobs.exists("work/old/source/ingest/done.json")
    assert blobs.exists("work/new/source/ingest/done.json")
    assert blobs.exists("translations/t1/video.mp4")
