"""SQL for notify's tables. Names are unqualified: the pool's search_path selects the schema.

Everything a transaction needs is read in a few set-based statements and written back the same way
(unnest arrays), so a batch costs a handful of round trips whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from waspada_notify.domain.config import InhibitRule
from waspada_notify.domain.dedup import Planned
from waspada_notify.domain.lifecycle import Mark, Version
from waspada_notify.domain.matchers import Matcher, Op
from waspada_notify.domain.model import AlertLabels, AlertRecord, GroupState
from waspada_notify.domain.muting import Silence
from waspada_shared.contracts.alert import Alert, CandidateStatus, Coverage
from waspada_shared.contracts.report import Category
from waspada_shared.jsonutil import json_param
from waspada_shared.levels import Level

# Serialises writers of groups and alerts (consumer batches, the sweep, acknowledgements): roll-ups
# read groups they do not change, so row locks alone would not keep two writers consistent.
# Advisory locks are per database: the key includes the schema, so notify instances on other
# schemas of the same database (tests, benchmarks) do not wait for each other.
LOCK_CLASS = 0x574E  # "WN"

Conn = asyncpg.Connection | PoolConnectionProxy  # a connection, or one acquired from the pool


def record_of(row: asyncpg.Record) -> AlertRecord:
    if row["state"] is not None:
        return AlertRecord.model_validate(row["state"])
    return AlertRecord.from_alert(Alert.model_validate(row["payload"]))  # a walking-skeleton alert


async def lock(conn: Conn) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", LOCK_CLASS)


async def begin_batch(
    conn: Conn, seen: datetime, report_ids: Sequence[str], keys: Sequence[str]
) -> tuple[datetime, set[str], dict[str, str]]:
    """Bump the watermark, mark the reports applied (returning those not applied before) and read
    the levels of their groups, in one statement."""
    row = await conn.fetchrow(
        """
        WITH w AS (
            INSERT INTO watermark (id, event_time) VALUES (1, $1) ON CONFLICT (id) DO UPDATE
            SET event_time = GREATEST(watermark.event_time, excluded.event_time) RETURNING event_time
        ), f AS (
            INSERT INTO processed (report_id) SELECT unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING report_id
        )
        SELECT (SELECT event_time FROM w) AS t,
               ARRAY(SELECT report_id FROM f) AS fresh,
               ARRAY(SELECT key FROM groups WHERE key = ANY($3::text[]) AND level <> 'normal') AS hot
        """,
        seen,
        list(report_ids),
        list(keys),
    )
    assert row is not None
    return row["t"], set(row["fresh"]), {k: "raised" for k in row["hot"]}


async def watermark(conn: Conn) -> datetime | None:
    value = await conn.fetchval("SELECT event_time FROM watermark WHERE id = 1")
    return value if isinstance(value, datetime) else None


GROUP_COLUMNS = (
    "key, coverage, province, regency, category, level, score, last_assessed_at, last_report_id,"
    " reached_waspada, reached_siaga, reached_awas, clock, candidate, candidate_report"
)
_REACHED = ((Level.WASPADA, "reached_waspada"), (Level.SIAGA, "reached_siaga"), (Level.AWAS, "reached_awas"))


def group_of(row: asyncpg.Record) -> GroupState:
    return GroupState(
        key=row["key"],
        coverage=Coverage(row["coverage"]),
        province=row["province"],
        regency=row["regency"],
        category=Category(row["category"]),
        level=Level(row["level"]),
        score=row["score"],
        last_assessed_at=row["last_assessed_at"],
        last_report_id=row["last_report_id"],
        reached={level: row[col] for level, col in _REACHED if row[col] is not None},
        clock=row["clock"],
        candidate=CandidateStatus(row["candidate"]) if row["candidate"] else None,
        candidate_report=row["candidate_report"],
    )


async def load_groups(
    conn: Conn,
    keys: Sequence[str],
    categories: Sequence[str],
    since: datetime,
    clocks: Sequence[str] = (),
    quiet_before: datetime | None = None,
    *,
    pairs: Sequence[tuple[str, str]] | None = None,
) -> list[GroupState]:
    """The given groups, plus the region groups of these categories a roll-up may count (those at
    waspada or above since `since`, event time), plus, on these clocks, the province roll-ups and the
    region groups whose last qualifying report is older than `quiet_before` and that are still raised or
    firing (they may resolve as the clocks move; one resolved already has nothing left to resolve, and
    loading every group that ever was raised made each batch slower with every day of history).

    With `pairs` of (province, category) instead of `categories`, only the members of those province
    roll-ups: a batch re-evaluates province roll-ups only, and loading every province's groups of a
    category made each batch's cost grow with the number of raised groups in the country.
    """
    members = "category = ANY($2::text[])"
    extra: tuple[list[str], ...] = ()
    if pairs is not None:
        categories = [c for _, c in pairs]
        members = "(province, category) IN (SELECT * FROM unnest($6::text[], $2::text[]))"
        extra = ([p for p, _ in pairs],)
    rows = await conn.fetch(
        f"SELECT {GROUP_COLUMNS} FROM groups WHERE key = ANY($1::text[])"
        f" OR ({members} AND coverage = 'region' AND last_qualifying_at >= $3)"
        " OR (clock = ANY($4::text[]) AND ((coverage = 'province' AND level <> 'normal')"
        "     OR (coverage = 'region' AND last_qualifying_at < $5 AND (level <> 'normal'"
        "         OR key IN (SELECT group_key FROM alerts WHERE status = 'firing')))))",
        list(keys),
        list(categories),
        since,
        list(clocks),
        quiet_before,
        *extra,
    )
    return [group_of(r) for r in rows]


NOT_STARTED = datetime(1900, 1, 1, tzinfo=UTC)  # the clock of a partition that has had no assessment yet


async def move_clocks(
    conn: Conn, clocks: dict[str, datetime], assigned: Sequence[str]
) -> dict[str, datetime]:
    """Move these clocks forward (never back), register the `assigned` ones not read from yet, and
    return the times the moved ones had before: one round trip. A registered clock is a partition this
    consumer owns but has not read from: until it has, it holds the settled time back (in a replay, its
    reports may be older than the others').

    Every part of the statement sees the clocks as they were before it (one snapshot), which is what
    the returned times mean; a clock moved here is not also registered (a key written twice by one
    statement is an error), and moving a clock that did not exist sets it as registering it first would.
    """
    keys = sorted(clocks)
    register = sorted(set(assigned) - set(keys))
    rows = await conn.fetch(
        """
        WITH registered AS (
            INSERT INTO clocks (key, event_time) SELECT k, $4 FROM unnest($3::text[]) AS t(k)
            ON CONFLICT (key) DO NOTHING
        ), moved AS (
            INSERT INTO clocks (key, event_time) SELECT * FROM unnest($1::text[], $2::timestamptz[])
            ON CONFLICT (key) DO UPDATE SET event_time = GREATEST(clocks.event_time, excluded.event_time)
        )
        SELECT key, event_time FROM clocks WHERE key = ANY($1::text[])
        """,
        keys,
        [clocks[k] for k in keys],
        register,
        NOT_STARTED,
    )
    return {r["key"]: r["event_time"] for r in rows}


async def load_marks(
    conn: Conn, categories: Sequence[str], since: datetime, until: datetime
) -> dict[Category, list[Mark]]:
    """National roll-up marks of these categories between `since` and `until` (event time)."""
    rows = await conn.fetch(
        "SELECT category, province, at, rank FROM marks WHERE category = ANY($1::text[]) AND at >= $2"
        " AND at <= $3 ORDER BY at, province",
        list(categories),
        since,
        until,
    )
    return _marks_by_category(categories, rows)


def _marks_by_category(
    categories: Iterable[str], rows: Iterable[asyncpg.Record]
) -> dict[Category, list[Mark]]:
    """Every one of `categories` (in their order), with the marks of `rows` in theirs."""
    out: dict[Category, list[Mark]] = {Category(c): [] for c in categories}
    for r in rows:
        out[Category(r["category"])].append(Mark(r["at"], r["province"], r["rank"]))
    return out


async def save_marks(conn: Conn, new: Sequence[tuple[Category, Mark]]) -> None:
    strongest: dict[tuple[Category, datetime, str], int] = {}  # one row per key in one statement
    for c, m in new:
        key = (c, m.at, m.province)
        strongest[key] = max(m.rank, strongest.get(key, 0))
    if not strongest:
        return
    marks = [(c, Mark(at, province, rank)) for (c, at, province), rank in strongest.items()]
    await conn.execute(
        "INSERT INTO marks (category, province, at, rank)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::smallint[])"
        " ON CONFLICT (category, at, province) DO UPDATE SET rank = GREATEST(marks.rank, excluded.rank)",
        [c.value for c, _ in marks],
        [m.province for _, m in marks],
        [m.at for _, m in marks],
        [m.rank for _, m in marks],
    )


async def settled_national(conn: Conn, settled_to: datetime, forget_before: datetime) -> None:
    """Record how far the national roll-ups are settled (never back) and forget the marks older than
    every window that could still count them."""
    await conn.execute(
        "WITH progress AS (INSERT INTO national_progress (id, settled_to) VALUES (1, $1)"
        " ON CONFLICT (id) DO UPDATE SET settled_to = GREATEST(national_progress.settled_to, excluded.settled_to))"
        " DELETE FROM marks WHERE at < $2",
        settled_to,
        forget_before,
    )


async def national_marks(conn: Conn, since: datetime, until: datetime) -> dict[Category, list[Mark]]:
    """The marks from `since` to `until` of every category with a mark after `since` or a raised
    national roll-up (those without a mark in the stretch get an empty list)."""
    rows = await conn.fetch(
        """
        WITH categories AS (
            SELECT category FROM marks WHERE at > $1 AND at <= $2
            UNION SELECT category FROM groups WHERE coverage = 'national' AND level <> 'normal'
        )
        SELECT c.category, m.province, m.at, m.rank
        FROM categories c LEFT JOIN marks m ON m.category = c.category AND m.at >= $1 AND m.at <= $2
        ORDER BY m.at, m.province
        """,
        since,
        until,
    )
    # A category without a mark in the stretch comes as one row without a mark (the outer join).
    return _marks_by_category(sorted({r["category"] for r in rows}), [r for r in rows if r["at"] is not None])


async def clocks_and_progress(conn: Conn) -> tuple[dict[str, datetime], datetime | None]:
    """Every clock's time and how far the national roll-ups are settled, in one round trip."""
    rows = await conn.fetch(
        "SELECT key, event_time FROM clocks"
        " UNION ALL SELECT NULL, settled_to FROM national_progress WHERE id = 1"
    )
    clocks = {r["key"]: r["event_time"] for r in rows if r["key"] is not None}
    done = next((r["event_time"] for r in rows if r["key"] is None), None)
    return clocks, done


async def forget_old(conn: Conn, processed_before: datetime, deliveries_before: datetime) -> tuple[int, int]:
    """Retention: `processed` ids older than the replay horizon, and the delivery records (attempts and
    finished deliveries) of alerts resolved before the delivery-log retention. Returns the counts."""
    processed = await conn.fetchval(
        "WITH d AS (DELETE FROM processed WHERE processed_at < $1 RETURNING 1) SELECT count(*) FROM d",
        processed_before,
    )
    old_alerts = "SELECT alert_id FROM alerts WHERE status = 'resolved' AND resolved_at < $1"
    attempts = await conn.fetchval(
        f"WITH d AS (DELETE FROM delivery_attempts WHERE alert_id IN ({old_alerts}) RETURNING 1)"
        " SELECT count(*) FROM d",
        deliveries_before,
    )
    await conn.execute(
        f"DELETE FROM deliveries WHERE alert_id IN ({old_alerts}) AND status NOT IN ('pending', 'sending')",
        deliveries_before,
    )
    return int(processed or 0), int(attempts or 0)


async def clock_times(conn: Conn) -> dict[str, datetime]:
    return {r["key"]: r["event_time"] for r in await conn.fetch("SELECT key, event_time FROM clocks")}


async def recorded_decisions(conn: Conn, keys: Sequence[str]) -> list[asyncpg.Record]:
    """Decisions recorded for candidates of these groups (a replay applies them again)."""
    return list(
        await conn.fetch(
            "SELECT group_key, report_id, decision, decided_by, reason, decided_at FROM decisions"
            " WHERE group_key = ANY($1::text[])",
            list(keys),
        )
    )


async def firing_alerts(conn: Conn, keys: Sequence[str]) -> list[AlertRecord]:
    """Full records of the firing alerts of these groups (every audience)."""
    rows = await conn.fetch(
        # The payload only where there is no state (an alert from before states were kept).
        "SELECT state, CASE WHEN state IS NULL THEN payload END AS payload FROM alerts"
        " WHERE status = 'firing' AND group_key = ANY($1::text[])",
        list(keys),
    )
    return [record_of(r) for r in rows]


_LABEL_SQL = {
    "audience": "audience",
    "coverage": "coverage",
    "province": "province",
    "regency": "coalesce(regency, '')",
    "category": "category",
    "level": "level",
    "escalation": "''",
}


def _matcher_sql(m: Matcher, args: list[object]) -> str:
    """A SQL condition true for every row the matcher matches (a superset for regular expressions,
    which are left to Python: PostgreSQL's dialect differs in corners)."""
    column = _LABEL_SQL[m.name]
    if m.name == "level":
        args.append([lv.value for lv in Level if m.matches({"level": lv.value})])
        return f"{column} = ANY(${len(args)}::text[])"
    if m.op is Op.EQ:
        args.append(m.value)
        return f"{column} = ${len(args)}"
    if m.op is Op.NE:
        args.append(m.value)
        return f"{column} <> ${len(args)}"
    return "TRUE"


async def firing_labels(
    conn: Conn, categories: Sequence[str], rules: Sequence[InhibitRule]
) -> list[AlertLabels]:
    """Labels of the firing alerts of these categories that can inhibit others (inhibit rules compare
    within a category); the source matchers of the rules select them in SQL."""
    if not rules:
        return []
    args: list[object] = [list(categories)]
    sources = " OR ".join(
        "(" + " AND ".join(_matcher_sql(m, args) for m in rule.source_matchers) + ")" for rule in rules
    )
    rows = await conn.fetch(
        "SELECT alert_id, audience, coverage, province, regency, category, level FROM alerts"
        f" WHERE status = 'firing' AND category = ANY($1::text[]) AND ({sources})",
        *args,
    )
    return [
        AlertLabels(
            r["alert_id"],
            Level(r["level"]),
            (
                ("audience", r["audience"]),
                ("coverage", r["coverage"]),
                ("province", r["province"]),
                ("regency", r["regency"] or ""),
                ("category", r["category"]),
                ("level", r["level"]),
                ("escalation", ""),
            ),
        )
        for r in rows
    ]


async def alert_record(conn: Conn, alert_id: str) -> AlertRecord | None:
    row = await conn.fetchrow("SELECT state, payload FROM alerts WHERE alert_id = $1", alert_id)
    return record_of(row) if row else None


def silence_of(row: asyncpg.Record) -> Silence:
    return Silence(
        silence_id=row["silence_id"],
        matchers=tuple(Matcher.parse(m) for m in row["matchers"]),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        created_by=row["created_by"],
        comment=row["comment"],
    )


async def active_silences(conn: Conn, now: datetime) -> list[Silence]:
    rows = await conn.fetch(
        "SELECT * FROM silences WHERE starts_at <= $1 AND ends_at > $1 ORDER BY created_at", now
    )
    return [silence_of(r) for r in rows]


async def save(
    conn: Conn,
    groups: Iterable[GroupState],
    records: Sequence[AlertRecord],
    versions: Sequence[Version],
    planned: Sequence[Planned],
    unmuted: Sequence[AlertRecord] = (),
    now: datetime | None = None,
) -> None:
    groups = list(groups)
    if groups:
        await conn.execute(
            """
            INSERT INTO groups (key, coverage, province, regency, category, level, last_qualifying_at, score,
                                last_assessed_at, last_report_id, reached_waspada, reached_siaga, reached_awas,
                                clock, candidate, candidate_report, updated_at)
            SELECT k, c, p, r, cat, l, q, sc, la, lr, rw, rs, ra, ck, cd, cr, now()
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                        $7::timestamptz[], $8::real[], $9::timestamptz[], $10::text[], $11::timestamptz[],
                        $12::timestamptz[], $13::timestamptz[], $14::text[], $15::text[], $16::text[])
                 AS t(k, c, p, r, cat, l, q, sc, la, lr, rw, rs, ra, ck, cd, cr)
            ON CONFLICT (key) DO UPDATE SET level = excluded.level, last_qualifying_at = excluded.last_qualifying_at,
                score = excluded.score, last_assessed_at = excluded.last_assessed_at,
                last_report_id = excluded.last_report_id, reached_waspada = excluded.reached_waspada,
                reached_siaga = excluded.reached_siaga, reached_awas = excluded.reached_awas,
                clock = coalesce(excluded.clock, groups.clock), candidate = excluded.candidate,
                candidate_report = excluded.candidate_report, updated_at = now()
            """,
            [g.key for g in groups],
            [g.coverage.value for g in groups],
            [g.province for g in groups],
            [g.regency for g in groups],
            [g.category.value for g in groups],
            [g.level.value for g in groups],
            [g.last_qualifying_at for g in groups],
            [g.score for g in groups],
            [g.last_assessed_at for g in groups],
            [g.last_report_id for g in groups],
            *([g.reached.get(level) for g in groups] for level, _ in _REACHED),
            [g.clock for g in groups],
            [g.candidate.value if g.candidate else None for g in groups],
            [g.candidate_report for g in groups],
        )
    all_records = {r.alert_id: r for r in [*records, *unmuted]}
    rows = sorted(all_records.values(), key=lambda r: (r.firing, r.alert_id))  # closures first
    if rows:
        await conn.execute(
            """
            INSERT INTO alerts (alert_id, group_key, audience, coverage, province, provinces, regency, category,
                                level, status, version, first_seen, updated_at, payload, state, created_at,
                                resolved_at, last_report_at, ack_deadline, acknowledged_at, repeat_due_at, muted_by,
                                expires_at, candidate_status, remind_at)
            SELECT a, g, au, cov, p, string_to_array(ps, ','), r, cat, l, st, v, fs, ua, pl, s, ca, ra, lr, ad, aa, rd, mb, ex,
                   cs, rm
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                        $8::text[], $9::text[], $10::text[], $11::int[], $12::timestamptz[], $13::timestamptz[],
                        $14::json[], $15::json[], $16::timestamptz[], $17::timestamptz[], $18::timestamptz[],
                        $19::timestamptz[], $20::timestamptz[], $21::timestamptz[], $22::text[], $23::timestamptz[],
                        $24::text[], $25::timestamptz[])
                 WITH ORDINALITY AS t(a, g, au, cov, p, ps, r, cat, l, st, v, fs, ua, pl, s, ca, ra, lr, ad, aa, rd, mb, ex,
                                      cs, rm, n)
            ORDER BY n
            ON CONFLICT (alert_id) DO UPDATE SET level = excluded.level, status = excluded.status,
                version = excluded.version, updated_at = excluded.updated_at, payload = excluded.payload,
                state = excluded.state, provinces = excluded.provinces, resolved_at = excluded.resolved_at,
                last_report_at = excluded.last_report_at, ack_deadline = excluded.ack_deadline,
                acknowledged_at = excluded.acknowledged_at, repeat_due_at = excluded.repeat_due_at,
                muted_by = excluded.muted_by, expires_at = excluded.expires_at,
                candidate_status = excluded.candidate_status, remind_at = excluded.remind_at
            """,
            [r.alert_id for r in rows],
            [r.group_key for r in rows],
            [r.audience.value for r in rows],
            [r.coverage.value for r in rows],
            [r.province for r in rows],
            [",".join(r.provinces) for r in rows],
            [r.regency for r in rows],
            [r.category.value for r in rows],
            [r.level.value for r in rows],
            [r.status.value for r in rows],
            [max(1, r.version) for r in rows],
            [r.first_seen for r in rows],
            [r.updated_at for r in rows],
            [json_param(r.to_alert()) for r in rows],
            [json_param(r) for r in rows],
            [r.created_at for r in rows],
            [r.resolved_at for r in rows],
            [r.last_report_at for r in rows],
            [r.ack_deadline for r in rows],
            [r.acknowledged_at for r in rows],
            [r.repeat_due() if r.firing else None for r in rows],
            [r.muted_by for r in rows],
            [r.expires_at if r.firing else None for r in rows],
            [r.candidate.status.value if r.candidate else None for r in rows],
            [r.candidate.remind_at if r.candidate and r.firing else None for r in rows],
        )
    if versions:
        await conn.execute(
            """
            INSERT INTO alert_versions (alert_id, version, event, payload, created_at)
            SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::json[], $5::timestamptz[])
            ON CONFLICT DO NOTHING
            """,
            [v.alert.alert_id for v in versions],
            [v.alert.version for v in versions],
            [v.event.value for v in versions],
            [json_param(v.alert) for v in versions],
            [v.alert.updated_at for v in versions],
        )
        # Older versions not yet attempted are superseded: receivers get the newest state once.
        await conn.execute(
            """
            UPDATE deliveries d SET status = 'superseded'
            FROM unnest($1::text[], $2::int[]) AS v(alert_id, version)
            WHERE d.alert_id = v.alert_id AND d.version < v.version AND d.status IN ('pending', 'suppressed')
              AND d.channel <> 'kafka'
            """,
            [v.alert.alert_id for v in versions],
            [v.alert.version for v in versions],
        )
    if planned:
        await conn.execute(
            """
            INSERT INTO deliveries (alert_id, version, receiver, channel, target, status, next_attempt, payload,
                                    received_at, reason)
            SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[],
                                 $7::timestamptz[], $8::json[], $9::timestamptz[], $10::text[])
            ON CONFLICT DO NOTHING
            """,
            [p.alert_id for p in planned],
            [p.version for p in planned],
            [p.receiver for p in planned],
            [p.channel for p in planned],
            [p.target for p in planned],
            [p.status for p in planned],
            [p.next_attempt for p in planned],
            [json_param(p.payload) for p in planned],
            [p.received_at for p in planned],
            [p.reason for p in planned],
        )
    if unmuted:
        await conn.execute(
            """
            UPDATE deliveries d SET status = 'pending', next_attempt = $3, reason = NULL
            FROM unnest($1::text[], $2::int[]) AS v(alert_id, version)
            WHERE d.alert_id = v.alert_id AND d.version = v.version AND d.status = 'suppressed'
            """,
            [r.alert_id for r in unmuted],
            [r.version for r in unmuted],
            now,
        )
