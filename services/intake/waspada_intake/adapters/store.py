"""Durable report storage with its transactional outbox, in set-based statements (asyncpg)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import asyncpg

from waspada_intake.adapters.report_list import COLUMNS, Assessments


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class NewReport:
    report_id: str
    content_hash: str
    province: str
    regency: str
    payload: bytes  # the published JSON (facts without reporter + receipt metadata); also the stored facts
    reporter_enc: bytes | None
    received_at: datetime
    submitted_by: str
    outbox_topic: str


@dataclass(frozen=True, slots=True)
class StoreResult:
    outcome: Outcome
    received_at: datetime  # of this receipt, or of the earlier one for duplicates and conflicts


# One statement, so one round trip and one implicit transaction: the reports and their outbox rows
# are committed together or not at all. Ids already present are skipped (ON CONFLICT) and classified
# by a second query, which also sees rows committed by concurrent submitters after this snapshot.
_INSERT = """
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[],
                         $7::timestamptz[], $8::text[], $9::text[], $10::int[])
        AS t(report_id, content_hash, province, regency, payload, reporter_enc, received_at,
             submitted_by, topic, position)
),
inserted AS (
    INSERT INTO intake.reports
        (report_id, content_hash, province, regency, facts, reporter_enc, received_at, submitted_by)
    SELECT report_id, content_hash, province, regency, payload::json, reporter_enc, received_at,
           submitted_by
    FROM input
    ON CONFLICT (report_id) DO NOTHING
    RETURNING report_id
),
queued AS (
    INSERT INTO intake.outbox (report_id, topic, key, payload)
    SELECT i.report_id, i.topic, i.regency, convert_to(i.payload, 'UTF8')
    FROM input i JOIN inserted USING (report_id)
    ORDER BY i.position  -- outbox ids in submission order: Kafka gets a region's reports as submitted
)
SELECT report_id FROM inserted
"""

_EXISTING = """
SELECT report_id, content_hash, received_at FROM intake.reports WHERE report_id = ANY($1::text[])
"""


class ReportStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.assessments = Assessments(pool)

    async def store(self, reports: list[NewReport]) -> list[StoreResult]:
        """Store reports and their outbox rows atomically; classify every item, in input order.

        Idempotent by `report_id`: an existing id with the same content hash is a duplicate, with
        another hash a conflict. Within one call, a repeated id is judged against its first occurrence.
        """
        first: dict[str, NewReport] = {}
        for r in reports:
            first.setdefault(r.report_id, r)
        position = {report_id: i for i, report_id in enumerate(first)}  # submission order
        # Sorted, so concurrent transactions lock ids in the same order and cannot deadlock; the
        # outbox still follows `position`, the order of submission, which scoring depends on.
        unique = sorted(first.values(), key=lambda r: r.report_id)
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                _INSERT,
                [r.report_id for r in unique],
                [r.content_hash for r in unique],
                [r.province for r in unique],
                [r.regency for r in unique],
                [r.payload.decode() for r in unique],
                [r.reporter_enc for r in unique],
                [r.received_at for r in unique],
                [r.submitted_by for r in unique],
                [r.outbox_topic for r in unique],
                [position[r.report_id] for r in unique],
            )
            inserted = {row["report_id"] for row in rows}
            existing: dict[str, asyncpg.Record] = {}
            missing = [r.report_id for r in unique if r.report_id not in inserted]
            if missing:
                existing = {row["report_id"]: row for row in await conn.fetch(_EXISTING, missing)}
        results: list[StoreResult] = []
        seen: set[str] = set()
        for r in reports:
            if r.report_id in inserted and r.report_id not in seen:
                seen.add(r.report_id)
                results.append(StoreResult(Outcome.ACCEPTED, r.received_at))
                continue
            if r.report_id in existing:
                earlier_hash = existing[r.report_id]["content_hash"]
                earlier_at = existing[r.report_id]["received_at"]
            else:  # repeated inside this call
                earlier_hash, earlier_at = first[r.report_id].content_hash, first[r.report_id].received_at
            same = earlier_hash == r.content_hash
            results.append(StoreResult(Outcome.DUPLICATE if same else Outcome.CONFLICT, earlier_at))
        return results

    async def get(self, report_id: str) -> asyncpg.Record | None:
        """The stored report (without reporter) and its processing state."""
        return await self.pool.fetchrow(
            f"SELECT {COLUMNS} FROM {await self.assessments.source()} WHERE r.report_id = $1", report_id
        )

    async def outbox_backlog(self) -> int:
        return int(await self.pool.fetchval("SELECT count(*) FROM intake.outbox"))

    async def get_reporter(self, report_id: str) -> tuple[str, bytes | None] | None:
        row = await self.pool.fetchrow(
            "SELECT province, reporter_enc FROM intake.reports WHERE report_id = $1", report_id
        )
        return (row["province"], row["reporter_enc"]) if row else None

    async def record_rejections(
        self,
        rows: list[tuple[str | None, str]],
        *,
        door: str = "kafka",
        sources: list[str | None] | None = None,
    ) -> None:
        """Count rejections (province as submitted, reason) for the reporting-performance figures.

        `sources` (topic:partition:offset for Kafka records) makes a redelivered record count once.
        """
        if not rows:
            return
        await self.pool.execute(
            "INSERT INTO intake.rejections (province, reason, door, source)"
            " SELECT p, r, $3, s FROM unnest($1::text[], $2::text[], $4::text[]) AS t(p, r, s)"
            " ON CONFLICT (source) WHERE source IS NOT NULL DO NOTHING",
            [r[0] for r in rows],
            [r[1] for r in rows],
            door,
            sources if sources is not None else [None] * len(rows),
        )
