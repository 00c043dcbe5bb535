"""Token-bucket rate limit per key. Pure: the caller passes the monotonic clock."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


@dataclass(slots=True)
class RateLimiter:
    burst_seconds: float = 2.0  # a key may burst up to this many seconds of its rate
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def allow(self, key: str, rate: float, now: float, cost: float = 1.0) -> bool:
        capacity = max(rate * self.burst_seconds, cost)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(capacity, now)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return True
        return False
