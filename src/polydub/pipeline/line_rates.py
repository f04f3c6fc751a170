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


def asked_rate(
    natural: float, planned: float, expected_at_planned: float, *, max_rate: float
) -> float:
    """The rate to ask of the voice so the line lasts natural / planned seconds.

    A voice is not exactly proportional to its rate (Kokoro rounds every phoneme to whole
    frames of at least one), so the prediction at the planned rate corrects the ask.

    Args:
        natural: the line's predicted length at rate 1.0.
        planned: the rate the timing plan gives the line.
        expected_at_planned: the predicted length when spoken at `planned`.
        max_rate: the plan's bound; the ask may pass it only as far as the plan already did.
    """
    if planned <= 1.0 + 1e-3 or expected_at_planned <= 0:
        return 1.0
    wanted = natural / planned
    asked = planned * expected_at_planned / wanted
    # Two decimals: a rate is part of a line's cache key, and a nearby line's edit (which
    # can move the learned tail a little) should not make this line be spoken again.
    return round(min(max(asked, 1.0), max(max_rate, planned), 2.0), 2)
