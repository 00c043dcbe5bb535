"""`risk.assessed.v1`: one explainable assessment per accepted report (SPEC §5, §6)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from waspada_shared.contracts.report import Category, Form, Kind
from waspada_shared.levels import Level

# The flag scoring sets when a report makes its region+category a Level-4 candidate (domain.md §7.2):
# notify asks a person at the province and national desks to confirm or decline Level 4.
AWAS_CANDIDATE = "awas_candidate"


class Factor(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(
        description="Factor name: severity, scale, signals, momentum, spread, recurrence, election,"
        " vulnerability, category, confidence (deduction for the source's grading), recovery"
    )
    value: float = Field(
        description="The factor's sub-score, 0..1 (confidence: the multiplier m; recovery: the share removed)"
    )
    contribution: float = Field(
        description="Points this factor adds to the score (negative lowers it); the contributions add up"
        " to `score`"
    )
    detail: str = Field("", description="Short explanation in Bahasa Indonesia")


class RegionState(BaseModel):
    """State of the report's region+category (regency x category) after this report, in event time."""

    model_config = ConfigDict(frozen=True)

    count_24h: int = Field(
        description="Earlier reports of the same regency and category in the 24 h up to occurred_at"
    )
    count_7d: int = Field(description="Earlier reports of the same regency and category in the 7 days")
    baseline_daily: float = Field(
        description="Mean daily reports of the regency and category over the prior 90 days, excluding the last 7"
    )
    level_since: AwareDatetime | None = Field(
        None, description="Event time at which the region+category reached its current level"
    )
    elevated_neighbours: int = Field(
        0, description="Other regencies of the province with the same category at waspada or above (72 h)"
    )
    elevated_provinces: int = Field(
        0,
        description="Other provinces with the same category at siaga or above (72 h); always 0 since "
        "model risk-2.0, whose spread counts the same province only (cross-province escalation is "
        "notify's national roll-up)",
    )
    vulnerability: str | None = Field(None, description="Regional vulnerability band: high, medium, low")
    election_stage: str | None = Field(None, description="Election stage that weighs on this date, if any")


class AssessedRegion(BaseModel):
    model_config = ConfigDict(frozen=True)

    province: str
    regency: str
    district: str | None = None


class AssessmentHead(BaseModel):
    """The fields of a `risk.assessed.v1` value that say which report, where, when and at what level:
    enough for a consumer to decide whether it must read the rest. Validating this is several times
    cheaper than the whole `RiskAssessed` (factors, region state), and most assessments need no more."""

    model_config = ConfigDict(frozen=True)

    report_id: str
    region: AssessedRegion
    category: Category
    level: Level
    occurred_at: AwareDatetime


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
    score: float = Field(
        ge=0,
        le=100,
        description="Risk score of the region+category at occurred_at after this report: the sum of the"
        " factor contributions (to rounding)",
    )
    level: Level = Field(
        description="Current level of the region+category (regency x category) after this report: it"
        " escalates at once to the level of the score or of a minimum-level rule; it de-escalates only"
        " when no report has kept the score near the level for the hold time (24 h waspada, 48 h siaga"
        " and awas, event time) or at once by one level or more on a recovery report; a late report can"
        " raise it but never lower it. So it can be above the level of `score` alone (`score_level`)"
    )
    factors: list[Factor]
    reasons: str = Field("", description="The top reasons as one short sentence in Bahasa Indonesia")
    summary: str = Field("", description="The report's summary, for alert texts")
    region_state: RegionState
    model_version: str
    assessed_at: AwareDatetime
    previous_level: Level | None = Field(
        None, description="Level of the region+category before this report (None: first report)"
    )
    score_level: Level | None = Field(None, description="Level of `score` alone, by the thresholds")
    flags: list[str] = Field(
        default_factory=list,
        description="Rule flags, e.g. `awas_candidate` (three or more deaths, or violence in two regencies of a "
        "province: a person confirms or declines Level 4)",
    )
