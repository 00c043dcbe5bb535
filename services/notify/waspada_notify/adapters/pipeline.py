"""The Kafka side of notify: consume `risk.assessed.v1` in batches into the alert processor.

Offsets are committed only after the batch's transaction commits (NACK_ON_ERROR): a crash or a
database error means redelivery, and redelivered assessments change nothing (`processed`).
The alert topics are written by the delivery worker (channel `kafka`), not here, so that lifecycle
events made by the sweep or by acknowledgements reach them as well.
"""

from __future__ import annotations

from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy

from waspada_notify.adapters.processor import AlertProcessor
from waspada_shared.contracts.risk import RiskAssessed
from waspada_shared.kafka import parse_records, raw_bodies, records
from waspada_shared.logging import get_logger
from waspada_shared.topics import Topics

log = get_logger(__name__)


def register(
    broker: KafkaBroker, topics: Topics, processor: AlertProcessor, batch: int, group_id: str
) -> None:
    @broker.subscriber(
        topics.assessed,
        group_id=group_id,
        batch=True,
        max_records=batch,
        batch_timeout_ms=10,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=raw_bodies,
        title="notify.assessed",
        description="Risk assessments turned into grouped alerts and their deliveries.",
    )
    async def on_assessed(body: list[Any], msg: KafkaMessage) -> None:
        assessments = parse_records(records(msg), RiskAssessed, "assessment")
        await processor.process(assessments)
