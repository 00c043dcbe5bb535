"""The alert topics (`alerts.province.v1`, `alerts.national.v1`) as a delivery channel.

Publishing through the delivery log (an outbox) means lifecycle events made by the sweep or an
acknowledgement reach the topics too, and a failed publish is retried, never lost. Consumers get each
event at least once and de-duplicate by alert id + version.
"""

from __future__ import annotations

import orjson
from faststream.kafka import KafkaBroker

from waspada_notify.adapters.receivers import Claimed, Outcome
from waspada_shared.topics import headers


class KafkaChannel:
    name = "kafka"

    def __init__(self, broker: KafkaBroker) -> None:
        self.broker = broker

    async def close(self) -> None:
        return None

    async def send(self, delivery: Claimed) -> Outcome:
        try:
            await self.broker.publish(
                orjson.dumps(delivery.payload),
                topic=delivery.target,
                key=str(delivery.payload["province"]).encode(),
                headers=headers(1),
            )
        except Exception as exc:  # aiokafka raises several types; all mean "not acknowledged"
            return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
        return Outcome(True)
