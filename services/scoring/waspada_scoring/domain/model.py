"""Escalation-risk model (walking-skeleton version): explainable, deterministic in event time. Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from waspada_shared.contracts.report import AcceptedReport, Category, Kind, Weapons
from waspada_shared.contracts.risk import Factor, RegionState
from waspada_shared.levels import Level, LevelThresholds

MODEL_VERSION = "skeleton-0"

CATEGORY_WEIGHT = {
    Category.IDENTITY: 1.0,
    Category.SEPARATISM: 1.0,
    Category.ELECTION: 0.8,
    Category.LAND_RESOURCE: 0.7,
    Category.GOVERNANCE: 0.6,
    Category.VIGILANTISM: 0.5,
    Category.COMMUNAL_CLASH: 0.7,
    Category.ECONOMIC_LABOR: 0.5,
    Category.DISASTER_RELATED: 0.4,
    Category.OTHER: 0.3,
}
WEAPON_WEIGHT = {
    Weapons.NONE: 0,
    Weapons.BLUNT: 0.3,
    Weapons.SHARP: 0.6,
    Weapons.FIREARMS: 1,
    Weapons.EXPLOSIVES: 1,
}
RELIABILITY = {"A": 1.0, "B": 0.9, "C": 0.75, "D": 0.55, "E": 0.35, "F": 0.6}
CREDIBILITY = {1: 1.0, 2: 0.85, 3: 0.7, 4: 0.45, 5: 0.25, 6: 0.6}


@dataclass(slots=True)
class History:
    """Daily report counts of one regency, by event-time day (bounded to the last 100 days)."""

    daily: dict[str, int] = field(default_factory=dict)

    def add(self, day: date) -> None:
        key = day.isoformat()
        self.daily[key] = self.daily.get(key, 0) + 1
        newest = max(date.fromisoformat(d) for d in self.daily)
        cutoff = newest - timedelta(days=100)
        self.daily = {d: n for d, n in self.daily.items() if date.fromisoformat(d) >= cutoff}

    def count_between(self, start: date, end: date) -> int:
        return sum(n for d, n in self.daily.items() if start <= date.fromisoformat(d) <= end)


@dataclass(frozen=True, slots=True)
class Assessment:
    score: float
    level: Level
    factors: list[Factor]
    region_state: RegionState
    reasons: str


def _severity(r: AcceptedReport) -> float:
    i = r.impact
    k = min(1.0, math.log1p(i.deaths) / math.log(11))
    inj = min(1.0, math.log1p(i.injured) / math.log(51))
    d = min(1.0, math.log1p(i.displaced) / math.log(1001))
    p = (
        1.0
        if i.arson and i.buildings_damaged >= 10
        else 0.7
        if i.arson
        else 0.4
        if i.buildings_damaged
        else 0.0
    )
    w = WEAPON_WEIGHT[i.weapons]
    return 1 - (1 - k) * (1 - 0.7 * inj) * (1 - 0.6 * d) * (1 - 0.5 * p) * (1 - 0.4 * w)


def assess(report: AcceptedReport, history: History, thresholds: LevelThresholds | None = None) -> Assessment:
    """Score one report against its regency's history (before this report)."""
    thresholds = thresholds or LevelThresholds()
    day = report.occurred_at.date()
    n24 = history.count_between(day - timedelta(days=1), day)
    n7 = history.count_between(day - timedelta(days=7), day)
    baseline = history.count_between(day - timedelta(days=97), day - timedelta(days=8)) / 90
    confidence = 0.5 + 0.5 * RELIABILITY[report.source.reliability] * CREDIBILITY[report.source.credibility]
    sev = _severity(report)
    crowd = min(1.0, math.log10(1 + report.impact.crowd_size) / math.log10(5001))
    signals = min(1.0, len(report.signals) / 4)
    r24 = (n24 + 1) / (baseline + 1)
    momentum = max(0.0, min(1.0, math.log2(r24) / 3))
    category = CATEGORY_WEIGHT[report.category]
    factors = [
        Factor(name="severity", value=round(sev, 3), contribution=round(40 * confidence * sev, 2)),
        Factor(name="scale", value=round(crowd, 3), contribution=round(15 * confidence * crowd, 2)),
        Factor(name="signals", value=round(signals, 3), contribution=round(15 * signals, 2)),
        Factor(name="momentum", value=round(momentum, 3), contribution=round(10 * momentum, 2)),
        Factor(name="category", value=category, contribution=round(15 * category, 2)),
    ]
    if report.kind is Kind.RECOVERY:
        factors.append(Factor(name="recovery", value=1.0, contribution=-sum(f.contribution for f in factors)))
    score = max(0.0, min(100.0, round(sum(f.contribution for f in factors), 2)))
    top = sorted((f for f in factors if f.contribution > 0), key=lambda f: -f.contribution)[:3]
    return Assessment(
        score=score,
        level=thresholds.level_for(score),
        factors=factors,
        region_state=RegionState(count_24h=n24, count_7d=n7, baseline_daily=round(baseline, 4)),
        reasons="; ".join(f.name for f in top),
    )


def observe(history: History, occurred_at: datetime) -> None:
    history.add(occurred_at.date())
