"""Long audio is cut into recognition windows at quiet moments."""

from __future__ import annotations

import numpy as np

from polydub.pipeline.transcribe import quiet_cut


def test_cut_lands_in_the_quietest_frame_before_the_nominal_end():
    rate = 16000
    rng = np.random.default_rng(0)
    audio = rng.normal(0, 0.3, rate * 30).astype(np.float32)
    audio[rate * 25 : rate * 25 + 4000] = 0.0  # a quarter-second pause at 25 s
    cut = quiet_cut(audio, nominal=rate * 28, search=rate * 10)
    assert abs(cut / rate - 25.1) < 0.2


def test_short_region_keeps_the_nominal_end():
    audio = np.ones(1000, np.float32)
    assert quiet_cut(audio, nominal=1000, search=100) == 1000
