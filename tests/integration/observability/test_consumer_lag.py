"""waspada_kafka_consumer_lag from a real FastStream subscriber on the real Kafka."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream.middlewares import AckPolicy
from prometheus_client import CollectorRegistry

from tests.helpers import Stack, unique, wait_until
from waspada_shared import metrics
from waspada_shared.kafka import make_broker
from waspada_shared.settings import ServiceSettings

pytestmark = pytest.mark.stack

RECORDS = 30
BATCH = 10


async def _admin(stack: Stack, create: str | None = None, delete: str | None = None) -> None:
    admin = AIOKafkaAdminClient(**stack.kafka)
    await admin.start()
    try:
        if create:
            await admin.create_topics([NewTopic(create, num_partitions=1, replication_factor=1)])
        if delete:
            await admin.delete_topics([delete])
    finally:
        await admin.close()


async def test_lag_counts_the_records_a_held_batch_leaves_unprocessed(stack: Stack) -> None:
    topic, group = unique("obs-lag"), unique("obs-lag-group")
    await _admin(stack, create=topic)
    producer = AIOKafkaProducer(**stack.kafka)
    await producer.start()
    try:
        for i in range(RECORDS):
            await producer.send(topic, f'{{"n": {i}}}'.encode(), key=b"19.06")
        await producer.flush()
    finally:
        await producer.stop()

    registry = CollectorRegistry()
    broker = make_broker(ServiceSettings(kafka_bootstrap=stack.kafka_bootstrap), "lagtest", registry)
    release = asyncio.Event()
    handed: list[int] = []

    @broker.subscriber(
        topic,
        group_id=group,
        batch=True,
        max_records=BATCH,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def hold(body: list[Any]) -> None:  # the decoded bodies (no dependency injection)
        handed.append(len(body))
        await release.wait()  # the first batch stays "in process"

    metrics.install("lagtest", broker, {}, registry=registry)
    labels = {"group": group, "topic": topic, "partition": "0"}

    async def lag() -> float | None:
        return registry.get_sample_value("waspada_kafka_consumer_lag", labels)

    await broker.start()
    try:
        await wait_until(lambda: _true_if(len(handed) == 1), what="the first batch")
        # 30 records on the partition, the first batch of 10 handed to the handler: 20 still to do.
        await wait_until(lambda: _is(lag, RECORDS - handed[0]), what=f"lag {RECORDS - handed[0]}")
        release.set()
        await wait_until(lambda: _is(lag, 0), what="lag 0 once every batch is processed")
        assert sum(handed) == RECORDS
        # FastStream's middleware counts the same records on its side.
        received = registry.get_sample_value(
            "faststream_received_messages_total",
            {"app_name": "waspada-lagtest", "broker": "kafka", "handler": topic},
        )
        assert received == RECORDS
    finally:
        release.set()
        await broker.stop()
    # A stopped consumer has no assignment: its series disappear rather than freeze.
    assert await lag() is None
    await _admin(stack, delete=topic)  # leave the shared stack as found


async def _true_if(value: bool) -> bool:
    return value


async def _is(probe: Any, expected: float) -> bool:
    return bool(await probe() == expected)
