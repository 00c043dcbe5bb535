"""Intake use cases: accept parsed reports durably, whatever door they came through."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from waspada_shared import jsonutil
from waspada_shared.contracts.rejection import FieldError
from waspada_shared.topics import Topics

from waspada_intake import metrics
from waspada_intake.adapters.crypto import ReporterCipher
from waspada_intake.adapters.outbox import OutboxRelay
from waspada_intake.adapters.store import NewReport, Outcome, ReportStore
from waspada_intake.domain.validation import Parsed, accepted, content_hash


@dataclass(slots=True)
class ItemResult:
    """Outcome of one submitted item, as the HTTP API and the Kafka door report it."""

    index: int
    report_id: str | None
    status: str  # accepted, duplicate, conflict, invalid, forbidden
    received_at: datetime | None = None
    errors: list[FieldError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    province: str | None = None


class IntakeService:
    def __init__(
        self, store: ReportStore, relay: OutboxRelay, cipher: ReporterCipher, topics: Topics
    ) -> None:
        self.store = store
        self.relay = relay
        self.cipher = cipher
        self.topics = topics

    async def accept(
        self, items: list[tuple[int, Parsed]], submitted_by: str, now: datetime
    ) -> list[ItemResult]:
        """Store valid parsed reports (one transaction); return a result per item, in input order."""
        new: list[NewReport] = []
        for _, parsed in items:
            report = parsed.report
            assert report is not None
            facts = accepted(report, now, submitted_by)
            payload = jsonutil.dumps(facts)
            new.append(
                NewReport(
                    report_id=report.report_id,
                    content_hash=content_hash(report),
                    province=report.region.province,
                    regency=report.region.regency,
                    facts=jsonutil.loads(payload),
                    reporter_enc=self.cipher.encrypt(report.reporter),
                    received_at=now,
                    submitted_by=submitted_by,
                    outbox_topic=self.topics.accepted,
                    outbox_payload=payload,
                )
            )
        stored = await self.store.store(new) if new else []
        if any(s.outcome is Outcome.ACCEPTED for s in stored):
            self.relay.notify()
        results: list[ItemResult] = []
        for (index, parsed), s in zip(items, stored, strict=True):
            report = parsed.report
            assert report is not None
            province = report.region.province
            metrics.REPORTS.labels(outcome=s.outcome.value, province=province).inc()
            errors = []
            if s.outcome is Outcome.CONFLICT:
                errors = [
                    FieldError(
                        field="report_id",
                        message=f"report_id already used for different content, received at "
                        f"{s.received_at.isoformat()}",
                        code="conflict",
                    )
                ]
            results.append(
                ItemResult(
                    index, report.report_id, s.outcome.value, s.received_at, errors, parsed.notes, province
                )
            )
        return results
