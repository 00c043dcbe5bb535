"""Shared collectors (waspada_shared.metrics) and the publish-error counter, without a stack."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry, generate_latest

from waspada_shared import metrics
from waspada_shared.kafka import OutMessage, publish_all


@dataclass
class _TpState:
    highwater: int | None
    position: int | None

    @property
    def has_valid_position(self) -> bool:
        return self.position is not None


@dataclass
class _Consumer:
    """The slice of AIOKafkaConsumer the lag collector reads."""

    states: dict[TopicPartition, _TpState]
    _subscription: Any = None

    def __post_init__(self) -> None:
        states = self.states

        class Assignment:
            def state_value(self, tp: TopicPartition) -> _TpState | None:
                return states.get(tp)

        class Subscription:
            assignment = Assignment()

        class State:
            subscription = Subscription()

        self._subscription = State()

    def assignment(self) -> set[TopicPartition]:
        return set(self.states)


@dataclass
class _Subscriber:
    group_id: str
    consumer: Any


@dataclass
class _Broker:
    subscribers: list[_Subscriber] = field(default_factory=list)


class _Pool:
    def get_size(self) -> int:
        return 7

    def get_idle_size(self) -> int:
        return 3

    def get_max_size(self) -> int:
        return 10


def sample(registry: CollectorRegistry, name: str, labels: dict[str, str]) -> float | None:
    return registry.get_sample_value(name, labels)


def test_lag_is_highwater_minus_position_per_assigned_partition() -> None:
    consumer = _Consumer(
        {
            TopicPartition("reports.accepted.v1", 0): _TpState(highwater=120, position=100),
            TopicPartition("reports.accepted.v1", 1): _TpState(highwater=50, position=50),
            TopicPartition("reports.accepted.v1", 2): _TpState(highwater=None, position=7),  # not fetched yet
            TopicPartition("reports.accepted.v1", 3): _TpState(highwater=9, position=None),  # no position yet
        }
    )
    broker = _Broker([_Subscriber("waspada-scoring", consumer), _Subscriber("idle", None)])
    assert sorted(metrics.consumer_lag(broker)) == [
        ("waspada-scoring", "reports.accepted.v1", 0, 20),
        ("waspada-scoring", "reports.accepted.v1", 1, 0),
    ]


def test_a_consumer_in_a_rebalance_reports_nothing() -> None:
    consumer = _Consumer({TopicPartition("t", 0): _TpState(10, 5)})
    consumer._subscription.subscription = None
    assert list(metrics.consumer_lag(_Broker([_Subscriber("g", consumer)]))) == []


def test_install_exposes_lag_pool_build_info_and_regions_once_per_service() -> None:
    registry = CollectorRegistry()
    consumer = _Consumer({TopicPartition("risk.assessed.v1", 3): _TpState(highwater=10, position=4)})
    state: dict[str, object] = {}
    metrics.install("notify", _Broker([_Subscriber("waspada-notify", consumer)]), state, registry=registry)
    metrics.install("scoring", _Broker(), {"pool": _Pool()}, regions=True, registry=registry)
    # installing again (an app built twice) replaces, it does not fail on duplicate names
    metrics.install("scoring", _Broker(), {"pool": _Pool()}, regions=True, registry=registry)

    lag = {"group": "waspada-notify", "topic": "risk.assessed.v1", "partition": "3"}
    assert sample(registry, "waspada_kafka_consumer_lag", lag) == 6
    # notify's pool does not exist before its lifespan starts: no series rather than a wrong 0
    assert sample(registry, "waspada_db_pool_max_connections", {"service": "notify"}) is None
    state["pool"] = _Pool()
    assert sample(registry, "waspada_db_pool_connections", {"service": "notify", "state": "in_use"}) == 4
    assert sample(registry, "waspada_db_pool_connections", {"service": "scoring", "state": "idle"}) == 3
    # the size limit is its own gauge, so summing the states gives the open connections
    assert sample(registry, "waspada_db_pool_max_connections", {"service": "scoring"}) == 10
    assert sample(registry, "waspada_db_pool_connections", {"service": "scoring", "state": "max"}) is None
    text = generate_latest(registry).decode()
    assert text.count('waspada_build_info{service="scoring"') == 1
    assert text.count("waspada_province_info{") == 38
    assert text.count("waspada_regency_info{") == 514
    assert (
        'waspada_province_info{lat="-2.4499",lon="106.5561",name="Kepulauan Bangka Belitung",province="19"} 1.0'
        in text
    )


class _FailingBroker:
    """Kafka acknowledges the first record and refuses the second."""

    def __init__(self) -> None:
        self.calls = 0

    async def publish(self, value: bytes, **_: Any) -> asyncio.Future[None]:
        self.calls += 1
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.calls == 2:
            future.set_exception(RuntimeError("NotLeaderForPartition"))
        else:
            future.set_result(None)
        return future


async def test_publish_all_counts_unacknowledged_records_by_topic_and_raises() -> None:
    topic = "test.publish-errors.v1"
    before = metrics.KAFKA_PUBLISH_ERRORS.labels(topic=topic)._value.get()
    with pytest.raises(RuntimeError, match="NotLeaderForPartition"):
        await publish_all(_FailingBroker(), [OutMessage(topic, "19", b"{}"), OutMessage(topic, "19", b"{}")])  # type: ignore[arg-type]
    assert metrics.KAFKA_PUBLISH_ERRORS.labels(topic=topic)._value.get() == before + 1
