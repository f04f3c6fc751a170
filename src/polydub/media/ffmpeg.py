"""Run ffmpeg and ffprobe, turning their failures into errors that say what went wrong."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Sequence

from polydub.cancellation import current_check
from polydub.errors import EngineError, JobCancelled

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
    returncode, stdout, stderr = run_cancellable(cmd, input_bytes=input_bytes)
    if returncode != 0:
        tail = stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise EngineError("ffmpeg failed: " + " | ".join(tail))
    return stdout, stderr


# How often a running child is checked against the job's cancel (the check itself is throttled).
_POLL_S = 0.1


def run_cancellable(
    cmd: Sequence[str], *, input_bytes: bytes | None = None
) -> tuple[int, bytes, bytes]:
    """Run `cmd` to the end and return (returncode, stdout, stderr); inside a job, kill it as
    soon as the job is cancelled (an encode of a long video runs for minutes).

    Raises:
        JobCancelled: the job in scope was cancelled; the child is killed and reaped first.
    """
    check = current_check()
    if check is None:
        proc = subprocess.run(cmd, input=input_bytes, capture_output=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr
    check.raise_if_cancelled()
    with subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE if input_bytes is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        try:
            while True:
                try:
                    # communicate() may be called again after a timeout without losing output.
                    stdout, stderr = proc.communicate(input_bytes, timeout=_POLL_S)
                    return proc.returncode, stdout, stderr
                except subprocess.TimeoutExpired:
                    if check.cancelled():
                        logger.info("killing %s: the job was cancelled", cmd[0])
                        raise JobCancelled("the job was cancelled") from None
        except BaseException:
            proc.kill()  # as subprocess.run does on any error: never leave the child running
            proc.communicate()  # and reap it: no zombie
            raise


def run_ffprobe(args: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    cmd = [require_binary("ffprobe"), "-hide_banner", "-loglevel", "error", *args]
    return subprocess.run(cmd, capture_output=True, check=False)
