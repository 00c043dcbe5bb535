"""Replay / backtest: re-score `reports.accepted.v1` under a model version into separate storage.

    python -m waspada_scoring.replay [--model FILE] [--since DATE] [--run NAME] [--replace]

Reads the topic from the beginning (or from `--since` minus a warm-up that rebuilds the state) up
to its end when the replay starts, with the same batch scoring as the live service, into the schema
`scoring_replay_<run>` (same tables as `scoring`), then prints how levels would change against the
stored assessments (`--baseline`, default `scoring`): counts per level, level changes, score
differences, and the region+categories that would have escalated earlier or later. Nothing is
published and the live state is never touched. Kafka and PostgreSQL come from the usual `WASPADA_*`
settings.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from waspada_scoring.adapters.pipeline import ScoringPipeline, parse
from waspada_scoring.adapters.store import ScoringStore
from waspada_scoring.configfiles import load_model
from waspada_scoring.domain.config import Model
from waspada_scoring.settings import ScoringSettings
from waspada_shared.db import apply_migrations, create_pool
from waspada_shared.kafka import client_security
from waspada_shared.levels import Level

SCHEMA_PREFIX = "scoring_replay_"
LEVELS = [lv.value for lv in Level]


def run_name(text: str) -> str:
    """A schema-safe run name from a model version or a given name."""
    name = re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_")
    if not name:
        raise ValueError(f"run name {text!r} has no letters or digits")
    return name[: 63 - len(SCHEMA_PREFIX)]


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    model: Model
    run: str
    since: datetime | None = None
    warmup: timedelta = timedelta(days=98)
    baseline: str = "scoring"
    replace: bool = False
    batch: int = 500

    @property
    def schema(self) -> str:
        return SCHEMA_PREFIX + self.run


@dataclass(slots=True)
class Escalation:
    regency: str
    category: str
    baseline_at: datetime | None
    replay_at: datetime | None


@dataclass(slots=True)
class Comparison:
    compared: int = 0
    baseline_levels: dict[str, int] = field(default_factory=dict)
    replay_levels: dict[str, int] = field(default_factory=dict)
    changes: dict[tuple[str, str], int] = field(default_factory=dict)  # (baseline, replay) -> reports
    same_score: int = 0
    same_assessment: int = 0  # score, level and every factor equal
    max_score_diff: float = 0.0
    baseline_versions: dict[str, int] = field(default_factory=dict)
    earlier: list[Escalation] = field(default_factory=list)  # reached siaga+ earlier under the replay
    later: list[Escalation] = field(default_factory=list)


@dataclass(slots=True)
class ReplayResult:
    schema: str
    model_version: str
    read: int = 0
    assessed: int = 0
    seconds: float = 0.0
    comparison: Comparison = field(default_factory=Comparison)


async def ordered_batches(
    consumer: AIOKafkaConsumer, start: dict[TopicPartition, int], end: dict[TopicPartition, int], batch: int
) -> AsyncIterator[list[Any]]:
    """Records from start to end offsets, merged across partitions by record timestamp.

    Each partition stays in offset order (one regency's reports are in one partition); between
    partitions the merge follows the time Kafka stamped them, the order the live consumer saw them.
    """
    buffers: dict[TopicPartition, deque[Any]] = {tp: deque() for tp in start}
    active = {tp for tp in start if start[tp] < end[tp]}
    for tp in active:
        consumer.seek(tp, start[tp])
    out: list[Any] = []
    while active:
        empty = [tp for tp in active if not buffers[tp]]
        for tp in empty:
            if await consumer.position(tp) >= end[tp]:
                active.discard(tp)
        need = [tp for tp in empty if tp in active]
        if need:
            fetched = await consumer.getmany(*need, timeout_ms=500, max_records=batch)
            for tp, records in fetched.items():
                buffers[tp].extend(r for r in records if r.offset < end[tp])
            continue
        while active and all(buffers[tp] for tp in active):
            tp = min(active, key=lambda p: (buffers[p][0].timestamp, p.partition))
            out.append(buffers[tp].popleft())
            if len(out) >= batch:
                yield out
                out = []
    if out:
        yield out


async def _prepare_schema(pool: asyncpg.Pool, opts: ReplayOptions) -> None:
    exists = await pool.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", opts.schema)
    if exists and not opts.replace:
        raise SystemExit(
            f"schema {opts.schema} exists; pass --replace to overwrite it or --run to name another"
        )
    if exists:
        await pool.execute(f'DROP SCHEMA "{opts.schema}" CASCADE')
    await apply_migrations(pool, opts.schema, "waspada_scoring")


async def replay(settings: ScoringSettings, opts: ReplayOptions, pool: asyncpg.Pool) -> ReplayResult:
    """Re-score the topic into the run's schema; compare with the baseline schema."""
    await _prepare_schema(pool, opts)
    pipeline = ScoringPipeline(pool, None, settings.topics, opts.model, ScoringStore(opts.schema))
    result = ReplayResult(schema=opts.schema, model_version=opts.model.version)
    topic = settings.topics.accepted
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, **client_security(settings)
    )
    await consumer.start()
    started = time.perf_counter()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        end = await consumer.end_offsets(tps)
        start = await consumer.beginning_offsets(tps)
        if opts.since is not None:
            ms = int((opts.since - opts.warmup).timestamp() * 1000)
            found = await consumer.offsets_for_times(dict.fromkeys(tps, ms))
            start = {tp: (found[tp].offset if found.get(tp) else end[tp]) for tp in tps}
        async for records in ordered_batches(consumer, start, end, opts.batch):
            result.read += len(records)
            outcome = await pipeline.process(parse(records))
            result.assessed += len(outcome.new)
    finally:
        await consumer.stop()
    result.seconds = time.perf_counter() - started
    result.comparison = await compare(pool, opts.baseline, opts.schema, opts.since)
    return result


async def compare(
    pool: asyncpg.Pool, baseline: str, schema: str, since: datetime | None = None
) -> Comparison:
    """Compare the assessments both schemas hold (received since `since`), set-based."""
    b, r = f'"{baseline}"', f'"{schema}"'
    since_ts = since or datetime(1970, 1, 1, tzinfo=UTC)
    # Both sides as jsonb documents (the event bytes, or the skeleton's payload).
    joined = f"""
        FROM (SELECT a.*, coalesce(convert_from(a.event, 'UTF8')::jsonb, a.payload) AS doc
              FROM {r}.assessments a) n
        JOIN (SELECT a.*, coalesce(convert_from(a.event, 'UTF8')::jsonb, a.payload) AS doc
              FROM {b}.assessments a) o USING (report_id)
        WHERE (n.doc->>'received_at')::timestamptz >= $1"""
    c = Comparison()
    rows = await pool.fetch(
        f"""SELECT o.level AS old, n.level AS new, count(*) AS n,
                   count(*) FILTER (WHERE (o.doc->'score') = (n.doc->'score')) AS same_score,
                   count(*) FILTER (WHERE (o.doc->'score') = (n.doc->'score')
                                    AND o.level = n.level
                                    AND (o.doc->'factors') = (n.doc->'factors')) AS same,
                   max(abs((o.doc->>'score')::float8 - (n.doc->>'score')::float8)) AS diff
            {joined} GROUP BY 1, 2""",
        since_ts,
    )
    for row in rows:
        c.compared += row["n"]
        c.baseline_levels[row["old"]] = c.baseline_levels.get(row["old"], 0) + row["n"]
        c.replay_levels[row["new"]] = c.replay_levels.get(row["new"], 0) + row["n"]
        c.changes[(row["old"], row["new"])] = row["n"]
        c.same_score += row["same_score"]
        c.same_assessment += row["same"]
        c.max_score_diff = max(c.max_score_diff, float(row["diff"] or 0.0))
    versions = await pool.fetch(f"SELECT o.model_version AS v, count(*) AS n {joined} GROUP BY 1", since_ts)
    c.baseline_versions = {row["v"]: row["n"] for row in versions}
    first = await pool.fetch(
        f"""SELECT n.regency, n.category,
                   min(o.occurred_at) FILTER (WHERE o.level IN ('siaga', 'awas')) AS old_at,
                   min(n.occurred_at) FILTER (WHERE n.level IN ('siaga', 'awas')) AS new_at
            {joined} GROUP BY 1, 2""",
        since_ts,
    )
    for row in first:
        old_at, new_at = row["old_at"], row["new_at"]
        e = Escalation(row["regency"], row["category"], old_at, new_at)
        if new_at is not None and (old_at is None or new_at < old_at):
            c.earlier.append(e)
        elif old_at is not None and (new_at is None or new_at > old_at):
            c.later.append(e)
    return c


def format_result(res: ReplayResult, limit: int = 20) -> str:
    c = res.comparison
    rate = res.assessed / res.seconds if res.seconds > 0 else 0.0
    lines = [
        f"replay {res.model_version} into {res.schema}: read {res.read} records, assessed {res.assessed}"
        f" in {res.seconds:.1f} s ({rate:.0f}/s)",
        f"compared with the baseline: {c.compared} reports (baseline model versions: "
        + (", ".join(f"{v} x{n}" for v, n in sorted(c.baseline_versions.items())) or "none")
        + ")",
        f"  identical score: {c.same_score}; identical score, level and factors: {c.same_assessment};"
        f" largest score difference: {c.max_score_diff:.2f}",
        "  level      baseline    replay",
    ]
    for lv in LEVELS:
        lines.append(f"  {lv:9} {c.baseline_levels.get(lv, 0):9} {c.replay_levels.get(lv, 0):9}")
    moved = {k: n for k, n in c.changes.items() if k[0] != k[1]}
    lines.append(
        "  level changes (baseline -> replay): "
        + (", ".join(f"{o}->{n} x{k}" for (o, n), k in sorted(moved.items())) or "none")
    )
    for title, items in (("earlier", c.earlier), ("later", c.later)):
        lines.append(f"  region+categories reaching siaga+ {title} under the replay: {len(items)}")
        for e in items[:limit]:
            lines.append(
                f"    {e.regency} {e.category}: baseline {_when(e.baseline_at)}, replay {_when(e.replay_at)}"
            )
    return "\n".join(lines)


def _when(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if at else "never"


def _date(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m waspada_scoring.replay", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", help="model YAML (default: the shipped model); data files beside it are used")
    p.add_argument("--since", type=_date, help="replay reports received from this date (ISO 8601)")
    p.add_argument(
        "--warmup-days", type=float, default=98.0, help="days read before --since to rebuild state"
    )
    p.add_argument("--run", help="run name (schema scoring_replay_<run>); default: the model version")
    p.add_argument("--replace", action="store_true", help="drop and rebuild the run's schema if it exists")
    p.add_argument("--baseline", default="scoring", help="schema of the assessments to compare with")
    p.add_argument("--batch", type=int, default=500, help="reports per batch")
    return p.parse_args(argv)


async def _main(args: argparse.Namespace) -> int:
    settings = ScoringSettings()
    model = load_model(args.model)
    opts = ReplayOptions(
        model=model,
        run=run_name(args.run or model.version),
        since=args.since,
        warmup=timedelta(days=args.warmup_days),
        baseline=args.baseline,
        replace=args.replace,
        batch=args.batch,
    )
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        result = await replay(settings, opts, pool)
    finally:
        await pool.close()
    print(format_result(result))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(_main(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
