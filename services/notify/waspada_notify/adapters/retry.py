"""Retry as a wrapper around a channel (Alertmanager's retry stage): one attempt, then the decision.

A success is `delivered`; a permanent failure, or the last allowed attempt, is `failed` (kept,
visible in the delivery log and counted); anything else goes back to `pending` with exponential
backoff. An exception in a channel counts as a failed attempt, never as a lost delivery.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from waspada_notify.adapters.receivers import Channel, Claimed, Outcome
from waspada_notify.domain.retry import RetryPolicy


@dataclass(frozen=True, slots=True)
class Attempted:
    status: str  # delivered, pending (retry later), failed
    outcome: str  # delivered, retry, failed (the attempt's entry in the log and metrics)
    next_attempt: datetime
    code: int | None
    error: str | None
    seconds: float


class Retrying:
    def __init__(self, channel: Channel, policy: RetryPolicy) -> None:
        self.channel = channel
        self.policy = policy

    async def attempt(self, delivery: Claimed, now: datetime) -> Attempted:
        started = time.perf_counter()
        try:
            outcome = await self.channel.send(delivery)
        except Exception as exc:
            outcome = Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
        seconds = time.perf_counter() - started
        if outcome.ok:
            return Attempted("delivered", "delivered", now, outcome.code, None, seconds)
        if outcome.permanent or self.policy.gives_up(delivery.attempt):
            return Attempted("failed", "failed", now, outcome.code, outcome.error, seconds)
        return Attempted(
            "pending",
            "retry",
            now + self.policy.delay(delivery.attempt),
            outcome.code,
            outcome.error,
            seconds,
        )
