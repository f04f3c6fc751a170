"""The webhook retry schedule: exponential backoff with jitter, the 4xx rule, Retry-After and
the retry window."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from polydub.jobs.webhook_policy import (
    AttemptOutcome,
    RetryPolicy,
    backoff_delay,
    next_attempt_at,
    outcome_of_status,
    parse_retry_after,
)

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(base_delay_s=5.0, max_delay_s=3600.0, window_s=24 * 3600.0)


def test_backoff_doubles_within_jitter_bounds_up_to_the_cap():
    rng = random.Random(7)
    for failures in range(1, 40):
        ceiling = min(3600.0, 5.0 * 2 ** (failures - 1))
        for _ in range(50):
            delay = backoff_delay(failures, POLICY, rng)
            assert ceiling / 2 <= delay <= ceiling
    # Far past the cap the exponent does not overflow.
    assert 1800.0 <= backoff_delay(10_000, POLICY, rng) <= 3600.0


def test_backoff_is_jittered():
    rng = random.Random(1)
    delays = {round(backoff_delay(6, POLICY, rng), 3) for _ in range(20)}
    assert len(delays) > 10  # deliveries failing together do not retry together


def test_backoff_grows_on_average():
    rng = random.Random(3)
    means = [
        sum(backoff_delay(failures, POLICY, rng) for _ in range(200)) / 200
        for failures in range(1, 8)
    ]
    assert means == sorted(means)


@pytest.mark.parametrize(
    ("case", "status", "delivered", "final"),
    [
        ("ok", 200, True, False),
        ("accepted", 202, True, False),
        ("no content", 204, True, False),
        ("bad request", 400, False, True),
        ("unauthorized", 401, False, True),
        ("not found", 404, False, True),
        ("gone", 410, False, True),
        ("request timeout", 408, False, False),
        ("too many requests", 429, False, False),
        ("server error", 500, False, False),
        ("bad gateway", 502, False, False),
        ("unavailable", 503, False, False),
        ("redirect", 302, False, False),
    ],
)
def test_which_answers_are_final(case, status, delivered, final):
    outcome = outcome_of_status(status, None, NOW)
    assert (outcome.delivered, outcome.final, outcome.status_code) == (delivered, final, status)


def test_retry_after_read_only_on_429_and_503():
    assert outcome_of_status(429, "120", NOW).retry_after_s == 120.0
    assert outcome_of_status(503, "7", NOW).retry_after_s == 7.0
    assert outcome_of_status(500, "120", NOW).retry_after_s is None


def test_retry_after_as_http_date():
    header = "Fri, 04 Dec 2026 12:01:30 GMT"
    assert parse_retry_after(header, NOW) == 90.0
    assert parse_retry_after("Fri, 04 Dec 2026 11:00:00 GMT", NOW) == 0.0  # in the past
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_retry_after_is_honoured_within_the_cap():
    rng = random.Random(0)
    asked = AttemptOutcome(delivered=False, status_code=429, retry_after_s=600.0)
    when = next_attempt_at(
        failures=1, outcome=asked, created_at=NOW, now=NOW, policy=POLICY, rng=rng
    )
    assert when == NOW + timedelta(seconds=600)
    too_long = AttemptOutcome(delivered=False, status_code=503, retry_after_s=10 * 86400.0)
    when = next_attempt_at(
        failures=1, outcome=too_long, created_at=NOW, now=NOW, policy=POLICY, rng=rng
    )
    assert when == NOW + timedelta(seconds=3600)


def test_final_answer_is_never_retried():
    final = outcome_of_status(404, None, NOW)
    assert (
        next_attempt_at(
            failures=1, outcome=final, created_at=NOW, now=NOW, policy=POLICY, rng=random.Random()
        )
        is None
    )


def test_retries_stop_at_the_end_of_the_window():
    """Simulate a receiver that is down for good: attempts go on for the whole window, no
    attempt falls past it, and the gaps never exceed the cap."""
    rng = random.Random(11)
    down = AttemptOutcome(delivered=False, error="ConnectError")
    now, attempts, gaps = NOW, 1, []
    while True:
        when = next_attempt_at(
            failures=attempts, outcome=down, created_at=NOW, now=now, policy=POLICY, rng=rng
        )
        if when is None:
            break
        gaps.append((when - now).total_seconds())
        now, attempts = when, attempts + 1
    assert now <= NOW + timedelta(hours=24)
    assert now >= NOW + timedelta(hours=23)  # gave up within one max delay of the end
    assert max(gaps) <= 3600.0
    assert 20 < attempts < 60  # hours of retries, not a handful and not thousands
