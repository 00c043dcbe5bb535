"""The model's configuration: weights, thresholds, the election calendar and the vulnerability baseline.

Plain pydantic models, strictly parsed (unknown keys are errors naming their path). Loading the
shipped files is `waspada_scoring.configfiles`; this module only validates data. Pure.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from waspada_shared.contracts.report import Category, Form, Kind, Signal, Weapons
from waspada_shared.levels import Level, LevelThresholds

_STRICT = ConfigDict(extra="forbid", frozen=True)
Unit = float  # a value in 0..1 (validated where it matters)
Band = Literal["high", "medium", "low"]

FACTOR_NAMES = (
    "severity",
    "harm",
    "scale",
    "signals",
    "momentum",
    "spread",
    "recurrence",
    "election",
    "vulnerability",
    "history",
    "category",
)


class Weights(BaseModel):
    model_config = _STRICT

    severity: float = Field(ge=0)
    harm: float = Field(ge=0)
    scale: float = Field(ge=0)
    signals: float = Field(ge=0)
    momentum: float = Field(ge=0)
    spread: float = Field(ge=0)
    recurrence: float = Field(ge=0)
    election: float = Field(ge=0)
    vulnerability: float = Field(ge=0)
    history: float = Field(ge=0)
    category: float = Field(ge=0)

    def total(self) -> float:
        return float(sum(getattr(self, n) for n in FACTOR_NAMES))


class Confidence(BaseModel):
    model_config = _STRICT

    base: float = Field(ge=0, le=1)
    reliability: dict[Literal["A", "B", "C", "D", "E", "F"], Unit]
    credibility: dict[Literal["1", "2", "3", "4", "5", "6"], Unit]

    @model_validator(mode="after")
    def _complete(self) -> Confidence:
        if len(self.reliability) != 6 or len(self.credibility) != 6:
            raise ValueError("reliability needs A..F and credibility 1..6")
        return self


class Severity(BaseModel):
    model_config = _STRICT

    death_first: Unit = Field(ge=0, le=1)
    deaths_full: int = Field(ge=2)  # deaths at which the deaths part reaches 1 (log scale)
    injured_full: int = Field(ge=1)
    displaced_full: int = Field(ge=1)
    buildings_damaged: Unit = Field(ge=0, le=1)
    buildings_burned: Unit = Field(ge=0, le=1)
    buildings_burned_many: Unit = Field(ge=0, le=1)
    buildings_many: int = Field(ge=1)
    coefficients: dict[Literal["deaths", "injured", "displaced", "buildings", "weapons", "form"], Unit]
    weapons: dict[Weapons, Unit]
    forms: dict[Form, Unit]

    @model_validator(mode="after")
    def _complete(self) -> Severity:
        if len(self.coefficients) != 6 or set(self.weapons) != set(Weapons) or set(self.forms) != set(Form):
            raise ValueError("severity needs every coefficient, weapon and form")
        if any(not 0 <= v <= 1 for v in [*self.coefficients.values(), *self.forms.values()]):
            raise ValueError("severity coefficients and form weights must be in 0..1")
        return self


class Harm(BaseModel):
    """The toll: `1 - exp(-sum(count / scale))` (a count equal to its scale alone gives 0.63)."""

    model_config = _STRICT

    deaths_scale: float = Field(gt=0)
    injured_scale: float = Field(gt=0)
    displaced_scale: float = Field(gt=0)
    buildings_scale: float = Field(gt=0)
    burned_factor: float = Field(ge=1)


class Gate(BaseModel):
    """How much the standing context (category, history, recurrence, IKP) counts for a report.

    gate = max(min(1, tension / full), momentum, election x min(1, scale / scale_full)), tension
    being the strongest of the severity, signals and SNPK form in play: a peaceful demonstration with
    nothing else going on gets none of it; violence, tension, a surge of reports, or an election stage
    with a sizeable gathering opens it.
    """

    model_config = _STRICT

    full: float = Field(gt=0, le=1)
    scale_full: float = Field(gt=0, le=1)


class History(BaseModel):
    """A region+category's own conflict history: severity of its past incidents, decaying slowly."""

    model_config = _STRICT

    half_life_days: float = Field(gt=0)
    scale: float = Field(gt=0)  # history value = 1 - exp(-remembered severity / scale)


class AwasCandidate(BaseModel):
    """When a report makes its region+category a Level-4 candidate for a person to decide (domain §7.2)."""

    model_config = _STRICT

    min_deaths: int = Field(ge=1)
    min_regencies: int = Field(
        ge=2
    )  # violent incidents in this many regencies of one province (spread window)
    min_confidence: float = Field(ge=0, le=1)
    reason_deaths: str
    reason_regencies: str


class Scale(BaseModel):
    model_config = _STRICT

    crowd_full: int = Field(ge=1)
    mobilisation: Unit = Field(ge=0, le=1)


class Decay(BaseModel):
    model_config = _STRICT

    incident_half_life_hours: float = Field(gt=0)
    potential_half_life_hours: float = Field(gt=0)

    def half_life_s(self, kind: Kind) -> float:
        hours = self.potential_half_life_hours if kind is Kind.POTENTIAL else self.incident_half_life_hours
        return hours * 3600.0


class Momentum(BaseModel):
    model_config = _STRICT

    recent_days: int = Field(ge=1, le=30)
    baseline_days: int = Field(ge=7, le=365)
    log2_full: float = Field(gt=0)


class Spread(BaseModel):
    model_config = _STRICT

    window_hours: float = Field(gt=0)
    level_weights: dict[Literal["waspada", "siaga", "awas"], float]
    per_neighbour: float = Field(ge=0)


class Recurrence(BaseModel):
    model_config = _STRICT

    years: int = Field(ge=1, le=10)
    anniversary_days: int = Field(ge=0, le=60)
    anniversary: Unit = Field(ge=0, le=1)
    flagged: Unit = Field(ge=0, le=1)


class Election(BaseModel):
    model_config = _STRICT

    proximity_days: float = Field(gt=0)
    relevance: dict[Category, Unit]
    relevance_default: Unit = Field(ge=0, le=1)
    stage_weights: dict[str, Unit]

    def relevance_of(self, category: Category) -> float:
        return self.relevance.get(category, self.relevance_default)


class Vulnerability(BaseModel):
    model_config = _STRICT

    bands: dict[Band, Unit]
    categories: dict[Category, Unit]  # the IKP is an election index: it weighs on these categories only


class Recovery(BaseModel):
    model_config = _STRICT

    strength: Unit = Field(ge=0, le=1)


class Hysteresis(BaseModel):
    model_config = _STRICT

    margin: float = Field(ge=0)
    hold_hours: dict[Literal["waspada", "siaga", "awas"], float]


class MinimumLevel(BaseModel):
    """A floor: a report with these facts puts its region+category at least at `level`."""

    model_config = _STRICT

    name: str
    level: Level
    min_deaths: int = Field(0, ge=0)
    arson: bool = False  # only reports of arson
    categories: list[Category] | None = None
    kinds: list[Kind] = Field(default_factory=lambda: [Kind.INCIDENT])
    min_confidence: float = Field(0.0, ge=0, le=1)
    flag: str | None = None
    reason: str


class ModelConfig(BaseModel):
    """One version of the model (the shipped `config/model.yaml`)."""

    model_config = _STRICT

    version: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    elections_file: str
    vulnerability_file: str
    levels: LevelThresholds
    weights: Weights
    confidence: Confidence
    severity: Severity
    harm: Harm
    scale: Scale
    signals: dict[Signal, Unit]
    decay: Decay
    momentum: Momentum
    spread: Spread
    recurrence: Recurrence
    election: Election
    vulnerability: Vulnerability
    history: History
    gate: Gate
    category: dict[Category, Unit]
    recovery: Recovery
    hysteresis: Hysteresis
    minimum_levels: list[MinimumLevel] = Field(default_factory=list)
    awas_candidate: AwasCandidate

    @model_validator(mode="after")
    def _complete(self) -> ModelConfig:
        if set(self.signals) != set(Signal):
            raise ValueError(f"signals: missing {sorted(set(Signal) - set(self.signals))}")
        if set(self.category) != set(Category):
            raise ValueError(f"category: missing {sorted(set(Category) - set(self.category))}")
        return self


class Stage(BaseModel):
    model_config = _STRICT

    stage: str
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Stage:
        if self.end < self.start:
            raise ValueError(f"stage {self.stage}: end {self.end} before start {self.start}")
        return self


class ElectionEvent(BaseModel):
    model_config = _STRICT

    id: str
    name: str
    regions: list[str] = Field(default_factory=lambda: ["*"])
    stages: list[Stage]

    def covers(self, province: str, regency: str) -> bool:
        return "*" in self.regions or province in self.regions or regency in self.regions


class ElectionCalendar(BaseModel):
    model_config = _STRICT

    version: str
    elections: list[ElectionEvent]


class VulnerabilityBaseline(BaseModel):
    """IKP-style scores per province and regency, turned into bands by thresholds."""

    model_config = _STRICT

    version: str
    default: Band
    thresholds: dict[Literal["high", "medium"], float]
    provinces: dict[str, float] = Field(default_factory=dict)
    regencies: dict[str, float | Band] = Field(default_factory=dict)

    def band(self, province: str, regency: str) -> Band:
        value = self.regencies.get(regency)
        if isinstance(value, str):
            return value
        if value is None:
            value = self.provinces.get(province)
        if value is None:
            return self.default
        if value >= self.thresholds["high"]:
            return "high"
        if value >= self.thresholds["medium"]:
            return "medium"
        return "low"


class Model(BaseModel):
    """A model version with the data files it is pinned to: everything `assess` needs."""

    model_config = ConfigDict(frozen=True)

    config: ModelConfig
    calendar: ElectionCalendar
    baseline: VulnerabilityBaseline

    @cached_property
    def election_cache(self) -> tuple[dict[Any, Any], dict[Any, Any]]:
        """Memos of election_context (pure in their keys): the elections covering each region, and the
        context per (coverage, date, reported stage). Not part of the model's value; a cached property
        is read from the instance's dict, where a private attribute costs a `__getattr__` per report."""
        return {}, {}

    @model_validator(mode="after")
    def _stages_weighted(self) -> Model:
        names = {s.stage for e in self.calendar.elections for s in e.stages}
        missing = names - set(self.config.election.stage_weights)
        if missing:
            raise ValueError(f"election stages without a weight in election.stage_weights: {sorted(missing)}")
        return self

    @property
    def version(self) -> str:
        return self.config.version
