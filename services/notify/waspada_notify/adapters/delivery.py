"""Delivery of alert versions to receivers, with retries and a log of every attempt.

A delivery row is claimed (status `sending`) and committed before the POST, so a crash between
sending and recording leaves a visible `sending` row that is retried (receivers de-duplicate by
alert id + version) rather than a silent loss.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import orjson
from waspada_shared.contracts.alert import Alert, Audience
from waspada_shared.logging import get_logger

log = get_logger(__name__)

SIGNATURE_HEADER = "X-Waspada-Signature"
TIMESTAMP_HEADER = "X-Waspada-Timestamp"


@dataclass(frozen=True, slots=True)
class Receiver:
    name: str
    channel: str  # webhook (the skeleton's only channel)
    target: str
    audiences: frozenset[Audience]

    def wants(self, alert: Alert) -> bool:
        return alert.audience in self.audiences


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex; receivers recompute it to verify."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class DeliveryWorker:
    def __init__(
        self, pool: asyncpg.Pool, secret: bytes, max_attempts: int = 8, timeout: float = 5.0
    ) -> None:
        self.pool = pool
        self.secret = secret
        self.max_attempts = max_attempts
        self.client = httpx.AsyncClient(timeout=timeout)
        self.wakeup = asyncio.Event()

    def notify(self) -> None:
        self.wakeup.set()

    async def close(self) -> None:
        await self.client.aclose()

    async def _claim(self, limit: int = 100) -> list[asyncpg.Record]:
        return await self.pool.fetch(
            """
            UPDATE notify.deliveries d SET status = 'sending', attempts = d.attempts + 1
            FROM (SELECT alert_id, version, receiver FROM notify.deliveries
                  WHERE status IN ('pending', 'sending') AND next_attempt <= now()
                  ORDER BY next_attempt LIMIT $1 FOR UPDATE SKIP LOCKED) due
            WHERE d.alert_id = due.alert_id AND d.version = due.version AND d.receiver = due.receiver
            RETURNING d.alert_id, d.version, d.receiver, d.channel, d.target, d.attempts, d.payload
            """,
            limit,
        )

    async def _send(self, row: asyncpg.Record) -> None:
        body = orjson.dumps(row["payload"])
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: sign(self.secret, ts, body),
            "X-Waspada-Alert-Id": row["alert_id"],
            "X-Waspada-Alert-Version": str(row["version"]),
        }
        code: int | None = None
        error: str | None = None
        try:
            response = await self.client.post(row["target"], content=body, headers=headers)
            code = response.status_code
            ok = 200 <= code < 300
            if not ok:
                error = f"HTTP {code}"
        except httpx.HTTPError as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"[:500]
        now = datetime.now(UTC)
        if ok:
            status, next_attempt = "delivered", now
        elif row["attempts"] >= self.max_attempts:
            status, next_attempt = "failed", now
        else:
            status, next_attempt = "pending", now + timedelta(seconds=min(300, 0.5 * 2 ** row["attempts"]))
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE notify.deliveries SET status = $4, next_attempt = $5, last_error = $6,"
                " delivered_at = CASE WHEN $4 = 'delivered' THEN now() ELSE delivered_at END"
                " WHERE alert_id = $1 AND version = $2 AND receiver = $3",
                row["alert_id"],
                row["version"],
                row["receiver"],
                status,
                next_attempt,
                error,
            )
            await conn.execute(
                "INSERT INTO notify.delivery_attempts (alert_id, version, receiver, channel, outcome,"
                " response_code, error) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                row["alert_id"],
                row["version"],
                row["receiver"],
                row["channel"],
                "delivered" if ok else ("failed" if status == "failed" else "retry"),
                code,
                error,
            )
        if status == "failed":
            log.error(
                "delivery failed for good", alert_id=row["alert_id"], receiver=row["receiver"], error=error
            )

    async def run(self) -> None:
        while True:
            try:
                rows = await self._claim()
                if rows:
                    await asyncio.gather(*(self._send(r) for r in rows))
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("delivery loop error; retrying", error=str(exc))
                await asyncio.sleep(1.0)
                continue
            self.wakeup.clear()
            try:
                await asyncio.wait_for(self.wakeup.wait(), timeout=0.5)
            except TimeoutError:
                pass
