"""Durable report storage with its transactional outbox, in set-based statements (asyncpg)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import asyncpg
from waspada_shared import jsonutil


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
    facts: dict[str, Any]
    reporter_enc: bytes | None
    received_at: datetime
    submitted_by: str
    outbox_topic: str
    outbox_payload: bytes


@dataclass(frozen=True, slots=True)
class StoreResult:
    outcome: Outcome
    received_at: datetime  # of this receipt, or of the earlier one for duplicates and conflicts


_INSERT = """
INSERT INTO intake.reports
    (report_id, content_hash, province, regency, facts, reporter_enc, received_at, submitted_by)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::bytea[],
                     $7::timestamptz[], $8::text[])
ON CONFLICT (report_id) DO NOTHING
RETURNING report_id
"""

_OUTBOX = """
INSERT INTO intake.outbox (report_id, topic, key, payload)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[])
"""


class ReportStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def store(self, reports: list[NewReport]) -> list[StoreResult]:
        """Store reports and their outbox rows in one transaction; classify every item.

        Idempotent by `report_id`: an existing id with the same content hash is a duplicate, with
        another hash a conflict. Within one call, a repeated id is judged against its first occurrence.
        """
        first: dict[str, NewReport] = {}
        for r in reports:
            first.setdefault(r.report_id, r)
        unique = list(first.values())
        async with self.pool.acquire() as conn, conn.transaction():
            inserted_rows = await conn.fetch(
                _INSERT,
                [r.report_id for r in unique],
                [r.content_hash for r in unique],
                [r.province for r in unique],
                [r.regency for r in unique],
                [r.facts for r in unique],
                [r.reporter_enc for r in unique],
                [r.received_at for r in unique],
                [r.submitted_by for r in unique],
            )
            inserted = {row["report_id"] for row in inserted_rows}
            new = [r for r in unique if r.report_id in inserted]
            if new:
                await conn.execute(
                    _OUTBOX,
                    [r.report_id for r in new],
                    [r.outbox_topic for r in new],
                    [r.regency for r in new],
                    [r.outbox_payload for r in new],
                )
            existing: dict[str, asyncpg.Record] = {}
            missing = [r.report_id for r in unique if r.report_id not in inserted]
            if missing:
                rows = await conn.fetch(
                    "SELECT report_id, content_hash, received_at FROM intake.reports"
                    " WHERE report_id = ANY($1::text[])",
                    missing,
                )
                existing = {row["report_id"]: row for row in rows}
        results: list[StoreResult] = []
        seen: set[str] = set()
        for r in reports:
            if r.report_id in inserted and r.report_id not in seen:
                seen.add(r.report_id)
                results.append(StoreResult(Outcome.ACCEPTED, r.received_at))
                continue
            if r.report_id in existing:
                earlier_hash, earlier_at = (
                    existing[r.report_id]["content_hash"],
                    existing[r.report_id]["received_at"],
                )
            else:  # repeated inside this call
                earlier_hash, earlier_at = first[r.report_id].content_hash, first[r.report_id].received_at
            same = earlier_hash == r.content_hash
            results.append(StoreResult(Outcome.DUPLICATE if same else Outcome.CONFLICT, earlier_at))
        return results

    async def get(self, report_id: str) -> asyncpg.Record | None:
        return await self.pool.fetchrow(
            "SELECT report_id, province, regency, facts, received_at, submitted_by, state, score, level,"
            " model_version, assessed_at FROM intake.reports WHERE report_id = $1",
            report_id,
        )

    async def get_reporter(self, report_id: str) -> tuple[str, bytes | None] | None:
        row = await self.pool.fetchrow(
            "SELECT province, reporter_enc FROM intake.reports WHERE report_id = $1", report_id
        )
        return (row["province"], row["reporter_enc"]) if row else None

    async def mark_assessed(self, rows: list[tuple[str, float, str, str, datetime]]) -> None:
        """Record assessments read back from `risk.assessed.v1` (idempotent)."""
        if not rows:
            return
        await self.pool.execute(
            """
            UPDATE intake.reports r SET state = 'assessed', score = a.score, level = a.level,
                   model_version = a.model_version, assessed_at = a.assessed_at
            FROM unnest($1::text[], $2::real[], $3::text[], $4::text[], $5::timestamptz[])
                 AS a(report_id, score, level, model_version, assessed_at)
            WHERE r.report_id = a.report_id
            """,
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
            [r[3] for r in rows],
            [r[4] for r in rows],
        )

    async def record_rejections(self, rows: list[tuple[str | None, str]]) -> None:
        if rows:
            await self.pool.execute(
                "INSERT INTO intake.rejections (province, reason) SELECT * FROM unnest($1::text[], $2::text[])",
                [r[0] for r in rows],
                [r[1] for r in rows],
            )


def encode_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy of the facts for the jsonb column."""
    return jsonutil.loads(jsonutil.dumps(facts))  # type: ignore[no-any-return]
