"""Chaos tests: real `polydub serve` / `polydub worker` processes killed mid-job, and
concurrent jobs on one video; black-box, over HTTP."""

from __future__ import annotations

import pytest
from file_server import serving


@pytest.fixture(scope="session")
def clip_url(tmp_path_factory):
    """A generated 4-second 640x360 talking clip, served over HTTP from this test process:
    the shortest that still goes through every stage (speech, music, a face)."""
    from polydub.samples import make_talking_clip

    folder = tmp_path_factory.mktemp("chaos-served")
    make_talking_clip(folder / "talk.mp4", 4.0, width=640, height=360)

    with serving(folder) as base:
        yield f"{base}/talk.mp4"


def _scale_fixtures():
    """The scale tests' services (PostgreSQL database, private redis-server, S3-compatible
    server, bucket) and deployment helpers, for the Celery chaos test."""
    import importlib.util
    import sys
    from pathlib import Path

    scale = Path(__file__).resolve().parents[1] / "scale"
    sys.path.insert(0, str(scale))  # cluster.py, scale_services.py
    spec = importlib.util.spec_from_file_location("scale_conftest", scale / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_scale = _scale_fixtures()
postgres_url = _scale.postgres_url
redis_server = _scale.redis_server
s3_server = _scale.s3_server
bucket = _scale.bucket
