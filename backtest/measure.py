"""The backtest's figures, as pure functions of what a replay produced: the reports, the assessments,
every alert version and each alert's final state. No I/O and no clock, so each figure is unit-tested
on small hand-made data. Definitions (docs/backtest.md repeats them):

- harm: a report with deaths >= 1 or arson;
- peaceful demonstration: form `demonstration`, no deaths, injured, arson or damaged buildings;
- precision of province/national siaga+ alerts: of the alerts with audience province or national
  that reached siaga or awas, the share with harm in the alert's area (its regency; for a province
  roll-up its province; for a national roll-up its member provinces) within +-14 days of the event
  time at which it first reached siaga (`last_report_at` of that version);
- recall at k deaths: of the (regency, ISO week of the local date) with >= k deaths in all, the share
  in which some assessment of that regency (any category) has level siaga or awas;
- national within a day: of the reports with >= 3 deaths, the share for which some national-audience
  alert version at awas or carrying a Level-4 `candidate`, firing, with `last_report_at` within 24 h of
  the report's `occurred_at`, lists the report id, or belongs to the report's regency and category
  (an alert already at awas gets no new version when another report joins it);
- scored for Level 4 (informative, scoring's half of the above): of the reports with >= 3 deaths, the
  share whose own assessment is awas or carries the `awas_candidate` flag;
- peaceful-only regency alerts: of the regency-audience alerts, the share whose report ids (final
  state) are all peaceful demonstrations;
- province alerts per province-month: province-audience alerts by province and month of `first_seen`;
  median, p90 and max over the province-months that had at least one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from waspada_shared.regions import reference

LEVELS = ("normal", "waspada", "siaga", "awas")
RANK = {name: i for i, name in enumerate(LEVELS)}
HARM_WINDOW = timedelta(days=14)
NATIONAL_WINDOW = timedelta(hours=24)
MISSES_SHOWN = 25


def rank(level: str) -> int:
    return RANK.get(level, 0)


@dataclass(frozen=True)
class Report:
    report_id: str
    province: str
    regency: str
    category: str
    form: str | None
    occurred_at: datetime  # with the report's own offset: its local date is the event date
    deaths: int = 0
    injured: int = 0
    arson: bool = False
    buildings_damaged: int = 0

    @classmethod
    def from_json(cls, r: dict[str, Any]) -> Report:
        impact = r.get("impact") or {}
        return cls(
            report_id=r["report_id"],
            province=r["region"]["province"],
            regency=r["region"]["regency"],
            category=r["category"],
            form=r.get("form"),
            occurred_at=datetime.fromisoformat(r["occurred_at"]),
            deaths=int(impact.get("deaths", 0)),
            injured=int(impact.get("injured", 0)),
            arson=bool(impact.get("arson", False)),
            buildings_damaged=int(impact.get("buildings_damaged", 0)),
        )

    @property
    def harm(self) -> bool:
        return self.deaths >= 1 or self.arson

    @property
    def peaceful(self) -> bool:
        return (
            self.form == "demonstration"
            and self.deaths == 0
            and self.injured == 0
            and not self.arson
            and self.buildings_damaged == 0
        )


@dataclass(frozen=True)
class Assessment:
    report_id: str
    province: str
    regency: str
    category: str
    occurred_at: datetime
    score: float
    level: str
    model_version: str = ""
    flags: tuple[str, ...] = ()

    @classmethod
    def from_event(cls, e: dict[str, Any]) -> Assessment:
        return cls(
            report_id=e["report_id"],
            province=e["region"]["province"],
            regency=e["region"]["regency"],
            category=e["category"],
            occurred_at=datetime.fromisoformat(e["occurred_at"]),
            score=float(e["score"]),
            level=e["level"],
            model_version=e.get("model_version", ""),
            flags=tuple(e.get("flags") or ()),
        )


class Candidate(BaseModel):
    """A Level-4 candidate on an alert (notify, being added): only its presence and status matter here."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: str | None = None
    report_id: str | None = None


class AlertVersion(BaseModel):
    """One version of an `Alert` as notify stored it, read tolerantly: unknown fields are ignored and
    fields added later (such as `candidate`) may be absent."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    alert_id: str
    audience: str
    province: str
    regency: str | None = None
    category: str
    level: str
    status: str
    version: int
    coverage: str = "region"
    provinces: list[str] = []
    regencies: list[str] = []
    report_ids: list[str] = []
    first_seen: datetime
    updated_at: datetime
    last_report_at: datetime | None = None
    event: str | None = None
    candidate: Candidate | None = None

    @field_validator("candidate", mode="before")
    @classmethod
    def _tolerant_candidate(cls, v: Any) -> Any:
        return v if isinstance(v, dict) else None

    @property
    def event_time(self) -> datetime:
        return self.last_report_at or self.first_seen


@dataclass(frozen=True)
class RunData:
    reports: list[Report]
    assessments: list[Assessment]
    versions: list[AlertVersion]  # every version as sent
    alerts: list[AlertVersion]  # each alert's current state


# --- figures ---------------------------------------------------------------------------------------


class Ratio(BaseModel):
    hits: int
    total: int
    value: float | None  # None when there is nothing to count
    misses: list[str] = []  # the first few that did not count, to look at

    @classmethod
    def of(cls, hits: int, total: int, misses: Iterable[str] = ()) -> Ratio:
        value = round(hits / total, 4) if total else None
        return cls(hits=hits, total=total, value=value, misses=sorted(misses)[:MISSES_SHOWN])


class Distribution(BaseModel):
    cells: int  # province-months with at least one alert
    median: float
    p90: float
    max: int
    worst: list[str] = []  # "PP YYYY-MM: n", highest first


class Pair(BaseModel):
    regency: str
    name: str
    category: str
    alerts: int
    max_level: str


class Figures(BaseModel):
    reports: int
    assessments: int
    alert_versions: int
    alerts: int
    model_versions: list[str]
    levels_per_year: dict[str, dict[str, int]]
    alerts_per_audience_year: dict[str, dict[str, int]]
    alerts_per_province_month: dict[str, dict[str, int]]  # audience -> "PP YYYY-MM" -> alerts
    alerts_per_province_month_summary: dict[str, Distribution]  # audience -> over its province-months
    province_alerts_per_province_month: Distribution
    precision_siaga_province_national: Ratio
    recall_1_death: Ratio
    recall_3_deaths: Ratio
    national_within_day: Ratio
    scored_for_level_4: Ratio
    peaceful_only_regency_alerts: Ratio
    top_pairs: list[Pair]


def levels_per_year(assessments: Iterable[Assessment]) -> dict[str, dict[str, int]]:
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for a in assessments:
        out[str(a.occurred_at.year)][a.level] += 1
    return {year: {lv: out[year][lv] for lv in LEVELS} for year in sorted(out)}


def alerts_per_audience_year(alerts: Iterable[AlertVersion]) -> dict[str, dict[str, int]]:
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for a in alerts:
        out[a.audience][str(a.first_seen.year)] += 1
    return {aud: dict(sorted(out[aud].items())) for aud in sorted(out)}


def alerts_per_province_month(alerts: Iterable[AlertVersion]) -> dict[str, dict[str, int]]:
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for a in alerts:
        out[a.audience][f"{a.province} {a.first_seen:%Y-%m}"] += 1
    return {aud: dict(sorted(out[aud].items())) for aud in sorted(out)}


def _quantile(ordered: Sequence[int], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not ordered:
        return 0.0
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo), 2)


def distribution(counts: dict[str, int]) -> Distribution:
    ordered = sorted(counts.values())
    worst = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return Distribution(
        cells=len(ordered),
        median=_quantile(ordered, 0.5),
        p90=_quantile(ordered, 0.9),
        max=ordered[-1] if ordered else 0,
        worst=[f"{k}: {n}" for k, n in worst],
    )


def _by_alert(versions: Iterable[AlertVersion]) -> dict[str, list[AlertVersion]]:
    out: dict[str, list[AlertVersion]] = defaultdict(list)
    for v in versions:
        out[v.alert_id].append(v)
    for vs in out.values():
        vs.sort(key=lambda v: v.version)
    return out


def _area(a: AlertVersion) -> tuple[str, set[str]]:
    """("regency" | "province", codes) an alert covers."""
    if a.coverage == "region" and a.regency:
        return "regency", {a.regency}
    if a.coverage == "national":
        return "province", set(a.provinces)
    return "province", set(a.provinces) or {a.province}


def precision_siaga(reports: Sequence[Report], versions: Iterable[AlertVersion]) -> Ratio:
    harm = [r for r in reports if r.harm]
    hits, misses, total = 0, [], 0
    for alert_id, vs in sorted(_by_alert(versions).items()):
        if vs[0].audience not in ("province", "national"):
            continue
        reached = next((v for v in vs if rank(v.level) >= RANK["siaga"]), None)
        if reached is None:
            continue
        total += 1
        kind, codes = _area(reached)
        t = reached.event_time
        if any(
            (r.regency if kind == "regency" else r.province) in codes
            and abs(r.occurred_at - t) <= HARM_WINDOW
            for r in harm
        ):
            hits += 1
        else:
            where = reached.regency or ",".join(sorted(codes))
            misses.append(f"{alert_id} {reached.audience} {where} {reached.category} {t:%Y-%m-%d}")
    return Ratio.of(hits, total, misses)


def _week(t: datetime) -> str:
    year, week, _ = t.date().isocalendar()
    return f"{year}-W{week:02d}"


def recall(reports: Iterable[Report], assessments: Iterable[Assessment], min_deaths: int) -> Ratio:
    deaths: Counter[tuple[str, str]] = Counter()
    for r in reports:
        deaths[(r.regency, _week(r.occurred_at))] += r.deaths
    elevated = {(a.regency, _week(a.occurred_at)) for a in assessments if rank(a.level) >= RANK["siaga"]}
    weeks = [cell for cell, n in deaths.items() if n >= min_deaths]
    misses = [
        f"{reg} {week} ({deaths[(reg, week)]} deaths)" for reg, week in weeks if (reg, week) not in elevated
    ]
    return Ratio.of(len(weeks) - len(misses), len(weeks), misses)


def national_within_day(reports: Iterable[Report], versions: Iterable[AlertVersion]) -> Ratio:
    desk = [
        v
        for v in versions
        if v.audience == "national"
        and v.status == "firing"
        and (v.level == "awas" or v.candidate is not None)
    ]
    total, hits, misses = 0, 0, []
    for r in reports:
        if r.deaths < 3:
            continue
        total += 1
        if any(
            abs(v.event_time - r.occurred_at) <= NATIONAL_WINDOW
            and (r.report_id in v.report_ids or (v.regency == r.regency and v.category == r.category))
            for v in desk
        ):
            hits += 1
        else:
            misses.append(f"{r.report_id} {r.regency} {r.category} {r.deaths} deaths")
    return Ratio.of(hits, total, misses)


def scored_for_level_4(reports: Iterable[Report], assessments: Iterable[Assessment]) -> Ratio:
    by_id = {a.report_id: a for a in assessments}
    deadly = [r for r in reports if r.deaths >= 3]
    misses = []
    for r in deadly:
        a = by_id.get(r.report_id)
        if a is None or not (a.level == "awas" or "awas_candidate" in a.flags):
            misses.append(f"{r.report_id} {r.regency} {r.category} {a.level if a else 'unassessed'}")
    return Ratio.of(len(deadly) - len(misses), len(deadly), misses)


def peaceful_only(reports: Iterable[Report], alerts: Iterable[AlertVersion]) -> Ratio:
    peaceful = {r.report_id for r in reports if r.peaceful}
    regency_alerts = [a for a in alerts if a.audience == "regency" and a.report_ids]
    only = [a for a in regency_alerts if all(i in peaceful for i in a.report_ids)]
    return Ratio.of(
        len(only),
        len(regency_alerts),
        [f"{a.alert_id} {a.regency} {a.category} {a.first_seen:%Y-%m-%d} {a.level}" for a in only],
    )


def top_pairs(alerts: Iterable[AlertVersion], versions: Iterable[AlertVersion], n: int = 10) -> list[Pair]:
    count: Counter[tuple[str, str]] = Counter()
    for a in alerts:
        if a.audience == "regency" and a.coverage == "region" and a.regency:
            count[(a.regency, a.category)] += 1
    highest: dict[tuple[str, str], int] = defaultdict(int)
    for v in versions:
        if v.regency:
            key = (v.regency, v.category)
            highest[key] = max(highest[key], rank(v.level))
    ordered = sorted(count.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    regions = reference()
    return [
        Pair(
            regency=reg,
            name=regions.regency_name(reg),
            category=cat,
            alerts=k,
            max_level=LEVELS[highest[(reg, cat)]],
        )
        for (reg, cat), k in ordered
    ]


def figures(data: RunData) -> Figures:
    per_month = alerts_per_province_month(data.alerts)
    return Figures(
        reports=len(data.reports),
        assessments=len(data.assessments),
        alert_versions=len(data.versions),
        alerts=len(data.alerts),
        model_versions=sorted({a.model_version for a in data.assessments}),
        levels_per_year=levels_per_year(data.assessments),
        alerts_per_audience_year=alerts_per_audience_year(data.alerts),
        alerts_per_province_month=per_month,
        alerts_per_province_month_summary={aud: distribution(cells) for aud, cells in per_month.items()},
        province_alerts_per_province_month=distribution(per_month.get("province", {})),
        precision_siaga_province_national=precision_siaga(data.reports, data.versions),
        recall_1_death=recall(data.reports, data.assessments, 1),
        recall_3_deaths=recall(data.reports, data.assessments, 3),
        national_within_day=national_within_day(data.reports, data.versions),
        scored_for_level_4=scored_for_level_4(data.reports, data.assessments),
        peaceful_only_regency_alerts=peaceful_only(data.reports, data.alerts),
        top_pairs=top_pairs(data.alerts, data.versions),
    )


# --- determinism ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Diff:
    assessments: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.assessments and not self.versions


def _compare(a: dict[Any, Any], b: dict[Any, Any], limit: int) -> list[str]:
    out = []
    for key in sorted(a.keys() | b.keys(), key=str):
        if a.get(key) != b.get(key):
            out.append(f"{key}: {a.get(key, 'absent')} != {b.get(key, 'absent')}")
            if len(out) >= limit:
                break
    return out


def differences(a: RunData, b: RunData, limit: int = 50) -> Diff:
    """Two runs of one file: the same assessments (report_id, score, level) and the same alert versions
    (alert_id, version, audience, level, status)?"""
    return Diff(
        assessments=_compare(
            {x.report_id: (x.score, x.level) for x in a.assessments},
            {x.report_id: (x.score, x.level) for x in b.assessments},
            limit,
        ),
        versions=_compare(
            {(v.alert_id, v.version): (v.audience, v.level, v.status) for v in a.versions},
            {(v.alert_id, v.version): (v.audience, v.level, v.status) for v in b.versions},
            limit,
        ),
    )
