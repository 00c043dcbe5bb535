"""Kafka plumbing shared by the services: the broker factory and a keyed batch publisher."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, cast

from aiokafka import AIOKafkaProducer
from aiokafka.helpers import create_ssl_context
from aiokafka.partitioner import murmur2
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.middlewares import AckPolicy
from faststream.security import SASLScram512
from prometheus_client import REGISTRY, CollectorRegistry
from pydantic import BaseModel, ValidationError

from waspada_shared.logging import get_logger
from waspada_shared.metrics import KAFKA_PUBLISH_ERRORS
from waspada_shared.settings import ServiceSettings
from waspada_shared.topics import headers

log = get_logger(__name__)


def client_security(settings: ServiceSettings) -> dict[str, Any]:
    """aiokafka's connection arguments for the deployment's Kafka security; none for PLAINTEXT.

    SASL_PLAINTEXT (the local stack: loopback only) authenticates without TLS; SASL_SSL verifies the
    brokers against `kafka_ssl_cafile` (or the system's CAs) and authenticates over TLS.
    """
    if settings.kafka_security_protocol == "PLAINTEXT":
        return {}
    found: dict[str, Any] = {
        "security_protocol": settings.kafka_security_protocol,
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_sasl_username,
        "sasl_plain_password": settings.kafka_sasl_password.get_secret_value(),
    }
    if settings.kafka_security_protocol == "SASL_SSL":
        found["ssl_context"] = create_ssl_context(cafile=settings.kafka_ssl_cafile or None)
    return found


def env_security() -> dict[str, Any]:
    """`client_security` for tools, tests and scripts: the WASPADA_KAFKA_* settings of their environment.

    On the local stack deploy/local/env.sh exports the super user's demo credentials for them.
    """
    return client_security(ServiceSettings())


def _broker_security(settings: ServiceSettings) -> SASLScram512 | None:
    # FastStream takes the same settings as a security object rather than as aiokafka's arguments.
    found = client_security(settings)
    if not found:
        return None
    return SASLScram512(
        found["sasl_plain_username"],
        found["sasl_plain_password"],
        ssl_context=found.get("ssl_context"),
        use_ssl=found["security_protocol"] == "SASL_SSL",
    )


def make_broker(
    settings: ServiceSettings, service: str, registry: CollectorRegistry = REGISTRY
) -> KafkaBroker:
    """A broker with durable producer settings and FastStream's Prometheus middleware."""
    return KafkaBroker(
        settings.kafka_bootstrap,
        security=_broker_security(settings),
        client_id=f"waspada-{service}",
        acks="all",
        enable_idempotence=True,
        linger_ms=5,  # small batching window: many records per request at high rates
        max_batch_size=256 * 1024,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=f"waspada-{service}")],
        # Handlers take the message itself (`whole_message`): no dependency injection, which resolved
        # the message argument in a worker thread for every batch.
        apply_types=False,
        # FastStream's own line per batch received and processed: debug detail, not an INFO log (at a
        # few reports a second every batch is a record or two, and two unstructured lines each).
        log_level=logging.DEBUG,
        # Retry connecting on start instead of failing: the broker may still be starting.
        request_timeout_ms=30_000,
    )


@dataclass(frozen=True, slots=True)
class OutMessage:
    topic: str
    key: str
    value: bytes
    schema_version: int = 1


async def publish_all(broker: KafkaBroker, messages: Iterable[OutMessage]) -> int:
    """Send many keyed messages at once and wait until Kafka has acknowledged every one.

    Raises if any send fails, so callers keep their input (outbox rows, consumer offsets) for a retry.
    """
    sent = list(messages)
    futures = [
        await broker.publish(
            m.value,
            topic=m.topic,
            key=m.key.encode(),
            headers=headers(m.schema_version),
            no_confirm=True,
        )
        for m in sent
    ]
    if futures:
        results = await asyncio.gather(*futures, return_exceptions=True)
        failed = [(m.topic, r) for m, r in zip(sent, results, strict=True) if isinstance(r, BaseException)]
        for topic, _ in failed:  # FastStream's middleware cannot see failures of unconfirmed sends
            KAFKA_PUBLISH_ERRORS.labels(topic=topic).inc()
        if failed:
            raise failed[0][1]
    return len(futures)


async def start_with_retry(broker: KafkaBroker, service: str, max_delay: float = 5.0) -> None:
    """Start the broker, retrying until Kafka is reachable.

    Run as a background task so that a service starts (and intake accepts reports into its outbox)
    while Kafka is down; /readyz reports Kafka as not ready until this succeeds.
    """
    delay = 0.5
    while True:
        try:
            await broker.start()
            log.info("kafka connected", service=service)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # aiokafka raises several types for "not reachable yet"
            log.warning("kafka not reachable; retrying", service=service, error=str(exc), retry_in_s=delay)
            with contextlib.suppress(Exception):
                await broker.stop()
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)


@cache
def _province_hash(province: bytes) -> int:
    return int(murmur2(province)) & 0x7FFFFFFF


def province_partitioner(key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
    """Partition by the province part of a region key (`PP.RR` -> `PP`; a province key as it is).

    Keys stay regencies, as SPEC §5 says, but all regencies of a province share a partition: every
    consumer then sees a province's reports and assessments in the order they were submitted, and
    what scoring and notify decide across a province's regencies (spread, Level-4 candidates,
    province roll-ups) is the same however a replay is batched. A province key (`PP`) lands where
    its regencies do.
    """
    if key is None:
        return all_partitions[0]
    return all_partitions[_province_hash(key.split(b".", 1)[0]) % len(all_partitions)]


class DirectProducer:
    """Plain aiokafka producer for the hot paths (outbox relay, assessments).

    FastStream's `broker.publish` spends 50-65 µs of CPU per record in its middleware, a direct send about
    20 µs; at thousands of records per second that is a tenth of a core or more. Same durable settings as
    the broker (acks=all, idempotence); started lazily, since Kafka may be down when a service starts;
    records Kafka did not acknowledge are counted in `waspada_kafka_publish_errors_total`, as
    `publish_all` does.
    """

    def __init__(
        self,
        bootstrap: str,
        client_id: str,
        *,
        request_timeout_ms: int = 30_000,
        security: Mapping[str, Any] | None = None,  # client_security(settings)
    ) -> None:
        self.bootstrap = bootstrap
        self.client_id = client_id
        self.request_timeout_ms = request_timeout_ms
        self.security = dict(security or {})
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap,
                    client_id=self.client_id,
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=5,
                    max_batch_size=256 * 1024,
                    request_timeout_ms=self.request_timeout_ms,
                    partitioner=province_partitioner,
                    **self.security,
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def publish(self, messages: Sequence[OutMessage]) -> None:
        """Send every message and wait until Kafka acknowledged all of them; raise the first failure.

        Records are appended to one batch per topic partition (in the given order) and each full batch
        is handed to the producer whole: about half the CPU per record of one `send` each.
        """
        if not messages:
            return
        producer = await self._started()
        partitions: dict[str, list[int]] = {}
        filling: dict[tuple[str, int], tuple[Any, int]] = {}  # (topic, partition) -> (batch, records)
        sent: list[tuple[asyncio.Future[Any], str, int]] = []  # (acknowledgement, topic, records)

        async def submit(tp: tuple[str, int]) -> None:
            batch, count = filling.pop(tp)
            batch.close()
            sent.append((await producer.send_batch(batch, tp[0], partition=tp[1]), tp[0], count))

        for m in messages:
            if m.topic not in partitions:
                partitions[m.topic] = sorted(await producer.partitions_for(m.topic))
            key = m.key.encode()
            tp = (m.topic, province_partitioner(key, partitions[m.topic], partitions[m.topic]))
            headers = _record_headers(m.schema_version)
            if tp in filling:
                batch, count = filling[tp]
                if batch.append(key=key, value=m.value, timestamp=None, headers=headers) is not None:
                    filling[tp] = (batch, count + 1)
                    continue
                await submit(tp)  # full: send it, start the next one
            batch = producer.create_batch()
            if batch.append(key=key, value=m.value, timestamp=None, headers=headers) is None:
                raise ValueError(f"a record for {m.topic} is larger than the producer's batch size")
            filling[tp] = (batch, 1)
        for tp in list(filling):
            await submit(tp)
        results = await asyncio.gather(*(f for f, _, _ in sent), return_exceptions=True)
        errors: list[BaseException] = []
        for (_, topic, count), result in zip(sent, results, strict=True):
            if isinstance(result, BaseException):
                KAFKA_PUBLISH_ERRORS.labels(topic=topic).inc(count)
                errors.append(result)
        if errors:
            raise errors[0]

    async def stop(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()


@cache
def _record_headers(schema_version: int) -> list[tuple[str, bytes]]:
    return [(k, v.encode()) for k, v in headers(schema_version).items()]


def records(msg: Any) -> tuple[Any, ...]:
    """The aiokafka ConsumerRecords behind a FastStream (batch) message."""
    raw = msg.raw_message
    return tuple(raw) if isinstance(raw, (tuple, list)) else (raw,)


async def whole_message(msg: Any) -> Any:
    """FastStream decoder handing the handler the message itself, bodies undecoded.

    Handlers validate each record's bytes once with pydantic (FastStream's own JSON decoding would
    fail a whole batch on one record that is not JSON, a poison message stalling the partition), and
    read the records' topics and partitions and the consumer from the message.
    """
    return msg


M = TypeVar("M", bound=BaseModel)
Handler = TypeVar("Handler", bound=Callable[..., Awaitable[None]])


def parse_records(recs: Iterable[Any], model: type[M], what: str) -> list[M]:
    """Validate every record as `model`; an unreadable one is logged and skipped, never retried forever."""
    return [m for _, m in parse_with_records(recs, model, what)]


def parse_with_records(recs: Iterable[Any], model: type[M], what: str) -> list[tuple[Any, M]]:
    """`parse_records`, each model with the record it came from (its topic, partition, offset)."""
    out: list[tuple[Any, M]] = []
    for rec in recs:
        try:
            out.append((rec, model.model_validate_json(rec.value or b"")))
        except ValidationError as exc:
            log.error(
                f"unreadable {what} skipped", partition=rec.partition, offset=rec.offset, error=str(exc)[:500]
            )
    return out


def batch_subscriber(
    broker: KafkaBroker,
    topic: str | Sequence[str],
    *,
    group_id: str,
    batch: int,
    title: str,
    description: str,
    batch_timeout_ms: int = 50,
) -> Callable[[Handler], Handler]:
    """The subscriber every Waspada consumer uses: batches of raw records, at least once.

    Offsets are committed only after the handler returned; on an exception (database down) the
    consumer seeks back and the batch is redelivered (NACK_ON_ERROR), so nothing unstored is committed.
    Handlers are idempotent, so redeliveries change nothing. Several topics make one consumer (one group
    member) of them all; each record says which topic it came on.
    """
    decorator = broker.subscriber(
        *([topic] if isinstance(topic, str) else topic),
        group_id=group_id,
        batch=True,
        max_records=batch,
        batch_timeout_ms=batch_timeout_ms,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=whole_message,
        title=title,
        description=description,
    )
    # FastStream registers the handler; callers never call the decorated function themselves.
    return cast("Callable[[Handler], Handler]", decorator)
