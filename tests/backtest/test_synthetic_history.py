"""The synthetic nine-year history (backtest/history.py) through `make backtest`'s replay on the real
local stack (Kafka and PostgreSQL; the test starts its own intake, scoring and notify on a scratch
database and topic prefix), with the goals of issue 10 asserted:

- every known escalation episode reaches siaga; the peaceful-only regencies stay quiet;
- every report with >= 3 deaths reaches the national desk (awas, or a Level-4 candidate) within a day;
- regency-weeks with >= 1 death at siaga+ >= 70 %, with >= 3 deaths >= 98 %;
- regency alerts made only of peaceful demonstrations <= 5 %;
- precision of province/national siaga+ alerts >= 95 %;
- province alerts per province-month <= 10;
- batched, day-by-day and one-report-per-request replays identical (assessments and alert versions);
and, for the replay's crash option, the assessments and alert versions of a Kafka replay (everything
at once) in which scoring and notify are SIGKILLed and restarted halfway are those of the batched
replay.

docs/backtest.md records the figures measured with each model.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from backtest import expect
from backtest.history import generate
from backtest.measure import Diff, Figures, RunData, differences, figures
from backtest.replay import Mode, replay, replay_twice
from backtest.settings import BacktestSettings

# Three replays in the module fixture, whose setup counts against the first test's timeout: on a
# loaded 2-core machine they can take several minutes.
pytestmark = [pytest.mark.stack, pytest.mark.timeout(900)]


@dataclass(frozen=True, repr=False)  # a failing test prints its fixture: not 3,000 reports
class Outcome:
    data: RunData
    figures: Figures
    expectations: expect.Expectations
    diff: Diff
    crash: Diff  # batch vs kafka with scoring and notify killed halfway
    one_by_one: Diff  # batch vs one POST per report


@pytest.fixture(scope="module")
async def outcome() -> AsyncIterator[Outcome]:
    reports, raw = generate()
    # Its own database and ports (2818x, next to the CLI's defaults), so a `make backtest` running at
    # the same time does not collide with the test.
    settings = BacktestSettings(
        backtest_database="waspada_backtest_test",
        backtest_intake_port=28185,
        backtest_scoring_port=28186,
        backtest_notify_port=28187,
    )
    batch, day = await replay_twice(
        settings.target("backtest-test"), reports, Mode.BATCH, Mode.DAY, timeout=600
    )
    assert not batch.submitted.rejected and not day.submitted.rejected
    crashed = await replay(
        settings.target("backtest-test-kill"), reports, Mode.KAFKA, kill_midway=True, timeout=600
    )
    single = await replay(settings.target("backtest-test-report"), reports, Mode.REPORT, timeout=600)
    yield Outcome(
        batch.data,
        figures(batch.data),
        expect.Expectations.model_validate(raw),
        differences(batch.data, day.data),
        differences(batch.data, crashed.data),
        differences(batch.data, single.data),
    )


def _failed(checks: list[expect.Check]) -> list[str]:
    return [f"{c.name}: {c.detail}" for c in checks if not c.passed]


def test_every_known_episode_reaches_siaga(outcome: Outcome) -> None:
    checks = [expect.check_episode(ep, outcome.data) for ep in outcome.expectations.episodes]
    assert not _failed(checks)


def test_peaceful_only_regencies_stay_quiet(outcome: Outcome) -> None:
    checks = [expect.check_quiet(q, outcome.data) for q in outcome.expectations.quiet]
    assert not _failed(checks)


def test_three_deaths_reach_the_national_desk_within_a_day(outcome: Outcome) -> None:
    r = outcome.figures.national_within_day
    assert r.total >= 10 and r.hits == r.total, r.misses


def test_recall_of_deadly_regency_weeks(outcome: Outcome) -> None:
    one, three = outcome.figures.recall_1_death, outcome.figures.recall_3_deaths
    assert one.value is not None and three.value is not None
    assert one.value >= 0.70, f"{one.hits}/{one.total}"
    assert three.value >= 0.98, three.misses


def test_few_regency_alerts_of_peaceful_demonstrations_only(outcome: Outcome) -> None:
    r = outcome.figures.peaceful_only_regency_alerts
    assert r.value is not None and r.value <= 0.05, r.misses[:10]


def test_precision_of_province_and_national_siaga_alerts(outcome: Outcome) -> None:
    r = outcome.figures.precision_siaga_province_national
    assert r.value is not None and r.value >= 0.95, r.misses


def test_province_alerts_per_province_month(outcome: Outcome) -> None:
    d = outcome.figures.province_alerts_per_province_month
    assert d.cells > 0 and d.max <= 10, d.worst


# Two tests, so that a failure says which service's output depends on the batching.
def test_batched_and_day_by_day_replays_give_the_same_assessments(outcome: Outcome) -> None:
    assert not outcome.diff.assessments, outcome.diff.assessments[:10]


def test_batched_and_day_by_day_replays_give_the_same_alert_versions(outcome: Outcome) -> None:
    assert not outcome.diff.versions, outcome.diff.versions[:10]


def test_killing_scoring_and_notify_midway_changes_no_assessment(outcome: Outcome) -> None:
    assert not outcome.crash.assessments, outcome.crash.assessments[:10]


def test_killing_scoring_and_notify_midway_changes_no_alert_version(outcome: Outcome) -> None:
    assert not outcome.crash.versions, outcome.crash.versions[:10]


def test_one_report_per_request_gives_the_same_assessments_and_alert_versions(outcome: Outcome) -> None:
    assert not outcome.one_by_one.assessments, outcome.one_by_one.assessments[:10]
    assert not outcome.one_by_one.versions, outcome.one_by_one.versions[:10]
