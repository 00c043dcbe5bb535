"""The delivery worker: claim due deliveries, attempt them through their channel, log every attempt.

Exactly-once in effect, honestly stated:
- a claim marks the row `sending`, logs the attempt (outcome `sending`) and leases the row, and is
  committed *before* anything is sent;
- the outcome is recorded after the attempt; a row recorded `delivered` is never sent again;
- if notify dies between sending and recording, the lease expires, the row is claimed again, the
  dangling attempt is logged as `unknown` and the delivery is retried with the same alert id, version
  and delivery id. So a receiver may see one delivery twice in that window, and must de-duplicate by
  alert id + version (the demo receiver does). Nothing is lost and nothing recorded is repeated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import asyncpg

from waspada_notify import metrics
from waspada_notify.adapters.receivers import Channel, Claimed
from waspada_notify.adapters.retry import Attempted, Retrying
from waspada_notify.domain.retry import RetryPolicy
from waspada_shared.logging import get_logger

log = get_logger(__name__)

CLAIM = """
WITH due AS (
    SELECT alert_id, version, receiver, target FROM deliveries
    WHERE status IN ('pending', 'sending') AND next_attempt <= $1
    ORDER BY next_attempt LIMIT $2 FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE deliveries d SET status = 'sending', attempts = d.attempts + 1, next_attempt = $1 + $3::interval
    FROM due
    WHERE d.alert_id = due.alert_id AND d.version = due.version AND d.receiver = due.receiver
      AND d.target = due.target
    RETURNING d.alert_id, d.version, d.receiver, d.channel, d.target, d.attempts, d.payload, d.received_at
), lost AS (
    UPDATE delivery_attempts a
    SET outcome = 'unknown', finished_at = $1,
        error = 'notify stopped while sending; retried with the same alert id and version'
    FROM claimed c
    WHERE a.alert_id = c.alert_id AND a.version = c.version AND a.receiver = c.receiver
      AND a.target = c.target AND a.outcome = 'sending'
), logged AS (
    INSERT INTO delivery_attempts (alert_id, version, receiver, channel, target, attempt, attempted_at, outcome)
    SELECT alert_id, version, receiver, channel, target, attempts, $1, 'sending' FROM claimed
    RETURNING id, alert_id, version, receiver, target
)
SELECT c.*, l.id AS attempt_id
FROM claimed c JOIN logged l USING (alert_id, version, receiver, target)
"""

# Outcomes of many attempts in one statement and one commit: attempts finishing together (a storm) cost
# one round trip and one WAL flush, not one each. A row is updated only if it is still the attempt that
# was claimed. Lock order: the deliveries (the main statement), then their attempts (a data-modifying
# WITH that nothing reads runs after the main statement), as the claim takes them (it locks deliveries
# with SKIP LOCKED, then updates the attempts of what it claimed): the two can wait on each other only one
# way. Updating the attempts first, as one statement per outcome once did, is the opposite order.
RECORD = """
WITH o AS (
    SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                         $7::text[], $8::timestamptz[], $9::int[], $10::text[], $11::int[], $12::real[],
                         $13::bigint[])
        AS o(alert_id, version, receiver, target, status, next_attempt, error, done, attempt, outcome,
             code, duration_ms, attempt_id)
), attempts AS (
    UPDATE delivery_attempts a SET outcome = o.outcome, response_code = o.code, error = o.error,
        finished_at = o.done, duration_ms = o.duration_ms
    FROM o WHERE a.id = o.attempt_id
)
UPDATE deliveries SET status = o.status, next_attempt = o.next_attempt, last_error = o.error,
    delivered_at = CASE WHEN o.status = 'delivered' THEN o.done ELSE deliveries.delivered_at END
FROM o
WHERE deliveries.alert_id = o.alert_id AND deliveries.version = o.version
  AND deliveries.receiver = o.receiver AND deliveries.target = o.target
  AND deliveries.status = 'sending' AND deliveries.attempts = o.attempt
"""

Outcome = tuple[
    str, int, str, str, str, datetime, str | None, datetime, int, str, int | None, float, int
]  # the columns of RECORD, in order

RETRIES = 3  # a statement PostgreSQL chose as a deadlock victim is run again (it is idempotent)


class OutcomeRecorder:
    """Records attempt outcomes in batches: `record` returns once its outcome is committed, together
    with every other outcome that arrived while the previous batch was being written."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.pending: list[tuple[Outcome, asyncio.Future[None]]] = []
        self.writer: asyncio.Task[None] | None = None
        self.writes = 0  # statements run (tests compare it with the outcomes recorded)

    async def record(self, outcome: Outcome) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((outcome, done))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write(), name="delivery-outcomes")
        await done

    async def _write(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            # Key order: two delivering processes record disjoint rows, except a delivery whose lease
            # expired and was claimed again by the other; then both lock it, in the same order.
            batch.sort(key=lambda item: item[0][:4])
            try:
                await self._execute([o for o, _ in batch])
            except Exception as exc:  # each waiting attempt sees the failure (the lease brings it back)
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
            else:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_result(None)

    async def _execute(self, outcomes: list[Outcome]) -> None:
        columns = [list(c) for c in zip(*outcomes, strict=True)]
        for attempt in range(1, RETRIES + 1):
            try:
                self.writes += 1
                await self.pool.execute(RECORD, *columns)
                return
            except asyncpg.exceptions.DeadlockDetectedError:
                if attempt == RETRIES:
                    raise
                log.warning("delivery outcomes chosen as a deadlock victim; recording again", attempt=attempt)


class DeliveryWorker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        channels: Mapping[str, Channel],
        policy: RetryPolicy | None = None,
        *,
        concurrency: int = 64,
        lease: timedelta = timedelta(seconds=30),
    ) -> None:
        self.pool = pool
        self.channels = dict(channels)
        self.policy = policy or RetryPolicy()
        self.stages = {name: Retrying(ch, self.policy) for name, ch in self.channels.items()}
        self.concurrency = concurrency
        self.lease = lease
        self.wakeup = asyncio.Event()
        self.in_flight: set[asyncio.Task[None]] = set()
        self.outcomes = OutcomeRecorder(pool)

    def notify(self) -> None:
        self.wakeup.set()

    async def close(self, grace: float = 5.0) -> None:
        """Let attempts under way finish (briefly), then close the channels."""
        if self.in_flight:
            _, pending = await asyncio.wait(self.in_flight, timeout=grace)
            for task in pending:
                task.cancel()
        for ch in self.channels.values():
            await ch.close()

    async def claim(self, now: datetime, limit: int) -> list[Claimed]:
        rows = await self.pool.fetch(CLAIM, now, limit, self.lease)
        return [
            Claimed(
                alert_id=r["alert_id"],
                version=r["version"],
                receiver=r["receiver"],
                channel=r["channel"],
                target=r["target"],
                attempt=r["attempts"],
                payload=r["payload"],
                received_at=r["received_at"],
                attempt_id=r["attempt_id"],
            )
            for r in rows
        ]

    async def deliver(self, d: Claimed, now: datetime | None = None) -> Attempted:
        stage = self.stages.get(d.channel)
        at = now or datetime.now(UTC)
        if stage is None:  # e.g. email configured but no SMTP host in this process
            result = Attempted(
                "pending", "retry", at + self.policy.delay(d.attempt), None, f"no {d.channel} channel", 0.0
            )
            if self.policy.gives_up(d.attempt):
                result = Attempted("failed", "failed", at, None, f"no {d.channel} channel configured", 0.0)
        else:
            result = await stage.attempt(d, at)
        done = now or datetime.now(UTC)
        await self.outcomes.record(
            (
                d.alert_id,
                d.version,
                d.receiver,
                d.target,
                result.status,
                result.next_attempt,
                result.error,
                done,
                d.attempt,
                result.outcome,
                result.code,
                result.seconds * 1000,
                d.attempt_id,
            )
        )
        metrics.DELIVERIES.labels(d.channel, result.outcome).inc()
        metrics.DELIVERY_SECONDS.labels(d.channel).observe(result.seconds)
        if result.status == "delivered" and d.channel == "webhook" and d.received_at is not None:
            metrics.RECEIPT_TO_DELIVERY.observe(max(0.0, (done - d.received_at).total_seconds()))
        if result.status == "failed":
            log.error(
                "delivery failed for good",
                alert_id=d.alert_id,
                version=d.version,
                receiver=d.receiver,
                channel=d.channel,
                attempts=d.attempt,
                error=result.error,
            )
        return result

    async def run_once(self, now: datetime | None = None, limit: int = 500) -> list[Attempted]:
        """Claim what is due at `now` and attempt it all (tests drive time through `now`)."""
        at = now or datetime.now(UTC)
        claimed = await self.claim(at, limit)
        return list(await asyncio.gather(*(self.deliver(d, now) for d in claimed)))

    async def _guarded(self, d: Claimed) -> None:
        try:
            await self.deliver(d)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # recording failed (database down): the lease brings it back
            log.warning("delivery not recorded; it will be retried", alert_id=d.alert_id, error=str(exc))

    async def run(self) -> None:
        """Claim and start attempts without waiting for slow receivers; sleep until woken or due."""
        while True:
            self.wakeup.clear()  # before claiming: a wake-up during the claim is not lost
            try:
                free = self.concurrency - len(self.in_flight)
                if free <= 0:
                    await asyncio.wait(self.in_flight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                claimed = await self.claim(datetime.now(UTC), free)
                for d in claimed:
                    task = asyncio.create_task(self._guarded(d))
                    self.in_flight.add(task)
                    task.add_done_callback(self.in_flight.discard)
                if claimed:
                    continue  # more may be due
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("delivery loop error; retrying", error=str(exc))
                await asyncio.sleep(1.0)
                continue
            try:
                await asyncio.wait_for(self.wakeup.wait(), timeout=0.25)
            except TimeoutError:
                pass
