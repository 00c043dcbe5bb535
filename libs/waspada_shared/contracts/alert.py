"""`alerts.province.v1` / `alerts.national.v1`: alert lifecycle events (SPEC §6)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from waspada_shared.contracts.report import Category
from waspada_shared.levels import Level


class Audience(StrEnum):
    REGENCY = "regency"
    PROVINCE = "province"
    NATIONAL = "national"


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class Coverage(StrEnum):
    """What an alert covers: one regency/city, a province-wide roll-up or a cross-province roll-up."""

    REGION = "region"
    PROVINCE = "province"
    NATIONAL = "national"


class AlertEvent(StrEnum):
    """The lifecycle step that produced an alert version."""

    FIRED = "fired"
    ESCALATED = "escalated"
    DEESCALATED = "deescalated"
    RESOLVED = "resolved"
    REPEATED = "repeated"
    ACK_ESCALATED = "ack_escalated"
    ACKNOWLEDGED = "acknowledged"
    CANDIDATE = "candidate"  # a Level-4 candidate awaits a person's decision (domain.md §7.2)
    CANDIDATE_REMINDER = "candidate_reminder"  # no decision within the decision timeout
    CONFIRMED = "confirmed"  # a person confirmed Level 4 (Awas)
    DECLINED = "declined"  # a person declined Level 4, with a reason


class CandidateStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class Candidate(BaseModel):
    """A Level-4 candidate on an alert: why, and what a person decided (domain.md §7.2, §7.4)."""

    model_config = ConfigDict(frozen=True)

    status: CandidateStatus
    reasons: list[str] = Field(default_factory=list, description="Why it is a candidate, in Indonesian")
    facts: str = Field("", description="The assessment's reasons sentence: the facts behind it")
    report_id: str = Field(description="The report that made the region+category a candidate")
    requested_at: AwareDatetime = Field(description="When the desks were asked (wall clock)")
    remind_at: AwareDatetime | None = Field(None, description="When a reminder goes out without a decision")
    reminders: int = Field(0, ge=0)
    decided_at: AwareDatetime | None = None
    decided_by: str | None = None
    decision_reason: str | None = None


class TopFactor(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    contribution: float
    detail: str = ""


class Alert(BaseModel):
    """One alert per group (region + category) and audience; `version` grows with every change."""

    model_config = ConfigDict(frozen=True)

    alert_id: str
    group_key: str
    audience: Audience
    province: str = Field(
        description='Kemendagri province code; "00" for a cross-province (national) roll-up'
    )
    regency: str | None = Field(None, description="None for a province-wide roll-up")
    level: Level
    previous_level: Level | None = None
    status: AlertStatus
    score: float
    category: Category
    title: str = Field(description="Title in Bahasa Indonesia")
    summary: str = Field(description="Summary in Bahasa Indonesia")
    top_factors: list[TopFactor] = Field(default_factory=list)
    report_ids: list[str] = Field(default_factory=list)
    first_seen: AwareDatetime
    updated_at: AwareDatetime
    version: int = Field(ge=1)
    # Added after the walking skeleton; all optional, so earlier payloads still read.
    event: AlertEvent | None = Field(None, description="The lifecycle step that produced this version")
    coverage: Coverage = Field(Coverage.REGION, description="One regency, or a province/national roll-up")
    regencies: list[str] = Field(default_factory=list, description="Regencies a roll-up covers")
    provinces: list[str] = Field(
        default_factory=list,
        description="Provinces the alert covers (one, or several for a national roll-up)",
    )
    last_report_at: AwareDatetime | None = Field(
        None, description="Event time of the latest qualifying report"
    )
    escalated_from: Audience | None = Field(
        None, description="Set when an unacknowledged alert of this audience was escalated here"
    )
    acknowledged_at: AwareDatetime | None = None
    acknowledged_by: str | None = None
    resolved_at: AwareDatetime | None = None
    candidate: Candidate | None = Field(
        None, description="A Level-4 candidate awaiting (or given) a person's decision; null otherwise"
    )
