from __future__ import annotations

from datetime import timedelta

from waspada_notify.domain.retry import RetryPolicy


def test_backoff_doubles_up_to_the_cap_then_gives_up() -> None:
    policy = RetryPolicy(max_attempts=5, base=timedelta(seconds=1), cap=timedelta(seconds=5))
    assert [policy.delay(n).total_seconds() for n in range(1, 6)] == [1, 2, 4, 5, 5]
    assert not policy.gives_up(4) and policy.gives_up(5)
