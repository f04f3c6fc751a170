"""Lines spoken at their planned rates keep every worker busy (pipeline/planned_synthesis.py):
line k is planned on what the lines before k-workers taught, so a free worker takes the next
line at once, nothing is spoken twice, and the result is exactly that rule's whichever line
finished first; a line outlasting `workers` later ones is waited for."""

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


def _lagged_rule(todo, voice: FakeVoice, plan_rates, workers: int) -> list[SynthLine]:
    """The plain loop the scheduling must equal: line k planned on lines 0..k-workers-1's
    lengths, the lines between counted at their planned lengths."""
    raw = {s.index: voice.predict(s.translation) for s in todo}
    out: list[SynthLine] = []
    for k, seg in enumerate(todo):
        tails = TailCorrection()
        for line in out[: max(0, k - workers)]:
            tails.add("v", raw[line.index], natural_of_spoken(line.duration, line.rate))
        natural = {s.index: tails.corrected("v", raw[s.index]) for s in todo}
        natural.update({line.index: line.natural for line in out})
        asked = asked_rate(plan_rates(natural)[seg.index], max_rate=MAX_RATE)
        out.append(
            voice.speak(
                seg.translation,
                language="es",
                voice_id="v",
                rate=asked,
                index=seg.index,
                natural=natural[seg.index],
            )  # fmt: skip
        )
    return out


def _speak(todo, translated, voice: FakeVoice, plan_rates, workers: int) -> list[SynthLine]:
    raw = {s.index: voice.predict(s.translation) for s in todo}
    voices = {"SPEAKER_00": "v"}
    return speak_planned(
        translated, todo, voices, raw, voice.speak, plan_rates, MAX_RATE, workers, lambda f: None
    )


def _described(lines: list[SynthLine]) -> list[tuple]:
    return [(x.index, x.rate, round(x.duration, 6), round(x.natural, 6)) for x in lines]


def test_the_lines_are_those_of_the_lagged_rule():
    translated, todo = _script([3, 9, 4, 12, 5, 5, 11, 2, 7])
    plan = _planner({s.index: 1.8 for s in todo})  # tight rooms: many lines sped up
    expected = _described(_lagged_rule(todo, FakeVoice(), plan, workers=2))
    assert len({rate for _, rate, _, _ in expected}) > 2  # the plan did move rates
    for _ in range(5):  # whichever thread finishes first
        voice = FakeVoice()
        assert _described(_speak(todo, translated, voice, plan, workers=2)) == expected
        assert sorted(i for i, _ in voice.calls) == list(range(len(todo)))  # each once


def test_a_free_worker_takes_the_next_line_while_a_long_one_speaks():
    translated, todo = _script([3, 9, 4, 4, 5])
    plan = _planner({s.index: 10.0 for s in todo})  # roomy: every line at natural rate
    voice = FakeVoice(hold={1})  # line 1 runs long
    done = threading.Thread(target=lambda: _speak(todo, translated, voice, plan, workers=2))
    done.start()
    # Lines 2 and 3 learn from nothing and from line 0: neither waits for line 1.
    started = voice.started[2].wait(5) and voice.started[3].wait(5)
    voice.release.set()
    done.join()
    assert started
    assert sorted(voice.calls) == [(i, 1.0) for i in range(5)]  # nothing spoken twice


def test_a_line_waits_for_the_line_its_plan_learns_from():
    translated, todo = _script([2, 20, 6, 3, 4])
    voice = FakeVoice(hold={0})  # line 0 outlasts lines 1 and 2
    plan = _planner({0: 5.0, 1: 10.0, 2: 1.5, 3: 2.0, 4: 5.0})
    expected = _described(_lagged_rule(todo, FakeVoice(), plan, workers=2))
    result: list[SynthLine] = []
    worker = threading.Thread(
        target=lambda: result.extend(_speak(todo, translated, voice, plan, workers=2))
    )
    worker.start()
    assert voice.started[2].wait(5)  # line 2 learns from nothing: it went on
    assert not voice.started[3].wait(0.5)  # line 3 learns from line 0, still speaking
    voice.release.set()
    worker.join()
    assert _described(result) == expected
    assert sorted(i for i, _ in voice.calls) == list(range(len(todo)))
