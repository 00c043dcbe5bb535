"""Kafka door of intake: reports produced directly by agencies.

The subscriber takes the records' raw bytes (no FastStream decoding): a record that is not JSON would
otherwise fail the whole batch before the handler runs, and be redelivered forever. Every record of a
batch ends up stored, skipped as a duplicate, or dead-lettered, so a poison record never stalls its
partition; only an unreachable database or broker makes the batch retry.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage

from waspada_intake import metrics
from waspada_intake.adapters.store import ReportStore
from waspada_intake.domain.validation import Parsed, original_for_dead_letter, parse_bytes
from waspada_intake.service import IntakeService
from waspada_shared.contracts.rejection import FieldError, RejectedReport
from waspada_shared.kafka import OutMessage, batch_subscriber, publish_all, records
from waspada_shared.logging import get_logger
from waspada_shared.regions import reference
from waspada_shared.topics import NATIONAL_SCOPE, Topics

log = get_logger(__name__)

KAFKA_SUBMITTER = "kafka"
ORIGINAL_LIMIT = 64 * 1024  # characters of the original kept in a dead letter


def rejection(
    rec: ConsumerRecord[bytes, bytes], reason: str, errors: list[FieldError], now: datetime
) -> RejectedReport:
    """The dead letter for one record: reasons, and the original without any reporter."""
    return RejectedReport(
        reason=reason,
        errors=errors,
        original=original_for_dead_letter(rec.value or b"", ORIGINAL_LIMIT),
        source_topic=rec.topic,
        source_partition=rec.partition,
        source_offset=rec.offset,
        received_at=now,
    )


def _reason(parsed: Parsed) -> str:
    code = parsed.reason
    if code in ("json_invalid", "too_large"):
        return "not_json" if code == "json_invalid" else "too_large"
    return "invalid"


def out_of_scope(parsed: Parsed, scope: str | None) -> FieldError | None:
    """Why a valid report may not come through its topic's door, or None if it may.

    The broker lets an agency write only to its scope's topic (ACLs, docs/security.md); this is the other
    half: the report must be of that scope's province. The province compared is the one intake stores
    (legacy codes normalised), so a report the scope's agency may write is exactly one of its province.
    """
    if scope == NATIONAL_SCOPE or parsed.report is None:
        return None
    province = parsed.report.region.province
    if province == scope:
        return None
    return FieldError(
        field="region.province",
        code="out_of_scope",
        message=f"province {province} is outside the scope of this topic (province {scope or '?'})",
    )


def register(
    broker: KafkaBroker,
    service: IntakeService,
    store: ReportStore,
    topics: Topics,
    batch: int,
    max_bytes: int,
) -> None:
    @batch_subscriber(
        broker,
        topics.submission_topics(reference().provinces),
        group_id=topics.name("waspada-intake"),  # prefixed: deployments sharing a cluster stay apart
        batch=batch,
        title="intake.submitted",
        description="Reports produced directly by agencies, on the national door `reports.submitted.v1` "
        "or their province's `reports.submitted.v1.<province>`; validated like HTTP submissions. Rejects "
        "(and reports of another province than their topic's) go to reports.rejected.v1 with their reasons.",
    )
    async def on_submitted(msg: KafkaMessage) -> None:
        now = datetime.now(UTC)
        recs = records(msg)
        valid: list[tuple[int, Parsed]] = []
        rejects: list[tuple[str | None, RejectedReport]] = []
        for i, rec in enumerate(recs):
            parsed = parse_bytes(rec.value or b"", now, max_bytes=max_bytes)
            scope = topics.scope_of(rec.topic)
            if parsed.ok and (refused := out_of_scope(parsed, scope)) is not None:
                # Counted and dead-lettered under the submitting scope, not the province it named.
                rejects.append((scope, rejection(rec, "out_of_scope", [refused], now)))
                metrics.REJECTIONS.labels(reason="out_of_scope", door="kafka").inc()
            elif parsed.ok:
                valid.append((i, parsed))
            else:
                rejects.append((parsed.province_hint, rejection(rec, _reason(parsed), parsed.errors, now)))
                metrics.REJECTIONS.labels(reason=parsed.reason, door="kafka").inc()
        if valid:
            for r in await service.accept(valid, KAFKA_SUBMITTER, now):
                if r.status == "conflict":
                    rejects.append((r.province, rejection(recs[r.index], "conflict", r.errors, now)))
                    metrics.REJECTIONS.labels(reason="conflict", door="kafka").inc()
        if rejects:
            provinces = reference().provinces
            known = [p if p in provinces else None for p, _ in rejects]
            # Counted first (idempotent by source): a dead letter on the topic implies its count.
            await store.record_rejections(
                [(p, r.reason) for p, (_, r) in zip(known, rejects, strict=True)],
                door="kafka",
                sources=[f"{r.source_topic}:{r.source_partition}:{r.source_offset}" for _, r in rejects],
            )
            await publish_all(
                broker,
                (
                    OutMessage(topics.rejected, province or "unknown", rej.model_dump_json().encode())
                    for province, (_, rej) in zip(known, rejects, strict=True)
                ),
            )
            log.info("reports rejected", count=len(rejects), topic=topics.submitted)
