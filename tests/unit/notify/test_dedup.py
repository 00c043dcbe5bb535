"""Delivery planning: when each version goes out, to whom, and what a newer version or a mute does."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.notify.factories import T0, Sim, assessed, default_config, engine
from waspada_notify.domain.config import ReceiverConfig, WebhookConfig
from waspada_notify.domain.dedup import KAFKA_RECEIVER, plan, unmuted
from waspada_notify.domain.matchers import Matcher
from waspada_notify.domain.muting import Muter, Silence
from waspada_shared.contracts.alert import AlertEvent, Audience
from waspada_shared.levels import Level

RECEIVERS = {
    name: ReceiverConfig(name=name, webhook_configs=[WebhookConfig(url=f"http://127.0.0.1:9/{name}")])
    for name in ("regency-teams", "province-teams", "national-desk")
}


def topics(audience: Audience) -> str | None:
    return None if audience is Audience.REGENCY else f"alerts.{audience.value}.v1"


def test_new_alerts_go_to_their_receivers_and_the_topics() -> None:
    sim = Sim()
    versions = sim.feed(assessed(Level.AWAS), now=T0)
    planned, mutes = plan(versions, Muter([], []), RECEIVERS, T0, topics)
    got = sorted((p.receiver, p.target, p.status) for p in planned)
    assert got == [
        (KAFKA_RECEIVER, "alerts.national.v1", "pending"),
        (KAFKA_RECEIVER, "alerts.province.v1", "pending"),
        ("national-desk", "http://127.0.0.1:9/national-desk", "pending"),
        ("province-teams", "http://127.0.0.1:9/province-teams", "pending"),
        ("regency-teams", "http://127.0.0.1:9/regency-teams", "pending"),
    ]
    assert mutes == [] and all(p.next_attempt == T0 for p in planned)  # group_wait 0s: at once
    assert all(v.record.last_notified_at == T0 for v in versions)


def test_group_wait_delays_new_alerts_but_escalations_go_at_once() -> None:
    config = default_config()
    route = config.route.model_copy(update={"group_wait": timedelta(seconds=30)})
    config = config.model_copy(update={"route": route})
    sim = Sim(engine(config))
    fired = sim.feed(assessed(Level.WASPADA), now=T0)
    planned, _ = plan(fired, Muter([], []), RECEIVERS, T0, topics)
    assert [p.next_attempt for p in planned] == [T0 + timedelta(seconds=30)]
    later = T0 + timedelta(seconds=10)
    escalated = sim.feed(assessed(Level.SIAGA, at=T0 + timedelta(seconds=5)), now=later)
    planned, _ = plan(escalated, Muter([], []), RECEIVERS, later, topics)
    regency = next(p for p in planned if p.receiver == "regency-teams")
    assert regency.payload.event is AlertEvent.ESCALATED and regency.next_attempt == later


def test_deescalation_waits_for_the_group_interval() -> None:
    sim = Sim()
    first = sim.feed(assessed(Level.SIAGA), now=T0)
    plan(first, Muter([], []), RECEIVERS, T0, topics)  # notified at T0
    for v in first:
        sim.alerts[v.record.alert_id].last_notified_at = T0
    now = T0 + timedelta(minutes=1)
    down = sim.feed(assessed(Level.WASPADA, at=T0 + timedelta(hours=50)), now=now)
    planned, _ = plan(down, Muter([], []), RECEIVERS, now, topics)
    people = [p for p in planned if p.channel == "webhook"]
    assert {p.payload.event for p in people} == {AlertEvent.DEESCALATED} and len(people) == 2
    assert all(p.next_attempt == T0 + timedelta(minutes=5) for p in people)


def test_silenced_versions_are_suppressed_but_still_published() -> None:
    sim = Sim()
    versions = sim.feed(assessed(Level.SIAGA), now=T0)
    muter = Muter(
        [Silence("s9", (Matcher.parse('province="19"'),), T0, T0 + timedelta(hours=1), "ops", "uji")], []
    )
    planned, mutes = plan(versions, muter, RECEIVERS, T0, topics)
    assert {(p.receiver, p.status) for p in planned} == {
        ("regency-teams", "suppressed"),
        ("province-teams", "suppressed"),
        (KAFKA_RECEIVER, "pending"),
    }
    assert {p.reason for p in planned if p.status == "suppressed"} == {"silenced:s9"}
    assert sorted(mutes) == [("silenced", Audience.PROVINCE), ("silenced", Audience.REGENCY)]
    assert all(v.record.muted_by == "silenced:s9" and v.record.last_notified_at is None for v in versions)
    # The silence ends: both alerts are released.
    released = unmuted([v.record for v in versions], Muter([], []), T0 + timedelta(hours=1))
    assert {r.alert_id for r in released} == {v.record.alert_id for v in versions}
    assert all(r.muted_by is None for r in released)


def test_repeats_do_not_go_to_the_topics_and_acks_only_do() -> None:
    sim = Sim()
    sim.feed(assessed(Level.SIAGA), now=T0)
    province = sim.open("19/19.06/identity", "province")
    sim.notified(province.alert_id, T0)
    for a in sim.alerts.values():
        a.acknowledged_at = T0  # keep ack escalation out of this test
    repeated = [v for v in sim.sweep(T0 + timedelta(hours=12)) if v.alert.alert_id == province.alert_id]
    planned, _ = plan(repeated, Muter([], []), RECEIVERS, T0, topics)
    assert [p.receiver for p in planned] == ["province-teams"]
    sim2 = Sim()
    sim2.feed(assessed(Level.SIAGA), now=T0)
    acked = sim2.acknowledge(sim2.open("19/19.06/identity", "province").alert_id, T0)
    planned, _ = plan(acked, Muter([], []), RECEIVERS, T0, topics)
    assert [(p.receiver, p.payload.event) for p in planned] == [(KAFKA_RECEIVER, AlertEvent.ACKNOWLEDGED)]
