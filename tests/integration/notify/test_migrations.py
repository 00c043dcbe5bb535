"""Notify's migrations upgrade a walking-skeleton database, and its alerts keep working."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from importlib import resources

import asyncpg

from tests.helpers import Stack
from tests.unit.notify.factories import assessed, default_config
from waspada_notify.adapters.processor import AlertProcessor
from waspada_notify.domain.routing import Router
from waspada_shared.db import apply_migrations, create_pool
from waspada_shared.levels import Level


async def test_skeleton_schema_upgrades_and_its_open_alert_carries_on(stack: Stack) -> None:
    schema = f"notify_up_{uuid.uuid4().hex[:8]}"
    pool = await create_pool(
        stack.database_url, min_size=1, max_size=2, server_settings={"search_path": schema}
    )
    try:
        first = (
            resources.files("waspada_notify")
            .joinpath("migrations", "001_alerts.sql")
            .read_text(encoding="utf-8")
        )
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(f'CREATE SCHEMA "{schema}"')
            await conn.execute(
                "CREATE TABLE schema_migrations (name text PRIMARY KEY, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            await conn.execute(first)
            await conn.execute(
                "INSERT INTO schema_migrations (name, checksum) VALUES ('001_alerts.sql', $1)",
                hashlib.sha256(first.encode()).hexdigest(),
            )
            # An alert and a delivery as the walking skeleton wrote them.
            now = datetime.now(UTC)
            payload = {
                "alert_id": "skeleton-1",
                "group_key": "19/19.06/identity",
                "audience": "regency",
                "province": "19",
                "regency": "19.06",
                "level": "waspada",
                "previous_level": None,
                "status": "firing",
                "score": 30.0,
                "category": "identity",
                "title": "Level 2 (Waspada): konflik bernuansa SARA di Kabupaten Belitung Timur",
                "summary": "…",
                "top_factors": [],
                "report_ids": ["old-1"],
                "first_seen": (now - timedelta(hours=2)).isoformat(),
                "updated_at": (now - timedelta(hours=2)).isoformat(),
                "version": 1,
            }
            await conn.execute(
                "INSERT INTO alerts (alert_id, group_key, audience, province, regency, category, level, status,"
                " version, first_seen, updated_at, payload) VALUES ('skeleton-1', '19/19.06/identity', 'regency',"
                " '19', '19.06', 'identity', 'waspada', 'firing', 1, $1, $1, $2)",
                now - timedelta(hours=2),
                payload,
            )
            await conn.execute(
                "INSERT INTO deliveries (alert_id, version, receiver, channel, target, status, payload)"
                " VALUES ('skeleton-1', 1, 'demo-webhook', 'webhook', 'http://x/hook', 'delivered', $1)",
                payload,
            )
        applied = await apply_migrations(pool, schema, "waspada_notify")
        assert applied[0] == "002_lifecycle.sql" and len(applied) >= 3
        config = default_config()
        processor = AlertProcessor(pool, config, Router(config), {r.name: r for r in config.receivers})
        result = await processor.process(
            [assessed(Level.SIAGA, regency="19.06", at=now - timedelta(hours=1))], now
        )
        regency = [v for v in result.versions if v.alert.audience.value == "regency"]
        assert [(v.alert.alert_id, v.alert.version, v.event.value) for v in regency] == [
            ("skeleton-1", 2, "escalated")
        ]
        assert (
            await pool.fetchval("SELECT status FROM deliveries WHERE alert_id = 'skeleton-1' AND version = 1")
        ) == "delivered"
    finally:
        await pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await pool.close()


async def test_alert_json_columns_keep_lz4_and_alert_rows_stay_in_the_heap(db: asyncpg.Pool) -> None:
    # A later type change once reset 009's lz4 to the default pglz without a word: hold the settings
    # as they stand after every migration.
    rows = await db.fetch(
        "SELECT attrelid::regclass::text AS rel, attname, attcompression::text FROM pg_attribute"
        " WHERE attrelid IN ('alerts'::regclass, 'alert_versions'::regclass, 'deliveries'::regclass)"
        " AND attname IN ('payload', 'state') ORDER BY 1, 2"
    )
    assert [(r["rel"].rsplit(".", 1)[-1], r["attname"], r["attcompression"]) for r in rows] == [
        ("alert_versions", "payload", "l"),
        ("alerts", "payload", "l"),
        ("alerts", "state", "l"),
        ("deliveries", "payload", "l"),
    ]
    options = await db.fetchval("SELECT reloptions FROM pg_class WHERE oid = 'alerts'::regclass")
    assert "toast_tuple_target=4080" in options
