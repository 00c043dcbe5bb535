"""Metrics every service shares: Kafka consumer lag, DB pool use, Kafka publish errors, build and region info.

FastStream's `KafkaPrometheusMiddleware` (see `kafka.make_broker`) already counts received, processed and
published messages and times handlers (`faststream_*`); this module adds what it cannot see. The
collectors read live objects at scrape time, so there is no sampling task to start or stop.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any, cast

from prometheus_client import REGISTRY, CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from waspada_shared.regions import reference

KAFKA_PUBLISH_ERRORS = Counter(
    "waspada_kafka_publish_errors_total",
    "Records Kafka did not acknowledge (the caller keeps its input and retries), by topic",
    ["topic"],
)


def consumer_lag(broker: Any) -> Iterator[tuple[str, str, int, int]]:
    """(group, topic, partition, lag) for every partition assigned to the broker's running consumers.

    Lag is the partition's high watermark (from the last fetch response) minus the consumer's position
    (the next offset it will hand to the handler): the records this process still has to process.
    """
    for sub in getattr(broker, "subscribers", ()):
        # ConcurrentBetweenPartitions subscribers keep several consumers; the others keep one.
        consumers = getattr(sub, "consumer_subgroup", None) or [getattr(sub, "consumer", None)]
        group = getattr(sub, "group_id", None) or ""
        for consumer in consumers:
            if consumer is None:
                continue
            yield from _consumer_lag(consumer, group)


def _consumer_lag(consumer: Any, group: str) -> Iterator[tuple[str, str, int, int]]:
    try:
        assigned = consumer.assignment()
        # position() is a coroutine in aiokafka, but collect() runs synchronously inside the scrape:
        # read the same per-partition state it returns. During a rebalance there is no assignment.
        state = consumer._subscription.subscription
        assignment = state.assignment if state is not None else None
    except (AttributeError, AssertionError):
        return
    if assignment is None:
        return
    for tp in sorted(assigned):
        tp_state = assignment.state_value(tp)
        if tp_state is None or tp_state.highwater is None or not tp_state.has_valid_position:
            continue  # not fetched yet: unknown, not zero
        yield group, tp.topic, tp.partition, max(0, tp_state.highwater - tp_state.position)


def pool_use(pool: Any) -> dict[str, int]:
    """Open connections of an asyncpg pool by state: in_use, idle (they add up to the pool's size)."""
    size, idle = pool.get_size(), pool.get_idle_size()
    return {"in_use": size - idle, "idle": idle}


def _version() -> str:
    try:
        return metadata.version("waspada")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True, slots=True)
class ServiceSources:
    """What one service exposes: its broker (consumers), its state holder (pool) and whether regions."""

    service: str
    broker: Any
    state: Mapping[str, object]  # the service's holder; "pool" appears once the lifespan has started
    regions: bool = False


class SharedCollector(Collector):
    """Scrape-time metrics of the services installed in one registry (one per process in production).

    One collector per registry, holding every installed service, because a registry refuses two
    collectors exposing the same metric names (tests build several apps in one process).
    """

    def __init__(self) -> None:
        self.services: dict[str, ServiceSources] = {}
        self.version = _version()

    def collect(self) -> Iterable[Metric]:
        sources = [self.services[name] for name in sorted(self.services)]
        build = GaugeMetricFamily(
            "waspada_build_info", "Always 1; the service and its version", labels=["service", "version"]
        )
        lag = GaugeMetricFamily(
            "waspada_kafka_consumer_lag",
            "Records not yet processed by this process's consumer (high watermark - position)",
            labels=["group", "topic", "partition"],
        )
        # The capacity is its own gauge: as a third `state` it would be summed with the open connections.
        pool = GaugeMetricFamily(
            "waspada_db_pool_connections",
            "PostgreSQL pool connections open, by state (in_use, idle)",
            labels=["service", "state"],
        )
        pool_max = GaugeMetricFamily(
            "waspada_db_pool_max_connections", "PostgreSQL pool size limit (max_size)", labels=["service"]
        )
        for src in sources:
            build.add_metric([src.service, self.version], 1)
            for group, topic, partition, value in consumer_lag(src.broker):
                lag.add_metric([group, topic, str(partition)], value)
            holder = src.state.get("pool")
            if holder is not None:
                for state, value in pool_use(holder).items():
                    pool.add_metric([src.service, state], value)
                pool_max.add_metric([src.service], cast(Any, holder).get_max_size())
        yield from (build, lag, pool, pool_max)
        if any(src.regions for src in sources):
            yield from region_info()


def region_info() -> Iterator[Metric]:
    """Names and centroids of every province and regency, for Grafana joins and the geomap panel.

    Static series (one per region, value 1): a dashboard joins them onto per-province metrics with
    `* on(province) group_left(name, lat, lon)`, and the geomap reads lat/lon from the labels.
    """
    ref = reference()
    provinces = GaugeMetricFamily(
        "waspada_province_info",
        "Always 1; Kemendagri province code, name and centroid",
        labels=["province", "name", "lat", "lon"],
    )
    for p in sorted(ref.provinces.values(), key=lambda p: p.code):
        provinces.add_metric([p.code, p.name, f"{p.lat:.4f}", f"{p.lon:.4f}"], 1)
    yield provinces
    regencies = GaugeMetricFamily(
        "waspada_regency_info",
        "Always 1; Kemendagri regency/city code, its province, name and centroid",
        labels=["province", "regency", "name", "lat", "lon"],
    )
    for r in sorted(ref.regencies.values(), key=lambda r: r.code):
        regencies.add_metric([r.province_code, r.code, r.name, f"{r.lat:.4f}", f"{r.lon:.4f}"], 1)
    yield regencies


_collectors: dict[int, SharedCollector] = {}


def install(
    service: str,
    broker: Any,
    state: Mapping[str, object],
    *,
    regions: bool = False,
    registry: CollectorRegistry = REGISTRY,
) -> None:
    """Expose the shared metrics of `service` (consumer lag, pool use, build info; regions if asked).

    Idempotent: installing a service again (an app built twice, as tests do) replaces its sources.
    """
    collector = _collectors.get(id(registry))
    if collector is None:
        collector = _collectors[id(registry)] = SharedCollector()
        registry.register(collector)
    collector.services[service] = ServiceSources(service, broker, state, regions)
