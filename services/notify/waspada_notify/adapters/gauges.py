"""Gauges read from the database (so they are right after a restart and across instances)."""

from __future__ import annotations

import asyncpg

from waspada_notify import metrics


async def refresh(pool: asyncpg.Pool) -> None:
    rows = await pool.fetch(
        "SELECT level, audience, province, count(*) AS n FROM alerts WHERE status = 'firing' GROUP BY 1, 2, 3"
    )
    pending = await pool.fetchval("SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending')")
    metrics.ALERTS_ACTIVE.clear()
    for r in rows:
        metrics.ALERTS_ACTIVE.labels(r["level"], r["audience"], r["province"]).set(r["n"])
    metrics.DELIVERIES_PENDING.set(pending or 0)
