"""The alert lifecycle, pure: time is passed in, nothing waits."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.notify.factories import T0, Sim, assessed
from waspada_notify.domain.model import Resolution
from waspada_shared.contracts.alert import AlertEvent, AlertStatus, Audience, Coverage
from waspada_shared.levels import Level

KEY = "19/19.06/identity"


def events(versions: list[object]) -> list[tuple[str, str, int]]:
    return sorted((v.alert.audience.value, v.event.value, v.alert.version) for v in versions)  # type: ignore[attr-defined]


def test_spec_table_waspada_siaga_awas_reach_more_audiences() -> None:
    for level, audiences in (
        (Level.WASPADA, {"regency"}),
        (Level.SIAGA, {"regency", "province"}),
        (Level.AWAS, {"regency", "province", "national"}),
    ):
        sim = Sim()
        versions = sim.feed(assessed(level))
        assert {v.alert.audience.value for v in versions} == audiences
        assert all(v.event is AlertEvent.FIRED and v.alert.version == 1 for v in versions)


def test_normal_fires_nothing() -> None:
    assert Sim().feed(assessed(Level.NORMAL)) == []


def test_one_alert_per_group_and_audience_and_reports_accumulate() -> None:
    sim = Sim()
    sim.feed(assessed(Level.WASPADA, report_id="a"))
    again = sim.feed(assessed(Level.WASPADA, report_id="b", at=T0 + timedelta(hours=1)))
    assert again == []  # same level: no new version, no notification
    alert = sim.open(KEY, "regency")
    assert alert.version == 1 and alert.report_ids == ["a", "b"]
    assert alert.last_report_at == T0 + timedelta(hours=1)
    other = sim.feed(assessed(Level.WASPADA, regency="19.02"))
    assert [v.alert.group_key for v in other] == ["19/19.02/identity"]  # another region: its own alert


def test_escalation_is_a_new_version_and_adds_audiences() -> None:
    sim = Sim()
    sim.feed(assessed(Level.WASPADA))
    versions = sim.feed(assessed(Level.AWAS, at=T0 + timedelta(hours=1)))
    assert events(versions) == [
        ("national", "fired", 1),
        ("province", "fired", 1),
        ("regency", "escalated", 2),
    ]
    regency = sim.open(KEY, "regency")
    assert regency.previous_level is Level.WASPADA and regency.level is Level.AWAS
    assert regency.title.startswith(
        "Naik ke Level 4 (Awas): kerusuhan bernuansa SARA di Kabupaten Belitung Timur"
    )


def test_deescalation_is_sent_to_every_audience_that_was_told() -> None:
    sim = Sim()
    sim.feed(assessed(Level.AWAS))
    versions = sim.feed(assessed(Level.SIAGA, at=T0 + timedelta(days=2)))
    assert events(versions) == [
        ("national", "deescalated", 2),
        ("province", "deescalated", 2),
        ("regency", "deescalated", 2),
    ]
    national = next(v.alert for v in versions if v.alert.audience is Audience.NATIONAL)
    assert national.status is AlertStatus.FIRING and national.previous_level is Level.AWAS
    assert national.level is Level.SIAGA and national.title.startswith("Turun ke Level 3 (Siaga)")


def test_back_to_normal_keeps_alerts_until_quiet_time() -> None:
    """Resolution is by quiet time: a recovery report (level normal) is not a qualifying report."""
    sim = Sim()
    sim.feed(assessed(Level.SIAGA))
    recovery = assessed(Level.NORMAL, at=T0 + timedelta(days=1), kind="recovery", form=None)
    assert sim.feed(recovery) == []
    regency = sim.open(KEY, "regency")
    assert regency.level is Level.SIAGA and recovery.report_id in regency.report_ids
    assert sim.groups[KEY].level is Level.NORMAL
    wall = T0 + timedelta(hours=1)
    assert sim.sweep(wall, event_now=T0 + timedelta(hours=71)) == []
    versions = sim.sweep(wall, event_now=T0 + timedelta(hours=73))
    assert events(versions) == [("province", "resolved", 2), ("regency", "resolved", 2)]
    assert all(sim.alerts[v.alert.alert_id].resolution is Resolution.QUIET for v in versions)
    # A later escalation opens a new alert, not the resolved one.
    again = sim.feed(assessed(Level.WASPADA, at=T0 + timedelta(days=4)))
    assert [v.event for v in again] == [AlertEvent.FIRED]
    assert again[0].alert.alert_id not in {v.alert.alert_id for v in versions}


def test_quiet_resolution_waits_group_interval_after_the_last_version() -> None:
    """A backfill of old reports fires; it resolves no sooner than group_interval later (wall clock)."""
    sim = Sim()
    now = T0 + timedelta(days=30)
    sim.feed(assessed(Level.WASPADA, at=T0), now=now)
    assert sim.sweep(now + timedelta(minutes=4), event_now=now) == []
    # Another old report, added without a new version, starts the wait again.
    assert sim.feed(assessed(Level.WASPADA, at=T0 + timedelta(hours=1)), now=now + timedelta(minutes=4)) == []
    assert sim.sweep(now + timedelta(minutes=5), event_now=now) == []
    assert events(sim.sweep(now + timedelta(minutes=9), event_now=now)) == [("regency", "resolved", 2)]


def test_quiet_time_in_event_time_resolves_in_the_sweep() -> None:
    sim = Sim()
    sim.feed(assessed(Level.SIAGA))
    wall = T0 + timedelta(minutes=10)
    assert sim.sweep(wall, event_now=T0 + timedelta(hours=71)) == []
    versions = sim.sweep(wall, event_now=T0 + timedelta(hours=72, seconds=1))
    assert events(versions) == [("province", "resolved", 2), ("regency", "resolved", 2)]
    assert "Tidak ada laporan yang memenuhi syarat selama 72 jam" in versions[0].alert.summary


def test_quiet_time_is_applied_to_a_late_report_too() -> None:
    """A report after the quiet gap closes the old alert and starts a new one, in the same batch."""
    sim = Sim()
    sim.feed(assessed(Level.SIAGA))
    versions = sim.feed(assessed(Level.SIAGA, at=T0 + timedelta(hours=100)))
    assert events(versions) == [
        ("province", "fired", 1),
        ("province", "resolved", 2),
        ("regency", "fired", 1),
        ("regency", "resolved", 2),
    ]


def test_stale_assessment_changes_nothing() -> None:
    sim = Sim()
    old = assessed(Level.NORMAL)
    sim.feed(assessed(Level.SIAGA))
    assert sim.feed(old) == []  # scored before the siaga one: a replay, not news
    assert sim.open(KEY, "regency").level is Level.SIAGA


def test_replaying_history_gives_the_same_alert_ids() -> None:
    history = [
        assessed(Level.WASPADA, report_id="x1"),
        assessed(Level.AWAS, report_id="x2", at=T0 + timedelta(hours=2)),
    ]
    ids = []
    for _ in range(2):
        sim = Sim()
        sim.feed(history[0])
        sim.feed(history[1])
        ids.append(sorted(sim.alerts))
    assert ids[0] == ids[1]


def test_changes_within_one_batch_coalesce_into_one_version() -> None:
    sim = Sim()
    sim.feed(assessed(Level.WASPADA))
    versions = sim.feed(
        assessed(Level.SIAGA, at=T0 + timedelta(hours=1)), assessed(Level.AWAS, at=T0 + timedelta(hours=2))
    )
    regency = next(v for v in versions if v.alert.audience is Audience.REGENCY)
    assert regency.alert.version == 2 and regency.event is AlertEvent.ESCALATED
    assert regency.alert.previous_level is Level.WASPADA and regency.alert.level is Level.AWAS


def test_province_rollup_needs_two_regencies_within_the_window() -> None:
    sim = Sim()
    sim.feed(assessed(Level.SIAGA, regency="19.06"))
    assert sim.open("19/*/identity", "province") is None
    versions = sim.feed(assessed(Level.SIAGA, regency="19.02", at=T0 + timedelta(hours=70)))
    rollup = [v for v in versions if v.alert.coverage is Coverage.PROVINCE]
    assert [(v.alert.audience, v.event) for v in rollup] == [(Audience.PROVINCE, AlertEvent.FIRED)]
    alert = rollup[0].alert
    assert alert.regency is None and alert.regencies == ["19.02", "19.06"] and alert.level is Level.SIAGA
    assert (
        alert.title
        == "Level 3 (Siaga): konflik bernuansa SARA di 2 kabupaten/kota di Provinsi Kepulauan Bangka Belitung"
    )
    # A third regency at awas: the roll-up escalates.
    more = sim.feed(assessed(Level.AWAS, regency="19.01", at=T0 + timedelta(hours=71)))
    up = next(v for v in more if v.alert.coverage is Coverage.PROVINCE)
    assert up.event is AlertEvent.ESCALATED and up.alert.level is Level.AWAS and len(up.alert.regencies) == 3


def test_province_rollup_ignores_reports_outside_the_window_and_other_categories() -> None:
    sim = Sim()
    sim.feed(assessed(Level.SIAGA, regency="19.06"))
    sim.feed(assessed(Level.SIAGA, regency="19.02", category="election", at=T0 + timedelta(hours=1)))
    assert sim.open("19/*/identity", "province") is None and sim.open("19/*/election", "province") is None
    sim2 = Sim()
    sim2.feed(assessed(Level.SIAGA, regency="19.06"))
    sim2.feed(assessed(Level.SIAGA, regency="19.02", at=T0 + timedelta(hours=73)))
    assert sim2.open("19/*/identity", "province") is None


def test_province_rollup_resolves_when_the_window_lapses() -> None:
    sim = Sim()
    sim.feed(
        assessed(Level.SIAGA, regency="19.06"),
        assessed(Level.SIAGA, regency="19.02", at=T0 + timedelta(hours=1)),
    )
    assert sim.open("19/*/identity", "province") is not None
    versions = sim.sweep(T0 + timedelta(hours=2), event_now=T0 + timedelta(hours=72, minutes=30))
    rollup = [v for v in versions if v.alert.coverage is Coverage.PROVINCE]
    assert [v.event for v in rollup] == [AlertEvent.RESOLVED]
    assert sim.alerts[rollup[0].alert.alert_id].resolution is Resolution.ROLLUP_ENDED


def test_national_rollup_needs_two_provinces() -> None:
    sim = Sim()
    sim.feed(assessed(Level.SIAGA, regency="19.06"), assessed(Level.SIAGA, regency="19.02"))
    assert sim.open("*/*/identity", "national") is None  # two regencies, one province
    versions = sim.feed(assessed(Level.SIAGA, regency="63.71", at=T0 + timedelta(hours=5)))
    national = [v for v in versions if v.alert.coverage is Coverage.NATIONAL]
    assert [(v.alert.audience, v.event) for v in national] == [(Audience.NATIONAL, AlertEvent.FIRED)]
    alert = national[0].alert
    assert alert.province == "00" and alert.provinces == ["19", "63"]
    assert "2 provinsi (Kepulauan Bangka Belitung, Kalimantan Selatan)" in alert.title


def test_ack_timeout_escalates_to_the_next_audience_once() -> None:
    sim = Sim()
    fired_at = T0 + timedelta(minutes=1)
    sim.feed(assessed(Level.SIAGA), now=fired_at)
    regency = sim.open(KEY, "regency")
    assert regency.ack_deadline == fired_at + timedelta(hours=12)
    assert sim.sweep(fired_at + timedelta(hours=11, minutes=59)) == []
    versions = sim.sweep(fired_at + timedelta(hours=12))
    # The regency team did not acknowledge: the province team hears it; the province team did not
    # either: the national desk gets a (new) alert for this siaga group.
    assert events(versions) == [("national", "ack_escalated", 1), ("province", "ack_escalated", 2)]
    province = sim.open(KEY, "province")
    assert province.escalated_from is Audience.REGENCY
    assert province.title.startswith("Belum ditanggapi, Level 3 (Siaga)")
    assert "belum ditanggapi dalam 12 jam" in province.summary
    assert sim.open(KEY, "national").escalated_from is Audience.PROVINCE
    assert sim.sweep(fired_at + timedelta(hours=13)) == []  # escalated once per level


def test_acknowledged_alert_does_not_escalate() -> None:
    sim = Sim()
    sim.feed(assessed(Level.AWAS), now=T0)
    for audience in ("regency", "province"):
        alert = sim.open(KEY, audience)
        versions = sim.acknowledge(alert.alert_id, now=T0 + timedelta(minutes=30))
        assert [(v.event, v.alert.version) for v in versions] == [(AlertEvent.ACKNOWLEDGED, 2)]
        assert versions[0].alert.acknowledged_by == "Kesbangpol"
    assert sim.sweep(T0 + timedelta(hours=3)) == []


def test_escalated_level_needs_a_fresh_acknowledgement() -> None:
    sim = Sim()
    sim.feed(assessed(Level.SIAGA), now=T0)
    sim.acknowledge(sim.open(KEY, "regency").alert_id, now=T0 + timedelta(minutes=5))
    sim.feed(assessed(Level.AWAS, at=T0 + timedelta(hours=1)), now=T0 + timedelta(hours=1))
    regency = sim.open(KEY, "regency")
    assert regency.acknowledged_at is None and regency.ack_deadline == T0 + timedelta(hours=3)


def test_repeat_after_the_interval_since_the_last_notice() -> None:
    sim = Sim()
    sim.feed(assessed(Level.WASPADA), now=T0)
    alert = sim.open(KEY, "regency")
    sim.notified(alert.alert_id, T0)
    assert sim.sweep(T0 + timedelta(hours=23)) == []
    versions = sim.sweep(T0 + timedelta(hours=24))
    assert [(v.event, v.alert.version) for v in versions] == [(AlertEvent.REPEATED, 2)]
    assert versions[0].alert.title.startswith("Pengingat, Level 2 (Waspada)")


def test_awas_repeats_sooner_than_waspada() -> None:
    sim = Sim()
    sim.feed(assessed(Level.AWAS), now=T0)
    for alert in list(sim.alerts.values()):
        sim.notified(alert.alert_id, T0)
        sim.alerts[alert.alert_id].acknowledged_at = T0  # keep ack escalation out of this test
    versions = sim.sweep(T0 + timedelta(hours=6))
    assert {v.event for v in versions} == {AlertEvent.REPEATED} and len(versions) == 3


def test_titles_use_local_time_zones() -> None:
    sim = Sim()
    sim.feed(assessed(Level.WASPADA, regency="91.71", at=T0))  # Kota Jayapura: WIT
    alert = sim.open("91/91.71/identity", "regency")
    assert "Kota Jayapura" in alert.title
    assert "20-11-2024 17:00 WIT" in alert.summary


def test_a_recorded_decision_is_applied_again_when_a_replay_meets_the_same_candidate() -> None:
    """Decisions are events: a replay that raises the same candidate (group and report) applies them."""
    from waspada_notify.domain.lifecycle import Decision, World

    sim = Sim()
    world: World = sim._world(T0 + timedelta(minutes=1))
    world.decisions[(KEY, "deadly-1")] = Decision(
        True, "Gubernur", "korban bertambah", T0 + timedelta(hours=2)
    )
    candidate = assessed(
        Level.SIAGA,
        report_id="deadly-1",
        flags=["awas_candidate"],
        reasons="tiga korban jiwa atau lebih (kandidat Level 4, perlu keputusan)",
    )
    sim.engine.apply(world, candidate)
    versions = sim._commit(world)
    assert events(versions) == [
        ("national", "confirmed", 1),
        ("province", "confirmed", 1),
        ("regency", "confirmed", 1),
    ]
    national = sim.open(KEY, "national")
    assert national.level is Level.AWAS and national.candidate is not None
    assert national.candidate.decided_by == "Gubernur"
    assert "status keadaan konflik" in national.summary


def test_an_awas_assessment_is_no_candidate_and_a_candidate_is_asked_once_per_episode() -> None:
    flags = {
        "flags": ["awas_candidate"],
        "reasons": "tiga korban jiwa atau lebih (kandidat Level 4, perlu keputusan)",
    }
    awas = Sim().feed(assessed(Level.AWAS, **flags))  # type: ignore[arg-type]
    assert {v.event.value for v in awas} == {"fired"} and all(v.alert.candidate is None for v in awas)
    sim = Sim()
    first = sim.feed(assessed(Level.SIAGA, **flags))  # type: ignore[arg-type]
    assert {v.event.value for v in first} == {"candidate"}
    again = sim.feed(assessed(Level.SIAGA, at=T0 + timedelta(hours=1), **flags))  # type: ignore[arg-type]
    assert again == []  # still pending: the desks were asked already


def test_an_alert_id_does_not_depend_on_the_time_zone_its_time_is_written_in() -> None:
    """A roll-up's time comes as a report's local time in one batching and as a clock read back from
    PostgreSQL (UTC) in another: the same instant must give the same id."""
    from datetime import timezone

    from waspada_notify.domain.model import alert_id_for

    local = T0.astimezone(timezone(timedelta(hours=7)))
    assert alert_id_for(KEY, Audience.PROVINCE, local, "rollup") == alert_id_for(
        KEY, Audience.PROVINCE, T0, "rollup"
    )
