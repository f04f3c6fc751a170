"""MD5 of one stream's packets (ffmpeg's md5 muxer over a stream copy): equal only when the
stream was copied, not decoded and encoded again."""

from __future__ import annotations

import subprocess
from pathlib import Path


def stream_md5(path: Path, stream: str) -> str:
    """`stream`: "v" or "a" (the first of its kind)."""
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", f"0:{stream}:0", "-c", "copy",
         "-f", "md5", "-"],
        capture_output=True,
        check=True,
    ).stdout.decode()  # fmt: skip
    return out.strip()
