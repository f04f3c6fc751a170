"""Lines spoken at their planned rates keep every worker busy (pipeline/planned_synthesis.py):
a free worker starts the next batch's line early, and the result is exactly the batch rule's
(each batch planned on the batches before it) whichever line finished first, an early start
being spoken again when the plan then asks another rate."""

from __future__ import annotations

import threading
from pathlib import Path

from polydub.domain.transcript import Segment
from polydub.pipeline.artifacts import SynthLine, TranslationArtifact
from polydub.pipeline.line_rates import TailCorrection, asked_rate, natural_of_spoken
from polydub.pipeline.planned_synthesis import speak_planned

MAX_RATE = 1.25


def _script(lengths: list[int]) -> tuple[TranslationArtifact, list[Segment]]:
    segments = [
        Segment(
            index=i, start=2.0 * i, end=2.0 * i + 1.5, text="x", translation="palabra " * n,
            speaker="SPEAKER_00",
        )
        for i, n in enumerate(lengths)
    ]  # fmt: skip
    return (
        TranslationArtifact(
            source_language="en", target_language="es", engine="test", segments=segments
        ),
        segments,
    )


class FakeVoice:
    """Speaks a line as 0.3 s a word, a third of a second longer than predicted (a tail the
    plan learns), at the asked rate; `gate` holds chosen lines until released."""

    def __init__(self, hold: set[int] = frozenset()) -> None:
        self.calls: list[tuple[int, float]] = []
        self.started = {i: threading.Event() for i in range(64)}
        self.hold = hold
        self.release = threading.Event()
        self._lock = threading.Lock()

    def predict(self, text: str) -> float:
        return 0.3 * len(text.split()) - 0.35

    def speak(self, text, *, language, voice_id, rate, index, natural=None) -> SynthLine:
        with self._lock:
            self.calls.append((index, rate))
        self.started[index].set()
        if index in self.hold:
            self.release.wait(5)
        duration = 0.3 * len(text.split()) / rate
        return SynthLine(
            index=index, path=Path(f"{index}-{rate}.wav"), duration=duration, rate=rate,
            voice=voice_id, natural=natural,
        )  # fmt: skip


def _planner(rooms: dict[int, float]):
    def plan(natural: dict[int, float]) -> dict[int, float]:
        return {i: max(1.0, n / rooms[i]) for i, n in natural.items()}

    return plan


def _batch_rule(todo, voice: FakeVoice, plan_rates, workers: int) -> list[SynthLine]:
    """The plain batch loop the scheduling must equal: each batch planned on those before."""
    raw = {s.index: voice.predict(s.translation) for s in todo}
    tails, out = TailCorrection(), []
    for first in range(0, len(todo), workers):
        natural = {s.index: tails.corrected("v", raw[s.index]) for s in todo}
        natural.update({line.index: line.natural for line in out})
        rates = plan_rates(natural)
        for seg in todo[first : first + workers]:
            asked = asked_rate(rates[seg.index], max_rate=MAX_RATE)
            line = voice.speak(
                seg.translation, language="es", voice_id="v", rate=asked, index=seg.index,
                natural=natural[seg.index],
            )  # fmt: skip
            tails.add("v", raw[seg.index], natural_of_spoken(line.duration, asked))
            out.append(line)
    return out


def _speak(todo, translated, voice: FakeVoice, plan_rates, workers: int) -> list[SynthLine]:
    raw = {s.index: voice.predict(s.translation) for s in todo}
    voices = {"SPEAKER_00": "v"}
    return speak_planned(
        translated, todo, voices, raw, voice.speak, plan_rates, MAX_RATE, workers, lambda f: None
    )


def _described(lines: list[SynthLine]) -> list[tuple]:
    return [(x.index, x.rate, round(x.duration, 6), round(x.natural, 6)) for x in lines]


def test_the_lines_are_those_of_the_batch_rule():
    translated, todo = _script([3, 9, 4, 12, 5, 5, 11, 2, 7])
    plan = _planner({s.index: 1.8 for s in todo})  # tight rooms: many lines sped up
    expected = _described(_batch_rule(todo, FakeVoice(), plan, workers=2))
    for _ in range(5):  # whichever thread finishes first
        assert _described(_speak(todo, translated, FakeVoice(), plan, workers=2)) == expected


def test_a_free_worker_starts_the_next_batchs_line_before_the_batch_ends():
    translated, todo = _script([3, 9, 4, 4, 5])
    plan = _planner({s.index: 10.0 for s in todo})  # roomy: every line at natural rate
    voice = FakeVoice(hold={1})  # line 1 runs long; its batch partner (0) ends at once
    done = threading.Thread(target=lambda: _speak(todo, translated, voice, plan, workers=2))
    done.start()
    started_early = voice.started[2].wait(5)  # line 2 (next batch) while line 1 still speaks
    voice.release.set()
    done.join()
    assert started_early
    assert sorted(voice.calls) == [(i, 1.0) for i in range(5)]  # nothing spoken twice


def test_an_early_start_at_a_rate_the_plan_no_longer_asks_is_spoken_again():
    # Line 1's real length (it runs longer than predicted) shifts the tail the plan learns,
    # so line 2, started early on line 0's tail alone, needs another rate once line 1 is in.
    translated, todo = _script([2, 20, 6, 3])
    voice = FakeVoice(hold={1})
    plan = _planner({0: 5.0, 1: 10.0, 2: 1.5, 3: 5.0})
    expected = _described(_batch_rule(todo, FakeVoice(), plan, workers=2))
    result: list[SynthLine] = []
    worker = threading.Thread(
        target=lambda: result.extend(_speak(todo, translated, voice, plan, workers=2))
    )
    worker.start()
    voice.started[2].wait(5)
    voice.release.set()
    worker.join()
    assert _described(result) == expected
    spoken_for_line_2 = [rate for index, rate in voice.calls if index == 2]
    assert len(spoken_for_line_2) == 2 and spoken_for_line_2[-1] == expected[2][1]
