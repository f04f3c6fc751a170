"""Run ffmpeg and ffprobe, turning their failures into errors that say what went wrong."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Sequence

from polydub.errors import EngineError

logger = logging.getLogger(__name__)


def require_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise EngineError(f"{name} is not installed; run scripts/setup.sh (Debian package ffmpeg)")
    return path


def run_ffmpeg(args: Sequence[str], *, input_bytes: bytes | None = None) -> bytes:
    """Run `ffmpeg -nostdin -y <args>` and return its stdout; raise with its stderr on failure."""
    return _run(args, "error", input_bytes)[0]


def run_ffmpeg_report(args: Sequence[str]) -> str:
    """Run ffmpeg at info log level and return its stderr, where analysis filters (loudnorm,
    ebur128) print their measurements."""
    return _run(args, "info", None)[1].decode(errors="replace")


def _run(args: Sequence[str], loglevel: str, input_bytes: bytes | None) -> tuple[bytes, bytes]:
    cmd = [require_binary("ffmpeg"), "-hide_banner", "-nostdin", "-y", "-loglevel", loglevel, *args]
    logger.debug("ffmpeg %s", " ".join(args))
    proc = subprocess.run(cmd, input=input_bytes, capture_output=True, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise EngineError("ffmpeg failed: " + " | ".join(tail))
    return proc.stdout, proc.stderr


def run_ffprobe(args: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    cmd = [require_binary("ffprobe"), "-hide_banner", "-loglevel", "error", *args]
    return subprocess.run(cmd, capture_output=True, check=False)
