"""Relays outbox rows to Kafka: a report stored while Kafka is down is published once it is back."""

from __future__ import annotations

import asyncio

import asyncpg
from faststream.kafka import KafkaBroker
from waspada_shared.kafka import OutMessage, publish_all
from waspada_shared.logging import get_logger

log = get_logger(__name__)

_CLAIM = """
SELECT id, report_id, topic, key, payload FROM intake.outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
"""


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, broker: KafkaBroker, batch: int = 1000) -> None:
        self.pool = pool
        self.broker = broker
        self.batch = batch
        self.wakeup = asyncio.Event()
        self.published_total = 0

    def notify(self) -> None:
        """Called after a commit that added outbox rows."""
        self.wakeup.set()

    async def relay_once(self) -> int:
        """Publish one batch; rows are deleted only after Kafka acknowledged all of them."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_CLAIM, self.batch)
            if not rows:
                return 0
            await publish_all(self.broker, (OutMessage(r["topic"], r["key"], r["payload"]) for r in rows))
            ids = [r["id"] for r in rows]
            await conn.execute("DELETE FROM intake.outbox WHERE id = ANY($1::bigint[])", ids)
            await conn.execute(
                "UPDATE intake.reports SET state = 'published'"
                " WHERE state = 'accepted' AND report_id = ANY($1::text[])",
                [r["report_id"] for r in rows],
            )
        self.published_total += len(rows)
        return len(rows)

    async def run(self) -> None:
        backoff = 0.2
        while True:
            try:
                n = await self.relay_once()
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Kafka or DB unavailable: keep the rows, retry with backoff
                log.warning("outbox relay failed; will retry", error=str(exc), retry_in_s=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if n < self.batch:
                self.wakeup.clear()
                try:
                    await asyncio.wait_for(self.wakeup.wait(), timeout=0.5)
                except TimeoutError:
                    pass

    async def backlog(self) -> int:
        return int(await self.pool.fetchval("SELECT count(*) FROM intake.outbox"))
