"""Stage 3, transcribe: words with timestamps, and the spoken language when not given.

Long inputs are recognised in windows of a few minutes cut at quiet moments, so memory stays
flat however long the video is; the language detected in the first window is used for the rest.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from polydub.cancellation import raise_if_cancelled
from polydub.domain.transcript import Segment, Transcript
from polydub.engines.asr.base import ASR_SAMPLE_RATE, TranscribeOptions, Transcriber
from polydub.errors import InvalidInputError
from polydub.media.audio import decode_audio
from polydub.pipeline.artifacts import IngestArtifact, SeparationArtifact, TranscriptArtifact

WINDOW_S = 300.0  # recognise at most this much audio at once
SEARCH_S = 10.0  # look this far around a window's nominal end for a quiet cut point


def quiet_cut(samples: np.ndarray, nominal: int, search: int, frame: int = 3200) -> int:
    """The start of the quietest 200 ms frame within `search` samples before `nominal`."""
    lo = max(0, nominal - search)
    region = samples[lo:nominal]
    if len(region) < frame:
        return nominal
    n = len(region) // frame
    energy = (region[: n * frame].reshape(n, frame) ** 2).mean(axis=1)
    return lo + int(np.argmin(energy)) * frame + frame // 2


def audio_windows(path: Path, start: float, end: float):
    """Yield (offset, samples) windows of `path` of at most WINDOW_S seconds, 16 kHz mono,
    cut where it is quiet, so recognition never holds a whole long file in memory."""
    t = start
    while t < end - 1e-3:
        stop = min(end, t + WINDOW_S + SEARCH_S)
        audio = decode_audio(path, ASR_SAMPLE_RATE, start=t, end=stop).samples
        if stop < end:
            nominal = int(WINDOW_S * ASR_SAMPLE_RATE)
            cut = quiet_cut(audio, nominal, int(SEARCH_S * ASR_SAMPLE_RATE))
            audio = audio[:cut]
        if len(audio) == 0:
            break
        yield t, audio
        t += len(audio) / ASR_SAMPLE_RATE


def _shift(seg: Segment, offset: float, index: int) -> Segment:
    words = [
        w.model_copy(update={"start": w.start + offset, "end": w.end + offset}) for w in seg.words
    ]
    return seg.model_copy(
        update={
            "index": index,
            "start": seg.start + offset,
            "end": seg.end + offset,
            "words": words,
        }
    )


def transcribe(
    ingested: IngestArtifact,
    separated: SeparationArtifact,
    *,
    transcriber: Transcriber,
    language: str | None,
    beam_size: int,
) -> TranscriptArtifact:
    """Recognise the speech stem inside the translated range, on the source timeline."""
    segments: list[Segment] = []
    first: Transcript | None = None
    windows = audio_windows(separated.speech_wav, ingested.range_start, ingested.range_end)
    for offset, audio in windows:
        raise_if_cancelled()
        options = TranscribeOptions(language=language, beam_size=beam_size, vad=True)
        part = transcriber.transcribe(audio, options)
        if first is None or not first.language:
            first = part
        if part.language and language is None:
            language = part.language  # later windows keep the first window's language
        for seg in part.segments:
            if seg.text.strip():
                segments.append(_shift(seg, offset, len(segments)))
    first = first or Transcript(language=language or "")
    if not segments or not first.language:
        raise InvalidInputError(
            "no speech was found in the video (or in the chosen start_time..end_time range)",
            param="video",
        )
    transcript = first.model_copy(update={"segments": segments, "duration": ingested.info.duration})
    return TranscriptArtifact(transcript=transcript, engine=transcriber.name, beam_size=beam_size)
