"""Publishing assessments straight through aiokafka.

FastStream's `broker.publish` costs about 50 µs of CPU per message on this machine in middleware
(three times the send itself); at 500 assessments per batch that is a quarter of scoring's time.
The producer has the broker's durability settings (acks=all, idempotence); failures are counted in
`waspada_kafka_publish_errors_total` like `waspada_shared.kafka.publish_all`, and raised so that
the batch's offsets are not committed. Scoring's published volume is `waspada_scoring_assessments_total`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from waspada_shared.kafka import OutMessage
from waspada_shared.metrics import KAFKA_PUBLISH_ERRORS
from waspada_shared.topics import headers


def _encoded_headers(schema_version: int) -> list[tuple[str, bytes]]:
    return [(k, v.encode()) for k, v in headers(schema_version).items()]


class AssessmentPublisher:
    def __init__(self, bootstrap: str, client_id: str = "waspada-scoring") -> None:
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        # Started on first use: the consumer only hands over batches once Kafka is reachable.
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap,
                    client_id=self._client_id,
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=5,
                    max_batch_size=256 * 1024,
                    request_timeout_ms=30_000,
                )
                await producer.start()
                self._producer = producer
            return self._producer

    async def publish(self, messages: Sequence[OutMessage]) -> None:
        """Send all and wait until Kafka acknowledged every one; raise the first failure."""
        if not messages:
            return
        producer = await self._started()
        futures = [
            await producer.send(
                m.topic,
                m.value,
                key=m.key.encode(),
                headers=_encoded_headers(m.schema_version),
            )
            for m in messages
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        failed = [
            (m.topic, r) for m, r in zip(messages, results, strict=True) if isinstance(r, BaseException)
        ]
        for topic, _ in failed:
            KAFKA_PUBLISH_ERRORS.labels(topic=topic).inc()
        if failed:
            raise failed[0][1]

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
