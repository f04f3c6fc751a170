"""Speak every line once at the rate the timing plan needs, on every worker all the time.

Each spoken line tells how long the voice really runs (TailCorrection), and later lines are
planned on it. For the result not to depend on which thread finishes first, line k is
planned on what lines 0..k-workers-1 taught, with the `workers` lines before it counted at
their planned lengths, whether or not they are done yet. When a worker frees up, the line it
takes next almost always has what its plan needs: only a line outlasting `workers` later
lines makes a worker wait for it. No line is spoken twice. (The rule before this one planned
lines in batches of `workers` and started the next batch's lines early on a guess, speaking
them again when the batch's plan asked another rate: 2 of 15 lines of a 60 s dub, about 2 s.)
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
        do those of `speaking` (lines started that the plan does not learn from)."""
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
    speak = carry_cancel(speak)  # pool threads do not inherit the job's cancel check
    started: list[_Started] = []  # by position in `todo`
    done: dict[int, SynthLine] = {}  # position -> the line spoken
    speaking: dict[int, _Started] = {}  # position -> a line a worker speaks now

    def collect() -> None:
        wait([s.future for s in speaking.values()], return_when=FIRST_COMPLETED)
        for position, line in list(speaking.items()):
            if line.future.done():
                done[position] = line.future.result()
                del speaking[position]
        progress(len(done) / len(todo))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for k, seg in enumerate(todo):
            raise_if_cancelled()
            learned = max(0, k - workers)  # the lines this one's plan learns from
            while len(speaking) >= workers or any(p < learned for p in speaking):
                collect()
            known = [(started[p], done[p]) for p in range(learned)]
            natural, rates = plan.rates(known, started[learned:k])
            asked = asked_rate(rates[seg.index], max_rate=max_rate)
            future = pool.submit(
                speak, seg.translation, language=language, voice_id=voices[seg.speaker],
                rate=asked, index=seg.index, natural=natural[seg.index],
            )  # fmt: skip
            started.append(_Started(seg, asked, natural[seg.index], future))
            speaking[k] = started[-1]
        while speaking:
            raise_if_cancelled()
            collect()
    # What fit is told: the natural length the line's plan had.
    return [done[p].model_copy(update={"natural": s.natural}) for p, s in enumerate(started)]
