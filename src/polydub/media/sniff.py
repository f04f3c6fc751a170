"""Say what an uploaded file really is, from its content: never from its name or declared type.

Two steps. `sniff_header` reads magic bytes (and, for captions, the text) to name a format;
`confirm_media` then asks ffprobe for the streams and decodes the first second with ffmpeg, so
a file whose header parses but whose body is garbage is refused before any job relies on it.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from polydub.media.ffmpeg import require_binary

# How much of the head `sniff_header` needs: enough for container magic and a few SRT cues.
SNIFF_BYTES = 4096

# Container/format -> (kind when no stream tells otherwise, MIME type).
_FORMATS: dict[str, tuple[str, str]] = {
    "mp4": ("video", "video/mp4"),
    "mov": ("video", "video/quicktime"),
    "m4a": ("audio", "audio/mp4"),
    "webm": ("video", "video/webm"),
    "mkv": ("video", "video/x-matroska"),
    "avi": ("video", "video/x-msvideo"),
    "wav": ("audio", "audio/wav"),
    "mp3": ("audio", "audio/mpeg"),
    "ogg": ("audio", "audio/ogg"),
    "flac": ("audio", "audio/flac"),
    "png": ("image", "image/png"),
    "jpeg": ("image", "image/jpeg"),
    "srt": ("srt", "application/x-subrip"),
    "vtt": ("vtt", "text/vtt"),
}
_AUDIO_FTYP_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A "}
_SRT_TIMING = re.compile(
    r"^\s*\d{1,3}:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d{1,3}:\d{2}:\d{2}[,.]\d{1,3}", re.MULTILINE
)
_MPEG_AUDIO_SYNC_MASK = 0xFFE0


@dataclass(frozen=True)
class SniffedType:
    """What a file is: `format` (mp4, wav, srt ...), `kind` (video | audio | image | srt |
    vtt) and the MIME type we answer with."""

    format: str
    kind: str
    content_type: str

    @property
    def is_media(self) -> bool:
        """True for formats ffmpeg must confirm (everything but caption text)."""
        return self.kind not in ("srt", "vtt")


class UnsupportedContent(ValueError):
    """The content is not a format Polydub accepts, or it does not decode; the message says
    which."""


def _typed(fmt: str) -> SniffedType:
    kind, mime = _FORMATS[fmt]
    return SniffedType(format=fmt, kind=kind, content_type=mime)


def sniff_header(head: bytes) -> SniffedType | None:
    """Name the format of a file from its first bytes (at least `SNIFF_BYTES` when the file is
    that long); None when no accepted format matches."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AUDIO_FTYP_BRANDS:
            return _typed("m4a")
        return _typed("mov" if brand == b"qt  " else "mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # The EBML DocType names the flavour; Matroska and WebM share the magic.
        return _typed("webm" if b"webm" in head[:64] else "mkv")
    if head.startswith(b"RIFF") and len(head) >= 12:
        return {b"AVI ": _typed("avi"), b"WAVE": _typed("wav")}.get(head[8:12])
    if head.startswith(b"OggS"):
        return _typed("ogg")
    if head.startswith(b"fLaC"):
        return _typed("flac")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _typed("png")
    if head.startswith(b"\xff\xd8\xff"):
        return _typed("jpeg")
    if head.startswith(b"ID3"):
        return _typed("mp3")
    if len(head) >= 2 and int.from_bytes(head[:2], "big") & _MPEG_AUDIO_SYNC_MASK == 0xFFE0:
        # MPEG audio frame sync (11 set bits); layer bits 00 are reserved, so refuse those.
        if head[1] & 0x06:
            return _typed("mp3")
    return _sniff_caption_text(head)


def _sniff_caption_text(head: bytes) -> SniffedType | None:
    try:
        # A cut in the middle of a multibyte character at the end of the head is fine.
        text = head.decode("utf-8", errors="strict" if len(head) < SNIFF_BYTES else "ignore")
    except UnicodeDecodeError:
        return None
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        return None
    if text.startswith("WEBVTT") and (len(text) == 6 or text[6] in " \t\r\n"):
        return _typed("vtt")
    if _SRT_TIMING.search(text):
        return _typed("srt")
    return None


def sniff_file(path: Path) -> SniffedType | None:
    """`sniff_header` on the head of a file."""
    with path.open("rb") as handle:
        return sniff_header(handle.read(SNIFF_BYTES))


def confirm_media(path: Path, sniffed: SniffedType, *, timeout_s: float = 60.0) -> SniffedType:
    """Check with ffprobe and a one-second ffmpeg decode that `path` really is media.

    Returns the type with `kind` corrected from the streams found (an mp4 or mkv with only
    audio is "audio"; an ogg with a video stream is "video").

    Raises:
        UnsupportedContent: no stream can be read or the first second does not decode.
    """
    if not sniffed.is_media:
        return sniffed
    streams = _probe_streams(path, timeout_s)
    kinds = {
        s.get("codec_type") for s in streams if not (s.get("disposition") or {}).get("attached_pic")
    }
    if sniffed.kind == "image":
        kind = "image" if "video" in kinds else None
    elif "video" in kinds:
        kind = "video"
    elif "audio" in kinds:
        kind = "audio"
    else:
        kind = None
    if kind is None:
        raise UnsupportedContent(f"the file looks like {sniffed.format} but has no usable stream")
    _decode_first_second(path, timeout_s)
    return SniffedType(format=sniffed.format, kind=kind, content_type=sniffed.content_type)


def _probe_streams(path: Path, timeout_s: float) -> list[dict]:
    cmd = [
        require_binary("ffprobe"),
        "-hide_banner",
        "-loglevel",
        "error",
        "-print_format",
        "json",
        "-show_streams",
        str(path),
    ]
    proc = _run(cmd, timeout_s)
    if proc.returncode != 0:
        raise UnsupportedContent(f"the file cannot be read as media ({_last_line(proc.stderr)})")
    try:
        return json.loads(proc.stdout or b"{}").get("streams", [])
    except json.JSONDecodeError as exc:
        raise UnsupportedContent("the file cannot be read as media") from exc


def _decode_first_second(path: Path, timeout_s: float) -> None:
    # -xerror stops at the first decoding error, so corrupt frames fail here, not in a job.
    cmd = [
        require_binary("ffmpeg"),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-xerror",
        "-i",
        str(path),
        "-t",
        "1",
        "-f",
        "null",
        "-",
    ]
    proc = _run(cmd, timeout_s)
    if proc.returncode != 0:
        raise UnsupportedContent(f"the file does not decode ({_last_line(proc.stderr)})")


def _run(cmd: list[str], timeout_s: float) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(cmd, capture_output=True, check=False, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise UnsupportedContent("the file took too long to read") from exc


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else "unknown error"
