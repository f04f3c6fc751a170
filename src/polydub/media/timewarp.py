"""Apply a timing plan's video slow-downs to audio and video with ffmpeg filter graphs."""

from __future__ import annotations

from polydub.domain.timing import VideoStretch


def warp_pieces(stretches: list[VideoStretch], duration: float) -> list[tuple[float, float, float]]:
    """Cut [0, duration) into (start, end, factor) pieces: factor 1 between stretches."""
    pieces: list[tuple[float, float, float]] = []
    t = 0.0
    for s in stretches:
        if s.start > t:
            pieces.append((t, s.start, 1.0))
        pieces.append((s.start, min(s.end, duration) if s.end > s.start else s.end, s.factor))
        t = s.end
    if t < duration:
        pieces.append((t, duration, 1.0))
    return [p for p in pieces if p[1] - p[0] > 1e-4]


def audio_warp_filter(stretches: list[VideoStretch], duration: float, label: str = "0:a") -> str:
    """A filter graph slowing the audio pieces by their factors (pitch kept), then joining them."""
    pieces = warp_pieces(stretches, duration)
    parts, names = [], []
    parts.append(f"[{label}]asplit={len(pieces)}" + "".join(f"[as{i}]" for i in range(len(pieces))))
    for i, (a, b, f) in enumerate(pieces):
        chain = f"[as{i}]atrim=start={a:.6f}:end={b:.6f},asetpts=PTS-STARTPTS"
        if f != 1.0:
            chain += f",rubberband=tempo={1.0 / f:.6f}"
        parts.append(chain + f"[ap{i}]")
        names.append(f"[ap{i}]")
    parts.append("".join(names) + f"concat=n={len(pieces)}:v=0:a=1[aout]")
    return ";".join(parts)


def video_warp_filter(stretches: list[VideoStretch], duration: float, fps: float) -> str:
    """A filter graph playing video pieces slower by their factors, at a constant frame rate."""
    pieces = warp_pieces(stretches, duration)
    parts, names = [], []
    parts.append(f"[0:v]split={len(pieces)}" + "".join(f"[vs{i}]" for i in range(len(pieces))))
    for i, (a, b, f) in enumerate(pieces):
        chain = f"[vs{i}]trim=start={a:.6f}:end={b:.6f},setpts=(PTS-STARTPTS)*{f:.6f}"
        parts.append(chain + f"[vp{i}]")
        names.append(f"[vp{i}]")
    parts.append("".join(names) + f"concat=n={len(pieces)}:v=1:a=0,fps={fps:.6f}[vout]")
    return ";".join(parts)
