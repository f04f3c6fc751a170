"""Stage 6, synthesize: speak every translated line in its speaker's voice, at natural rate.

Lines are cached by (text, language, voice, rate) in a directory shared by the job's runs, so
an edit or a re-fit re-synthesises only the lines that changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from polydub.cancellation import carry_cancel, raise_if_cancelled
from polydub.engines.tts.base import Speech, Synthesizer
from polydub.media.audio import read_wav, write_wav
from polydub.pipeline.artifacts import SynthesisArtifact, SynthLine, TranslationArtifact
from polydub.pipeline.planned_synthesis import RatePlanner, speak_planned

# Below this predicted speed-up a line is spoken at natural rate (the silence after it may do).
GUESS_THRESHOLD = 1.05

# speaker label -> voice id ("<engine>:<voice>")
VoiceAssigner = Callable[[list[str]], dict[str, str]]


class LineSynthesizer:
    """Speaks one line with a voice id, through a cache of finished lines."""

    def __init__(self, synthesizers: dict[str, Synthesizer], cache_dir: Path) -> None:
        self.synthesizers = synthesizers
        self.cache_dir = cache_dir
        cache_dir.mkdir(parents=True, exist_ok=True)

    def predict(self, text: str, *, language: str, voice_id: str, rate: float) -> float | None:
        """The engine's prediction of the line's length at `rate`; None when it cannot tell."""
        engine_name, _, voice = voice_id.partition(":")
        predict = getattr(self.synthesizers[engine_name], "predict_seconds", None)
        if predict is None:
            return None
        return predict(text, language=language, voice=voice, rate=round(rate, 3))

    def speak(
        self,
        text: str,
        *,
        language: str,
        voice_id: str,
        rate: float,
        index: int,
        natural: float | None = None,
    ) -> SynthLine:
        engine_name, _, voice = voice_id.partition(":")
        rate = round(rate, 3)
        key = hashlib.sha256(f"{engine_name}|{voice}|{language}|{rate}|{text}".encode()).hexdigest()
        path = self.cache_dir / f"{key[:24]}.wav"
        timing = path.with_suffix(".phonemes.json")
        if not path.exists():
            speech = self.synthesizers[engine_name].synthesize(
                text, language=language, voice=voice, rate=rate
            )
            if speech.phonemes:
                write_phoneme_timing(timing, speech)
            # A unique temporary name: two workers may speak the same line at once.
            fd, tmp = tempfile.mkstemp(dir=self.cache_dir, suffix=".wav")
            os.close(fd)
            write_wav(tmp, speech.audio)
            os.replace(tmp, path)
        audio = read_wav(path)
        return SynthLine(
            index=index,
            path=path,
            duration=audio.duration,
            rate=rate,
            voice=voice_id,
            phonemes=timing if timing.exists() else None,
            natural=natural,
        )


def write_phoneme_timing(path: Path, speech: Speech) -> None:
    """Save a line's phoneme timing beside its audio (written before the audio, atomically)."""
    data = {
        "duration": speech.audio.duration,
        "phonemes": [[p.phoneme, p.start, p.end] for p in speech.phonemes],
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".json")
    with os.fdopen(fd, "w") as out:
        json.dump(data, out)
    os.replace(tmp, path)


class PaceEstimate:
    """Seconds per character of each voice at natural rate, learned from lines spoken so far."""

    def __init__(self) -> None:
        self._seconds: dict[str, float] = {}
        self._chars: dict[str, int] = {}

    def add(self, voice: str, text: str, line: SynthLine) -> None:
        self._seconds[voice] = self._seconds.get(voice, 0.0) + line.duration * line.rate
        self._chars[voice] = self._chars.get(voice, 0) + len(text)

    def natural_seconds(self, voice: str, text: str) -> float | None:
        if not self._chars.get(voice):
            return None
        return self._seconds[voice] / self._chars[voice] * len(text)


def synthesize(
    translated: TranslationArtifact,
    speakers: list[str],
    *,
    lines: LineSynthesizer,
    assign_voices: VoiceAssigner,
    rooms: dict[int, float] | None = None,
    plan_rates: RatePlanner | None = None,
    max_rate: float = 1.25,
    workers: int = 1,
    progress: Callable[[float], None] = lambda f: None,
) -> SynthesisArtifact:
    """Speak every translated line once.

    With `plan_rates` and engines that predict their durations, every line is spoken at the
    rate the timing plan needs for its predicted length (see line_rates), and carries that
    prediction (`natural`) for the fit stage. Otherwise:

    With `rooms` (segment index -> seconds until the next line), a line that will clearly not
    fit at natural rate is spoken at its likely rate straight away (predicted from the voice's
    pace so far, never above `max_rate`): the fit stage then re-synthesises only lines whose
    guess missed, instead of nearly every line of a language that runs longer than the source.
    """
    voices = assign_voices(speakers)
    todo = [s for s in translated.segments if s.translation.strip()]
    if plan_rates is not None:
        planned = _synthesize_planned(
            translated, todo, voices, lines, plan_rates, max_rate, workers, progress
        )
        if planned is not None:
            return SynthesisArtifact(voices=voices, lines=planned)
    pace = PaceEstimate()
    out: list[SynthLine] = []
    # Lines go in batches of `workers`; a batch's rate guesses use only earlier batches, so
    # the result does not depend on which thread finished first.
    speak = carry_cancel(lines.speak)  # pool threads do not inherit the job's cancel check
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for first in range(0, len(todo), workers):
            raise_if_cancelled()
            batch = todo[first : first + workers]
            jobs = []
            for seg in batch:
                voice = voices[seg.speaker]
                rate = _guess_rate(pace, voice, seg, rooms, max_rate)
                jobs.append(
                    pool.submit(
                        speak,
                        seg.translation,
                        language=translated.target_language,
                        voice_id=voice,
                        rate=rate,
                        index=seg.index,
                    )
                )
            for seg, job in zip(batch, jobs, strict=True):
                line = job.result()
                pace.add(voices[seg.speaker], seg.translation, line)
                out.append(line)
            progress(len(out) / len(todo))
    return SynthesisArtifact(voices=voices, lines=out)


def _guess_rate(
    pace: PaceEstimate, voice: str, seg, rooms: dict[int, float] | None, max_rate: float
) -> float:
    """The rate a line will likely need to fit its room; 1.0 when unsure or it may fit."""
    predicted = pace.natural_seconds(voice, seg.translation)
    if not rooms or predicted is None or seg.index not in rooms:
        return 1.0
    needed = predicted / max(rooms[seg.index], 1e-3)
    return round(min(needed, max_rate), 2) if needed > GUESS_THRESHOLD else 1.0


def _synthesize_planned(
    translated: TranslationArtifact,
    todo: list,
    voices: dict[str, str],
    lines: LineSynthesizer,
    plan_rates: RatePlanner,
    max_rate: float,
    workers: int,
    progress: Callable[[float], None],
) -> list[SynthLine] | None:
    """Speak each line once at its planned rate; None when an engine cannot predict."""
    language = translated.target_language
    raw: dict[int, float] = {}
    for seg in todo:
        predicted = lines.predict(
            seg.translation, language=language, voice_id=voices[seg.speaker], rate=1.0
        )
        if predicted is None:
            return None
        raw[seg.index] = predicted
    return speak_planned(
        translated, todo, voices, raw, lines.speak, plan_rates, max_rate, workers, progress
    )
