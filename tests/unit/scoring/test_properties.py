"""Properties of the model (hypothesis): what must hold for any report and any history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.unit.scoring.factories import Scorer, report
from waspada_scoring.domain.model import assess
from waspada_shared.contracts.report import AcceptedReport, Category, Form, Signal
from waspada_shared.levels import Level
from waspada_shared.regions import reference

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WEAPONS = ["none", "blunt", "sharp", "firearms", "explosives"]
RELIABILITY_ORDER = ["E", "D", "C", "B", "A"]  # worse to better (F, "cannot judge", sits between C and D)
CREDIBILITY_ORDER = [5, 4, 3, 2, 1]
REGENCIES = sorted(reference().regencies)
START = datetime.fromisoformat("2024-01-01T00:00:00+07:00")


@st.composite
def impacts(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "deaths": draw(st.integers(0, 12)),
        "injured": draw(st.integers(0, 80)),
        "displaced": draw(st.integers(0, 3000)),
        "buildings_damaged": draw(st.integers(0, 30)),
        "crowd_size": draw(st.integers(0, 20000)),
        "arson": draw(st.booleans()),
        "weapons": draw(st.sampled_from(WEAPONS)),
    }


@st.composite
def raw_reports(draw: st.DrawFn, kinds: tuple[str, ...] = ("incident", "potential")) -> dict[str, Any]:
    regency = reference().regencies[draw(st.sampled_from(REGENCIES))]
    when = START + timedelta(hours=draw(st.integers(0, 24 * 900)))
    return {
        "region": {"province": regency.province_code, "regency": regency.code},
        "occurred_at": when.isoformat(),
        "kind": draw(st.sampled_from(kinds)),
        "category": draw(st.sampled_from([c.value for c in Category])),
        "form": draw(st.none() | st.sampled_from([f.value for f in Form])),
        "impact": draw(impacts()),
        "signals": draw(st.lists(st.sampled_from([s.value for s in Signal]), max_size=5, unique=True)),
        "source": {
            "type": "official",
            "reliability": draw(st.sampled_from("ABCDEF")),
            "credibility": draw(st.integers(1, 6)),
        },
    }


def _history(draw: Callable[..., Any], base: dict[str, Any]) -> list[AcceptedReport]:
    """Up to five earlier reports in the same region+category, before `base`'s time."""
    out = []
    for _ in range(draw(st.integers(0, 5))):
        raw = draw(raw_reports(("incident", "potential", "recovery")))
        hours = draw(st.integers(1, 24 * 30))
        when = datetime.fromisoformat(base["occurred_at"]) - timedelta(hours=hours)
        out.append(
            report(
                **{
                    **raw,
                    "region": base["region"],
                    "category": base["category"],
                    "occurred_at": when.isoformat(),
                }
            )
        )
    return sorted(out, key=lambda r: r.occurred_at)


def _with_history(history: list[AcceptedReport]) -> Scorer:
    s = Scorer()
    s.score(*history)
    return s


def _assess(s: Scorer, r: AcceptedReport) -> tuple[float, Level]:
    """Score `r` against the scorer's states without changing them."""
    from waspada_scoring.domain.batch import cell_key
    from waspada_scoring.domain.state import CellState

    a, _ = assess(r, s.cells.get(cell_key(r)) or CellState(), s.spread, s.model)
    return a.score, a.level


@FAST
@given(st.data())
def test_score_in_range_and_contributions_add_up(data: st.DataObject) -> None:
    base = data.draw(raw_reports(("incident", "potential", "recovery")))
    s = _with_history(_history(data.draw, base))
    a = s.one(report(**base)).assessment
    assert 0.0 <= a.score <= 100.0
    assert abs(sum(f.contribution for f in a.factors) - a.score) <= 0.011
    assert all(f.detail for f in a.factors if f.contribution)


@FAST
@given(st.data())
def test_more_harm_never_lowers_the_score_or_the_level(data: st.DataObject) -> None:
    base = data.draw(raw_reports())
    s = _with_history(_history(data.draw, base))
    worse = {**base, "impact": dict(base["impact"])}
    i = worse["impact"]
    field = data.draw(
        st.sampled_from(
            [
                "deaths",
                "injured",
                "displaced",
                "buildings_damaged",
                "crowd_size",
                "arson",
                "weapons",
                "signal",
            ]
        )
    )
    if field == "arson":
        i["arson"] = True
    elif field == "weapons":
        i["weapons"] = WEAPONS[
            min(len(WEAPONS) - 1, WEAPONS.index(i["weapons"]) + data.draw(st.integers(1, 4)))
        ]
    elif field == "signal":
        extra = data.draw(st.sampled_from([s.value for s in Signal]))
        worse["signals"] = list(dict.fromkeys([*base["signals"], extra]))
    else:
        i[field] += data.draw(st.integers(1, 500))
    before, level_before = _assess(s, report(**base))
    after, level_after = _assess(s, report(**worse))
    assert after >= before
    assert level_after.rank >= level_before.rank


@FAST
@given(st.data())
def test_a_better_graded_source_never_lowers_the_score(data: st.DataObject) -> None:
    base = data.draw(raw_reports())
    s = _with_history(_history(data.draw, base))
    rel = data.draw(st.integers(0, 4))
    cred = data.draw(st.integers(0, 4))
    better_rel = data.draw(st.integers(rel, 4))
    better_cred = data.draw(st.integers(cred, 4))
    worse_src = {
        "type": "social_media",
        "reliability": RELIABILITY_ORDER[rel],
        "credibility": CREDIBILITY_ORDER[cred],
    }
    better_src = {
        "type": "official",
        "reliability": RELIABILITY_ORDER[better_rel],
        "credibility": CREDIBILITY_ORDER[better_cred],
    }
    worse, _ = _assess(s, report(**{**base, "source": worse_src}))
    better, _ = _assess(s, report(**{**base, "source": better_src}))
    assert better >= worse


@FAST
@given(st.data())
def test_an_election_stage_near_voting_raises_the_score(data: st.DataObject) -> None:
    base = data.draw(raw_reports())
    base.update(category="election", region={"province": "63", "regency": "63.71"})
    voting = datetime.fromisoformat("2024-11-27T10:00:00+08:00")  # Pilkada 2024
    near, far = sorted(data.draw(st.lists(st.integers(0, 60), min_size=2, max_size=2, unique=True)))
    at_near, _ = _assess(
        Scorer(), report(**{**base, "occurred_at": (voting - timedelta(days=near)).isoformat()})
    )
    at_far, _ = _assess(
        Scorer(), report(**{**base, "occurred_at": (voting - timedelta(days=far)).isoformat()})
    )
    off_season, _ = _assess(Scorer(), report(**{**base, "occurred_at": "2026-06-10T10:00:00+08:00"}))
    on_the_day, _ = _assess(Scorer(), report(**{**base, "occurred_at": voting.isoformat()}))
    assert at_near >= at_far
    assert on_the_day > off_season or off_season == 100.0  # nothing rises above the maximum


@FAST
@given(st.data(), st.integers(1, 12))
def test_a_burst_of_reports_raises_the_score(data: st.DataObject, burst: int) -> None:
    base = data.draw(raw_reports())
    when = datetime.fromisoformat(base["occurred_at"])
    earlier = [
        report(
            region=base["region"],
            category=base["category"],
            kind="potential",
            occurred_at=(when - timedelta(minutes=20 * (k + 1))).isoformat(),
        )
        for k in range(burst)
    ]
    alone, _ = _assess(Scorer(), report(**base))
    after_burst, _ = _assess(_with_history(sorted(earlier, key=lambda r: r.occurred_at)), report(**base))
    assert after_burst >= alone
    if burst >= 3:
        assert after_burst > alone or alone >= 100.0


@FAST
@given(st.data())
def test_a_recovery_report_lowers_the_regions_level(data: st.DataObject) -> None:
    base = data.draw(raw_reports(("incident",)))
    base["impact"]["deaths"] = max(1, base["impact"]["deaths"])  # something to recover from
    s = Scorer()
    escalated = s.one(report(**base)).assessment
    assume(escalated.level is not Level.NORMAL)
    hours = data.draw(st.integers(1, 24 * 20))
    recovery = {
        "region": base["region"],
        "category": base["category"],
        "kind": "recovery",
        "occurred_at": (datetime.fromisoformat(base["occurred_at"]) + timedelta(hours=hours)).isoformat(),
        "source": data.draw(raw_reports())["source"],
    }
    after = s.one(report(**recovery)).assessment
    assert after.previous_level is escalated.level
    assert after.level.rank < escalated.level.rank
    assert any(f.name == "recovery" and f.contribution < 0 for f in after.factors)


@FAST
@given(st.data())
def test_same_history_same_scores_and_state_survives_json(data: st.DataObject) -> None:
    """Deterministic in event time; a state stored as JSON and read back scores exactly the same."""
    base = data.draw(raw_reports())
    history = _history(data.draw, base)
    target = report(**base)
    first = Scorer()
    direct = first.score(*history, target)
    stored = Scorer()
    for r in history:
        stored.score(r)
        stored.cells = {k: type(v).from_json(_roundtrip(v.to_json())) for k, v in stored.cells.items()}
    via_json = stored.score(target)[-1]
    assert [x.assessment for x in Scorer().score(*history, target)] == [x.assessment for x in direct]
    assert via_json.assessment == direct[-1].assessment


def _roundtrip(data: dict[str, Any]) -> Any:
    import orjson

    return orjson.loads(orjson.dumps(data))


@settings(max_examples=200, deadline=None)
@given(
    buckets=st.dictionaries(st.integers(0, 400), st.integers(1, 9), max_size=200),
    at_hour=st.integers(0, 420),
    hours=st.integers(1, 240),
)
def test_reports_in_hours_counts_the_window_whichever_way_it_looks(
    buckets: dict[int, int], at_hour: int, hours: int
) -> None:
    from waspada_scoring.domain.state import HOUR, CellState

    cell = CellState(hourly=dict(buckets))
    expected = sum(n for k, n in buckets.items() if at_hour - hours < k <= at_hour)
    assert cell.reports_in_hours(at_hour * HOUR + 1800.0, hours) == expected
    assert CellState.from_json(cell.to_json()).hourly == cell.hourly
