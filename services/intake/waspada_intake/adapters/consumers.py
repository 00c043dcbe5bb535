"""Kafka doors of intake: reports produced directly by agencies, and assessments read back for state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy
from waspada_shared.contracts.rejection import FieldError, RejectedReport
from waspada_shared.kafka import OutMessage, publish_all
from waspada_shared.logging import get_logger
from waspada_shared.topics import Topics

from waspada_intake import metrics
from waspada_intake.adapters.store import ReportStore
from waspada_intake.domain.validation import Parsed, parse_bytes, strip_reporter
from waspada_intake.service import IntakeService

log = get_logger(__name__)

KAFKA_SUBMITTER = "kafka"


def records(msg: Any) -> tuple[ConsumerRecord[bytes, bytes], ...]:
    raw = msg.raw_message
    return tuple(raw) if isinstance(raw, (tuple, list)) else (raw,)


def _rejection(
    rec: ConsumerRecord[bytes, bytes], reason: str, errors: list[FieldError], now: datetime
) -> RejectedReport:
    original: str
    try:
        original = orjson.dumps(strip_reporter(orjson.loads(rec.value or b""))).decode()
    except orjson.JSONDecodeError:
        original = (rec.value or b"").decode("utf-8", errors="replace")[:65536]
    return RejectedReport(
        reason=reason,
        errors=errors,
        original=original,
        source_topic=rec.topic,
        source_partition=rec.partition,
        source_offset=rec.offset,
        received_at=now,
    )


def register(
    broker: KafkaBroker, service: IntakeService, store: ReportStore, topics: Topics, batch: int
) -> None:
    @broker.subscriber(
        topics.submitted,
        group_id="waspada-intake",
        batch=True,
        max_records=batch,
        batch_timeout_ms=50,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,  # DB down: seek back and retry; never commit unstored input
        title="intake.submitted",
        description="Reports produced directly by agencies; validated like HTTP submissions.",
    )
    async def on_submitted(body: list[Any], msg: KafkaMessage) -> None:
        now = datetime.now(UTC)
        recs = records(msg)
        valid: list[tuple[int, Parsed]] = []
        rejects: list[tuple[str | None, RejectedReport]] = []
        for i, rec in enumerate(recs):
            parsed = parse_bytes(rec.value or b"", now)
            if parsed.ok:
                valid.append((i, parsed))
            else:
                rejects.append((parsed.province_hint, _rejection(rec, "invalid", parsed.errors, now)))
                metrics.REJECTIONS.labels(
                    reason=parsed.errors[0].code if parsed.errors else "invalid", door="kafka"
                ).inc()
        if valid:
            for r in await service.accept(valid, KAFKA_SUBMITTER, now):
                if r.status == "conflict":
                    rejects.append((r.province, _rejection(recs[r.index], "conflict", r.errors, now)))
        if rejects:
            await publish_all(
                broker,
                (
                    OutMessage(topics.rejected, province or "unknown", rej.model_dump_json().encode())
                    for province, rej in rejects
                ),
            )
            await store.record_rejections([(p, r.reason) for p, r in rejects])
            log.info("reports rejected", count=len(rejects), topic=topics.submitted)

    @broker.subscriber(
        topics.assessed,
        group_id="waspada-intake-state",
        batch=True,
        max_records=batch,
        batch_timeout_ms=50,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="intake.assessed",
        description="Assessments read back to show a report's state (`assessed`, score, level).",
    )
    async def on_assessed(body: list[Any], msg: KafkaMessage) -> None:
        rows = []
        for rec in records(msg):
            try:
                a = orjson.loads(rec.value or b"")
                rows.append(
                    (
                        a["report_id"],
                        float(a["score"]),
                        a["level"],
                        a["model_version"],
                        datetime.fromisoformat(a["assessed_at"]),
                    )
                )
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                log.warning("unreadable assessment skipped", offset=rec.offset, partition=rec.partition)
        await store.mark_assessed(rows)
