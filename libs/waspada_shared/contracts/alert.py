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
    province: str
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
