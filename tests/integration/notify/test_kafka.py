"""Notify on real Kafka: risk.assessed.v1 in, alert lifecycle events out on the alert topics."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client import CollectorRegistry

from tests.helpers import Stack, read_topic, wait_until
from tests.integration.notify.conftest import Notify, make_worker
from tests.unit.notify.factories import assessed
from waspada_notify.adapters import pipeline
from waspada_notify.adapters.processor import AlertProcessor
from waspada_notify.adapters.receivers.kafka import KafkaChannel
from waspada_notify.domain.routing import Router
from waspada_notify.settings import NotifySettings
from waspada_shared import jsonutil
from waspada_shared.kafka import make_broker
from waspada_shared.levels import Level
from waspada_shared.topics import ALL_TOPICS, Topics


@pytest.fixture
async def prefixed(stack: Stack) -> AsyncIterator[Stack]:
    """Topics of our own (a unique prefix), created for the test and deleted after."""
    prefix = f"notify-it-{uuid.uuid4().hex[:8]}."
    names = [prefix + t for t in ALL_TOPICS]
    admin = AIOKafkaAdminClient(**stack.kafka)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, num_partitions=1, replication_factor=1) for n in names])
        yield dataclasses.replace(stack, topic_prefix=prefix)
    finally:
        await admin.delete_topics(names)
        await admin.close()


async def test_assessments_in_alert_events_out(notify: Notify, prefixed: Stack, db: asyncpg.Pool) -> None:
    topics = Topics(prefixed.topic_prefix)
    settings = NotifySettings(kafka_bootstrap=prefixed.kafka_bootstrap, topic_prefix=prefixed.topic_prefix)
    broker = make_broker(settings, "notify-it", registry=CollectorRegistry())
    worker = make_worker(db, notify.config, notify.worker.policy, kafka=KafkaChannel(broker))
    known = {r.name: r for r in notify.config.receivers}
    processor = AlertProcessor(
        db, notify.config, Router(notify.config), known, topics=topics, on_planned=worker.notify
    )
    pipeline.register(broker, topics, processor, batch=100, group_id=f"{prefixed.topic_prefix}notify")
    await broker.start()
    try:
        report = assessed(Level.AWAS, regency="19.06", at=notify.now)
        await broker.publish(jsonutil.dumps(report), topic=topics.assessed, key=b"19.06")
        await broker.publish(b"{not json", topic=topics.assessed, key=b"19.06")  # skipped, logged

        async def alerts() -> list[asyncpg.Record] | None:
            rows = await db.fetch("SELECT alert_id, audience FROM alerts ORDER BY audience")
            return list(rows) if len(rows) == 3 else None

        rows = await wait_until(alerts, what="three alerts from one awas assessment")
        assert {r["audience"] for r in rows} == {"regency", "province", "national"}
        await worker.run_once()
        ids = {r["audience"]: r["alert_id"] for r in rows}
        province = await read_topic(
            prefixed, "alerts.province.v1", lambda k, v, h: v.get("alert_id") == ids["province"]
        )
        national = await read_topic(
            prefixed, "alerts.national.v1", lambda k, v, h: v.get("alert_id") == ids["national"]
        )
        for key, value, headers in (*province, *national):
            assert key == "19" and headers["schema-version"] == "1"
            assert value["event"] == "fired" and value["version"] == 1 and value["level"] == "awas"
        # Acknowledgement events reach the topic as well (for aggregation consumers).
        await processor.acknowledge(ids["province"], "Kesbangpol", "ditangani", "it")
        await worker.run_once()
        acked = await read_topic(
            prefixed,
            "alerts.province.v1",
            lambda k, v, h: v.get("alert_id") == ids["province"] and v.get("version") == 2,
        )
        assert acked[0][1]["event"] == "acknowledged" and acked[0][1]["acknowledged_by"] == "Kesbangpol"
    finally:
        await broker.stop()
        await worker.close()
