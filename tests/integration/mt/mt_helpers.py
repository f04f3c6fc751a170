"""Shared helpers for the translation engine tests."""

from __future__ import annotations

import logging
import re
import time

logger = logging.getLogger(__name__)


def words(text: str) -> set[str]:
    """The lowercase words of a text, for content checks that ignore punctuation."""
    return set(re.findall(r"\w+", text.casefold()))


def sentences_per_second(translate, sentences: list[str]) -> float:
    """Measure an engine's throughput on a batch (logged, so `pytest -o log_cli=true` shows it)."""
    start = time.perf_counter()
    out = translate(sentences)
    rate = len(sentences) / (time.perf_counter() - start)
    assert len(out) == len(sentences) and all(out)
    logger.info("%.0f sentences/s", rate)
    return rate
