"""Reporting performance per province (SPEC §4), the data behind Kemendagri's ranking of provinces.

Report counts, reporting regencies, delays and rejections are read directly from intake's tables
(`intake.reports`, `intake.rejections`) in the same database. That couples notify to intake's schema;
it is acceptable for now (one database, read-only, off the hot path) and would become a consumer of
`reports.accepted.v1` / `reports.rejected.v1` keeping its own counts if the services were split.
Alert figures come from notify's own tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg

from waspada_notify.adapters.store import Conn
from waspada_shared.logging import get_logger

log = get_logger(__name__)


@dataclass
class ProvinceFigures:
    reports_24h: int = 0
    reports_7d: int = 0
    reports_period: int = 0
    regencies_reporting: int = 0
    median_delay_seconds: float | None = None
    rejected: int = 0
    alerts_by_level: dict[str, int] = field(default_factory=dict)
    alerts_by_category: dict[str, int] = field(default_factory=dict)
    ack_required: int = 0
    acked_in_time: int = 0


async def figures(
    conn: Conn, intake_schema: str, province: str | None, now: datetime, period: timedelta
) -> tuple[dict[str, ProvinceFigures], bool]:
    """Figures per province (one province, or all when None); second value: intake's tables were readable."""
    since = now - period
    out: dict[str, ProvinceFigures] = {}

    def of(code: str) -> ProvinceFigures:
        return out.setdefault(code, ProvinceFigures())

    schema = '"' + intake_schema.replace('"', "") + '"'
    intake_ok = True
    try:
        rows = await conn.fetch(
            f"""
            SELECT province,
                count(*) FILTER (WHERE received_at >= $1::timestamptz - interval '1 day') AS r24,
                count(*) FILTER (WHERE received_at >= $1::timestamptz - interval '7 days') AS r7,
                count(*) FILTER (WHERE received_at >= $2) AS rp,
                count(DISTINCT regency) FILTER (WHERE received_at >= $2) AS regencies,
                percentile_cont(0.5) WITHIN GROUP (
                    ORDER BY extract(epoch FROM received_at - (facts->>'occurred_at')::timestamptz)
                ) FILTER (WHERE received_at >= $2) AS median_delay
            FROM {schema}.reports
            WHERE received_at >= least($2::timestamptz, $1::timestamptz - interval '7 days') AND received_at <= $1
              AND ($3::text IS NULL OR province = $3)
            GROUP BY province
            """,
            now,
            since,
            province,
        )
        for r in rows:
            f = of(r["province"])
            f.reports_24h, f.reports_7d, f.reports_period = r["r24"], r["r7"], r["rp"]
            f.regencies_reporting = r["regencies"]
            f.median_delay_seconds = float(r["median_delay"]) if r["median_delay"] is not None else None
        rows = await conn.fetch(
            f"""
            SELECT province, count(*) AS n FROM {schema}.rejections
            WHERE received_at >= $1 AND received_at <= $2 AND province IS NOT NULL
              AND ($3::text IS NULL OR province = $3)
            GROUP BY province
            """,
            since,
            now,
            province,
        )
        for r in rows:
            of(r["province"]).rejected = r["n"]
    except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError) as exc:
        intake_ok = False
        log.warning("intake tables not readable; summary without report figures", error=str(exc))

    rows = await conn.fetch(
        """
        SELECT province, level, category, count(*) AS n FROM alerts
        WHERE status = 'firing' AND province <> '00' AND ($1::text IS NULL OR province = $1)
        GROUP BY province, level, category
        """,
        province,
    )
    for r in rows:
        f = of(r["province"])
        f.alerts_by_level[r["level"]] = f.alerts_by_level.get(r["level"], 0) + r["n"]
        f.alerts_by_category[r["category"]] = f.alerts_by_category.get(r["category"], 0) + r["n"]
    rows = await conn.fetch(
        """
        SELECT a.province,
            count(*) AS required,
            count(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM acks k WHERE k.alert_id = a.alert_id AND k.in_time)) AS in_time
        FROM alerts a
        WHERE a.created_at >= $1 AND (a.state->>'ack_required')::boolean AND a.province <> '00'
          AND ($2::text IS NULL OR a.province = $2)
        GROUP BY a.province
        """,
        since,
        province,
    )
    for r in rows:
        f = of(r["province"])
        f.ack_required, f.acked_in_time = r["required"], r["in_time"]
    return out, intake_ok
