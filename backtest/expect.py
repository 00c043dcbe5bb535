"""Expectations a backtest checks a history against: known episodes that must reach a level, regencies
that must stay quiet, and goals for the figures. A JSON file (docs/backtest.md has an example):

    {"description": "...",
     "episodes": [{"name": "...", "regency": "31.71", "category": "election",
                   "start": "2019-05-21", "end": "2019-05-25", "min_level": "siaga"}],
     "quiet": [{"regency": "32.71", "max_level": "normal"}],
     "goals": {"recall_1_death_min": 0.7, ...}}

Every part is optional; unknown keys are errors (a typo must not silently drop a check).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from backtest.measure import RANK, Figures, Ratio, RunData, rank
from waspada_shared.contracts.report import Category
from waspada_shared.regions import reference

LevelName = Literal["normal", "waspada", "siaga", "awas"]
_STRICT = ConfigDict(extra="forbid", frozen=True)


def _known_regency(code: str) -> str:
    if code not in reference().regencies:
        raise ValueError(f"unknown regency/city code {code}")
    return code


KnownRegency = Annotated[str, AfterValidator(_known_regency)]


class Episode(BaseModel):
    """Some assessment of the regency (and category, if given) with its local date in [start, end]
    must have a level of at least `min_level`."""

    model_config = _STRICT

    name: str = Field(min_length=1)
    regency: KnownRegency
    category: Category | None = None
    start: date
    end: date
    min_level: LevelName = "siaga"

    @model_validator(mode="after")
    def _ordered(self) -> Episode:
        if self.end < self.start:
            raise ValueError(f"episode {self.name}: end {self.end} is before start {self.start}")
        return self


class Quiet(BaseModel):
    """No assessment of the regency may go above `max_level` (normal: no alert at all)."""

    model_config = _STRICT

    regency: KnownRegency
    max_level: LevelName = "normal"


class Goals(BaseModel):
    """Bounds on the figures (measure.py); an absent goal is not checked."""

    model_config = _STRICT

    recall_1_death_min: float | None = Field(None, ge=0, le=1)
    recall_3_deaths_min: float | None = Field(None, ge=0, le=1)
    national_within_day_min: float | None = Field(None, ge=0, le=1)
    peaceful_only_regency_alerts_max: float | None = Field(None, ge=0, le=1)
    precision_siaga_province_national_min: float | None = Field(None, ge=0, le=1)
    province_alerts_per_province_month_max: int | None = Field(None, ge=0)


class Expectations(BaseModel):
    model_config = _STRICT

    description: str = ""
    episodes: list[Episode] = []
    quiet: list[Quiet] = []
    goals: Goals = Goals()


class Check(BaseModel):
    kind: Literal["episode", "quiet", "goal"]
    name: str
    passed: bool
    detail: str


def load(path: Path) -> Expectations:
    return Expectations.model_validate_json(path.read_bytes())


def check_episode(ep: Episode, data: RunData) -> Check:
    inside = [
        a
        for a in data.assessments
        if a.regency == ep.regency
        and (ep.category is None or a.category == ep.category.value)
        and ep.start <= a.occurred_at.date() <= ep.end
    ]
    name = f"{ep.name} ({ep.regency} {ep.category.value if ep.category else 'any'})"
    if not inside:
        return Check(kind="episode", name=name, passed=False, detail="no assessment in the window")
    inside.sort(key=lambda a: (a.occurred_at, a.report_id))
    reached = next((a for a in inside if rank(a.level) >= RANK[ep.min_level]), None)
    if reached is not None:
        detail = f"{reached.level} on {reached.occurred_at:%Y-%m-%d} (score {reached.score:.1f}, {reached.report_id})"
        return Check(kind="episode", name=name, passed=True, detail=detail)
    best = max(inside, key=lambda a: (rank(a.level), a.score))
    detail = f"highest {best.level} (score {best.score:.1f}), needed {ep.min_level}"
    return Check(kind="episode", name=name, passed=False, detail=detail)


def check_quiet(q: Quiet, data: RunData) -> Check:
    mine = [a for a in data.assessments if a.regency == q.regency]
    name = f"{q.regency} {reference().regency_name(q.regency)}"
    if not mine:
        return Check(kind="quiet", name=name, passed=True, detail="no reports")
    worst = max(mine, key=lambda a: (rank(a.level), a.score))
    passed = rank(worst.level) <= RANK[q.max_level]
    detail = (
        f"{len(mine)} reports, highest {worst.level} (score {worst.score:.1f}"
        f"{'' if passed else ', ' + worst.report_id}), allowed {q.max_level}"
    )
    return Check(kind="quiet", name=name, passed=passed, detail=detail)


def _ratio_goal(name: str, ratio: Ratio, bound: float, at_least: bool) -> Check:
    if ratio.value is None:
        return Check(kind="goal", name=name, passed=True, detail="nothing to count")
    passed = ratio.value >= bound if at_least else ratio.value <= bound
    op = ">=" if at_least else "<="
    return Check(
        kind="goal",
        name=name,
        passed=passed,
        detail=f"{ratio.value:.2%} ({ratio.hits}/{ratio.total}), goal {op} {bound:.0%}",
    )


def check_goals(goals: Goals, figs: Figures) -> list[Check]:
    ratios: list[tuple[str, float | None, Ratio, bool]] = [
        ("recall_1_death", goals.recall_1_death_min, figs.recall_1_death, True),
        ("recall_3_deaths", goals.recall_3_deaths_min, figs.recall_3_deaths, True),
        ("national_within_day", goals.national_within_day_min, figs.national_within_day, True),
        (
            "peaceful_only_regency_alerts",
            goals.peaceful_only_regency_alerts_max,
            figs.peaceful_only_regency_alerts,
            False,
        ),
        (
            "precision_siaga_province_national",
            goals.precision_siaga_province_national_min,
            figs.precision_siaga_province_national,
            True,
        ),
    ]
    out = [
        _ratio_goal(name, ratio, bound, at_least)
        for name, bound, ratio, at_least in ratios
        if bound is not None
    ]
    if goals.province_alerts_per_province_month_max is not None:
        dist = figs.province_alerts_per_province_month
        bound = goals.province_alerts_per_province_month_max
        out.append(
            Check(
                kind="goal",
                name="province_alerts_per_province_month",
                passed=dist.max <= bound,
                detail=f"max {dist.max} (median {dist.median}, p90 {dist.p90}), goal <= {bound}",
            )
        )
    return out


def evaluate(exp: Expectations, data: RunData, figs: Figures) -> list[Check]:
    return (
        [check_episode(ep, data) for ep in exp.episodes]
        + [check_quiet(q, data) for q in exp.quiet]
        + check_goals(exp.goals, figs)
    )
