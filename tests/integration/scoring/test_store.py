"""The scoring pipeline on real PostgreSQL: idempotent, one transaction per batch, state by region."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import orjson
import pytest

from tests.unit.scoring.factories import Scorer, at, report
from waspada_scoring import metrics
from waspada_scoring.adapters.pipeline import ScoringPipeline
from waspada_scoring.adapters.store import ScoringStore
from waspada_scoring.configfiles import shipped_model
from waspada_scoring.domain.batch import to_payload
from waspada_shared.contracts.report import AcceptedReport
from waspada_shared.topics import Topics

pytestmark = pytest.mark.stack

BRAWL: dict[str, Any] = {
    "category": "communal_clash",
    "form": "fight",
    "impact": {"deaths": 1, "injured": 3, "arson": True, "buildings_damaged": 3, "weapons": "sharp"},
    "source": {"type": "official", "reliability": "A", "credibility": 1},
}


def pipeline(pool: asyncpg.Pool, schema: str, store: ScoringStore | None = None) -> ScoringPipeline:
    return ScoringPipeline(pool, None, Topics("it."), shipped_model(), store or ScoringStore(schema))


def history() -> list[AcceptedReport]:
    """Reports in two regencies and three categories over four days, with a late one."""
    regions = [{"province": "53", "regency": "53.02"}, {"province": "53", "regency": "53.03"}]
    out = []
    for k in range(12):
        facts = dict(BRAWL) if k % 5 == 0 else {"kind": "potential", "signals": ["provocation"]}
        facts["category"] = ["communal_clash", "land_resource", "communal_clash"][k % 3]
        out.append(
            report(**facts, region=regions[k % 2], occurred_at=at(hours=8 * k - (30 if k == 9 else 0)))
        )
    return out


async def test_a_redelivered_batch_changes_nothing_and_republishes_the_same_events(
    db: tuple[asyncpg.Pool, str],
) -> None:
    pool, schema = db
    p = pipeline(pool, schema)
    reports = history()
    first = await p.process([*reports, reports[0]])  # the same report twice in one batch counts once
    assert len(first.new) == len(reports) and not first.again
    cells_before = await pool.fetch(
        f'SELECT regency, category, state, level FROM "{schema}".cells ORDER BY 1, 2'
    )
    dupes = metrics.DUPLICATES._value.get()
    again = await p.process(reports)
    assert not again.new
    assert sorted(again.again) == sorted(
        (r["region"]["regency"], b) for r, b in zip(first.new, first.encoded, strict=True)
    )
    assert metrics.DUPLICATES._value.get() == dupes + len(reports)
    cells_after = await pool.fetch(
        f'SELECT regency, category, state, level FROM "{schema}".cells ORDER BY 1, 2'
    )
    assert cells_after == cells_before
    # Bounded by regions: one state per (regency, category), however many reports.
    assert len(cells_after) == len({(r.region.regency, r.category.value) for r in reports})
    assert await pool.fetchval(f'SELECT count(*) FROM "{schema}".assessments') == len(reports)


async def test_batch_boundaries_do_not_change_scores(db: tuple[asyncpg.Pool, str]) -> None:
    """State read back from PostgreSQL scores exactly like state kept in memory."""
    pool, schema = db
    p = pipeline(pool, schema)
    reports = history()
    stored: list[dict[str, Any]] = []
    for r in reports:  # one batch per report: every state goes through the database
        stored.extend((await p.process([r])).new)
    in_memory = Scorer().score(*reports)
    expected = [to_payload(s, p.model.version, p.clock()) for s in in_memory]
    assert [_without_clock(d) for d in stored] == [_without_clock(d) for d in expected]


def _without_clock(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k != "assessed_at"}


async def test_spread_reads_other_regions_state_from_the_database(db: tuple[asyncpg.Pool, str]) -> None:
    pool, schema = db
    p = pipeline(pool, schema)
    await p.process([report(**BRAWL, region={"province": "53", "regency": "53.02"}, occurred_at=at())])
    out = await p.process(
        [
            report(
                category="communal_clash",
                kind="potential",
                region={"province": "53", "regency": "53.03"},
                occurred_at=at(hours=4),
            )
        ]
    )
    (event,) = [orjson.loads(b) for b in out.encoded]
    assert event["region_state"]["elevated_neighbours"] == 1
    assert next(f for f in event["factors"] if f["name"] == "spread")["contribution"] > 0


async def test_two_consumers_on_the_same_batch_count_every_report_once(db: tuple[asyncpg.Pool, str]) -> None:
    """As during a rebalance: both process the batch; the locks make one of them see it as done."""
    pool, schema = db
    reports = history()
    a, b = await asyncio.gather(
        pipeline(pool, schema).process(reports), pipeline(pool, schema).process(reports)
    )
    assert len(a.new) + len(b.new) == len(reports)
    states = await pool.fetch(f'SELECT state FROM "{schema}".cells')
    assert sum(n for row in states for _, n in row["state"]["h"]) == len(reports)


class _FailingStore(ScoringStore):
    async def save(self, *args: Any, **kwargs: Any) -> int:
        await super().save(*args, **kwargs)
        raise RuntimeError("connection lost after writing")


async def test_a_failed_batch_stores_nothing(db: tuple[asyncpg.Pool, str]) -> None:
    pool, schema = db
    with pytest.raises(RuntimeError):
        await pipeline(pool, schema, _FailingStore(schema)).process(history())
    assert await pool.fetchval(f'SELECT count(*) FROM "{schema}".assessments') == 0
    assert await pool.fetchval(f'SELECT count(*) FROM "{schema}".cells') == 0
    # ...and the redelivery is then scored normally.
    assert len((await pipeline(pool, schema).process(history())).new) == 12
