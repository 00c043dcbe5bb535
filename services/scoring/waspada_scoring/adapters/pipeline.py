"""Consume accepted reports in batches, assess them idempotently, publish assessments.

One transaction per batch: lock the region+categories the batch touches, read which reports are
already assessed and the states, read the elevated regions of its provinces and categories (spread),
score in order, store the assessments and states. A redelivered report is never scored again: its stored
assessment is re-published instead (the publish after a commit may have been lost).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage

from waspada_scoring import metrics
from waspada_scoring.adapters.store import ScoringStore
from waspada_scoring.domain.batch import CellKey, Scored, cell_key, encode, score_batch, to_payload
from waspada_scoring.domain.config import Model
from waspada_scoring.domain.spread import SpreadView
from waspada_shared.contracts.report import AcceptedReport
from waspada_shared.kafka import OutMessage, batch_subscriber, parse_records, records
from waspada_shared.logging import get_logger
from waspada_shared.topics import Topics

log = get_logger(__name__)
Clock = Callable[[], datetime]


def in_processing_order(records: Iterable[Any]) -> list[Any]:
    """Records merged across partitions by record timestamp, each partition kept in offset order.

    The replay orders its batches the same way, so both see reports of different regencies in the
    same order whenever the batches hold the same records.
    """
    by_partition: dict[int, list[Any]] = {}
    for rec in records:
        by_partition.setdefault(rec.partition, []).append(rec)
    streams = [sorted(recs, key=lambda r: r.offset) for _, recs in sorted(by_partition.items())]
    return list(heapq.merge(*streams, key=lambda r: (r.timestamp, r.partition)))


def parse(recs: Iterable[Any]) -> list[AcceptedReport]:
    # Intake validated them; an unreadable record is logged and skipped.
    return parse_records(recs, AcceptedReport, "accepted report")


@dataclass(slots=True)
class Outcome:
    """What one batch produced: new assessments (payload and bytes) and earlier ones to publish again."""

    new: list[dict[str, Any]] = field(default_factory=list)
    encoded: list[bytes] = field(default_factory=list)
    again: list[tuple[str, bytes]] = field(default_factory=list)  # (regency, event as first published)
    new_cells: int = 0

    def messages(self, topic: str) -> list[OutMessage]:
        fresh = [
            OutMessage(topic, p["region"]["regency"], b) for p, b in zip(self.new, self.encoded, strict=True)
        ]
        return [*fresh, *(OutMessage(topic, key, value) for key, value in self.again)]


class Publisher(Protocol):
    async def publish(self, messages: Sequence[OutMessage]) -> None: ...


class ScoringPipeline:
    def __init__(
        self,
        pool: asyncpg.Pool,
        broker: KafkaBroker | None,
        topics: Topics,
        model: Model,
        store: ScoringStore | None = None,
        publisher: Publisher | None = None,
        clock: Clock | None = None,
    ) -> None:
        """`broker` consumes (None for a replay); `publisher` publishes (None: nothing is published)."""
        self.pool = pool
        self.broker = broker
        self.topics = topics
        self.model = model
        self.store = store or ScoringStore()
        self.publisher = publisher
        self.clock = clock or (lambda: datetime.now(UTC))

    async def start(self) -> None:
        async with self.pool.acquire() as conn:
            metrics.REGIONS_TRACKED.set(await self.store.count_cells(conn))

    async def process(self, reports: Sequence[AcceptedReport]) -> Outcome:
        """Assess new reports in one transaction (in the given order)."""
        out = Outcome()
        if not reports:
            return out
        scored: list[Scored] = []
        async with self.pool.acquire() as conn, conn.transaction():
            # Lock first, then read what is done: a report another consumer committed meanwhile is
            # seen as done, never scored twice.
            await self.store.lock(conn, sorted({cell_key(r) for r in reports}))
            done = await self.store.done(conn, [r.report_id for r in reports])
            seen: set[str] = set()
            new: list[AcceptedReport] = []
            for r in reports:
                if r.report_id in done or r.report_id in seen:
                    continue
                seen.add(r.report_id)
                new.append(r)
            out.again = list(done.values())
            if new:
                keys: list[CellKey] = sorted({cell_key(r) for r in new})
                cells = await self.store.cells(conn, keys)
                window = self.model.config.spread.window_hours * 3600.0
                earliest = min(r.occurred_at.timestamp() for r in new) - window
                pairs = sorted({(r.region.province, r.category.value) for r in new})
                spread = SpreadView(await self.store.elevated(conn, pairs, earliest))
                scored, changed = score_batch(new, cells, spread, self.model)
                now = self.clock()
                out.new = [to_payload(s, self.model.version, now) for s in scored]
                out.encoded = [encode(p) for p in out.new]
                provinces = {cell_key(r): r.region.province for r in new}
                out.new_cells = await self.store.save(
                    conn, out.new, out.encoded, {k: (provinces[k], c) for k, c in changed.items()}
                )
        self._observe(scored, len(reports) - len(scored), out.new_cells)
        return out

    def _observe(self, scored: list[Scored], duplicates: int, new_cells: int) -> None:
        if duplicates:
            metrics.DUPLICATES.inc(duplicates)
        if new_cells:
            metrics.REGIONS_TRACKED.inc(new_cells)
        if not scored:
            return
        now = self.clock()
        by_label: dict[tuple[str, str], int] = {}
        for s in scored:
            label = (s.assessment.level.value, s.report.region.province)
            by_label[label] = by_label.get(label, 0) + 1
            metrics.RECEIPT_TO_ASSESSMENT.observe(max(0.0, (now - s.report.received_at).total_seconds()))
            metrics.EVENT_TO_ASSESSMENT.observe(max(0.0, (now - s.report.occurred_at).total_seconds()))
        for (level, province), n in by_label.items():
            metrics.ASSESSMENTS.labels(level=level, province=province).inc(n)

    async def handle(self, records: Sequence[Any]) -> Outcome:
        """One consumed batch: parse, assess, store, then publish (offsets are committed after)."""
        if not records:
            return Outcome()
        started = time.perf_counter()
        out = await self.process(parse(in_processing_order(records)))
        if self.publisher is not None:
            await self.publisher.publish(out.messages(self.topics.assessed))
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
        return out

    def register(self, batch: int) -> None:
        assert self.broker is not None, "a pipeline without a broker only processes given batches"

        @batch_subscriber(
            self.broker,
            self.topics.accepted,
            # The prefix keeps a test or bench deployment out of the live group's rebalances.
            group_id=self.topics.name("waspada-scoring"),
            batch=batch,
            title="scoring.accepted",
            description="Accepted reports, assessed in event time per region+category.",
        )
        async def on_accepted(msg: KafkaMessage) -> None:
            await self.handle(records(msg))
