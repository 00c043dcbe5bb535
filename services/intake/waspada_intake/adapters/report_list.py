"""Read side of `GET /v1/reports` and `GET /v1/reports/{id}/explanation`: reports listed newest first,
with their processing state and, once assessed, the assessment's factors.

Kept apart from `store.py` (the write side). The assessment is read from scoring's own record,
`scoring.assessments` in the same database (read-only): intake used to keep a copy read back from
`risk.assessed.v1`, a consumer, a Kafka read and an insert per report for a page read now and then
(docs/benchmarks.md). It couples intake to that table the way notify's summary reads intake's; a
split deployment would read scoring's events into a table of its own again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from waspada_shared.logging import get_logger

log = get_logger(__name__)

# A report's state, derived on read (nothing rewrites the report row): assessed once scoring has
# stored its assessment, published once its outbox row is gone, accepted before that.
STATE = """CASE WHEN a.report_id IS NOT NULL THEN 'assessed'
            WHEN EXISTS (SELECT 1 FROM intake.outbox o WHERE o.report_id = r.report_id) THEN 'accepted'
            ELSE 'published' END"""

COLUMNS = f"""r.report_id, r.province, r.regency, r.facts, r.received_at, r.submitted_by,
       {STATE} AS state, a.score, a.level, a.model_version, a.assessed_at"""

# The reports with their assessments (`r` and `a`).
FROM = "intake.reports r LEFT JOIN scoring.assessments a USING (report_id)"
# Before scoring has created its table (a fresh database, scoring not started yet): nothing assessed.
FROM_UNSCORED = """intake.reports r LEFT JOIN (
    SELECT NULL::text AS report_id, NULL::real AS score, NULL::text AS level, NULL::text AS model_version,
           NULL::timestamptz AS assessed_at WHERE false) a USING (report_id)"""


class Assessments:
    """Where one database's report assessments are read: scoring's table, once scoring has created it.

    Kept per pool rather than per process: once the table exists it stays, so it is asked until then.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._ready = False

    async def ready(self) -> bool:
        if not self._ready:
            self._ready = bool(
                await self.pool.fetchval("SELECT to_regclass('scoring.assessments') IS NOT NULL")
            )
        return self._ready

    async def source(self) -> str:
        """The FROM clause of reports with their assessments."""
        return FROM if await self.ready() else FROM_UNSCORED


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """What to list. `province` None means every province (national and admin keys only)."""

    province: str | None = None
    regency: str | None = None
    since: datetime | None = None
    before: datetime | None = None
    state: str | None = None
    limit: int = 50


def list_query(f: ReportFilter, source: str = FROM) -> tuple[str, list[object]]:
    """The SQL and arguments of one page of reports, newest receipt first."""
    args: list[object] = []
    clauses: list[str] = []
    for column, value in (("r.province", f.province), ("r.regency", f.regency)):
        if value is not None:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    if f.since is not None:
        args.append(f.since)
        clauses.append(f"r.received_at >= ${len(args)}")
    if f.before is not None:
        args.append(f.before)
        clauses.append(f"r.received_at < ${len(args)}")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    args.append(f.limit)
    sql = (
        f"SELECT {COLUMNS} FROM {source} {where} ORDER BY r.received_at DESC, r.report_id LIMIT ${len(args)}"
    )
    if f.state is not None:  # derived column: filter on the outside
        args.append(f.state)
        sql = (
            f"SELECT * FROM (SELECT {COLUMNS} FROM {source} {where}) x WHERE x.state = ${len(args)}"
            f" ORDER BY x.received_at DESC, x.report_id LIMIT ${len(args) - 1}"
        )
    return sql, args


class ReportReader:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.assessments = Assessments(pool)

    async def page(self, f: ReportFilter) -> list[asyncpg.Record]:
        sql, args = list_query(f, await self.assessments.source())
        return list(await self.pool.fetch(sql, *args))

    async def activity(self, province: str | None, since: datetime) -> list[asyncpg.Record]:
        """Per regency: reports received since `since` and the latest receipt (regencies with none absent)."""
        return list(
            await self.pool.fetch(
                "SELECT province, regency, count(*) AS reports, max(received_at) AS last_received_at"
                " FROM intake.reports WHERE received_at >= $1 AND ($2::text IS NULL OR province = $2)"
                " GROUP BY province, regency ORDER BY regency",
                since,
                province,
            )
        )

    async def factors(self, report_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The assessment factors of these reports (those assessed)."""
        if not report_ids or not await self.assessments.ready():
            return {}
        # The event as published (rows of the walking skeleton kept a jsonb payload instead).
        rows = await self.pool.fetch(
            "SELECT report_id, coalesce(event, convert_to(payload::text, 'UTF8')) AS e"
            " FROM scoring.assessments WHERE report_id = ANY($1::text[])",
            report_ids,
        )
        out: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            value = orjson.loads(row["e"]).get("factors")
            if isinstance(value, list):
                out[row["report_id"]] = [v for v in value if isinstance(v, dict)]
        return out
