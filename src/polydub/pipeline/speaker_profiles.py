"""A voice profile per diarized speaker: reference clips, pitch statistics, embedding.

Reference clips are chosen automatically: the speaker's own lines, cleanest first (confident
words, no other speaker within a short gap that could bleed in, not too short), until 3-10 s
are collected; a speaker who says less gets everything they said.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from polydub.cancellation import raise_if_cancelled
from polydub.domain.audio import Audio
from polydub.domain.speaker import SpeakerProfile
from polydub.domain.transcript import Segment
from polydub.engines.asr.base import ASR_SAMPLE_RATE
from polydub.engines.voice.base import SpeakerEncoder
from polydub.media.audio import write_wav
from polydub.media.pitch import pitch_stats

MIN_REFERENCE_SECONDS = 3.0
MAX_REFERENCE_SECONDS = 10.0
_NEIGHBOUR_GAP = 0.3  # another speaker this close may bleed into the clip
_CLIP_PAUSE = 0.15  # silence between clips in the reference file
_RATE = ASR_SAMPLE_RATE


def clip_cleanliness(seg: Segment, others: list[Segment]) -> float:
    """Higher is cleaner: mean word confidence, less for short clips or a nearby other voice."""
    confidence = float(np.mean([w.probability for w in seg.words])) if seg.words else 0.8
    length = min(seg.duration / 2.0, 1.0)  # clips under 2 s embed less reliably
    near = any(
        o.start < seg.end + _NEIGHBOUR_GAP and o.end > seg.start - _NEIGHBOUR_GAP for o in others
    )
    return confidence * length * (0.5 if near else 1.0)


def choose_reference_clips(
    own: list[Segment], others: list[Segment], *, max_seconds: float = MAX_REFERENCE_SECONDS
) -> list[tuple[float, float]]:
    """The spans of the speaker's cleanest lines, at most `max_seconds` together, in time
    order; the last one chosen is shortened to fit."""
    ranked = sorted(own, key=lambda s: (-clip_cleanliness(s, others), s.start))
    chosen: list[tuple[float, float]] = []
    total = 0.0
    for seg in ranked:
        room = max_seconds - total
        if room <= 0.2:
            break
        end = min(seg.end, seg.start + room)
        chosen.append((seg.start, end))
        total += end - seg.start
    return sorted(chosen)


def build_profiles(
    segments: list[Segment], samples: np.ndarray, encoder: SpeakerEncoder, workdir: Path
) -> list[SpeakerProfile]:
    """One SpeakerProfile per speaker of `segments` (16 kHz speech `samples`); the reference
    audio is written into `workdir`."""
    profiles = []
    for speaker in sorted({s.speaker for s in segments}):
        raise_if_cancelled()
        own = [s for s in segments if s.speaker == speaker]
        others = [s for s in segments if s.speaker != speaker]
        clips = choose_reference_clips(own, others)
        pause = np.zeros(int(_CLIP_PAUSE * _RATE), np.float32)
        pieces = []
        for start, end in clips:
            pieces += [samples[int(start * _RATE) : int(end * _RATE)], pause]
        reference = np.concatenate(pieces[:-1]) if pieces else np.zeros(0, np.float32)
        path = write_wav(workdir / f"reference-{speaker}.wav", Audio(reference, _RATE))
        voiced = reference if len(reference) else np.zeros(_RATE // 10, np.float32)
        profiles.append(
            SpeakerProfile(
                speaker=speaker,
                speech_seconds=round(sum(s.duration for s in own), 3),
                reference_wav=path,
                reference_seconds=round(sum(e - s for s, e in clips), 3),
                clips=[(round(s, 3), round(e, 3)) for s, e in clips],
                pitch=pitch_stats(voiced, _RATE),
                embedding=[round(float(x), 6) for x in encoder.embed(voiced)],
                encoder=encoder.name,
            )
        )
    return profiles
