"""Speak every line once at the rate the timing plan needs, on every worker all the time.

Lines go in batches of `workers`: a batch is planned on what the batches before it taught
(each spoken line tells how long the voice really runs: TailCorrection), so the result does
not depend on which thread finished first. Waiting for a batch's last line left the other
cores idle (a 60 s dub used 1.64 of 2 cores while synthesising). So when a worker frees up
before its batch is done, it starts the next batch's line early, planned on what is known so
far; once the batch is done the line's rate is planned again as the batch rule says, and the
early start is kept only where it asked the same rate (rates are rounded to 0.01, and most
lines fit at natural rate), else the line is spoken again. The lines, their rates and what
the fit stage is told are those of the batch rule.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from polydub.cancellation import carry_cancel, raise_if_cancelled
from polydub.pipeline.artifacts import SynthLine, TranslationArtifact
from polydub.pipeline.line_rates import TailCorrection, asked_rate, natural_of_spoken

# segment index -> predicted natural seconds  ->  segment index -> the rate the plan needs
RatePlanner = Callable[[dict[int, float]], dict[int, float]]


@dataclass
class _Started:
    """A line handed to a worker: the rate it was asked, and what the plan thought its
    natural length was."""

    seg: object
    asked: float
    natural: float
    future: Future


class _Plan:
    """Plans line rates from the lines spoken so far."""

    def __init__(self, todo: list, voices: dict[str, str], raw: dict[int, float], plan_rates):
        self.todo, self.voices, self.raw, self.plan_rates = todo, voices, raw, plan_rates

    def rates(
        self, spoken: list[tuple[_Started, SynthLine]], speaking: list[_Started] = ()
    ) -> tuple[dict, dict]:
        """(natural seconds, planned rate) per line, from `spoken` (in line order): their
        tails correct the predictions of the others; their own planned lengths stand, and so
        do those of the lines still `speaking`."""
        tails = TailCorrection()
        for started, line in spoken:
            heard = natural_of_spoken(line.duration, started.asked)
            tails.add(self.voices[started.seg.speaker], self.raw[started.seg.index], heard)
        natural = {
            s.index: tails.corrected(self.voices[s.speaker], self.raw[s.index]) for s in self.todo
        }
        natural.update({started.seg.index: started.natural for started, _ in spoken})
        natural.update({started.seg.index: started.natural for started in speaking})
        return natural, self.plan_rates(natural)


def speak_planned(
    translated: TranslationArtifact,
    todo: list,
    voices: dict[str, str],
    raw: dict[int, float],
    speak: Callable[..., SynthLine],
    plan_rates: RatePlanner,
    max_rate: float,
    workers: int,
    progress: Callable[[float], None],
) -> list[SynthLine]:
    """Every line of `todo` spoken once by `speak` (LineSynthesizer.speak), at its planned
    rate, `raw` being each line's predicted natural seconds."""
    language = translated.target_language
    plan = _Plan(todo, voices, raw, plan_rates)
    batches = [todo[i : i + workers] for i in range(0, len(todo), workers)]
    speak = carry_cancel(speak)  # pool threads do not inherit the job's cancel check
    spoken: dict[int, tuple[_Started, SynthLine]] = {}  # segment index -> what was kept
    early: dict[int, _Started] = {}  # the next batch's lines started before their plan
    busy: set[Future] = set()  # every line a worker speaks, kept or not

    def start(seg, asked: float, natural: float, pool) -> _Started:
        future = pool.submit(
            speak, seg.translation, language=language, voice_id=voices[seg.speaker],
            rate=asked, index=seg.index, natural=natural,
        )  # fmt: skip
        busy.add(future)
        return _Started(seg, asked, natural, future)

    def start_early(batch: list, known: list, still: list[_Started], pool) -> None:
        guess = None
        for seg in batch:
            if len(busy) >= workers:
                return
            if seg.index in early:
                continue
            guess = guess or plan.rates(known, still)
            asked = asked_rate(guess[1][seg.index], max_rate=max_rate)
            early[seg.index] = start(seg, asked, guess[0][seg.index], pool)

    def in_order(done: dict[int, tuple[_Started, SynthLine]]) -> list:
        return [done[s.index] for s in todo if s.index in done]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for b, batch in enumerate(batches):
            raise_if_cancelled()
            natural, rates = plan.rates(in_order(spoken))
            running = []
            for seg in batch:
                asked = asked_rate(rates[seg.index], max_rate=max_rate)
                ahead = early.pop(seg.index, None)
                if ahead is not None and ahead.asked == asked:
                    ahead.natural = natural[seg.index]  # what fit is told: the batch rule's
                    running.append(ahead)
                else:  # not started early, or at another rate than the plan now asks
                    running.append(start(seg, asked, natural[seg.index], pool))
            finished: dict[int, tuple[_Started, SynthLine]] = {}
            while len(finished) < len(running):
                raise_if_cancelled()
                wait(busy, return_when=FIRST_COMPLETED)
                busy.difference_update([f for f in busy if f.done()])
                for r in running:
                    if r.future.done() and r.seg.index not in finished:
                        finished[r.seg.index] = (r, r.future.result())
                still = [r for r in running if r.seg.index not in finished]
                if still and b + 1 < len(batches):
                    # A worker is free while this batch finishes: start the next batch's
                    # lines, planned on what is known now.
                    start_early(batches[b + 1], in_order(spoken | finished), still, pool)
            for started, line in finished.values():
                kept = line.model_copy(update={"natural": started.natural})
                spoken[started.seg.index] = (started, kept)
            progress(len(spoken) / len(todo))
    return [line for _, line in in_order(spoken)]
