"""Lip-sync driver: redraw the speaker's mouth on every frame to follow new speech.

Two streaming passes over the video. The scan tracks every face and measures its mouth; the
speaker is the face whose mouth follows the source speech best, and its resting and widest
mouth set the range the new speech is mapped into. The render pass redraws that face's mouth
with the chosen renderer (speed: warp; precision: exemplars) and encodes the frames. Frames
without a face are copied untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from threadpoolctl import threadpool_limits

from polydub.cancellation import raise_if_cancelled
from polydub.domain.audio import Audio
from polydub.engines.face.landmarks import face_scale, mouth_opening, turn_ratio
from polydub.engines.face.mediapipe_mesh import MediaPipeFaceLandmarker, face_region
from polydub.engines.face.rotated_crop import Region
from polydub.engines.face.store import LandmarkStore
from polydub.engines.face.tracking import FaceTracker, merge_series
from polydub.engines.lipsync.base import MouthRenderer, MouthTarget
from polydub.engines.lipsync.seams import seam_energy_ratio
from polydub.engines.lipsync.visemes import MouthTrack
from polydub.media.envelope import speech_envelope
from polydub.media.frames import FrameWriter, read_ahead, read_frames, video_format
from polydub.pipeline.face_scan_cache import load_scan, save_scan
from polydub.pipeline.frame_reuse import FrameReuse, PreviousFrames
from polydub.pipeline.lipsync_lines import (
    KEPT_ORIGINAL,
    LineOutcome,
    LineSpan,
    choose_line_faces,
    frame_lines,
    judge_line,
    lipsync_warnings,
    per_face_summary,
)
from polydub.pipeline.lipsync_restore import restore_frames
from polydub.pipeline.serial_worker import SerialWorker
from polydub.pipeline.sync_score import agreement_over_time, score_series

# A face counts as the speaker when its mouth follows the source speech at least this well
# (or when it is the only face).
SPEAKER_MIN_CORRELATION = 0.4
# Beyond this turn (0 frontal, 1 profile) the far side's landmarks are guesses: a redraw there
# would be a wrong edit, so the frame is left as it is. A three-quarter view measures ~0.45.
MAX_TURN = 0.7
# The mouth range the new speech is mapped into, when the source barely opens the mouth.
MIN_OPEN_RANGE = 0.18
# While the scan follows faces it looks for new ones every this many frames (0.2 s at 25 fps),
# not on every frame: detection was a third of the landmark work, and a face that comes in
# (not after a cut, where the followed face is lost and detection runs at once) is found a few
# frames late, at the edge of a line at worst.
SCAN_DETECT_EVERY = 5


@dataclass(frozen=True)
class SpeakerFace:
    track_id: int
    rest_opening: float  # face scales, mouth at rest (10th percentile)
    open_range: float  # widest speaking opening above rest
    correlation: float  # with the source speech; nan without source speech


@dataclass
class LipSyncInfo:
    mode: str
    renderer: str
    frames: int  # written (on the output timeline when warped); scanned when none were
    edited_frames: int
    speakers: list[SpeakerFace]
    scan_seconds: float
    render_seconds: float
    wrote_video: bool = True
    # Gradient energy on the blend ring over the source's (1.0: no seam), every edited frame.
    seam_ratios: list[float] = field(default_factory=list)
    # Sync scores over the edited frames: ceiling (source mouth, source speech), floor (source
    # mouth, dub), lip_synced (edited mouth, dub); empty unless both speeches were given.
    sync: dict[str, dict] = field(default_factory=dict)
    faces_found: int = 0  # face tracks seen in the video
    speaker_frames: int = 0  # source frames to edit where a face that speaks was found
    turned_frames: int = 0  # of those, left untouched: the face was turned too far
    # Per dubbed line: redrawn, kept original (redraw rejected) or speaker not visible.
    lines: list[LineOutcome] = field(default_factory=list)
    faces: list[dict] = field(default_factory=list)  # per face that speaks: its lines
    warnings: list[str] = field(default_factory=list)

    @property
    def render_fps(self) -> float:
        return self.frames / self.render_seconds if self.render_seconds > 0 else 0.0


def make_renderer(
    mode: str,
    *,
    model: Path | None = None,
    speech: Audio | None = None,
    device: str = "auto",
) -> MouthRenderer:
    """The mouth renderer of a lip-sync mode; a configured neural `model` (driven by `speech`,
    the new audio) takes the place of both built-in ones."""
    if model is not None:
        from polydub.engines.lipsync.neural import Wav2LipModel, Wav2LipRenderer

        if speech is None:
            raise ValueError("a neural lip-sync model needs the new speech")
        return Wav2LipRenderer(Wav2LipModel(model, device), speech)
    if mode == "speed":
        from polydub.engines.lipsync.warp import MouthWarper

        return MouthWarper()
    if mode == "precision":
        from polydub.engines.lipsync.exemplar import MouthExemplars

        return MouthExemplars()
    raise ValueError(f"unknown lip-sync mode {mode!r}; choose speed or precision")


def scan_faces(
    video: Path, store: LandmarkStore, renderer: MouthRenderer | None = None
) -> dict[int, np.ndarray]:
    """Track every face through `video` into `store` (smoothed landmarks, for drawing); returns
    each track's mouth opening per frame as detected (unsmoothed: no lag for scoring; nan where
    the face is absent)."""
    openings: dict[int, dict[int, float]] = {}
    observe = getattr(renderer, "observe", None)
    frames = 0
    with MediaPipeFaceLandmarker(detect_every=SCAN_DETECT_EVERY) as landmarker:
        tracker = FaceTracker(landmarker)
        for frame in read_ahead(read_frames(video)):
            raise_if_cancelled()
            frames = frame.index + 1
            faces = tracker.update(frame.rgb, frame.time)
            store.add(frame.index, [(f.track_id, f.points) for f in faces])
            if observe is not None:
                for face in faces:
                    observe(face.track_id, frame.rgb, face.points)
            for face in faces:
                opening = mouth_opening(face.raw_points)
                openings.setdefault(face.track_id, {})[frame.index] = opening
    out = {}
    for track_id, values in openings.items():
        series = np.full(frames, np.nan)
        series[list(values)] = list(values.values())
        out[track_id] = series
    # One person seen in several tracks (cuts, turns away) becomes one face for the speaker
    # choice and the redraw.
    merges = tracker.identity_merges()
    store.relabel(merges)
    return merge_series(out, merges)


class TimeWarp(Protocol):
    """A timing plan's slow-downs: the output timeline's length and where it maps back to."""

    @property
    def output_duration(self) -> float: ...

    def to_source_time(self, t: float) -> float: ...


def output_slots(warp: TimeWarp, fps: float, source_frames: int) -> dict[int, list[int]]:
    """The output frames (at `fps`) each source frame fills, as ffmpeg's slow-down shows them:
    output frame j shows the source frame at warp.to_source_time(j / fps)."""
    slots: dict[int, list[int]] = {}
    for j in range(int(round(warp.output_duration * fps))):
        source = int(np.floor(warp.to_source_time(j / fps) * fps + 1e-6))
        slots.setdefault(min(max(source, 0), source_frames - 1), []).append(j)
    return slots


def source_envelope(source_speech: Audio | None, fps: float, frames: int) -> np.ndarray | None:
    """The source speech's loudness per frame; None without speech (or a silent source):
    nothing to tell the speaker by."""
    if source_speech is None:
        return None
    envelope = speech_envelope(source_speech, fps, frames)
    return None if np.std(envelope) < 1e-6 else envelope


def face_profiles(
    openings: dict[int, np.ndarray], fps: float, envelope: np.ndarray | None
) -> dict[int, SpeakerFace]:
    """Every face's mouth range and how well it follows the source speech overall."""
    out = {}
    for track_id, series in openings.items():
        seen = series[~np.isnan(series)]
        corr = float("nan")
        if envelope is not None:
            corr = score_series(series, envelope, fps, max_lag_s=0.2).correlation
        rest = float(np.percentile(seen, 10))
        widest = float(np.percentile(seen, 95))
        out[track_id] = SpeakerFace(track_id, rest, max(widest - rest, MIN_OPEN_RANGE), corr)
    return out


def choose_speakers(
    openings: dict[int, np.ndarray], fps: float, source_speech: Audio | None
) -> dict[int, SpeakerFace]:
    """The faces to edit: those whose mouth follows the source speech; a lone face always."""
    frames = max((len(s) for s in openings.values()), default=0)
    envelope = source_envelope(source_speech, fps, frames)
    out = face_profiles(openings, fps, envelope)
    if len(out) <= 1 or envelope is None:
        return out
    return {k: v for k, v in out.items() if v.correlation >= SPEAKER_MIN_CORRELATION}


def active_speaker(faces: dict[int, np.ndarray], speakers: dict[int, SpeakerFace]) -> int | None:
    """The face on this frame to edit: the best-correlated speaker among those visible."""
    visible = [speakers[t] for t in faces if t in speakers]
    if not visible:
        return None
    # Without source speech to tell them apart, the largest face (the nearest) is the speaker.
    best = max(
        visible,
        key=lambda s: (np.nan_to_num(s.correlation, nan=-1.0), face_scale(faces[s.track_id])),
    )
    return best.track_id


class SyncRecorder:
    """Collects, per frame, the speaker's mouth before and after the edit (detected again on
    the edited frame) and both speech envelopes, for the ceiling / floor / lip-synced scores.
    Frames without an edited speaker stay nan and are left out of the correlations."""

    def __init__(
        self,
        source_speech: Audio,
        dub_speech: Audio,
        drive_fps: float,
        drive_len: int,
        fps: float,
        frames: int,
    ):
        self.fps = fps
        self.source = speech_envelope(source_speech, fps, frames)
        self.dub_envelope = speech_envelope(dub_speech, drive_fps, drive_len)
        self.dub = np.zeros(frames)
        self.before = np.full(frames, np.nan)
        self.after = np.full(frames, np.nan)
        self.edited_mask = np.zeros(frames, bool)
        self.face = np.full(frames, -1)
        self._landmarker = MediaPipeFaceLandmarker()
        # Per edited face: the last frame measured and where to look on the next one.
        self._followed: dict[int, tuple[int, Region]] = {}

    def frame(self, index: int, k: int) -> None:
        if index < len(self.dub) and 0 <= k < len(self.dub_envelope):
            self.dub[index] = self.dub_envelope[k]

    def edited(
        self, index: int, face: int, before: float, edited: np.ndarray, near: np.ndarray
    ) -> None:
        if index >= len(self.before):
            return
        self.edited_mask[index] = True
        self.face[index] = face
        self.before[index] = before
        # Only the edited face is measured: it is followed from frame to frame as the
        # landmarker follows faces (a region from its last landmarks), starting around the
        # source's landmarks, with no face detection (a third of a full landmark pass).
        last = self._followed.get(face)
        region = last[1] if last is not None and last[0] == index - 1 else face_region(near)
        points = self._landmarker.landmarks_in(edited, region)
        if points is not None:
            self.after[index] = mouth_opening(points)
            self._followed[face] = (index, face_region(points))

    def judge(self, lines: list[LineSpan]) -> list[LineOutcome]:
        """Each line's verdict; a rejected line's redrawn mouth is replaced by the source's
        in the record, so the overall scores describe the video as written."""
        owner = frame_lines(lines, self.fps, len(self.before))
        outcomes = []
        for k, span in enumerate(lines):
            owned = owner == k
            outcome = judge_line(
                span,
                owned,
                fps=self.fps,
                edited=self.edited_mask,
                faces=self.face,
                before=self.before,
                after=self.after,
                dub=self.dub,
            )
            if outcome.status == KEPT_ORIGINAL:
                self.after[owned] = self.before[owned]
            outcomes.append(outcome)
        return outcomes

    def scores(self) -> dict[str, dict]:
        self._landmarker.close()
        if np.isnan(self.before).all():
            return {}
        return {
            "ceiling": score_series(self.before, self.source, self.fps).as_dict(),
            "floor": score_series(self.before, self.dub, self.fps).as_dict(),
            "lip_synced": {
                **score_series(self.after, self.dub, self.fps).as_dict(),
                # Window by window, for the report's chart: where the sync is weak.
                "over_time": agreement_over_time(self.after, self.dub, self.fps),
            },
        }


# The warp's spline solves and evaluates small matrices on every frame: BLAS threads only hand
# them back and forth, and OpenBLAS's spinning threads burnt a fifth of the stage's CPU while
# the encoder's threads needed the other core (measured on 2 cores: 26 s -> 20 s CPU, same
# output). One BLAS thread for the whole stage.
@threadpool_limits.wrap(limits=1, user_api="blas")
def lipsync_video(
    video: Path,
    drive: MouthTrack,
    out_video: Path,
    *,
    mode: str = "speed",
    source_speech: Audio | None = None,
    dub_speech: Audio | None = None,
    drive_time: Callable[[float], float] = lambda t: t,
    progress: Callable[[float], None] = lambda f: None,
    renderer: MouthRenderer | None = None,
    measure_seams: bool = True,
    edit_range: tuple[float, float] | None = None,
    warp: TimeWarp | None = None,
    scan_cache: Path | None = None,
    lines: list[LineSpan] | None = None,
    reuse: FrameReuse | None = None,
) -> LipSyncInfo:
    """Write `video`'s frames to `out_video` (video only, H.264) with the speaker's mouth
    following `drive`; when no face speaks, write nothing (`wrote_video` is False).

    Args:
        drive: mouth targets per frame of the output timeline.
        source_speech: the original speech, to find who speaks among several faces.
        dub_speech: the new speech on the output timeline; with `source_speech`, the sync
            scores (ceiling, floor, lip-synced) are measured on the frames that were edited.
        drive_time: maps a frame's time in `video` to the time in `drive` (stretched dubs).
        measure_seams: record each edited frame's seam energy ratio (about 1 ms a frame).
        edit_range: (start, end) seconds of `video` to edit; frames outside stay as they are.
        warp: write the frames on this output timeline (slowed parts hold each source frame
            over several output frames, each with its own mouth), so the mouth moves at the
            full frame rate where the video is slowed; `drive_time` is then not used.
        scan_cache: a directory of face scans of this same video: reused when there is one,
            written after scanning when not.
        lines: the dubbed lines on the source timeline; with both speeches, each line's
            redraw is scored against the dub and dropped (the source frames kept) when it
            scores below the untouched mouth. Without lines the whole video is one line.
        reuse: keep a previous output's frames outside the ranges it names (a partial re-dub,
            pipeline/frame_reuse.py); edited_frames and the scores count redrawn frames only.
    """
    renderer = renderer or make_renderer(mode)
    fmt = video_format(video)
    started = time.perf_counter()
    scanned_before = load_scan(scan_cache, renderer) if scan_cache is not None else None
    if scanned_before is not None:
        store, openings = scanned_before
    else:
        store = LandmarkStore(out_video.parent)
    try:
        if scanned_before is None:
            openings = scan_faces(video, store, renderer)
            if scan_cache is not None:
                save_scan(scan_cache, store, openings, renderer)
        speakers = choose_speakers(openings, fmt.fps, source_speech)
        # Several faces and the source's speech: each line's speaker is decided on its own
        # (in an interview each face speaks only some lines, so none may follow it overall).
        line_faces, owner = None, None
        envelope = source_envelope(source_speech, fmt.fps, store.frames)
        if lines and envelope is not None and len(openings) > 1:
            owner = frame_lines(lines, fmt.fps, store.frames)
            line_speakers = [line.speaker for line in lines]  # diarized: links lines to faces
            line_faces = choose_line_faces(openings, envelope, owner, fmt.fps, line_speakers)
            profiles = face_profiles(openings, fmt.fps, envelope)
            speakers = {t: profiles[t] for t in line_faces.values() if t is not None}
        scanned = time.perf_counter()
        if not speakers:  # nothing to redraw: the source's picture stands as it is
            return LipSyncInfo(
                mode,
                renderer.name,
                store.frames,
                0,
                [],
                scanned - started,
                0.0,
                wrote_video=False,
                faces_found=len(openings),
                warnings=lipsync_warnings(
                    faces_found=len(openings), speakers_found=0, outcomes=[], fps=fmt.fps
                ),
            )
        recorder = None
        if source_speech is not None and dub_speech is not None:
            recorder = SyncRecorder(
                source_speech, dub_speech, drive.fps, len(drive), fmt.fps, store.frames
            )
        edited, written, seams, speaker_frames, turned_frames = 0, 0, [], 0, 0
        output_sources: list[int] = []  # the source frame behind each output frame
        total = max(store.frames, fmt.frames, 1)
        slots = output_slots(warp, fmt.fps, store.frames) if warp is not None else None
        previous = None
        if reuse is not None:
            before = output_slots(reuse.warp, fmt.fps, store.frames) if reuse.warp else None
            previous = PreviousFrames(reuse, before)
        # The sync check's landmark pass (a third of this loop's work) runs beside it.
        sync_check = SerialWorker("sync-check")
        with sync_check, FrameWriter(out_video, fmt.fps, behind=4) as writer:
            for frame in read_ahead(read_frames(video)):
                raise_if_cancelled()
                faces = store.faces(frame.index)
                if (
                    line_faces is not None
                    and frame.index < len(owner)
                    and owner[frame.index] in line_faces
                ):
                    chosen = line_faces[owner[frame.index]]
                    speaker = chosen if chosen in faces else None
                else:
                    speaker = active_speaker(faces, speakers)
                inside = edit_range is None or edit_range[0] <= frame.time < edit_range[1]
                speaker_frames += speaker is not None and inside
                if speaker is not None and abs(turn_ratio(faces[speaker])) > MAX_TURN:
                    turned_frames += inside
                    speaker = None
                if slots is None:
                    times = [drive_time(frame.time)]
                else:
                    times = [j / fmt.fps for j in slots.get(frame.index, ())]
                kept = previous.take(frame.index, frame.time, len(times)) if previous else None
                for rgb in kept or ():
                    writer.write(rgb)
                    output_sources.append(frame.index)
                    written += 1
                for copy, output_time in enumerate(times if kept is None else ()):
                    k = int(round(output_time * drive.fps))
                    rgb = frame.rgb
                    measured = recorder is not None and copy == 0  # each source frame once
                    if measured:
                        recorder.frame(frame.index, k)
                    if speaker is not None and inside and 0 <= k < len(drive):
                        face = speakers[speaker]
                        target = MouthTarget(
                            face.rest_opening + drive.opening[k] * face.open_range,
                            float(drive.width[k]),
                            time=k / drive.fps,
                        )
                        edit = renderer.render(rgb, faces[speaker], target, speaker)
                        if measure_seams:
                            seams.append(seam_energy_ratio(rgb, edit.rgb, edit.mask, edit.box))
                        if measured:
                            sync_check.submit(
                                recorder.edited,
                                frame.index,
                                speaker,
                                openings[speaker][frame.index],
                                edit.rgb,
                                np.array(faces[speaker]),  # not a view of the store's file
                            )
                        rgb = edit.rgb
                        edited += 1
                    writer.write(rgb)
                    output_sources.append(frame.index)
                    written += 1
                if frame.index % 50 == 0:
                    progress(frame.index / total)
        if previous is not None:
            previous.close()
        outcomes: list[LineOutcome] = []
        if recorder is not None:
            if not lines:
                start, end = edit_range or (0.0, store.frames / fmt.fps)
                lines = [LineSpan(0, start, end)]
            if previous is not None:
                # A partial re-dub judges only the lines it redrew: the frames of the others are
                # the previous run's, judged by that run.
                owner = frame_lines(lines, fmt.fps, store.frames)
                redrawn = set(owner[recorder.edited_mask].tolist())
                lines = [line for k, line in enumerate(lines) if k in redrawn]
            outcomes = recorder.judge(lines)
            rejected = [o for o in outcomes if o.status == KEPT_ORIGINAL]
            if rejected:
                rejected_lines = [k for k, o in enumerate(outcomes) if o.status == KEPT_ORIGINAL]
                owner = frame_lines(lines, fmt.fps, store.frames)
                restore = np.isin(owner, rejected_lines) & recorder.edited_mask
                edited -= restore_frames(video, out_video, output_sources, restore, fmt.fps)
        done = time.perf_counter()
    finally:
        store.close()
    return LipSyncInfo(
        mode=mode,
        renderer=renderer.name,
        frames=written,
        edited_frames=edited,
        speakers=list(speakers.values()),
        scan_seconds=scanned - started,
        render_seconds=done - scanned,
        seam_ratios=seams,
        sync=recorder.scores() if recorder is not None else {},
        faces_found=len(openings),
        speaker_frames=speaker_frames,
        turned_frames=turned_frames,
        lines=outcomes,
        faces=per_face_summary(outcomes),
        warnings=lipsync_warnings(
            faces_found=len(openings),
            speakers_found=len(speakers),
            outcomes=outcomes,
            fps=fmt.fps,
            turned_frames=turned_frames,
        ),
    )
