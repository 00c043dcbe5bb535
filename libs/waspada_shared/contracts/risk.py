"""`risk.assessed.v1`: one explainable assessment per accepted report (SPEC §5, §6)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from waspada_shared.contracts.report import Category, Form, Kind
from waspada_shared.levels import Level


class Factor(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Factor name, e.g. severity, scale, signals, momentum")
    value: float = Field(description="The factor's sub-score, 0..1 (or the multiplier for confidence)")
    contribution: float = Field(description="Points this factor adds to the score (negative lowers it)")
    detail: str = Field("", description="Short explanation in Bahasa Indonesia")


class RegionState(BaseModel):
    model_config = ConfigDict(frozen=True)

    count_24h: int = Field(description="Reports in the regency in the 24 h before occurred_at (event time)")
    count_7d: int = Field(description="Reports in the regency in the 7 days before occurred_at")
    baseline_daily: float = Field(
        description="Mean daily reports over the prior 90 days, excluding the last 7"
    )


class AssessedRegion(BaseModel):
    model_config = ConfigDict(frozen=True)

    province: str
    regency: str
    district: str | None = None


class RiskAssessed(BaseModel):
    """Value of `risk.assessed.v1` (key: regency)."""

    model_config = ConfigDict(frozen=True)

    report_id: str
    region: AssessedRegion
    category: Category
    kind: Kind
    form: Form | None = None
    occurred_at: AwareDatetime
    received_at: AwareDatetime
    score: float = Field(ge=0, le=100)
    level: Level = Field(description="Level for this assessment (after minimum-level rules)")
    factors: list[Factor]
    reasons: str = Field("", description="The top reasons as one short sentence in Bahasa Indonesia")
    summary: str = Field("", description="The report's summary, for alert texts")
    region_state: RegionState
    model_version: str
    assessed_at: AwareDatetime
