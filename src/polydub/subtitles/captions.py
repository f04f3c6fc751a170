"""Captions: cut translated lines into readable cues, write and read SRT and WebVTT.

SRT goes through the maintained `srt` library; WebVTT is simple enough to write and parse here
(cue timings, optional identifiers, NOTE/STYLE blocks skipped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import srt

MAX_LINE_CHARS = 42  # common broadcast guideline per caption line
MAX_LINES = 2


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def split_into_cues(text: str, start: float, end: float) -> list[Cue]:
    """Cut one spoken line into cues of at most two 42-character lines, timed by length."""
    words = text.split()
    if not words or end <= start:
        return []
    chunks: list[list[str]] = [[]]
    for word in words:
        candidate = " ".join([*chunks[-1], word])
        if chunks[-1] and len(candidate) > MAX_LINE_CHARS * MAX_LINES:
            chunks.append([word])
        else:
            chunks[-1].append(word)
    texts = [_wrap(" ".join(c)) for c in chunks]
    total = sum(len(t) for t in texts)
    cues, t = [], start
    for i, chunk_text in enumerate(texts):
        t_end = end if i == len(texts) - 1 else t + (end - start) * len(chunk_text) / total
        cues.append(Cue(round(t, 3), round(t_end, 3), chunk_text))
        t = t_end
    return cues


def _wrap(text: str) -> str:
    """Break a cue into two balanced lines when it is longer than one line."""
    if len(text) <= MAX_LINE_CHARS:
        return text
    words = text.split()
    best, best_cost = text, float("inf")
    for i in range(1, len(words)):
        a, b = " ".join(words[:i]), " ".join(words[i:])
        cost = abs(len(a) - len(b)) + (1000 if max(len(a), len(b)) > MAX_LINE_CHARS else 0)
        if cost < best_cost:
            best, best_cost = f"{a}\n{b}", cost
    return best


def write_srt(cues: list[Cue], path: Path) -> Path:
    subs = [
        srt.Subtitle(i + 1, timedelta(seconds=c.start), timedelta(seconds=c.end), c.text)
        for i, c in enumerate(cues)
    ]
    path.write_text(srt.compose(subs, reindex=False), encoding="utf-8")
    return path


def read_srt(path: Path | str) -> list[Cue]:
    text = Path(path).read_text(encoding="utf-8-sig")
    return parse_srt(text)


def parse_srt(text: str) -> list[Cue]:
    """Parse SRT text; raises ValueError with the reason when it is not valid SRT."""
    try:
        subs = list(srt.parse(text))
    except srt.SRTParseError as exc:
        raise ValueError(f"not a valid SRT file: {exc}") from exc
    return [Cue(s.start.total_seconds(), s.end.total_seconds(), s.content.strip()) for s in subs]


def _vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def write_vtt(cues: list[Cue], path: Path) -> Path:
    blocks = ["WEBVTT", ""]
    for i, c in enumerate(cues, start=1):
        blocks += [str(i), f"{_vtt_time(c.start)} --> {_vtt_time(c.end)}", c.text, ""]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


_VTT_TIMING = re.compile(
    r"^(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})\s+-->\s+(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})"
)


def _seconds(h: str | None, m: str, s: str, ms: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def read_vtt(path: Path | str) -> list[Cue]:
    return parse_vtt(Path(path).read_text(encoding="utf-8-sig"))


def parse_vtt(text: str) -> list[Cue]:
    """Parse WebVTT cues; raises ValueError when the WEBVTT header is missing."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or not lines[0].startswith("WEBVTT"):
        raise ValueError("not a WebVTT file: the first line must start with WEBVTT")
    cues: list[Cue] = []
    for block in "\n".join(lines[1:]).split("\n\n"):
        block_lines = [ln for ln in block.split("\n") if ln.strip()]
        if not block_lines or block_lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        for k, line in enumerate(block_lines):
            match = _VTT_TIMING.match(line.strip())
            if match:
                g = match.groups()
                body = "\n".join(block_lines[k + 1 :]).strip()
                cues.append(Cue(_seconds(*g[:4]), _seconds(*g[4:]), body))
                break
    return cues
