"""Nothing lost: stored reports wait in the outbox while Kafka is unreachable and are published once,
exactly, when it is back. Runs on a scratch database and its own topic, so the stack is not disturbed
(the real broker stop/start is `tests/faults/test_intake_kafka_down.py`)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.helpers import Stack, make_report, unique, wait_until
from waspada_intake.adapters.outbox import CLAIM, OutboxRelay
from waspada_intake.adapters.store import NewReport, Outcome, ReportStore
from waspada_intake.domain.validation import parse_obj, prepare
from waspada_shared.db import create_pool
from waspada_shared.kafka import DirectProducer, OutMessage, make_broker, publish_all
from waspada_shared.settings import ServiceSettings

pytestmark = pytest.mark.stack


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def new_reports(n: int, topic: str) -> list[NewReport]:
    now = datetime.now(UTC)
    out = []
    for _ in range(n):
        report = parse_obj(make_report(), now).report
        assert report is not None
        p = prepare(report, now, "19")
        out.append(
            NewReport(report.report_id, p.content_hash, "19", "19.06", p.payload, None, now, "19", topic)
        )
    return out


PARTITIONS = 2  # of the test's own topic


async def topic_values(stack: Stack, topic: str) -> list[dict[str, object]]:
    """Every record on `topic` (a test-owned topic of PARTITIONS partitions, so all of them)."""
    consumer = AIOKafkaConsumer(**stack.kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        values = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                values += [orjson.loads(r.value) for r in records]
        return values
    finally:
        await consumer.stop()


@pytest.fixture
async def test_topic(stack: Stack) -> AsyncIterator[str]:
    """A topic of this test's own (deleted afterwards)."""
    name = f"{stack.topic_prefix}test.{unique('outbox')}"
    admin = AIOKafkaAdminClient(**stack.kafka)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)])
        yield name
        await admin.delete_topics([name])
    finally:
        await admin.close()


async def test_reports_wait_in_the_outbox_while_kafka_is_unreachable_then_publish_once(
    stack: Stack, scratch_db: str, test_topic: str
) -> None:
    pool = await create_pool(scratch_db, min_size=1, max_size=4)
    try:
        store = ReportStore(pool)
        reports = new_reports(5, test_topic)
        assert [r.outcome for r in await store.store(reports)] == [Outcome.ACCEPTED] * 5

        # A relay whose producer points at a closed port: every round fails, no row is lost.
        down = DirectProducer(f"127.0.0.1:{closed_port()}", "test-down", request_timeout_ms=1000)
        relay_down = OutboxRelay(pool, down.publish, idle_poll_seconds=0.05, max_backoff_seconds=0.1)
        running = asyncio.create_task(relay_down.run())
        try:

            async def failed_thrice() -> bool:
                return relay_down.failures >= 3

            await wait_until(failed_thrice, what="the relay to fail three rounds")
            assert await relay_down.backlog() == 5
            assert relay_down.published_total == 0
        finally:
            running.cancel()
            with suppress(asyncio.CancelledError):
                await running
            await down.stop()
        # More reports arrive while Kafka is still "down" (stored, not published).
        more = new_reports(3, test_topic)
        await store.store(more)
        assert await store.get(more[0].report_id) is not None
        row = await store.get(reports[0].report_id)
        assert row is not None and row["state"] == "accepted"

        # Kafka is back: a working relay publishes every row exactly once (through the service's
        # direct producer, and through a FastStream broker, which works as a publisher too).
        producer = DirectProducer(stack.kafka_bootstrap, "test-up", security=stack.kafka_security)
        try:
            relay = OutboxRelay(pool, producer.publish, batch=5)
            assert await relay.relay_once() == 5
        finally:
            await producer.stop()
        up = make_broker(ServiceSettings(kafka_bootstrap=stack.kafka_bootstrap), "test-up")
        await up.start()
        try:
            relay = OutboxRelay(pool, lambda messages: publish_all(up, messages))
            assert await relay.relay_once() == 3
            assert await relay.relay_once() == 0
            assert await relay.backlog() == 0
        finally:
            await up.stop()
        row = await store.get(reports[0].report_id)
        assert row is not None and row["state"] == "published"
        values = await topic_values(stack, test_topic)
        ids = [v["report_id"] for v in values]
        assert sorted(ids) == sorted(r.report_id for r in reports + more)  # each once, none twice
        assert all("reporter" not in v for v in values)
    finally:
        await pool.close()


async def test_concurrent_stores_of_the_same_ids_from_two_processes(scratch_db: str) -> None:
    """Two pools (two intake processes, or one restarted) racing on overlapping ids: one winner each."""
    pools = [await create_pool(scratch_db, min_size=1, max_size=4) for _ in range(2)]
    try:
        stores = [ReportStore(p) for p in pools]
        shared = new_reports(50, "unused")
        batches = [shared[i::2] + shared[:25] for i in range(2)] + [list(reversed(shared))] * 2
        results = await asyncio.gather(*(stores[i % 2].store(b) for i, b in enumerate(batches)))
        accepted = [
            r.report_id
            for b, res in zip(batches, results, strict=True)
            for r, s in zip(b, res, strict=True)
            if s.outcome is Outcome.ACCEPTED
        ]
        assert sorted(accepted) == sorted(r.report_id for r in shared)  # each id accepted exactly once
        outbox = await pools[0].fetchval("SELECT count(*) FROM intake.outbox WHERE topic = 'unused'")
        assert outbox == 50
    finally:
        for p in pools:
            await p.close()


async def test_store_is_idempotent_across_pools_and_classifies(scratch_db: str) -> None:
    first_pool = await create_pool(scratch_db, min_size=1, max_size=2)
    second_pool = await create_pool(scratch_db, min_size=1, max_size=2)
    try:
        report = new_reports(1, "unused")[0]
        first = await ReportStore(first_pool).store([report])
        assert first[0].outcome is Outcome.ACCEPTED
        await first_pool.close()  # "restart": a new process, nothing in memory
        again = await ReportStore(second_pool).store([report])
        assert again[0].outcome is Outcome.DUPLICATE and again[0].received_at == first[0].received_at
        conflict = await ReportStore(second_pool).store([replace(report, content_hash="other")])
        assert conflict[0].outcome is Outcome.CONFLICT and conflict[0].received_at == first[0].received_at
    finally:
        await second_pool.close()
        first_pool.terminate()


async def test_a_regions_reports_reach_kafka_in_submission_order_not_id_order(
    stack: Stack, scratch_db: str, test_topic: str
) -> None:
    """Scoring treats a report older than one it already applied as late: intake must publish a
    region's reports in the order they were submitted, whatever their ids (SPEC §6, replay)."""
    pool = await create_pool(scratch_db, min_size=1, max_size=2)
    try:
        store = ReportStore(pool)
        reports = new_reports(6, test_topic)
        # Ids that sort against the order of submission, and one of them repeated in the batch.
        submitted = [replace(r, report_id=f"z-{9 - i}-{r.report_id}") for i, r in enumerate(reports)]
        await store.store([*submitted[:3], submitted[0], *submitted[3:]])
        sent: list[OutMessage] = []

        async def publish(messages: Sequence[OutMessage]) -> None:
            sent.extend(m for m in messages if m.topic == test_topic)

        relay = OutboxRelay(pool, publish)
        while await relay.relay_once():
            pass
        values = [orjson.loads(m.value) for m in sent]
        # (the payloads carry the reports' own ids, in the order of `submitted`)
        assert [v["report_id"] for v in values] == [r.report_id for r in reports]
    finally:
        await pool.close()


async def test_commits_during_the_linger_travel_in_one_round(scratch_db: str, test_topic: str) -> None:
    """Woken by a commit, the relay waits its linger before claiming: the commits made meanwhile are
    relayed with the first, in one round (at low rates a round per report was four round trips each)."""
    pool = await create_pool(scratch_db, min_size=1, max_size=2)
    rounds: list[int] = []
    published = asyncio.Event()

    async def publish(messages: Sequence[OutMessage]) -> None:
        rounds.append(sum(1 for m in messages if m.topic == test_topic))
        published.set()

    store = ReportStore(pool)
    # A row already waiting: the relay's first round (at start, without a wake-up) publishes it, and
    # after that round the relay waits for commits.
    await store.store(new_reports(1, f"{test_topic}.warm"))
    relay = OutboxRelay(pool, publish, idle_poll_seconds=60.0, linger_seconds=1.0)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(published.wait(), timeout=10)
        assert rounds == [0]
        published.clear()
        reports = new_reports(3, test_topic)
        for r in reports:  # each store takes milliseconds: all well inside the linger
            await store.store([r])
            relay.notify()
        await asyncio.wait_for(published.wait(), timeout=10)
        assert rounds == [0, 3]
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await pool.close()


async def test_claiming_reads_the_backlog_once_whatever_the_statistics_say(scratch_db: str) -> None:
    """The claim's plan after the outbox was analysed empty and then filled (as after a quiet spell and a
    burst): the ids are claimed once (an InitPlan), never by a subquery run again for every queued row,
    which took minutes with 17,000 rows (docs/benchmarks.md)."""
    pool = await create_pool(scratch_db, min_size=1, max_size=2)
    try:
        await pool.execute("DELETE FROM intake.outbox")
        await pool.execute("ANALYZE intake.outbox")  # the statistics of an empty table
        await ReportStore(pool).store(new_reports(300, "unused-claim"))
        plan = str(await pool.fetchval(f"EXPLAIN (FORMAT JSON) {CLAIM}", 100))
        async with pool.acquire() as conn, conn.transaction():
            assert len(await conn.fetch(CLAIM, 100)) == 100
    finally:
        await pool.close()
    assert "InitPlan" in plan and "Nested Loop" not in plan, plan
