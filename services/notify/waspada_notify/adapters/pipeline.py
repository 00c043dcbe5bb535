"""The Kafka side of notify: consume `risk.assessed.v1` in batches into the alert processor.

Offsets are committed only after the batch's transaction commits (NACK_ON_ERROR): a crash or a
database error means redelivery, and redelivered assessments change nothing (`processed`).
The alert topics are written by the delivery worker (channel `kafka`), not here, so that lifecycle
events made by the sweep or by acknowledgements reach them as well.
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage

from waspada_notify.adapters.processor import AlertProcessor, PendingAssessment
from waspada_shared.kafka import batch_subscriber, parse_with_records, records
from waspada_shared.logging import get_logger
from waspada_shared.topics import Topics

log = get_logger(__name__)


def register(
    broker: KafkaBroker, topics: Topics, processor: AlertProcessor, batch: int, group_id: str
) -> None:
    @batch_subscriber(
        broker,
        topics.assessed,
        group_id=group_id,
        batch=batch,
        batch_timeout_ms=10,  # escalations are sent at once: keep the batching wait short
        title="notify.assessed",
        description="Risk assessments turned into grouped alerts and their deliveries.",
    )
    async def on_assessed(msg: KafkaMessage) -> None:
        # The head of each assessment only: the processor reads the rest of those that matter.
        parsed = [
            (rec, head.with_raw(rec.value or b""))
            for rec, head in parse_with_records(records(msg), PendingAssessment, "assessment")
        ]
        # Each assessment moves the event-time clock of its partition (a province's assessments share
        # one): quiet time is counted on it, so batching never changes what resolves when.
        # Every partition of the topic has a clock, read from or not yet, owned by this consumer or by
        # another (during a rebalance, or with several notify processes): the national roll-ups wait
        # for all of them. The aiokafka consumer's metadata; FastStream types it as a protocol without.
        partitions_for = getattr(msg.consumer, "partitions_for_topic", None)
        known = partitions_for(topics.assessed) if callable(partitions_for) else None
        assigned = [clock_key(topics.assessed, p) for p in sorted(known or ())]
        await processor.process(
            [a for _, a in parsed],
            clocks=[clock_key(rec.topic, rec.partition) for rec, _ in parsed],
            assigned=assigned,
        )


def clock_key(topic: str, partition: int) -> str:
    return f"{topic}:{partition}"
