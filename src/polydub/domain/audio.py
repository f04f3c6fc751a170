"""Audio held in memory: float32 mono samples in [-1, 1] and their rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # float32, mono, shape (n,)
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate)

    @staticmethod
    def silence(seconds: float, sample_rate: int) -> Audio:
        return Audio(np.zeros(max(0, round(seconds * sample_rate)), np.float32), sample_rate)
