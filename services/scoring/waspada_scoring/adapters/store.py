"""PostgreSQL storage of scoring: assessments (the idempotency key) and region+category states.

`assessments` is also what intake shows as a report's assessment (read-only, same database).

Every statement is set-based (arrays in, one round trip per statement per batch). The schema is a
parameter so that a replay writes the same tables into its own schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from waspada_scoring.domain.batch import CellKey
from waspada_scoring.domain.spread import Elevation
from waspada_scoring.domain.state import CellState
from waspada_shared.levels import Level

Conn = asyncpg.Connection | PoolConnectionProxy  # a connection, or one acquired from the pool


class ScoringStore:
    def __init__(self, schema: str = "scoring") -> None:
        self.schema = schema
        s = f'"{schema}"'
        # Rows of the skeleton model have only a jsonb payload: re-encode those.
        self._done = f"""
            SELECT report_id, regency, coalesce(event, convert_to(payload::text, 'UTF8')) AS event
            FROM {s}.assessments WHERE report_id = ANY($1::text[])"""
        self._cells = f"""
            SELECT c.regency, c.category, c.state
            FROM {s}.cells c JOIN unnest($1::text[], $2::text[]) AS k(regency, category)
                USING (regency, category)
"""
        self._elevated = f"""
            SELECT c.regency, c.province, c.category, c.level,
                   extract(epoch FROM c.level_since)::float8 AS since,
                   extract(epoch FROM c.level_held)::float8 AS held
            FROM unnest($3::text[], $1::text[]) AS k(province, category)
            JOIN {s}.cells c ON c.province = k.province AND c.category = k.category
            WHERE c.level <> 'normal' AND c.level_held >= $2"""
        # The events and the changed states in one statement (one round trip a batch): they touch
        # different tables, so the order of the two inserts does not matter.
        self._save = f"""
            WITH events AS (
                INSERT INTO {s}.assessments (report_id, regency, category, occurred_at, score, level,
                                             model_version, event, province, previous_level, assessed_at)
                SELECT * FROM unnest($9::text[], $10::text[], $11::text[], $12::timestamptz[], $13::real[],
                                     $14::text[], $15::text[], $16::bytea[], $17::text[], $18::text[],
                                     $19::timestamptz[])
                ON CONFLICT (report_id) DO NOTHING
            )
            INSERT INTO {s}.cells (regency, category, province, level, level_since, level_held, score, state)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
                                 $6::timestamptz[], $7::real[], $8::json[])
            ON CONFLICT (regency, category) DO UPDATE SET
                province = excluded.province, level = excluded.level, level_since = excluded.level_since,
                level_held = excluded.level_held, score = excluded.score, state = excluded.state,
                updated_at = now()
            RETURNING (xmax = 0) AS inserted"""
        self._count = f"SELECT count(*) FROM {s}.cells"
        # Transaction-scoped locks per region+category (also for states not stored yet), taken in
        # key order: two consumers overlapping during a rebalance serialise instead of double-counting.
        self._lock = (
            "SELECT pg_advisory_xact_lock(hashtextextended($1::text || k, 0)) FROM unnest($2::text[]) AS k"
        )

    async def lock(self, conn: Conn, keys: Sequence[CellKey]) -> None:
        """Lock these region+categories until the transaction ends (before reading what is done)."""
        await conn.execute(self._lock, f"{self.schema}/", sorted(f"{k[0]}/{k[1]}" for k in keys))

    async def done(self, conn: Conn, ids: list[str]) -> dict[str, tuple[str, bytes]]:
        """Reports already assessed: their regency (the message key) and the event as published."""
        rows = await conn.fetch(self._done, ids)
        return {r["report_id"]: (r["regency"], r["event"]) for r in rows}

    async def cells(self, conn: Conn, keys: Sequence[CellKey]) -> dict[CellKey, CellState]:
        """States of these region+categories (lock them first)."""
        rows = await conn.fetch(self._cells, [k[0] for k in keys], [k[1] for k in keys])
        return {(r["regency"], r["category"]): CellState.from_json(r["state"]) for r in rows}

    async def elevated(
        self, conn: Conn, pairs: Sequence[tuple[str, str]], held_after: float
    ) -> list[tuple[str, Elevation]]:
        """Region+categories above normal whose level a report supported after `held_after`, in these
        (province, category) pairs: spread counts the same province only, so the rest of the country
        is not read (it made each batch's read grow with the raised regions nationwide)."""
        rows = await conn.fetch(
            self._elevated,
            [c for _, c in pairs],
            datetime.fromtimestamp(held_after, UTC),
            [p for p, _ in pairs],
        )
        levels = _LEVELS
        return [
            (r["category"], Elevation(r["regency"], r["province"], levels[r["level"]], r["since"], r["held"]))
            for r in rows
        ]

    async def save(
        self,
        conn: Conn,
        events: Sequence[dict[str, Any]],
        encoded: Sequence[bytes],
        cells: dict[CellKey, tuple[str, CellState]],
    ) -> int:
        """Store new assessments (payloads and their encoded bytes) and changed states.

        Returns how many region+category states are new.
        """
        keys = sorted(cells)
        states = [cells[k][1] for k in keys]
        rows = await conn.fetch(
            self._save,
            [k[0] for k in keys],
            [k[1] for k in keys],
            [cells[k][0] for k in keys],
            [c.level.value for c in states],
            [datetime.fromtimestamp(_t(c.since), UTC) for c in states],
            [datetime.fromtimestamp(_t(c.held), UTC) for c in states],
            [c.score for c in states],
            [c.to_json() for c in states],
            [e["report_id"] for e in events],
            [e["region"]["regency"] for e in events],
            [e["category"] for e in events],
            [e["occurred_at"] for e in events],
            [e["score"] for e in events],
            [e["level"] for e in events],
            [e["model_version"] for e in events],
            list(encoded),
            [e["region"]["province"] for e in events],
            [e["previous_level"] for e in events],
            [e["assessed_at"] for e in events],
        )
        return sum(1 for r in rows if r["inserted"])

    async def count_cells(self, conn: Conn | asyncpg.Pool) -> int:
        return int(await conn.fetchval(self._count))


_LEVELS = {lv.value: lv for lv in Level}  # a dict lookup: Level(text) costs ten times more


def _t(value: float | None) -> float:
    assert value is not None, "a stored state has a level time span"
    return value
