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
    speaker: str | None = None  # the diarized speaker of the line, when known


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
    speaker: str | None = None  # the line's diarized speaker

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
        speaker=span.speaker,
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
    """Per face that speaks: lines redrawn, kept original and not visible, and the diarized
    speakers whose lines it spoke."""
    faces: dict[str, dict] = {}
    for o in outcomes:
        key = "none" if o.face is None else str(o.face)
        entry = faces.setdefault(
            key, {"face": o.face, "speakers": [], REDRAWN: [], KEPT_ORIGINAL: [], NOT_VISIBLE: []}
        )
        entry[o.status].append(o.index)
        if o.speaker is not None and o.speaker not in entry["speakers"]:
            entry["speakers"].append(o.speaker)
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
# A line's speaker is clear when its face follows the speech this much better than any other.
LINE_CLEAR_MARGIN = 0.15
# A second diarized speaker is linked to a face already linked to another only on this many
# clear lines of its own (one person split in two by diarization; not one chance line).
SHARED_FACE_MIN_LINES = 2


def _line_scores(
    openings: dict[int, np.ndarray], envelope: np.ndarray, mine: np.ndarray, fps: float
) -> dict[int, float]:
    """How well each face seen on the line's frames follows its source speech (-1: not
    measurable)."""
    scores = {}
    for track, series in openings.items():
        if (~np.isnan(series[: len(mine)][mine[: len(series)]])).mean() < LINE_MIN_COVERAGE:
            continue
        only = np.where(mine[: len(series)], series[: len(mine)], np.nan)
        value = score_series(only, envelope, fps, max_lag_s=LINE_MAX_LAG_S).correlation
        scores[track] = -1.0 if np.isnan(value) else value
    return scores


def _clear_face(scores: dict[int, float]) -> int | None:
    """The face that plainly speaks the line: it follows the speech well enough and clearly
    better than every other face; None when the evidence is ambiguous."""
    if not scores:
        return None
    ranked = sorted(scores.values(), reverse=True)
    best = max(scores, key=scores.get)
    if ranked[0] < LINE_SPEAKER_MIN_CORRELATION:
        return None
    if len(ranked) > 1 and ranked[0] - ranked[1] < LINE_CLEAR_MARGIN:
        return None
    return best


def link_speakers_to_faces(clear: dict[int, int], speakers: list[str | None]) -> dict[str, int]:
    """Each diarized speaker's face: the one that clearly spoke most of its lines. Two speakers
    share a face only when the second has SHARED_FACE_MIN_LINES clear lines on it."""
    votes: dict[tuple[str, int], int] = {}
    totals: dict[str, int] = {}
    for k, face in clear.items():
        speaker = speakers[k] if k < len(speakers) else None
        if speaker is None:
            continue
        votes[(speaker, face)] = votes.get((speaker, face), 0) + 1
        totals[speaker] = totals.get(speaker, 0) + 1
    links: dict[str, int] = {}
    for (speaker, face), n in sorted(votes.items(), key=lambda item: -item[1]):
        if speaker in links or 2 * n <= totals[speaker]:
            continue
        if face in links.values() and n < SHARED_FACE_MIN_LINES:
            continue
        links[speaker] = face
    return links


def choose_line_faces(
    openings: dict[int, np.ndarray],
    envelope: np.ndarray,
    owner: np.ndarray,
    fps: float,
    speakers: list[str | None] | None = None,
) -> dict[int, int | None]:
    """Per line (index into the lines), the face track that speaks it (None: none is redrawn).

    A line whose face plainly follows its source speech keeps that face. With the lines'
    diarized `speakers`, each speaker is linked to the face that plainly spoke most of its
    lines, and a line without plain evidence goes to its speaker's face when that face is on
    screen; a face linked to another speaker is never redrawn on it (the listener of a cut).
    Otherwise: the only face seen, or among several the one that follows the speech best
    enough.
    """
    lines = int(owner.max()) + 1 if len(owner) else 0
    scores = {k: _line_scores(openings, envelope, owner == k, fps) for k in range(lines)}
    clear = {k: f for k, s in scores.items() if (f := _clear_face(s)) is not None}
    links = link_speakers_to_faces(clear, speakers or [])
    out: dict[int, int | None] = {}
    for k in range(lines):
        if not (owner == k).any():
            continue
        if k in clear:
            out[k] = clear[k]
            continue
        speaker = speakers[k] if speakers and k < len(speakers) else None
        own = links.get(speaker) if speaker is not None else None
        if own is not None and own in scores[k]:
            out[k] = own
            continue
        others = {face for s, face in links.items() if s != speaker and face != own}
        free = {t: v for t, v in scores[k].items() if t not in others}
        if len(scores[k]) == 1:
            out[k] = next(iter(free), None)
            continue
        best = max(free, key=free.get, default=None)
        out[k] = best if best is not None and free[best] >= LINE_SPEAKER_MIN_CORRELATION else None
    return out
