"""Small clips of speech in a given language, made with eSpeak-NG: for checks of what the
pipeline hears before it runs (not for any quality claim)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from polydub.media.ffmpeg import run_ffmpeg

GERMAN = (
    "Guten Tag, meine Damen und Herren. Heute zeige ich Ihnen drei neue Funktionen "
    "unseres Programms, die jeden Tag Zeit sparen."
)


def german_speech_clip(folder: Path) -> Path:
    """A grey 320x240 video with German speech, as `folder/de.mp4`."""
    speech, clip = folder / "de.wav", folder / "de.mp4"
    subprocess.run(["espeak-ng", "-v", "de", "-w", str(speech), GERMAN], check=True)
    run_ffmpeg(
        ["-f", "lavfi", "-i", "color=c=gray:s=320x240:r=25", "-i", str(speech), "-shortest",
         "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", str(clip)]
    )  # fmt: skip
    return clip
