"""Same history, same alerts, however it is batched (SPEC §6): every assessment is its own step in event
time (clock, quiet-time resolution, roll-ups, versions), so one batch, one call per assessment and any
chunking in between leave identical alerts, versions and events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg

from tests.helpers import Stack
from tests.integration.notify.conftest import Hook, routing
from tests.unit.notify.factories import assessed
from waspada_notify.adapters.processor import AlertProcessor
from waspada_notify.domain.routing import Router
from waspada_shared.contracts.risk import RiskAssessed
from waspada_shared.db import apply_migrations, create_pool
from waspada_shared.levels import Level

NOW = datetime.now(UTC).replace(microsecond=0)
T = NOW - timedelta(days=30)


def history() -> list[RiskAssessed]:
    def at(hours: float) -> datetime:
        return T + timedelta(hours=hours)

    deadly = {
        "flags": ["awas_candidate"],
        "reasons": "tiga korban jiwa atau lebih (kandidat Level 4, perlu keputusan)",
    }
    return [
        assessed(Level.SIAGA, regency="19.06", at=at(0), report_id="h-01"),
        assessed(Level.SIAGA, regency="19.02", at=at(5), report_id="h-02"),  # province roll-up
        assessed(Level.SIAGA, regency="63.71", at=at(6), report_id="h-03"),  # national roll-up
        assessed(Level.WASPADA, regency="19.06", at=at(20), report_id="h-04"),
        assessed(Level.NORMAL, regency="19.01", category="communal_clash", at=at(100), report_id="h-05"),
        assessed(Level.NORMAL, regency="63.03", category="communal_clash", at=at(101), report_id="h-06"),
        assessed(Level.SIAGA, regency="19.06", at=at(120), report_id="h-07", **deadly),  # a new episode
        assessed(Level.AWAS, regency="19.06", at=at(121), report_id="h-08"),  # escalates
        assessed(Level.AWAS, regency="63.71", at=at(122), report_id="h-09"),
        assessed(Level.NORMAL, regency="19.71", category="communal_clash", at=at(300), report_id="h-10"),
    ]


@asynccontextmanager
async def fresh_processor(stack: Stack, hook: Hook) -> AsyncIterator[tuple[AlertProcessor, asyncpg.Pool]]:
    schema = f"notify_batching_{uuid.uuid4().hex[:10]}"
    pool = await create_pool(
        stack.database_url, min_size=1, max_size=4, server_settings={"search_path": f"{schema},public"}
    )
    await apply_migrations(pool, schema, "waspada_notify")
    config = routing(hook, 1)
    try:
        # Event time only: the wall-clock guard before quiet resolution is for people, not for replays.
        yield AlertProcessor(pool, config, Router(config), {}, resolve_guard=False), pool
    finally:
        await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await pool.close()


async def outcome(pool: asyncpg.Pool) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    alerts = await pool.fetch(
        "SELECT alert_id, audience, coverage, level, version, status FROM alerts ORDER BY 1"
    )
    versions = await pool.fetch(
        "SELECT alert_id, version, event, payload->>'level' FROM alert_versions ORDER BY 1, 2"
    )
    return [tuple(r) for r in alerts], [tuple(r) for r in versions]


Chunker = Callable[[list[RiskAssessed]], Sequence[list[RiskAssessed]]]
CHUNKINGS: dict[str, Chunker] = {
    "one batch": lambda h: [h],
    "one per assessment": lambda h: [[a] for a in h],
    "pairs": lambda h: [h[i : i + 2] for i in range(0, len(h), 2)],
    "uneven": lambda h: [h[:3], h[3:4], h[4:9], h[9:]],
}


async def test_every_batching_of_a_history_gives_the_same_alerts(stack: Stack, hook: Hook) -> None:
    results = {}
    for name, chunks in CHUNKINGS.items():
        async with fresh_processor(stack, hook) as (processor, pool):
            for chunk in chunks(history()):
                await processor.process(chunk, NOW)
            results[name] = await outcome(pool)
    reference_alerts, reference_versions = results["one per assessment"]
    coverages = {row[2] for row in reference_alerts}
    assert coverages == {"region", "province", "national"}  # roll-ups of both kinds took part
    events = {row[2] for row in reference_versions}
    assert {"fired", "resolved", "candidate", "escalated"} <= events  # quiet time, candidates, levels
    for name, got in results.items():
        assert got == results["one per assessment"], name


async def test_simultaneous_siaga_reports_of_one_province_leave_one_mark(stack: Stack, hook: Hook) -> None:
    """Two regencies of a province at siaga at the same instant, in one batch: one national mark."""
    async with fresh_processor(stack, hook) as (processor, pool):
        at = T + timedelta(days=2)
        await processor.process(
            [
                assessed(Level.SIAGA, regency="19.06", at=at, report_id="s-1"),
                assessed(Level.AWAS, regency="19.02", at=at, report_id="s-2"),
            ],
            NOW,
        )
        rows = await pool.fetch("SELECT province, rank FROM marks")
        assert [(r["province"], r["rank"]) for r in rows] == [("19", Level.AWAS.rank)]


async def test_a_partition_not_read_yet_holds_the_national_roll_ups_back(stack: Stack, hook: Hook) -> None:
    """Partition b's older reports arrive after partition a's newer ones: the national roll-up they
    make with a is still raised, at its event time, because b's clock held the settled time back."""
    async with fresh_processor(stack, hook) as (processor, pool):
        owned = ["t:a", "t:b"]
        a = assessed(Level.SIAGA, regency="19.06", at=T + timedelta(hours=10), report_id="p-a")
        b = assessed(Level.SIAGA, regency="63.71", at=T + timedelta(hours=2), report_id="p-b")
        await processor.process([a], NOW, clocks=["t:a"], assigned=owned)
        assert await pool.fetch("SELECT 1 FROM alerts WHERE coverage = 'national'") == []  # b not read
        await processor.process([b], NOW, clocks=["t:b"], assigned=owned)
        assert await pool.fetch("SELECT 1 FROM alerts WHERE coverage = 'national'") == []  # b at T+2h
        later = assessed(Level.NORMAL, regency="63.03", category="communal_clash", at=T + timedelta(hours=12))
        await processor.process([later], NOW, clocks=["t:b"], assigned=owned)  # b's clock passes T+10h
        rows = await pool.fetch("SELECT first_seen, level FROM alerts WHERE coverage = 'national'")
        assert [(r["first_seen"], r["level"]) for r in rows] == [(T + timedelta(hours=10), "siaga")]
