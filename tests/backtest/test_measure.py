"""The backtest's figures on small hand-made data (no services)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from backtest.measure import (
    AlertVersion,
    Assessment,
    Report,
    RunData,
    differences,
    distribution,
    figures,
    levels_per_year,
    national_within_day,
    peaceful_only,
    precision_siaga,
    recall,
    scored_for_level_4,
)

T0 = datetime.fromisoformat("2019-05-22T12:00:00+07:00")


def report(rid: str, regency: str = "31.71", days: float = 0, **kw: Any) -> Report:
    fields: dict[str, Any] = {"category": "election", "form": "riot", "deaths": 0, "arson": False}
    fields.update(kw)
    return Report(
        report_id=rid,
        province=regency[:2],
        regency=regency,
        occurred_at=T0 + timedelta(days=days),
        **fields,
    )


def assessment(
    rid: str, level: str, regency: str = "31.71", days: float = 0, score: float = 50.0
) -> Assessment:
    return Assessment(
        report_id=rid,
        province=regency[:2],
        regency=regency,
        category="election",
        occurred_at=T0 + timedelta(days=days),
        score=score,
        level=level,
        model_version="risk-test",
    )


def version(alert_id: str, audience: str, level: str, days: float = 0, **kw: Any) -> AlertVersion:
    t = (T0 + timedelta(days=days)).isoformat()
    payload: dict[str, Any] = {
        "alert_id": alert_id,
        "group_key": "g",
        "audience": audience,
        "province": "31",
        "regency": "31.71",
        "category": "election",
        "level": level,
        "status": "firing",
        "version": 1,
        "report_ids": [],
        "first_seen": t,
        "updated_at": t,
        "last_report_at": t,
        "title": "ignored",
        "unknown_future_field": {"x": 1},
    }
    payload.update(kw)
    return AlertVersion.model_validate(payload)


def test_harm_and_peaceful() -> None:
    assert report("a", deaths=1).harm and report("b", arson=True).harm
    assert not report("c").harm
    assert report("d", form="demonstration").peaceful
    assert not report("e", form="demonstration", injured=1).peaceful
    assert not report("f", form="demonstration", arson=True).peaceful
    assert not report("g", form="clash").peaceful


def test_report_from_json_keeps_the_local_date() -> None:
    r = Report.from_json(
        {
            "report_id": "x",
            "region": {"province": "91", "regency": "91.71"},
            "occurred_at": "2019-08-30T00:30:00+09:00",
            "category": "identity",
            "form": "riot",
            "impact": {"deaths": 2, "arson": True},
        }
    )
    assert r.occurred_at.date().isoformat() == "2019-08-30" and r.deaths == 2 and r.arson


def test_candidate_is_read_tolerantly() -> None:
    assert version("a", "national", "siaga").candidate is None
    assert version("a", "national", "siaga", candidate=None).candidate is None
    assert version("a", "national", "siaga", candidate="garbage").candidate is None
    c = version(
        "a", "national", "siaga", candidate={"status": "pending", "reasons": ["x"], "new": 1}
    ).candidate
    assert c is not None and c.status == "pending"


def test_levels_per_year() -> None:
    got = levels_per_year(
        [assessment("a", "normal"), assessment("b", "siaga"), assessment("c", "siaga", days=400)]
    )
    assert got == {
        "2019": {"normal": 1, "waspada": 0, "siaga": 1, "awas": 0},
        "2020": {"normal": 0, "waspada": 0, "siaga": 1, "awas": 0},
    }


def test_precision_counts_harm_in_the_area_within_14_days() -> None:
    reports = [
        report("harm-near", deaths=1, days=-13),  # 31.71, inside the window
        report("harm-far", regency="31.73", arson=True, days=40),
    ]
    versions = [
        version("hit", "province", "waspada"),
        version("hit", "province", "siaga", version=2, days=1),  # reached siaga at T0+1: harm at -13 is 14 d
        version("miss-time", "national", "awas", days=30),  # harm in 31.71 is 30 days away
        version("miss-place", "province", "siaga", regency="31.74", days=40),  # harm at 31.73 only
        version("rollup", "province", "siaga", regency=None, coverage="province", days=35),  # province 31
        version("low", "province", "waspada"),  # never siaga: not counted
        version("regency", "regency", "siaga"),  # regency audience: not counted
    ]
    got = precision_siaga(reports, versions)
    assert (got.hits, got.total) == (2, 4)
    assert got.value == 0.5
    assert {m.split()[0] for m in got.misses} == {"miss-time", "miss-place"}


def test_precision_of_a_national_rollup_uses_its_provinces() -> None:
    reports = [report("h", regency="91.71", deaths=1)]
    hit = version(
        "n1", "national", "siaga", province="00", regency=None, coverage="national", provinces=["91", "95"]
    )
    miss = version(
        "n2", "national", "siaga", province="00", regency=None, coverage="national", provinces=["31", "95"]
    )
    got = precision_siaga(reports, [hit, miss])
    assert (got.hits, got.total) == (1, 2)


def test_recall_by_regency_and_iso_week() -> None:
    reports = [
        report("a", deaths=1),  # week 2019-W21 in 31.71: reached siaga
        report("b", deaths=2, days=7),  # W22: only waspada
        report("c", deaths=1, days=7, regency="31.73"),  # W22 in 31.73, siaga in another regency
        report("d", deaths=1, days=14),  # W23: 1 + 2 = 3 deaths in the week
        report("e", deaths=2, days=15),
    ]
    assessments = [
        assessment("a", "siaga"),
        assessment("b", "waspada", days=7),
        assessment("x", "siaga", regency="31.74", days=7),
        assessment("e", "awas", days=15),
        assessment("y", "siaga", days=30),  # a later week does not count for W22
    ]
    one = recall(reports, assessments, 1)
    assert (one.hits, one.total) == (2, 4)
    three = recall(reports, assessments, 3)
    assert (three.hits, three.total) == (1, 1)


def test_national_within_a_day() -> None:
    reports = [
        report("listed", deaths=3),
        report("same-group", deaths=5, days=0.5),
        report("candidate", regency="95.01", deaths=33, days=2, category="identity"),
        report("late", regency="35.07", deaths=135, days=10, category="other"),
        report("resolved-only", regency="35.78", deaths=4, days=20, category="identity"),
        report("small", deaths=2),
    ]
    versions = [
        version("n1", "national", "awas", report_ids=["listed"]),
        version(
            "n2",
            "national",
            "siaga",
            regency="95.01",
            category="identity",
            days=2.5,
            candidate={"status": "pending"},
        ),
        version("n3", "national", "awas", regency="35.07", category="other", days=11.5, report_ids=["late"]),
        version("n4", "national", "awas", regency="35.78", category="identity", days=20, status="resolved"),
        version("p1", "province", "awas", regency="35.07", category="other", days=10, report_ids=["late"]),
    ]
    got = national_within_day(reports, versions)
    assert (got.hits, got.total) == (3, 5)
    assert {m.split()[0] for m in got.misses} == {"late", "resolved-only"}


def test_scored_for_level_4() -> None:
    reports = [
        report("flag", deaths=3),
        report("awas", deaths=4),
        report("no", deaths=5),
        report("one", deaths=1),
    ]
    flagged = Assessment(**{**assessment("flag", "siaga").__dict__, "flags": ("awas_candidate",)})
    got = scored_for_level_4(reports, [flagged, assessment("awas", "awas"), assessment("no", "siaga")])
    assert (got.hits, got.total) == (2, 3) and got.misses[0].startswith("no ")


def test_peaceful_only_regency_alerts() -> None:
    reports = [
        report("p1", form="demonstration"),
        report("p2", form="demonstration"),
        report("v", form="riot", deaths=1),
    ]
    alerts = [
        version("only", "regency", "waspada", report_ids=["p1", "p2"]),
        version("mixed", "regency", "siaga", report_ids=["p1", "v"]),
        version("province", "province", "siaga", report_ids=["p1"]),
    ]
    got = peaceful_only(reports, alerts)
    assert (got.hits, got.total) == (1, 2)


def test_distribution() -> None:
    d = distribution({"31 2019-05": 4, "91 2019-08": 1, "95 2019-09": 2, "95 2018-12": 3})
    assert (d.cells, d.median, d.max) == (4, 2.5, 4)
    assert d.p90 == 3.7
    assert d.worst[0] == "31 2019-05: 4"
    assert distribution({}).max == 0


def test_figures_of_a_small_run() -> None:
    reports = [report("a", deaths=3, arson=True), report("b", form="demonstration", days=3)]
    assessments = [assessment("a", "siaga"), assessment("b", "waspada", days=3, score=30.0)]
    versions = [
        version("r1", "regency", "siaga", report_ids=["a"]),
        version("p1", "province", "siaga", report_ids=["a"]),
        version("n1", "national", "siaga", report_ids=["a"], candidate={"status": "pending"}),
    ]
    figs = figures(RunData(reports, assessments, versions, versions))
    assert figs.recall_3_deaths.value == 1.0
    assert figs.national_within_day.value == 1.0
    assert figs.precision_siaga_province_national.value == 1.0
    assert figs.alerts_per_audience_year == {
        "national": {"2019": 1},
        "province": {"2019": 1},
        "regency": {"2019": 1},
    }
    assert figs.alerts_per_province_month["province"] == {"31 2019-05": 1}
    assert figs.top_pairs[0].regency == "31.71" and figs.top_pairs[0].max_level == "siaga"
    assert figs.model_versions == ["risk-test"]


def test_differences() -> None:
    a = RunData([], [assessment("x", "siaga", score=60.0)], [version("v", "regency", "siaga")], [])
    same = RunData([], [assessment("x", "siaga", score=60.0)], [version("v", "regency", "siaga")], [])
    assert differences(a, same).identical
    other = RunData(
        [],
        [assessment("x", "siaga", score=61.0)],
        [version("v", "regency", "siaga", status="resolved"), version("v", "regency", "siaga", version=2)],
        [],
    )
    d = differences(a, other)
    assert not d.identical
    assert len(d.assessments) == 1 and len(d.versions) == 2
