"""What notify keeps: the state of each group (region or roll-up, per category) and of each alert. Pure.

`GroupState` is one row per group: its current level (as scoring last said, or as the roll-up rule
computes it) and the event times that drive resolution and roll-ups. `AlertRecord` is one alert (per
group and audience) with everything needed to decide its next version and its deliveries; the
`Alert` contract is its public projection.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from waspada_shared.contracts.alert import (
    Alert,
    AlertEvent,
    AlertStatus,
    Audience,
    Candidate,
    CandidateStatus,
    Coverage,
    TopFactor,
)
from waspada_shared.contracts.report import Category, Form, Kind
from waspada_shared.levels import Level

NATIONAL_AREA = "00"  # `province` of a cross-province roll-up (not a Kemendagri code; never a real one)
_NAMESPACE = uuid.UUID("6f1d3c52-5b7e-4a55-9d7e-0c2f4b1e9a10")
_UP = {Audience.REGENCY: Audience.PROVINCE, Audience.PROVINCE: Audience.NATIONAL}


class Via(StrEnum):
    ROUTE = "route"  # the route tree sends this level to this audience
    ACK_ESCALATION = "ack_escalation"  # created because the audience below did not acknowledge
    CANDIDATE = "candidate"  # created to ask this desk about a Level-4 candidate


class Resolution(StrEnum):
    QUIET = "quiet"  # no qualifying report for the quiet time (event time)
    ROLLUP_ENDED = "rollup_ended"  # fewer members than the roll-up needs within its window
    CANDIDATE_DECLINED = "candidate_declined"  # the desk was asked only about Level 4, which was declined


def group_key(province: str, regency: str | None, category: str) -> str:
    return f"{province}/{regency or '*'}/{category}"


def national_key(category: str) -> str:
    return f"*/*/{category}"


def next_audience(audience: Audience) -> Audience | None:
    return _UP.get(audience)


def alert_id_for(key: str, audience: Audience, first_seen: datetime, trigger: str) -> str:
    """Deterministic: replaying the same history yields the same alert ids. The time is written in UTC:
    the same instant comes as a report's local time or as a clock read back from the database."""
    at = first_seen.astimezone(UTC).isoformat()
    return str(uuid.uuid5(_NAMESPACE, f"{key}/{audience.value}/{at}/{trigger}"))


@dataclass(slots=True)
class GroupState:
    """One group (a region, or a roll-up) and category: its level and the event times that matter."""

    key: str
    coverage: Coverage
    province: str
    regency: str | None
    category: Category
    level: Level = Level.NORMAL
    score: float = 0.0
    last_assessed_at: datetime | None = None  # scoring's clock: older assessments are stale
    last_report_id: str | None = None
    # Event time of the last report at each level (waspada and up): resolution and roll-ups use them.
    reached: dict[Level, datetime] = field(default_factory=dict)
    # The Level-4 question of the current episode (until the group's alerts resolve) and its report.
    candidate: CandidateStatus | None = None
    candidate_report: str | None = None
    # The event-time clock the group's reports move (their Kafka partition): quiet time counts on it.
    clock: str | None = None

    def copy(self) -> GroupState:
        return replace(self, reached=dict(self.reached))

    def last_at_or_above(self, minimum: Level) -> datetime | None:
        times = [t for level, t in self.reached.items() if level.rank >= minimum.rank]
        return max(times) if times else None

    @property
    def last_qualifying_at(self) -> datetime | None:
        return self.last_at_or_above(Level.WASPADA)

    def observe(self, level: Level, at: datetime) -> None:
        if level is Level.NORMAL:
            return
        known = self.reached.get(level)
        if known is None or at > known:
            self.reached[level] = at

    def hot(self, since: datetime, minimum: Level) -> bool:
        """Counts towards a roll-up: reached `minimum` within the window (event time)."""
        last = self.last_at_or_above(minimum)
        return last is not None and last >= since


@dataclass(frozen=True, slots=True)
class AlertLabels:
    """A firing alert's labels only: enough to inhibit others, cheap to load in bulk."""

    alert_id: str
    level: Level
    label_set: tuple[tuple[str, str], ...]
    firing: bool = True

    def labels(self) -> dict[str, str]:
        return dict(self.label_set)


class AlertRecord(BaseModel):
    """One alert with its operational state (stored as JSON; the columns index it)."""

    alert_id: str
    group_key: str
    audience: Audience
    coverage: Coverage = Coverage.REGION
    province: str
    regency: str | None = None
    category: Category
    level: Level
    previous_level: Level | None = None
    status: AlertStatus = AlertStatus.FIRING
    score: float = 0.0
    form: Form | None = None
    kind: Kind | None = None
    report_summary: str = ""
    reasons: str = ""
    top_factors: list[TopFactor] = Field(default_factory=list)
    report_ids: list[str] = Field(default_factory=list)
    members: dict[str, Level] = Field(default_factory=dict, description="Roll-ups: member code -> level")
    holds_until: datetime | None = Field(None, description="Roll-ups: event time the membership lapses")
    expires_at: datetime | None = Field(None, description="Event time it resolves without new reports")
    first_seen: datetime
    last_report_at: datetime
    title: str = ""
    summary: str = ""
    version: int = 0
    event: AlertEvent | None = None
    created_at: datetime
    updated_at: datetime
    active_at: datetime | None = None  # wall clock: last report added (with or without a new version)
    resolved_at: datetime | None = None
    resolution: Resolution | None = None
    # delivery
    receivers: list[str] = Field(default_factory=list)
    group_wait: timedelta = timedelta(0)
    group_interval: timedelta = timedelta(minutes=5)
    repeat_interval: timedelta = timedelta(hours=4)
    via: Via = Via.ROUTE
    escalated_from: Audience | None = None
    last_notified_at: datetime | None = None
    muted_by: str | None = None
    # acknowledgement
    level_since: datetime | None = None  # wall clock: when the current level was set (ack latency)
    ack_required: bool = False  # ever had an acknowledgement deadline ("acknowledged in time" figures)
    ack_deadline: datetime | None = None
    ack_escalated_level: Level | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    ack_note: str | None = None
    # Level-4 candidate
    candidate: Candidate | None = None

    @property
    def firing(self) -> bool:
        return self.status is AlertStatus.FIRING

    @property
    def regencies(self) -> list[str]:
        if self.coverage is Coverage.PROVINCE:
            return sorted(self.members)
        return [self.regency] if self.regency else []

    @property
    def provinces(self) -> list[str]:
        return sorted(self.members) if self.coverage is Coverage.NATIONAL else [self.province]

    def labels(self) -> dict[str, str]:
        return {
            "audience": self.audience.value,
            "coverage": self.coverage.value,
            "province": self.province,
            "regency": self.regency or "",
            "category": self.category.value,
            "level": self.level.value,
            "escalation": "",
        }

    def light(self) -> AlertLabels:
        return AlertLabels(self.alert_id, self.level, tuple(self.labels().items()), self.firing)

    def repeat_due(self) -> datetime | None:
        return self.last_notified_at + self.repeat_interval if self.last_notified_at else None

    def to_alert(self) -> Alert:
        return Alert(
            alert_id=self.alert_id,
            group_key=self.group_key,
            audience=self.audience,
            province=self.province,
            regency=self.regency,
            level=self.level,
            previous_level=self.previous_level,
            status=self.status,
            score=self.score,
            category=self.category,
            title=self.title,
            summary=self.summary,
            top_factors=self.top_factors,
            report_ids=self.report_ids,
            first_seen=self.first_seen,
            updated_at=self.updated_at,
            version=max(1, self.version),
            event=self.event,
            coverage=self.coverage,
            regencies=self.regencies,
            provinces=self.provinces,
            last_report_at=self.last_report_at,
            escalated_from=self.escalated_from,
            acknowledged_at=self.acknowledged_at,
            acknowledged_by=self.acknowledged_by,
            resolved_at=self.resolved_at,
            candidate=self.candidate,
        )

    @classmethod
    def from_alert(cls, alert: Alert) -> AlertRecord:
        """An alert stored by the walking skeleton (payload only) as a record with default operations."""
        return cls(
            alert_id=alert.alert_id,
            group_key=alert.group_key,
            audience=alert.audience,
            coverage=alert.coverage,
            province=alert.province,
            regency=alert.regency,
            category=alert.category,
            level=alert.level,
            previous_level=alert.previous_level,
            status=alert.status,
            score=alert.score,
            top_factors=alert.top_factors,
            report_ids=alert.report_ids,
            first_seen=alert.first_seen,
            last_report_at=alert.last_report_at or alert.first_seen,
            title=alert.title,
            summary=alert.summary,
            version=alert.version,
            event=alert.event,
            created_at=alert.updated_at,
            updated_at=alert.updated_at,
            candidate=alert.candidate,
        )
