"""Per-line lip-sync decisions: which frames belong to which line, whether a line's redraw is
kept, and the warnings a person should read.

A redraw is kept only when it follows the dub at least as well as the untouched mouth does
(the line's "floor"): lip-sync must never make a line worse than doing nothing. Everything here
works on one line at a time, so a later partial re-dub can judge and cache lines on their own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from polydub.pipeline.sync_score import score_series

# Statuses of a line.
REDRAWN = "redrawn"
KEPT_ORIGINAL = "kept original"  # redrawn, then rejected: the source frames stand
NOT_VISIBLE = "speaker not visible"  # nothing to redraw
# Lags searched when a single line is scored (lines are short: a wide search finds chance peaks).
LINE_MAX_LAG_S = 0.2


@dataclass(frozen=True)
class LineSpan:
    """One dubbed line on the source timeline (seconds)."""

    index: int
    start: float
    end: float


@dataclass
class LineOutcome:
    index: int
    start: float
    end: float
    frames: int  # source frames that belong to the line (its span plus half the gaps around)
    speech_frames: int  # frames inside the line's own span
    visible_frames: int  # speech frames where the face that speaks was found
    edited_frames: int
    face: int | None  # the face track redrawn (the speaker) on most frames
    status: str
    reason: str
    floor: float | None = None  # source mouth vs dub, over the line's edited frames
    lip_synced: float | None = None  # redrawn mouth vs dub, same frames

    def as_dict(self) -> dict:
        return asdict(self)


def frame_lines(lines: list[LineSpan], fps: float, frames: int) -> np.ndarray:
    """The line each source frame belongs to (an index into `lines`), or -1 with no lines.

    A frame inside a line's span is that line's; a frame between lines goes to the nearer one,
    so each line owns the closed mouth around it and every edited frame is judged with a line.
    """
    out = np.full(frames, -1, dtype=int)
    if not lines:
        return out
    times = np.arange(frames) / fps
    starts = np.array([line.start for line in lines])
    ends = np.array([line.end for line in lines])
    # Distance from each frame to each span (0 inside it).
    distance = np.maximum(starts[None, :] - times[:, None], 0) + np.maximum(
        times[:, None] - ends[None, :], 0
    )
    return np.argmin(distance, axis=1)


def _score(mouth: np.ndarray, dub: np.ndarray, fps: float) -> float | None:
    value = score_series(mouth, dub, fps, max_lag_s=LINE_MAX_LAG_S).correlation
    return None if np.isnan(value) else round(value, 4)


def judge_line(
    span: LineSpan,
    owned: np.ndarray,
    *,
    fps: float,
    edited: np.ndarray,
    faces: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    dub: np.ndarray,
) -> LineOutcome:
    """Whether one line's redraw stands.

    Args:
        owned: boolean per source frame: the frames of this line.
        edited: boolean per source frame: the mouth was redrawn.
        faces: the face track redrawn per frame (-1: none).
        before, after: the speaker's mouth opening per frame, untouched and redrawn (nan where
            not measured).
        dub: the dub's speech envelope per source frame.
    """
    times = np.arange(len(owned)) / fps
    speech = owned & (times >= span.start) & (times < span.end)
    mine = owned & edited
    drawn = faces[mine]
    face = int(np.bincount(drawn).argmax()) if len(drawn) and drawn.max() >= 0 else None
    outcome = LineOutcome(
        index=span.index,
        start=span.start,
        end=span.end,
        frames=int(owned.sum()),
        speech_frames=int(speech.sum()),
        visible_frames=int((speech & edited).sum()),
        edited_frames=int(mine.sum()),
        face=face,
        status=REDRAWN,
        reason="",
    )
    if not mine.any():
        outcome.status, outcome.reason = NOT_VISIBLE, "no face that speaks on the line's frames"
        return outcome
    only = np.where(mine, 1.0, np.nan)
    outcome.floor = _score(before * only, dub, fps)
    outcome.lip_synced = _score(after * only, dub, fps)
    if outcome.lip_synced is None:
        outcome.status = KEPT_ORIGINAL
        outcome.reason = "the redrawn mouth could not be measured (line too short or mouth lost)"
    elif outcome.floor is not None and outcome.lip_synced < outcome.floor:
        outcome.status = KEPT_ORIGINAL
        outcome.reason = (
            f"redraw followed the dub less well ({outcome.lip_synced:.2f}) than the untouched "
            f"mouth ({outcome.floor:.2f})"
        )
    else:
        outcome.reason = (
            f"sync {outcome.lip_synced:.2f} against {outcome.floor:.2f} untouched"
            if outcome.floor is not None
            else f"sync {outcome.lip_synced:.2f}"
        )
    return outcome


def per_face_summary(outcomes: list[LineOutcome]) -> list[dict]:
    """Per face that speaks: lines redrawn, kept original and not visible."""
    faces: dict[str, dict] = {}
    for o in outcomes:
        key = "none" if o.face is None else str(o.face)
        entry = faces.setdefault(
            key, {"face": o.face, REDRAWN: [], KEPT_ORIGINAL: [], NOT_VISIBLE: []}
        )
        entry[o.status].append(o.index)
    return list(faces.values())


def _listed(indices: list[int]) -> str:
    shown = ", ".join(str(i) for i in indices[:8])
    return shown + (", ..." if len(indices) > 8 else "")


def lipsync_warnings(
    *,
    faces_found: int,
    speakers_found: int,
    outcomes: list[LineOutcome],
    fps: float,
    turned_frames: int = 0,
) -> list[str]:
    """What a person should know about the lip-sync, one sentence each."""
    if faces_found == 0:
        return ["lip-sync: no face found in the video; the picture was left unchanged"]
    if speakers_found == 0:
        return [
            f"lip-sync: {faces_found} face(s) found but none moves with the speech; "
            "the picture was left unchanged"
        ]
    warnings = []
    hidden = sum(o.speech_frames - o.visible_frames for o in outcomes) / fps
    if hidden >= 1.0:
        lines = [o.index for o in outcomes if o.speech_frames - o.visible_frames >= fps * 0.5]
        warnings.append(
            f"lip-sync: the speaker's face is not visible (or turned away) for {hidden:.1f} s "
            "of speech"
            + (f" (lines {_listed(lines)})" if lines else "")
            + "; those frames are unchanged"
        )
    if turned_frames >= fps:
        warnings.append(
            f"lip-sync: the speaker's face is turned too far to redraw for "
            f"{turned_frames / fps:.1f} s; those frames are unchanged"
        )
    kept = [o.index for o in outcomes if o.status == KEPT_ORIGINAL]
    if kept:
        warnings.append(
            f"lip-sync: {len(kept)} of {len(outcomes)} lines were left untouched because the "
            f"redrawn mouth did not follow the dub better than the original (lines {_listed(kept)})"
        )
    return warnings


def lipsync_summary(lipsync: dict) -> str:
    """One line for a person: what the lip-sync did (from the report's `lipsync` entry)."""
    if not lipsync.get("video") and not lipsync.get("edited_frames"):
        faces = lipsync.get("faces_found", 0)
        why = "no face found" if not faces else f"{faces} face(s), none moves with the speech"
        return f"lip-sync: nothing redrawn ({why}); the picture is the source's"
    lines = lipsync.get("lines", [])
    counts = {
        s: sum(1 for line in lines if line["status"] == s)
        for s in (REDRAWN, KEPT_ORIGINAL, NOT_VISIBLE)
    }
    text = (
        f"lip-sync ({lipsync['mode']}, {lipsync['renderer']}): {lipsync['edited_frames']}/"
        f"{lipsync['frames']} frames redrawn; lines: {counts[REDRAWN]} redrawn, "
        f"{counts[KEPT_ORIGINAL]} kept original, {counts[NOT_VISIBLE]} speaker not visible"
    )
    sync = lipsync.get("sync") or {}
    if sync:
        value = {k: sync[k]["correlation"] for k in ("lip_synced", "floor", "ceiling") if k in sync}
        text += "; sync " + ", ".join(f"{k} {v:.2f}" for k, v in value.items())
    return text


NO_FACE_MESSAGE = "no face found in the video: there is no mouth to lip-sync"


def nothing_lip_synced(lipsync: dict | None) -> str | None:
    """Why a Lip Sync job (whose only work is the redraw) has nothing to deliver: no face, or
    no face that moves with the speech; None when something was redrawn or judged."""
    if lipsync is None:
        return "the video has no picture to lip-sync"
    if lipsync.get("video") or lipsync.get("edited_frames"):
        return None
    if not lipsync.get("faces_found"):
        return NO_FACE_MESSAGE
    return "no face in the video moves with its speech: there is no speaker's mouth to lip-sync"


# A face must be seen on this share of a line's frames to be its speaker.
LINE_MIN_COVERAGE = 0.3
# With several faces on a line, the speaker's mouth must follow the line's source speech this
# well; below it no face is redrawn on that line (a listener must not be made to talk).
LINE_SPEAKER_MIN_CORRELATION = 0.3


def choose_line_faces(
    openings: dict[int, np.ndarray], envelope: np.ndarray, owner: np.ndarray, fps: float
) -> dict[int, int | None]:
    """Per line (index into the lines), the face track that speaks it: the only face seen on
    the line, or among several the one whose mouth follows the line's source speech best
    (None when none follows it well enough)."""
    out: dict[int, int | None] = {}
    for k in range(int(owner.max()) + 1 if len(owner) else 0):
        mine = owner == k
        if not mine.any():
            continue
        seen = {
            track: series
            for track, series in openings.items()
            if (~np.isnan(series[: len(mine)][mine[: len(series)]])).mean() >= LINE_MIN_COVERAGE
        }
        if len(seen) <= 1:
            out[k] = next(iter(seen), None)
            continue
        scores = {}
        for track, series in seen.items():
            only = np.where(mine[: len(series)], series[: len(mine)], np.nan)
            value = score_series(only, envelope, fps, max_lag_s=LINE_MAX_LAG_S).correlation
            scores[track] = -1.0 if np.isnan(value) else value
        best = max(scores, key=scores.get)
        out[k] = best if scores[best] >= LINE_SPEAKER_MIN_CORRELATION else None
    return out
