"""Specific behaviours of the model: levels with hysteresis, floors, late reports, spread, decay."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.unit.scoring.factories import Scorer, at, report
from waspada_scoring.configfiles import shipped_model
from waspada_scoring.domain.config import Model
from waspada_scoring.domain.state import DAILY_KEEP, HOURLY_KEEP
from waspada_shared.levels import Level

BRAWL = {
    "category": "communal_clash",
    "form": "fight",
    "impact": {
        "deaths": 1,
        "injured": 3,
        "buildings_damaged": 3,
        "arson": True,
        "crowd_size": 70,
        "weapons": "sharp",
    },
    "source": {"type": "official", "reliability": "A", "credibility": 1},
}
QUIET = {
    "category": "communal_clash",
    "kind": "potential",
    "source": {"type": "community", "reliability": "C", "credibility": 3},
}


def fast_decay(hours: float = 24.0) -> Model:
    m = shipped_model()
    decay = m.config.decay.model_copy(
        update={"incident_half_life_hours": hours, "potential_half_life_hours": hours}
    )
    return m.model_copy(update={"config": m.config.model_copy(update={"decay": decay})})


def test_escalates_at_once_and_holds_the_level_until_the_hold_time_has_passed() -> None:
    s = Scorer(fast_decay())
    brawl = s.one(report(**BRAWL, occurred_at=at())).assessment
    assert brawl.level is Level.SIAGA and brawl.previous_level is None
    held = s.one(report(**QUIET, occurred_at=at(hours=30))).assessment
    assert held.score_level.rank < Level.SIAGA.rank  # the score alone would say less...
    assert held.level is Level.SIAGA  # ...but siaga holds for 48 h without support
    assert "level dipertahankan" in held.reasons
    after = s.one(report(**QUIET, occurred_at=at(hours=49))).assessment
    assert after.previous_level is Level.SIAGA
    assert after.level is after.score_level and after.level.rank < Level.SIAGA.rank


def test_a_score_within_the_margin_keeps_supporting_the_level() -> None:
    s = Scorer(fast_decay(1000.0))  # practically no decay: the remembered brawl keeps the score up
    s.one(report(**BRAWL, occurred_at=at()))
    for hours in (40, 80, 120):
        assert s.one(report(**QUIET, occurred_at=at(hours=hours))).assessment.level is Level.SIAGA


def test_a_death_in_a_sara_case_is_at_least_siaga_unless_the_source_is_weak() -> None:
    death = {
        "category": "identity",
        "kind": "incident",
        "impact": {"deaths": 1},
        "source": {"type": "media", "reliability": "C", "credibility": 3},
    }
    a = Scorer().one(report(**death)).assessment
    assert a.score < 50 and a.level is Level.SIAGA
    assert a.reasons.startswith("korban jiwa dalam insiden kekerasan")
    weak = Scorer().one(
        report(**{**death, "source": {"type": "social_media", "reliability": "E", "credibility": 5}})
    )
    assert weak.assessment.level.rank < Level.SIAGA.rank


def test_a_late_report_can_raise_the_level_but_never_lowers_it() -> None:
    s = Scorer()
    s.one(report(**QUIET, occurred_at=at(hours=48)))
    late_brawl = s.one(report(**BRAWL, occurred_at=at())).assessment
    assert late_brawl.level is Level.SIAGA  # news of violence escalates even when it arrives late
    s2 = Scorer()
    s2.one(report(**BRAWL, occurred_at=at(hours=48)))
    late_quiet = s2.one(report(**QUIET, occurred_at=at(hours=-200))).assessment
    assert late_quiet.level is Level.SIAGA


def test_a_recovery_older_than_the_newest_activity_does_not_lower_anything() -> None:
    s = Scorer()
    s.one(report(**BRAWL, occurred_at=at(hours=24)))
    stale = s.one(report(category="communal_clash", kind="recovery", occurred_at=at())).assessment
    assert stale.level is Level.SIAGA
    assert [f.contribution for f in stale.factors if f.name == "recovery"] == [0.0]
    fresh = s.one(report(category="communal_clash", kind="recovery", occurred_at=at(hours=30))).assessment
    assert fresh.level.rank < Level.SIAGA.rank


def test_remembered_harm_decays_in_event_time() -> None:
    s1, s14 = Scorer(), Scorer()
    s1.one(report(**BRAWL, occurred_at=at()))
    s14.one(report(**BRAWL, occurred_at=at()))
    one_day = s1.one(report(**QUIET, occurred_at=at(days=1))).assessment
    two_weeks = s14.one(report(**QUIET, occurred_at=at(days=14))).assessment
    sev_1, sev_14 = (next(f for f in a.factors if f.name == "severity") for a in (one_day, two_weeks))
    assert sev_1.contribution > 2 * sev_14.contribution > 0
    assert "laporan sebelumnya" in sev_14.detail


def test_spread_counts_the_same_category_in_neighbouring_regencies_within_72_hours() -> None:
    s = Scorer()
    s.one(report(**BRAWL, region={"province": "53", "regency": "53.02"}, occurred_at=at()))
    near = s.one(report(**QUIET, region={"province": "53", "regency": "53.03"}, occurred_at=at(hours=5)))
    other_category = s.one(
        report(
            **{**QUIET, "category": "governance"},
            region={"province": "53", "regency": "53.04"},
            occurred_at=at(hours=5),
        )
    )
    too_late = s.one(
        report(**QUIET, region={"province": "53", "regency": "53.05"}, occurred_at=at(hours=100))
    )
    spread = {
        x.report.report_id: next(f for f in x.assessment.factors if f.name == "spread")
        for x in (near, other_category, too_late)
    }
    assert spread[near.report.report_id].contribution > 0
    assert near.assessment.region_state.elevated_neighbours == 1
    assert spread[other_category.report.report_id].contribution == 0
    assert spread[too_late.report.report_id].contribution == 0


def test_spread_counts_the_same_province_only() -> None:
    """Other provinces come from other Kafka partitions in no fixed order: notify rolls them up instead."""
    s = Scorer()
    s.one(report(**BRAWL, region={"province": "11", "regency": "11.01"}, occurred_at=at()))
    far = s.one(
        report(**QUIET, region={"province": "94", "regency": "94.01"}, occurred_at=at(hours=3))
    ).assessment
    near = s.one(
        report(**QUIET, region={"province": "11", "regency": "11.02"}, occurred_at=at(hours=3))
    ).assessment
    assert far.region_state.elevated_neighbours == 0
    assert near.region_state.elevated_neighbours == 1
    assert next(f for f in near.factors if f.name == "spread").contribution > 0


def test_reports_at_the_same_instant_never_see_each_other_in_spread() -> None:
    """Whatever order two simultaneous reports of a province arrive in, neither counts the other."""
    s = Scorer()
    s.one(report(**BRAWL, region={"province": "11", "regency": "11.01"}, occurred_at=at()))
    same = s.one(report(**QUIET, region={"province": "11", "regency": "11.02"}, occurred_at=at())).assessment
    assert same.region_state.elevated_neighbours == 0


def test_recurrence_from_earlier_years_and_last_years_date() -> None:
    s = Scorer()
    for year in (2022, 2023):
        s.one(report(**QUIET, occurred_at=f"{year}-06-05T10:00:00+08:00"))
    tense = {**QUIET, "signals": ["ultimatum"]}  # opens the gate fully: recurrence counts whole
    a = s.one(report(**tense, occurred_at="2024-06-10T10:00:00+08:00")).assessment
    rec = next(f for f in a.factors if f.name == "recurrence")
    assert rec.value == pytest.approx(2 / 5 + 0.2)
    assert "tahun lalu" in rec.detail


def test_the_standing_context_does_not_raise_a_peaceful_demonstration() -> None:
    """Category, recurrence, IKP and history count only as far as tension, momentum or an election stage
    opens the gate: a peaceful demonstration in a busy, vulnerable city raises nothing on its own."""
    s = Scorer()
    demo = {
        "category": "economic_labor",
        "kind": "incident",
        "form": "demonstration",
        "region": {"province": "31", "regency": "31.71"},
        "source": {"type": "media", "reliability": "B", "credibility": 2},
    }
    for year in (2021, 2022, 2023):  # a demonstration every year: recurrence would be high
        s.one(report(**demo, occurred_at=f"{year}-08-01T10:00:00+07:00"))
    a = s.one(report(**demo, occurred_at="2025-08-01T10:00:00+07:00")).assessment
    assert a.level is Level.NORMAL
    context = {f.name: f.contribution for f in a.factors}
    assert context["category"] == context["recurrence"] == context["vulnerability"] == 0
    assert a.reasons == "tidak ada tanda kekerasan, ketegangan, lonjakan laporan atau tahapan pemilu"
    clash = s.one(report(**{**demo, "form": "clash"}, occurred_at="2025-08-03T10:00:00+07:00")).assessment
    assert next(f for f in clash.factors if f.name == "category").contribution > 0


def test_harm_keeps_counting_beyond_three_deaths() -> None:
    """Severity saturates; harm rises with the toll, so a mass-casualty event scores near or above 75."""
    riot = {
        "category": "communal_clash",
        "kind": "incident",
        "form": "riot",
        "source": {"type": "media", "reliability": "B", "credibility": 2},
    }
    scores = [
        Scorer().one(report(**riot, impact={"deaths": n, "arson": True, "buildings_damaged": 5})).assessment
        for n in (1, 3, 9, 33)
    ]
    assert [a.score for a in scores] == sorted(a.score for a in scores)
    assert scores[3].score - scores[1].score >= 10
    assert scores[3].score >= 72 and "awas_candidate" in scores[3].flags


def test_a_killing_or_arson_in_any_category_from_a_credible_source_is_at_least_siaga() -> None:
    for impact in ({"deaths": 1}, {"arson": True, "buildings_damaged": 2}):
        a = (
            Scorer()
            .one(
                report(
                    category="land_resource",
                    kind="incident",
                    form="clash",
                    impact=impact,
                    source={"type": "media", "reliability": "B", "credibility": 2},
                )
            )
            .assessment
        )
        assert a.level is Level.SIAGA, (impact, a.score, a.reasons)
        assert "minimal Level 3" in a.reasons
        weak = Scorer().one(
            report(
                category="land_resource",
                kind="incident",
                form="clash",
                impact=impact,
                source={"type": "social_media", "reliability": "E", "credibility": 5},
            )
        )
        assert weak.assessment.level is not Level.SIAGA


def test_violence_in_two_regencies_of_a_province_is_a_level_4_candidate() -> None:
    s = Scorer()
    deadly = {
        "category": "separatism",
        "kind": "incident",
        "form": "attack",
        "impact": {"deaths": 1},
        "source": {"type": "official", "reliability": "A", "credibility": 2},
    }
    first = s.one(
        report(**deadly, region={"province": "95", "regency": "95.01"}, occurred_at=at())
    ).assessment
    assert first.level is Level.SIAGA and "awas_candidate" not in first.flags
    second = s.one(
        report(**deadly, region={"province": "95", "regency": "95.08"}, occurred_at=at(hours=20))
    ).assessment
    assert "awas_candidate" in second.flags
    assert "kekerasan di dua kabupaten/kota atau lebih" in second.reasons


def test_state_stays_bounded_however_many_reports() -> None:
    s = Scorer()
    start = datetime.fromisoformat("2025-01-01T00:00:00+08:00")
    s.score(*(report(**QUIET, occurred_at=(start + timedelta(hours=3 * k)).isoformat()) for k in range(2000)))
    (cell,) = s.cells.values()
    assert len(cell.hourly) <= HOURLY_KEEP + 1 and len(cell.daily) <= DAILY_KEEP + 1
    assert sum(len(d) for d in cell.years.values()) <= 366


def test_election_context_uses_the_calendar_in_local_time() -> None:
    # 20:30 UTC on 26 Nov is 04:30 WITA on 27 Nov: Pilkada voting day in Banjarmasin.
    a = (
        Scorer()
        .one(report(category="election", kind="potential", occurred_at="2024-11-26T20:30:00Z"))
        .assessment
    )
    assert a.region_state.election_stage == "voting"
    assert next(f for f in a.factors if f.name == "election").value == 1.0
    assert "hari pemungutan suara Pilkada 2024" in a.reasons


def test_election_context_memo_is_shared_by_regions_of_one_coverage_only() -> None:
    from datetime import date

    from waspada_scoring.domain.context import election_context

    base = shipped_model()
    stage = base.calendar.elections[0].stages[0]
    local = base.calendar.model_copy(
        update={
            "elections": [
                base.calendar.elections[0].model_copy(update={"regions": ["63.71"], "name": "Pilkada Lokal"})
            ]
        }
    )
    m = Model(config=base.config, calendar=local, baseline=base.baseline)
    on = stage.start
    covered = election_context(m, "63", "63.71", on, None)
    elsewhere = election_context(m, "63", "63.02", on, None)
    also_elsewhere = election_context(m, "31", "31.71", on, None)
    assert covered.stage == stage.stage and covered.election == "Pilkada Lokal"
    assert elsewhere.value == 0.0 and elsewhere.stage is None
    assert also_elsewhere is elsewhere  # one memo entry for every region outside the election
    assert election_context(m, "63", "63.71", date(on.year, on.month, on.day), None) is covered


def test_vulnerability_baseline_bands() -> None:
    m = shipped_model()
    assert m.baseline.band("31", "31.71") == "high"  # DKI Jakarta, IKP 88.95
    assert m.baseline.band("35", "35.78") == "low"  # Jawa Timur, 14.74
    assert m.baseline.band("19", "19.02") == "medium"
    assert m.baseline.band("99", "99.01") == m.baseline.default
