"""A visible "Polydub" mark in the bottom-right corner (enable_watermark).

Drawn with ffmpeg's drawtext, which needs a TrueType font: DejaVu Sans (Debian package
fonts-dejavu-core) is looked for in the usual places.
"""

from __future__ import annotations

from pathlib import Path

from polydub.errors import EngineError

WATERMARK_TEXT = "Polydub"
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/local/share/fonts/DejaVuSans.ttf"),
)


def watermark_font() -> Path:
    """The font the mark is drawn with.

    Raises:
        EngineError: no font was found; the message says which package to install.
    """
    for path in FONT_CANDIDATES:
        if path.is_file():
            return path
    raise EngineError("no font for the watermark; install the fonts-dejavu-core package")


def watermark_filter(font: Path | None = None) -> str:
    """A drawtext filter: white text at 60% opacity on a faint box, scaled to the frame height,
    inset from the bottom-right corner."""
    font = font or watermark_font()
    # ffmpeg filter arguments: ':' and '\' in the path must be escaped.
    fontfile = str(font).replace("\\", "\\\\").replace(":", "\\:")
    return (
        f"drawtext=fontfile='{fontfile}':text='{WATERMARK_TEXT}':fontcolor=white@0.6"
        ":fontsize=h/18:box=1:boxcolor=black@0.25:boxborderw=6"
        ":x=w-tw-h/30:y=h-th-h/30"
    )
