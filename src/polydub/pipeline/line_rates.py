"""Each line's speaking rate, chosen before the line is spoken, so it is synthesised once.

The TTS engine predicts how long a line will last (Kokoro: its own duration predictor, about
1/60 of a synthesis); the timing plan, solved on those predictions, says the rate each line
needs. Kokoro's predicted durations run past the trimmed audio by a roughly constant tail (the
last phoneme's fade: 0.3-0.55 s by voice, measured on es/en/fr lines); that tail is learned
per voice from the lines already spoken, starting from a measured prior.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median

# Seconds a prediction runs past the spoken line, before any line of the voice is heard.
PRIOR_TAIL = 0.4
# Lines predicted shorter than this carry a smaller tail (one-word lines carry none).
FULL_TAIL_FROM = 2.0
NO_TAIL_BELOW = 0.6
# Voices run 1-4% (up to 7%) longer than natural / rate: asking this much faster lands nearer.
OVERSHOOT_ALLOWANCE = 1.02


def _tail_weight(raw: float) -> float:
    return min(1.0, max(0.0, (raw - NO_TAIL_BELOW) / (FULL_TAIL_FROM - NO_TAIL_BELOW)))


@dataclass
class TailCorrection:
    """Per voice, how much longer the predicted duration is than the spoken line."""

    prior: float = PRIOR_TAIL
    _seen: dict[str, list[float]] = field(default_factory=dict)

    def tail(self, voice: str) -> float:
        seen = self._seen.get(voice)
        return median(seen) if seen else self.prior

    def corrected(self, voice: str, raw: float) -> float:
        """The spoken length a prediction of `raw` seconds stands for."""
        return max(raw * 0.5, raw - self.tail(voice) * _tail_weight(raw))

    def add(self, voice: str, raw: float, actual: float) -> None:
        """Learn from a line predicted at `raw` seconds that lasted `actual` seconds."""
        weight = _tail_weight(raw)
        if weight >= 0.5:  # short lines say little about the tail
            self._seen.setdefault(voice, []).append((raw - actual) / weight)


def asked_rate(planned: float, *, max_rate: float) -> float:
    """The rate to ask of the voice for a line the plan gives `planned`.

    Kokoro comes out 3-7% longer than natural / rate when sped up (measured on es lines at
    1.16-1.25x), and its duration predictor at the faster rate does not tell by how much (it
    undershot), so the ask is aimed a little fast, as fit's re-synthesis always was; the
    layout closes the rest with a small tempo stretch.
    """
    if planned <= 1.0 + 1e-3:
        return 1.0
    asked = planned * OVERSHOOT_ALLOWANCE
    # Two decimals: a rate is part of a line's cache key, and a nearby line's edit (which
    # can move the learned tail a little) should not make this line be spoken again.
    return round(min(asked, max(max_rate, planned), 2.0), 2)


def natural_of_spoken(actual: float, asked: float) -> float:
    """A spoken line's natural length as judged from what it lasted at `asked`."""
    return actual if asked <= 1.0 + 1e-3 else actual * asked / OVERSHOOT_ALLOWANCE
