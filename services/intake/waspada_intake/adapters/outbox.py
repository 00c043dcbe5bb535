"""Relays outbox rows to Kafka: a report stored while Kafka is down is published once it is back.

Rows are claimed with `FOR UPDATE SKIP LOCKED` (several relays, e.g. two intake processes, share the
work) and deleted in a transaction that commits only after Kafka acknowledged every one of them.
A crash between the acknowledgement and the commit republishes the batch: exactly once in effect, as
every consumer is idempotent by `report_id`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import asyncpg

from waspada_intake import metrics
from waspada_shared.kafka import OutMessage
from waspada_shared.logging import get_logger

log = get_logger(__name__)

# Sends messages and returns once Kafka acknowledged all of them; raises otherwise.
Publish = Callable[[Sequence[OutMessage]], Awaitable[object]]

# Claimed and deleted in one statement; the transaction commits only after Kafka acknowledged every
# record, so a failed publication rolls the deletion back and the rows stay. The ids are claimed once,
# as an array: with `id IN (subquery)` and statistics from when the outbox was empty, the planner chose
# a nested loop that ran the claiming subquery again for every row of a grown backlog (one round took
# minutes with 17,000 rows queued; docs/benchmarks.md).
CLAIM = """
DELETE FROM intake.outbox WHERE id = ANY(ARRAY(
    SELECT id FROM intake.outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
))
RETURNING id, report_id, topic, key, payload
"""


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        publish: Publish,
        batch: int = 1000,
        *,
        idle_poll_seconds: float = 0.5,
        max_backoff_seconds: float = 5.0,
        linger_seconds: float = 0.0,
    ) -> None:
        self.pool = pool
        self.publish = publish
        self.batch = batch
        self.idle_poll_seconds = idle_poll_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.linger_seconds = linger_seconds
        self.wakeup = asyncio.Event()
        self.published_total = 0
        self.failures = 0  # consecutive failed rounds (Kafka or the database unreachable)

    def notify(self) -> None:
        """Called after a commit that added outbox rows."""
        self.wakeup.set()

    async def relay_once(self) -> int:
        """Publish one batch; rows are deleted only after Kafka acknowledged all of them."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(CLAIM, self.batch)
            if not rows:
                return 0
            rows.sort(key=lambda r: r["id"])  # RETURNING has no order; keep the commit order per key
            await self.publish([OutMessage(r["topic"], r["key"], r["payload"]) for r in rows])
        self.published_total += len(rows)
        metrics.PUBLISHED.inc(len(rows))
        return len(rows)

    async def run(self) -> None:
        backoff = 0.2
        while True:
            # Cleared before claiming: a commit during this round sets it again, and is not missed.
            self.wakeup.clear()
            try:
                n = await self.relay_once()
                backoff = 0.2
                self.failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Kafka or DB unavailable: keep the rows, retry with backoff
                self.failures += 1
                metrics.RELAY_FAILURES.inc()
                log.warning("outbox relay failed; will retry", error=str(exc), retry_in_s=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_seconds)
                continue
            if n < self.batch:
                try:
                    await asyncio.wait_for(self.wakeup.wait(), timeout=self.idle_poll_seconds)
                except TimeoutError:
                    continue
                # Woken by a commit: let the next few join it. A round costs four round trips (three
                # to PostgreSQL, one to Kafka) however few rows it carries, and at a few hundred
                # reports a second each commit holds one; a full backlog never waits.
                if self.linger_seconds > 0:
                    await asyncio.sleep(self.linger_seconds)

    async def backlog(self) -> int:
        return int(await self.pool.fetchval("SELECT count(*) FROM intake.outbox"))
