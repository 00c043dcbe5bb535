"""Intake use cases: accept parsed reports durably, whatever door they came through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from waspada_intake import metrics
from waspada_intake.adapters.crypto import ReporterCipher
from waspada_intake.adapters.store import NewReport, Outcome, StoreResult
from waspada_intake.domain.validation import Parsed, prepare
from waspada_shared.contracts.rejection import FieldError
from waspada_shared.problems import field_error
from waspada_shared.topics import Topics

StoreFn = Callable[[list[NewReport]], Awaitable[list[StoreResult]]]


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
        self,
        store: StoreFn,
        on_commit: Callable[[], None],
        cipher: ReporterCipher,
        topics: Topics,
    ) -> None:
        self.store = store  # the group committer in the service; a plain ReportStore.store works too
        self.on_commit = on_commit  # wakes the outbox relay
        self.cipher = cipher
        self.topics = topics

    async def accept(
        self, items: list[tuple[int, Parsed]], submitted_by: str, now: datetime, *, indonesian: bool = False
    ) -> list[ItemResult]:
        """Store valid parsed reports durably; return a result per item, in input order."""
        new: list[NewReport] = []
        for _, parsed in items:
            report = parsed.report
            assert report is not None
            prepared = prepare(report, now, submitted_by)
            new.append(
                NewReport(
                    report_id=report.report_id,
                    content_hash=prepared.content_hash,
                    province=report.region.province,
                    regency=report.region.regency,
                    payload=prepared.payload,
                    reporter_enc=self.cipher.encrypt(report.reporter, report.report_id),
                    received_at=now,
                    submitted_by=submitted_by,
                    outbox_topic=self.topics.accepted,
                )
            )
        stored = await self.store(new) if new else []
        if any(s.outcome is Outcome.ACCEPTED for s in stored):
            self.on_commit()
        results: list[ItemResult] = []
        for (index, parsed), s in zip(items, stored, strict=True):
            report = parsed.report
            assert report is not None
            province = report.region.province
            metrics.count_report(s.outcome.value, province)
            errors = []
            if s.outcome is Outcome.CONFLICT:
                errors = [
                    field_error(
                        "report_id",
                        "conflict",
                        "report_id already used for different content, first received at "
                        f"{s.received_at.isoformat()}",
                        indonesian=indonesian,
                        received_at=s.received_at.isoformat(),
                    )
                ]
            results.append(
                ItemResult(
                    index, report.report_id, s.outcome.value, s.received_at, errors, parsed.notes, province
                )
            )
        return results
