"""The expectations format and its pass/fail verdicts on small hand-made data (no services)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from backtest import expect
from backtest.history import generate
from backtest.measure import RunData, figures
from tests.backtest.test_measure import assessment, report, version


def test_a_full_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(
        json.dumps(
            {
                "description": "Jakarta",
                "episodes": [
                    {
                        "name": "mei-2019",
                        "regency": "31.71",
                        "category": "election",
                        "start": "2019-05-21",
                        "end": "2019-05-25",
                    }
                ],
                "quiet": [{"regency": "32.71"}],
                "goals": {"recall_1_death_min": 0.7, "province_alerts_per_province_month_max": 10},
            }
        )
    )
    exp = expect.load(path)
    assert exp.episodes[0].min_level == "siaga" and exp.quiet[0].max_level == "normal"
    assert exp.goals.recall_3_deaths_min is None


@pytest.mark.parametrize(
    "bad",
    [
        {"episodes": [{"name": "x", "regency": "99.99", "start": "2019-01-01", "end": "2019-01-02"}]},
        {"episodes": [{"name": "x", "regency": "31.71", "start": "2019-01-02", "end": "2019-01-01"}]},
        {
            "episodes": [
                {
                    "name": "x",
                    "regency": "31.71",
                    "start": "2019-01-01",
                    "end": "2019-01-02",
                    "min_level": "red",
                }
            ]
        },
        {"quiet": [{"regency": "32.71", "max_lvl": "normal"}]},  # a typo must not drop the check
        {"goals": {"recall_min": 0.5}},
        {"goals": {"recall_1_death_min": 70}},
    ],
)
def test_bad_files_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        expect.Expectations.model_validate(bad)


def _data() -> RunData:
    reports = [report("a", deaths=1), report("b", deaths=1, regency="32.71", form="demonstration")]
    assessments = [
        assessment("a0", "waspada", days=-1, score=40.0),
        assessment("a", "siaga", score=55.0),
        assessment("b", "waspada", regency="32.71", score=30.0),
    ]
    return RunData(
        reports, assessments, [version("p", "province", "siaga")], [version("p", "province", "siaga")]
    )


def test_episode_passes_when_the_window_reaches_the_level() -> None:
    data = _data()
    ok = expect.Episode(name="ok", regency="31.71", category="election", start="2019-05-21", end="2019-05-23")
    check = expect.check_episode(ok, data)
    assert check.passed and "siaga on 2019-05-22" in check.detail
    early = expect.Episode(name="early", regency="31.71", start="2019-05-20", end="2019-05-21")
    check = expect.check_episode(early, data)
    assert not check.passed and "highest waspada" in check.detail
    other = expect.Episode(
        name="other", regency="31.71", category="identity", start="2019-05-21", end="2019-05-23"
    )
    assert expect.check_episode(other, data).detail == "no assessment in the window"
    awas = expect.Episode(
        name="awas", regency="31.71", start="2019-05-21", end="2019-05-23", min_level="awas"
    )
    assert not expect.check_episode(awas, data).passed


def test_quiet_regencies() -> None:
    data = _data()
    assert not expect.check_quiet(expect.Quiet(regency="32.71"), data).passed
    assert expect.check_quiet(expect.Quiet(regency="32.71", max_level="waspada"), data).passed
    assert expect.check_quiet(expect.Quiet(regency="51.71"), data).detail == "no reports"


def test_goals() -> None:
    data = _data()
    figs = figures(data)
    goals = expect.Goals(
        recall_1_death_min=0.7,
        precision_siaga_province_national_min=0.95,
        province_alerts_per_province_month_max=0,
        national_within_day_min=1.0,
    )
    checks = {c.name: c for c in expect.check_goals(goals, figs)}
    assert not checks["recall_1_death"].passed  # 1 of 2 regency-weeks
    assert checks["precision_siaga_province_national"].passed  # harm in 31.71 on the day
    assert not checks["province_alerts_per_province_month"].passed  # one alert, goal 0
    assert checks["national_within_day"].detail == "nothing to count"  # no report with 3 deaths
    assert len(expect.evaluate(expect.Expectations(goals=goals), data, figs)) == 4


def test_the_synthetic_history_and_its_expectations_are_valid() -> None:
    reports, expectations = generate(7)
    again, _ = generate(7)
    assert reports == again  # deterministic for a seed
    assert 2500 <= len(reports) <= 5000
    exp = expect.Expectations.model_validate(expectations)
    assert len(exp.episodes) >= 10 and exp.quiet and exp.goals.recall_3_deaths_min == 0.98
    ids = [r["report_id"] for r in reports]
    assert len(set(ids)) == len(ids)
    assert [r["occurred_at"][:10] for r in reports] == sorted(r["occurred_at"][:10] for r in reports)
    years = {r["occurred_at"][:4] for r in reports}
    assert len(years) == 9
    quiet = {q.regency for q in exp.quiet}
    assert all(r["form"] == "demonstration" for r in reports if r["region"]["regency"] in quiet)
    categories_with_death = {r["category"] for r in reports if r["impact"]["deaths"] == 1}
    assert len(categories_with_death) == 10
    assert max(r["impact"]["deaths"] for r in reports) == 135
