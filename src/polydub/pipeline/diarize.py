"""Stage 4, diarize: who speaks each line, with speaker changes placed at word boundaries.

Every recognised word is judged by a speaker embedding (resemblyzer) of the window centred
on it; the windows are clustered (the number of speakers estimated, or bounded by `speakers`),
so where the speaker changes inside a segment the change falls between two words, and the
segment is split there: every line the later stages voice has one speaker. The stage then
builds a voice profile per speaker (speaker_profiles).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from polydub.cancellation import raise_if_cancelled
from polydub.domain.transcript import Segment, Word
from polydub.engines.asr.base import ASR_SAMPLE_RATE
from polydub.engines.voice.base import SpeakerEncoder, embed_windows
from polydub.media.audio import decode_audio
from polydub.pipeline.artifacts import DiarizationArtifact, SeparationArtifact, TranscriptArtifact
from polydub.pipeline.speaker_clustering import cluster_speakers, number_by_first_appearance

# Part of the stage key: change it when the clustering changes, so cached labels are redone.
METHOD = "resemblyzer-spectral-v2"
WINDOW_SECONDS = 1.6  # the encoder's training window: stable, yet short enough to localise
MIN_RUN_SECONDS = 0.5  # a shorter change of speaker inside a segment is window noise
_RATE = ASR_SAMPLE_RATE


def speaker_label(i: int) -> str:
    return f"SPEAKER_{i:02d}"


@dataclass(frozen=True)
class Unit:
    """What gets one speaker decision: a word, or a 0.5 s step of a segment without words."""

    segment: int  # position in the transcript
    word: int  # position in the segment's words (0 for a segment without words)
    start: float
    end: float

    @property
    def center(self) -> float:
        return (self.start + self.end) / 2


def decision_units(segments: list[Segment]) -> list[Unit]:
    units = []
    for k, seg in enumerate(segments):
        if seg.words:
            units += [Unit(k, i, w.start, w.end) for i, w in enumerate(seg.words)]
        else:
            steps = max(1, int(round(seg.duration / 0.5)))
            edges = np.linspace(seg.start, seg.end, steps + 1)
            units += [Unit(k, 0, float(a), float(b)) for a, b in np.c_[edges[:-1], edges[1:]]]
    return units


def word_speakers(
    segments: list[Segment],
    samples: np.ndarray,
    encoder: SpeakerEncoder,
    *,
    speakers: int | None,
) -> list[list[int]]:
    """A speaker number per word of each segment (one entry for a segment without words).

    Each word is judged by a window of WINDOW_SECONDS centred on it, so a speaker change
    inside a segment falls on a word boundary; runs shorter than MIN_RUN_SECONDS inside a
    segment are absorbed by their neighbours (a window straddling a change is mixed).
    """
    units = decision_units(segments)
    if not units:
        return [[] for _ in segments]
    centers = np.array([u.center for u in units])
    # (The encoder keeps its LSTM on one torch thread itself: resemblyzer_encoder.py.)
    embeddings = embed_windows(encoder, samples, centers, WINDOW_SECONDS)
    weights = np.array([max(u.end - u.start, 0.05) for u in units])
    labels = cluster_speakers(embeddings, weights, speakers=speakers)
    votes: list[list[list[int]]] = [[[] for _ in range(max(len(s.words), 1))] for s in segments]
    for unit, label in zip(units, labels, strict=True):
        votes[unit.segment][unit.word].append(label)
    per_word = [[max(set(v), key=v.count) for v in seg_votes] for seg_votes in votes]
    per_word = [
        _absorb_short_runs(seg, labels) if seg.words else labels
        for seg, labels in zip(segments, per_word, strict=True)
    ]
    # Absorbing runs may remove a speaker: number the survivors by first appearance again.
    flat = number_by_first_appearance([label for labels in per_word for label in labels])
    out, i = [], 0
    for labels in per_word:
        out.append(flat[i : i + len(labels)])
        i += len(labels)
    return out


def _absorb_short_runs(seg: Segment, labels: list[int]) -> list[int]:
    """Relabel runs of words shorter than MIN_RUN_SECONDS with the longer neighbouring run's
    speaker, shortest first, while the segment has more than one run."""
    labels = list(labels)
    while True:
        runs = _runs(labels)
        if len(runs) < 2:
            return labels
        spans = [seg.words[last - 1].end - seg.words[first].start for first, last, _ in runs]
        shortest = int(np.argmin(spans))
        if spans[shortest] >= MIN_RUN_SECONDS:
            return labels
        neighbours = [j for j in (shortest - 1, shortest + 1) if 0 <= j < len(runs)]
        into = max(neighbours, key=lambda j: spans[j])
        first, last, _ = runs[shortest]
        labels[first:last] = [runs[into][2]] * (last - first)


def _runs(labels: list[int]) -> list[tuple[int, int, int]]:
    """(first, last exclusive, label) of each run of equal labels."""
    runs, first = [], 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[first]:
            runs.append((first, i, labels[first]))
            first = i
    return runs


def split_at_speaker_changes(segments: list[Segment], per_word: list[list[int]]) -> list[Segment]:
    """Segments labelled with their speaker, split where the speaker changes between words;
    indices renumbered in order."""
    out: list[Segment] = []
    for seg, labels in zip(segments, per_word, strict=True):
        if not seg.words:
            out.append(seg.model_copy(update={"speaker": speaker_label(labels[0])}))
            continue
        runs = _runs(labels)
        for first, last, label in runs:
            words = seg.words[first:last]
            start = seg.start if first == 0 else words[0].start
            end = seg.end if last == len(seg.words) else words[-1].end
            text = seg.text if len(runs) == 1 else join_words(words)
            out.append(
                seg.model_copy(
                    update={
                        "start": start,
                        "end": end,
                        "text": text,
                        "words": words,
                        "speaker": speaker_label(label),
                    }
                )
            )
    return [s.model_copy(update={"index": i}) for i, s in enumerate(out)]


def diarize(
    transcribed: TranscriptArtifact,
    separated: SeparationArtifact,
    workdir: Path,
    *,
    speakers: int | None,
    encoder: SpeakerEncoder,
) -> DiarizationArtifact:
    """Label every segment with its speaker and build a voice profile per speaker.

    Args:
        speakers: the number of speakers when known (an upper bound: voices that turn out to
            be the same are merged); None estimates it.
    """
    from polydub.pipeline.speaker_profiles import build_profiles

    segments = transcribed.transcript.segments
    audio = decode_audio(separated.speech_wav, _RATE)
    if speakers == 1 or not segments:
        per_word = [[0] * max(len(s.words), 1) for s in segments]
        method = "single"
    else:
        per_word = word_speakers(segments, audio.samples, encoder, speakers=speakers)
        method = METHOD
    raise_if_cancelled()  # embedding every word's window is the long part
    labelled = split_at_speaker_changes(segments, per_word)
    names = sorted({s.speaker for s in labelled}) or [speaker_label(0)]
    transcript = transcribed.transcript.model_copy(update={"segments": labelled})
    profiles = build_profiles(labelled, audio.samples, encoder, workdir)
    return DiarizationArtifact(
        transcript=transcript, speakers=names, method=method, profiles=profiles
    )


def join_words(words: list[Word]) -> str:
    """The text of a run of recognised words (engines differ on leading spaces)."""
    if any(w.text.startswith(" ") for w in words):
        return "".join(w.text for w in words).strip()
    return " ".join(w.text.strip() for w in words)


def speaker_turns(segments: list[Segment]) -> list[tuple[float, float, str]]:
    """(start, end, speaker) of each segment, for scoring against reference turns."""
    return [(s.start, s.end, s.speaker) for s in segments]
