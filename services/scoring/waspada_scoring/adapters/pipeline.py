"""Consume accepted reports in batches, assess them idempotently, publish assessments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy
from pydantic import ValidationError
from waspada_shared import jsonutil
from waspada_shared.contracts.report import AcceptedReport
from waspada_shared.contracts.risk import AssessedRegion, RiskAssessed
from waspada_shared.kafka import OutMessage, publish_all
from waspada_shared.logging import get_logger
from waspada_shared.topics import Topics

from waspada_scoring.domain.model import MODEL_VERSION, History, assess, observe

log = get_logger(__name__)


def _records(msg: Any) -> tuple[Any, ...]:
    raw = msg.raw_message
    return tuple(raw) if isinstance(raw, (tuple, list)) else (raw,)


class ScoringPipeline:
    def __init__(self, pool: asyncpg.Pool, broker: KafkaBroker, topics: Topics) -> None:
        self.pool = pool
        self.broker = broker
        self.topics = topics

    async def process(self, reports: list[AcceptedReport]) -> list[RiskAssessed]:
        """Assess new reports in one transaction; return new and earlier assessments to publish."""
        ids = [r.report_id for r in reports]
        out: list[RiskAssessed] = []
        async with self.pool.acquire() as conn, conn.transaction():
            done_rows = await conn.fetch(
                "SELECT report_id, payload FROM scoring.assessments WHERE report_id = ANY($1::text[])", ids
            )
            done = {r["report_id"]: r["payload"] for r in done_rows}
            new = [r for r in reports if r.report_id not in done]
            seen: set[str] = set()
            new = [r for r in new if not (r.report_id in seen or seen.add(r.report_id))]  # type: ignore[func-returns-value]
            regencies = sorted({r.region.regency for r in new})
            state_rows = await conn.fetch(
                "SELECT regency, state FROM scoring.region_state WHERE regency = ANY($1::text[]) FOR UPDATE",
                regencies,
            )
            histories = {r["regency"]: History(dict(r["state"]["daily"])) for r in state_rows}
            now = datetime.now(UTC)
            assessed: list[RiskAssessed] = []
            for report in new:
                history = histories.setdefault(report.region.regency, History())
                a = assess(report, history)
                observe(history, report.occurred_at)
                assessed.append(
                    RiskAssessed(
                        report_id=report.report_id,
                        region=AssessedRegion(
                            province=report.region.province,
                            regency=report.region.regency,
                            district=report.region.district,
                        ),
                        category=report.category,
                        kind=report.kind,
                        form=report.form,
                        occurred_at=report.occurred_at,
                        received_at=report.received_at,
                        score=a.score,
                        level=a.level,
                        factors=a.factors,
                        reasons=a.reasons,
                        summary=report.summary,
                        region_state=a.region_state,
                        model_version=MODEL_VERSION,
                        assessed_at=now,
                    )
                )
            if assessed:
                payloads = [a.model_dump(mode="json") for a in assessed]
                await conn.execute(
                    """
                    INSERT INTO scoring.assessments
                        (report_id, regency, category, occurred_at, score, level, model_version, payload)
                    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::real[],
                                         $6::text[], $7::text[], $8::jsonb[])
                    ON CONFLICT (report_id) DO NOTHING
                    """,
                    [a.report_id for a in assessed],
                    [a.region.regency for a in assessed],
                    [a.category.value for a in assessed],
                    [a.occurred_at for a in assessed],
                    [a.score for a in assessed],
                    [a.level.value for a in assessed],
                    [a.model_version for a in assessed],
                    payloads,
                )
                touched = sorted({a.region.regency for a in assessed})
                await conn.execute(
                    """
                    INSERT INTO scoring.region_state (regency, state, updated_at)
                    SELECT r, s, now() FROM unnest($1::text[], $2::jsonb[]) AS t(r, s)
                    ON CONFLICT (regency) DO UPDATE SET state = excluded.state, updated_at = now()
                    """,
                    touched,
                    [{"daily": histories[r].daily} for r in touched],
                )
            out.extend(RiskAssessed.model_validate(p) for p in done.values())
            out.extend(assessed)
        return out

    def register(self, batch: int) -> None:
        @self.broker.subscriber(
            self.topics.accepted,
            group_id="waspada-scoring",
            batch=True,
            max_records=batch,
            batch_timeout_ms=50,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title="scoring.accepted",
            description="Accepted reports, assessed in event time per regency.",
        )
        async def on_accepted(body: list[Any], msg: KafkaMessage) -> None:
            reports: list[AcceptedReport] = []
            for rec in _records(msg):
                try:
                    reports.append(AcceptedReport.model_validate_json(rec.value or b""))
                except ValidationError as exc:
                    # Intake validated it; an unreadable record is logged and skipped, never retried forever.
                    log.error(
                        "unreadable accepted report skipped",
                        partition=rec.partition,
                        offset=rec.offset,
                        error=str(exc)[:500],
                    )
            results = await self.process(reports)
            await publish_all(
                self.broker,
                (OutMessage(self.topics.assessed, a.region.regency, jsonutil.dumps(a)) for a in results),
            )
