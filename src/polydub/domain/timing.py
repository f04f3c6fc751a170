"""The timing plan: where each dubbed line sounds and which stretches of video are slowed.

Times are in seconds. "Source" times are on the input video's timeline; "output" times are on
the dubbed video's timeline, which differs from the source only where video was slowed down.
"""

from __future__ import annotations

from bisect import bisect_right

from pydantic import BaseModel, Field


class SegmentSlot(BaseModel):
    """The room a segment has on the source timeline: from its start to the next line's start.

    `limit` is the start of the next segment (or the end of the translated range / media).
    """

    index: int
    start: float
    end: float
    limit: float


class VideoStretch(BaseModel):
    """Play source video [start, end) `factor` times slower (factor > 1)."""

    start: float
    end: float
    factor: float
    segment: int | None = None  # the line whose dub needed the time
    reason: str = ""  # why, in words, for the report
    capped: bool = False  # the line needed more; the rest was spoken faster
    # What was tried before slowing video: the pause after the line (seconds of it used), an
    # early start into the silence before it (seconds), a shorter phrasing (what came of it).
    pause_used: float = 0.0
    early_start: float = 0.0
    shorter_phrasing: str | None = None

    @property
    def extra(self) -> float:
        return (self.end - self.start) * (self.factor - 1.0)


class SegmentTiming(BaseModel):
    """The solver's decision for one segment."""

    index: int
    source_start: float
    source_end: float
    natural_duration: float  # dub length at rate 1.0
    rate: float  # speech rate asked of the voice (1.0 = natural)
    tempo: float = 1.0  # extra time-stretch after synthesis; > 1 only when nothing else fits
    dub_duration: float  # length of the fitted dub, as it will sound
    lead: float = 0.0  # seconds the dub starts early, into the silence before the line
    output_start: float = 0.0
    output_end: float = 0.0

    @property
    def effective_rate(self) -> float:
        """How much faster than natural the line sounds, all adjustments included."""
        return self.natural_duration / self.dub_duration if self.dub_duration > 0 else 1.0


class TimingPlan(BaseModel):
    segments: list[SegmentTiming] = Field(default_factory=list)
    stretches: list[VideoStretch] = Field(default_factory=list)
    source_duration: float
    max_rate: float
    dynamic_duration: bool

    @property
    def output_duration(self) -> float:
        return self.source_duration + sum(s.extra for s in self.stretches)

    def to_output_time(self, t: float) -> float:
        """Map a source time to the output timeline (identity where nothing is stretched)."""
        shift = 0.0
        for s in self.stretches:
            if t >= s.end:
                shift += s.extra
            elif t > s.start:
                shift += (t - s.start) * (s.factor - 1.0)
                break
            else:
                break
        return t + shift

    def to_source_time(self, t: float) -> float:
        """Inverse of `to_output_time`."""
        starts = [self.to_output_time(s.start) for s in self.stretches]
        i = bisect_right(starts, t) - 1
        if i < 0:
            return t
        s = self.stretches[i]
        out_start = starts[i]
        out_end = out_start + (s.end - s.start) * s.factor
        if t < out_end:
            return s.start + (t - out_start) / s.factor
        return s.end + (t - out_end)
