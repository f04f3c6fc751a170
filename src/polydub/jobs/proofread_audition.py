"""One proofread line synthesised alone, for a reviewer to hear before generating.

The line is spoken the way the dub would speak it: the voice chosen for it, else its speaker's
voice in the last generated video, else the stock voice the dub would pick; at natural rate when
it fits its slot, else at the rate the slot needs (up to the service's max). Lines go through
the synthesize stage's line cache, so auditioning the same text twice costs one synthesis.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from polydub.errors import InvalidInputError
from polydub.jobs.proofread_scripts import blob_keys, segment_edits
from polydub.pipeline.artifacts import TranslationArtifact
from polydub.pipeline.fit import line_rooms
from polydub.pipeline.synthesize import LineSynthesizer
from polydub.pipeline.timing import TimingOptions
from polydub.pipeline.voices import stock_voice_assigner


@dataclass(frozen=True)
class AuditionAudio:
    audio_key: str  # blob key of the WAV
    duration: float
    voice_id: str


def audition_line(
    context,
    row,
    script: TranslationArtifact,
    index: int,
    *,
    text: str | None,
    voice_id: str | None,
    speaker_voices: dict[str, str],
) -> AuditionAudio:
    """Speak line `index` of `script` (a proofread's edited script); stores the WAV.

    Raises:
        InvalidInputError: nothing speakable (param "translation").
    """
    by_index = {s.index: s for s in script.segments}
    seg = by_index[index]
    words = " ".join((text if text is not None else seg.translation).split())
    if not words:
        raise InvalidInputError("the line has no text to speak", param="translation")
    language = row.output_code
    synthesizers = context.engines.synthesizers
    voice = voice_id or dub_voice(
        synthesizers,
        language,
        seg.speaker,
        segment_edits(context, row.id).get(index, {}),
        speaker_voices,
        sorted({s.speaker for s in script.segments}),
    )
    settings = context.settings
    lines = LineSynthesizer(synthesizers, settings.work_dir / "auditions" / row.id)
    # The slot as the dub would see it, with this line's text in it.
    heard = script.model_copy(
        update={
            "segments": [
                s.model_copy(update={"translation": words}) if s.index == index else s
                for s in script.segments
            ]
        }
    )
    range_end = max(s.end for s in script.segments)
    room = line_rooms(heard, range_end, TimingOptions(max_rate=settings.max_speech_rate))[index]
    try:
        line = lines.speak(words, language=language, voice_id=voice, rate=1.0, index=index)
        if line.duration > room:
            rate = min(line.duration / max(room, 1e-3), settings.max_speech_rate)
            line = lines.speak(words, language=language, voice_id=voice, rate=rate, index=index)
    except ValueError as exc:
        raise InvalidInputError(str(exc), param="translation") from exc
    name = hashlib.sha256(line.path.name.encode()).hexdigest()[:16]
    prefix = blob_keys(row.id)["srt"].rpartition("/")[0]
    key = context.blobs.put_file(f"{prefix}/auditions/{name}.wav", line.path)
    return AuditionAudio(key, round(line.duration, 3), voice)


def dub_voice(
    synthesizers: dict,
    language: str,
    speaker: str,
    edit: dict,
    speaker_voices: dict[str, str],
    speakers: list[str],
) -> str:
    """The voice the dub gives a line: chosen for it, its speaker's in the last generated
    video (when this machine can speak it), or the stock voice the dub would assign."""
    if edit.get("voice_id"):
        return edit["voice_id"]
    known = speaker_voices.get(speaker)
    if known and known.partition(":")[0] in synthesizers:
        return known
    return stock_voice_assigner(language, synthesizers)(speakers)[speaker]
