"""Consume risk assessments in batches, decide alerts, store them with their pending deliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy
from pydantic import ValidationError
from waspada_shared import jsonutil
from waspada_shared.contracts.alert import Alert, Audience
from waspada_shared.contracts.risk import RiskAssessed
from waspada_shared.kafka import OutMessage, publish_all
from waspada_shared.logging import get_logger
from waspada_shared.topics import Topics

from waspada_notify.adapters.delivery import DeliveryWorker, Receiver
from waspada_notify.domain.alerting import audiences_for, decide, group_key

log = get_logger(__name__)


def _records(msg: Any) -> tuple[Any, ...]:
    raw = msg.raw_message
    return tuple(raw) if isinstance(raw, (tuple, list)) else (raw,)


class AlertPipeline:
    def __init__(
        self,
        pool: asyncpg.Pool,
        broker: KafkaBroker,
        topics: Topics,
        receivers: list[Receiver],
        worker: DeliveryWorker,
    ) -> None:
        self.pool = pool
        self.broker = broker
        self.topics = topics
        self.receivers = receivers
        self.worker = worker

    async def process(self, assessments: list[RiskAssessed]) -> list[Alert]:
        """Apply new assessments in one transaction; return alert versions that changed."""
        now = datetime.now(UTC)
        changed: dict[str, Alert] = {}
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await conn.fetch(
                "INSERT INTO notify.processed (report_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING"
                " RETURNING report_id",
                [a.report_id for a in assessments],
            )
            fresh_ids = {r["report_id"] for r in fresh}
            todo = [a for a in assessments if a.report_id in fresh_ids]
            if not todo:
                return []
            keys = sorted({group_key(a.region.province, a.region.regency, a.category.value) for a in todo})
            rows = await conn.fetch(
                "SELECT payload FROM notify.alerts WHERE group_key = ANY($1::text[]) AND status = 'firing'"
                " FOR UPDATE",
                keys,
            )
            current: dict[tuple[str, str], Alert] = {}
            for row in rows:
                alert = Alert.model_validate(row["payload"])
                current[(alert.group_key, alert.audience.value)] = alert
            touched: dict[tuple[str, str], Alert] = {}
            for a in sorted(todo, key=lambda x: x.occurred_at):
                key = group_key(a.region.province, a.region.regency, a.category.value)
                for audience in Audience:
                    if audience not in audiences_for(a.level) and (key, audience.value) not in current:
                        continue
                    before = current.get((key, audience.value))
                    after = decide(before, a, audience, now)
                    if after is None:
                        continue
                    current[(key, audience.value)] = after
                    touched[(key, audience.value)] = after
                    if before is None or after.version != before.version:
                        changed[f"{after.alert_id}/{after.version}"] = after
            if touched:
                alerts = list(touched.values())
                await conn.execute(
                    """
                    INSERT INTO notify.alerts (alert_id, group_key, audience, province, regency, category, level,
                                               status, version, first_seen, updated_at, payload)
                    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                         $7::text[], $8::text[], $9::int[], $10::timestamptz[],
                                         $11::timestamptz[], $12::jsonb[])
                    ON CONFLICT (alert_id) DO UPDATE SET level = excluded.level, status = excluded.status,
                        version = excluded.version, updated_at = excluded.updated_at, payload = excluded.payload
                    """,
                    [x.alert_id for x in alerts],
                    [x.group_key for x in alerts],
                    [x.audience.value for x in alerts],
                    [x.province for x in alerts],
                    [x.regency for x in alerts],
                    [x.category.value for x in alerts],
                    [x.level.value for x in alerts],
                    [x.status.value for x in alerts],
                    [x.version for x in alerts],
                    [x.first_seen for x in alerts],
                    [x.updated_at for x in alerts],
                    [x.model_dump(mode="json") for x in alerts],
                )
            versions = list(changed.values())
            rows_out = [
                (v.alert_id, v.version, r.name, r.channel, r.target, v.model_dump(mode="json"))
                for v in versions
                for r in self.receivers
                if r.wants(v)
            ]
            if rows_out:
                await conn.execute(
                    """
                    INSERT INTO notify.deliveries (alert_id, version, receiver, channel, target, payload)
                    SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
                    ON CONFLICT DO NOTHING
                    """,
                    *[list(col) for col in zip(*rows_out, strict=True)],
                )
        if changed:
            self.worker.notify()
        return list(changed.values())

    def register(self, batch: int) -> None:
        @self.broker.subscriber(
            self.topics.assessed,
            group_id="waspada-notify",
            batch=True,
            max_records=batch,
            batch_timeout_ms=20,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title="notify.assessed",
            description="Risk assessments turned into grouped alerts.",
        )
        async def on_assessed(body: list[Any], msg: KafkaMessage) -> None:
            assessments: list[RiskAssessed] = []
            for rec in _records(msg):
                try:
                    assessments.append(RiskAssessed.model_validate_json(rec.value or b""))
                except ValidationError as exc:
                    log.error(
                        "unreadable assessment skipped",
                        partition=rec.partition,
                        offset=rec.offset,
                        error=str(exc)[:500],
                    )
            changed = await self.process(assessments)
            # Alert lifecycle events for aggregation consumers (at least once; keyed by province,
            # consumers de-duplicate by alert_id + version).
            await publish_all(
                self.broker,
                (
                    OutMessage(
                        self.topics.alerts_national
                        if x.audience is Audience.NATIONAL
                        else self.topics.alerts_province,
                        x.province,
                        jsonutil.dumps(x),
                    )
                    for x in changed
                    if x.audience is not Audience.REGENCY
                ),
            )
