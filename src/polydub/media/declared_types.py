"""The MIME types a client may declare for a direct upload, and which sniffed formats each
one admits once the bytes are in storage.

A declaration is only a promise: completion sniffs the stored bytes (polydub.media.sniff) and
refuses content that is not what was declared. Families are loose where clients commonly
mislabel one container as its sibling (an .m4a sent as video/mp4, a .webm as
video/x-matroska); they never cross containers.
"""

from __future__ import annotations

_ISO_MEDIA = frozenset({"mp4", "m4a", "mov"})
_MATROSKA = frozenset({"webm", "mkv"})

# Declared MIME type -> (sniffed formats it admits, the format its storage key is named by).
_DECLARED: dict[str, tuple[frozenset[str], str]] = {
    "video/mp4": (_ISO_MEDIA, "mp4"),
    "audio/mp4": (_ISO_MEDIA, "m4a"),
    "audio/m4a": (_ISO_MEDIA, "m4a"),
    "audio/x-m4a": (_ISO_MEDIA, "m4a"),
    "video/quicktime": (_ISO_MEDIA, "mov"),
    "video/webm": (_MATROSKA, "webm"),
    "audio/webm": (_MATROSKA, "webm"),
    "video/x-matroska": (_MATROSKA, "mkv"),
    "video/x-msvideo": (frozenset({"avi"}), "avi"),
    "video/avi": (frozenset({"avi"}), "avi"),
    "audio/wav": (frozenset({"wav"}), "wav"),
    "audio/x-wav": (frozenset({"wav"}), "wav"),
    "audio/wave": (frozenset({"wav"}), "wav"),
    "audio/vnd.wave": (frozenset({"wav"}), "wav"),
    "audio/mpeg": (frozenset({"mp3"}), "mp3"),
    "audio/mp3": (frozenset({"mp3"}), "mp3"),
    "audio/ogg": (frozenset({"ogg"}), "ogg"),
    "audio/flac": (frozenset({"flac"}), "flac"),
    "audio/x-flac": (frozenset({"flac"}), "flac"),
    "image/png": (frozenset({"png"}), "png"),
    "image/jpeg": (frozenset({"jpeg"}), "jpeg"),
    "image/jpg": (frozenset({"jpeg"}), "jpeg"),
    "application/x-subrip": (frozenset({"srt"}), "srt"),
    "application/srt": (frozenset({"srt"}), "srt"),
    "text/srt": (frozenset({"srt"}), "srt"),
    "text/vtt": (frozenset({"vtt"}), "vtt"),
}

# A declared type's kind before the bytes are seen (what a pending asset shows).
_KIND_OF_FORMAT = {
    "mp4": "video", "m4a": "audio", "mov": "video", "webm": "video", "mkv": "video",
    "avi": "video", "wav": "audio", "mp3": "audio", "ogg": "audio", "flac": "audio",
    "png": "image", "jpeg": "image", "srt": "srt", "vtt": "vtt",
}  # fmt: skip


def normalise(declared: str) -> str:
    """`Video/MP4; codecs=...` -> `video/mp4`."""
    return declared.split(";", 1)[0].strip().lower()


def is_accepted(declared: str) -> bool:
    return normalise(declared) in _DECLARED


def accepted_types() -> list[str]:
    return sorted(_DECLARED)


def storage_format(declared: str) -> str:
    """The format a declared type's blob is named by until its bytes are sniffed."""
    return _DECLARED[normalise(declared)][1]


def declared_kind(declared: str) -> str:
    return _KIND_OF_FORMAT[storage_format(declared)]


def admits(declared: str, sniffed_format: str) -> bool:
    """Whether content sniffed as `sniffed_format` is what `declared` promised."""
    return sniffed_format in _DECLARED[normalise(declared)][0]
