"""Retry policy of deliveries: exponential backoff up to a cap, then a final failed state. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    base: timedelta = timedelta(seconds=1)
    cap: timedelta = timedelta(minutes=5)

    def delay(self, attempt: int) -> timedelta:
        """Wait after the `attempt`-th failed attempt (1-based): base, 2·base, 4·base, ... up to cap."""
        step: timedelta = self.base * (2 ** max(0, attempt - 1))
        return min(self.cap, step)

    def gives_up(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
