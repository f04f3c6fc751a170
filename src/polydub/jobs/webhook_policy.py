"""When a webhook delivery is tried again: exponential backoff with jitter, Retry-After, and
which answers are final.

Pure functions of the attempt count, the answer and the clock, so the schedule is tested
without a network or a database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

# 4xx answers that may change if asked again: Request Timeout and Too Many Requests.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})
# Answers whose Retry-After header says when to come back.
RETRY_AFTER_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often a delivery is retried.

    Attributes:
        base_delay_s: the wait after the first failed attempt; it doubles after each failure.
        max_delay_s: the longest wait between two attempts (Retry-After included).
        window_s: no attempt is made later than this after the event was recorded.
    """

    base_delay_s: float = 5.0
    max_delay_s: float = 3600.0
    window_s: float = 24 * 3600.0

    @classmethod
    def from_settings(cls, settings) -> RetryPolicy:
        return cls(
            base_delay_s=settings.webhook_base_delay_s,
            max_delay_s=settings.webhook_max_delay_s,
            window_s=settings.webhook_retry_window_s,
        )


@dataclass(frozen=True)
class AttemptOutcome:
    """What one POST of a delivery got back."""

    delivered: bool
    final: bool = False  # an answer that will not change: no more attempts
    status_code: int | None = None
    error: str | None = None
    retry_after_s: float | None = None


def outcome_of_status(status_code: int, retry_after: str | None, now: datetime) -> AttemptOutcome:
    """Classify an HTTP answer: 2xx delivered; 4xx other than 408/429 final; else retried."""
    if 200 <= status_code < 300:
        return AttemptOutcome(delivered=True, status_code=status_code)
    final = 400 <= status_code < 500 and status_code not in RETRYABLE_CLIENT_ERRORS
    wait = parse_retry_after(retry_after, now) if status_code in RETRY_AFTER_STATUSES else None
    return AttemptOutcome(
        delivered=False,
        final=final,
        status_code=status_code,
        error=f"HTTP {status_code}",
        retry_after_s=wait,
    )


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def backoff_delay(failures: int, policy: RetryPolicy, rng: random.Random) -> float:
    """The wait after `failures` failed attempts (1, 2, ...).

    base * 2^(failures-1), capped at max_delay, then "equal jitter": a uniform draw in its
    upper half, so receivers coming back up are not hit by every delivery at once while the
    wait still grows with each failure.
    """
    exponent = min(failures - 1, 62)  # 2**62 s is past any cap; avoids float overflow
    ceiling = min(policy.max_delay_s, policy.base_delay_s * 2.0**exponent)
    return rng.uniform(ceiling / 2, ceiling)


def next_attempt_at(
    *,
    failures: int,
    outcome: AttemptOutcome,
    created_at: datetime,
    now: datetime,
    policy: RetryPolicy,
    rng: random.Random,
) -> datetime | None:
    """When to try a failed delivery again; None when it is given up (final answer, or the
    next try would fall past the retry window)."""
    if outcome.final:
        return None
    if outcome.retry_after_s is not None:
        delay = min(outcome.retry_after_s, policy.max_delay_s)
    else:
        delay = backoff_delay(failures, policy, rng)
    when = now + timedelta(seconds=delay)
    if when > created_at + timedelta(seconds=policy.window_s):
        return None
    return when
