"""Routing, roll-ups, grouping, repeat, resolution and ack-timeout escalation on real PostgreSQL,
delivered to a real local webhook server. Time is passed in (`now`, `event_now`)."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.notify.conftest import Notify
from tests.unit.notify.factories import assessed
from waspada_shared.levels import Level


def _hours(n: float) -> timedelta:
    return timedelta(hours=n)


async def test_spec_routing_rows_reach_the_right_audiences(notify: Notify) -> None:
    t = notify.now - _hours(1)
    await notify.processor.process(
        [
            # different categories: no two provinces escalate in one category (that is a roll-up)
            assessed(Level.WASPADA, regency="19.01", at=t, category="election"),
            assessed(Level.SIAGA, regency="63.71", at=t, category="land_resource"),
            assessed(Level.AWAS, regency="91.71", at=t),
            assessed(Level.NORMAL, regency="19.02", at=t),
        ],
        notify.now,
    )
    outcomes = await notify.deliver()
    assert outcomes and set(outcomes) == {"delivered"}
    got = {(h.name, h.alert["regency"]) for h in notify.hook.hits}
    assert got == {
        ("regency", "19.01"),
        ("regency", "63.71"),
        ("province", "63.71"),
        ("regency", "91.71"),
        ("province", "91.71"),
        ("national", "91.71"),
    }
    assert all(
        h.verified and h.alert["version"] == 1 and h.alert["event"] == "fired" for h in notify.hook.hits
    )
    assert sorted(m["Subject"] for m in notify.mailbox.messages) == sorted(
        h.alert["title"] for h in notify.hook.got("province")
    )  # the province team's email receiver got the same two alerts
    national = notify.hook.got("national")[0].alert
    assert national["title"] == "Level 4 (Awas): kerusuhan bernuansa SARA di Kota Jayapura"
    assert "Pertimbangkan penetapan status keadaan konflik" in national["summary"]


async def test_province_and_national_rollups(notify: Notify) -> None:
    t = notify.now - _hours(10)
    await notify.processor.process([assessed(Level.SIAGA, regency="19.06", at=t)], notify.now)
    await notify.processor.process([assessed(Level.SIAGA, regency="19.02", at=t + _hours(5))], notify.now)
    await notify.deliver()
    rollups = [h.alert for h in notify.hook.got("province") if h.alert["coverage"] == "province"]
    assert (
        len(rollups) == 1 and rollups[0]["regencies"] == ["19.02", "19.06"] and rollups[0]["regency"] is None
    )
    # The second regency's alert for the province team is muted by the roll-up (same audience,
    # province, category); the regency team still gets its own alert.
    second = await notify.rows(
        "SELECT d.status, d.reason, a.audience FROM deliveries d JOIN alerts a USING (alert_id)"
        " WHERE a.regency = '19.02' AND d.channel = 'webhook'"
    )
    assert {(r["audience"], r["status"]) for r in second} == {
        ("regency", "delivered"),
        ("province", "suppressed"),
    }
    assert next(r["reason"] for r in second if r["audience"] == "province").startswith("inhibited:")
    assert notify.hook.got("national") == []
    # A second province in the same category within 72 h: the national desk gets one roll-up.
    await notify.processor.process([assessed(Level.SIAGA, regency="63.71", at=t + _hours(8))], notify.now)
    await notify.deliver()
    national = [h.alert for h in notify.hook.got("national")]
    assert (
        len(national) == 1
        and national[0]["coverage"] == "national"
        and national[0]["provinces"] == ["19", "63"]
    )
    assert national[0]["province"] == "00"
    # Time passes (event time): the province roll-up lapses when its second regency leaves the 72 h
    # window; the national one holds until its second province does.
    later = notify.now + timedelta(minutes=10)
    swept = await notify.processor.sweep(later, event_now=t + _hours(72.1))
    ended = {
        (v.alert.coverage.value, v.event.value) for v in swept.versions if v.alert.coverage.value != "region"
    }
    assert ended == {("province", "resolved")}
    swept = await notify.processor.sweep(later, event_now=t + _hours(77.1))
    assert ("national", "resolved") in {(v.alert.coverage.value, v.event.value) for v in swept.versions}
    assert (
        await notify.rows("SELECT count(*) AS n FROM alerts WHERE coverage <> 'region' AND status = 'firing'")
    )[0]["n"] == 0


async def test_grouping_replay_and_redelivery_change_nothing(notify: Notify) -> None:
    t = notify.now - _hours(2)
    batch = [assessed(Level.WASPADA, regency="19.06", at=t + timedelta(minutes=i)) for i in range(5)]
    first = await notify.processor.process(batch, notify.now)
    assert [v.event.value for v in first.versions] == ["fired"]  # one group, one alert
    assert (await notify.processor.process(batch, notify.now)).versions == []  # redelivery
    assert (await notify.processor.process(batch[:2], notify.now)).versions == []  # replay
    await notify.deliver()
    assert len(notify.hook.got("regency")) == 1
    alert = (await notify.rows("SELECT payload FROM alerts"))[0]["payload"]
    assert alert["report_ids"] == [a.report_id for a in batch] and alert["version"] == 1


async def test_escalation_supersedes_a_waiting_notice(notify: Notify) -> None:
    """group_wait holds a new alert; an escalation meanwhile goes at once and replaces it."""
    route = notify.config.route.model_copy(update={"group_wait": timedelta(seconds=30)})
    notify.processor.engine.router.root = type(notify.processor.engine.router)(
        notify.config.model_copy(update={"route": route})
    ).root
    t = notify.now - _hours(1)
    await notify.processor.process([assessed(Level.WASPADA, regency="19.06", at=t)], notify.now)
    assert await notify.deliver() == []  # still waiting
    await notify.processor.process(
        [assessed(Level.SIAGA, regency="19.06", at=t + timedelta(minutes=1))],
        notify.now + timedelta(seconds=5),
    )
    await notify.deliver(notify.now + timedelta(seconds=5))
    regency = notify.hook.got("regency")
    assert [(h.alert["version"], h.alert["event"]) for h in regency] == [(2, "escalated")]
    states = await notify.rows(
        "SELECT version, status FROM deliveries WHERE receiver = 'regency-teams' ORDER BY version"
    )
    assert [(r["version"], r["status"]) for r in states] == [(1, "superseded"), (2, "delivered")]


async def test_repeat_after_the_repeat_interval(notify: Notify) -> None:
    t = notify.now - _hours(1)
    await notify.processor.process([assessed(Level.WASPADA, regency="19.06", at=t)], notify.now)
    await notify.deliver()
    assert (await notify.processor.sweep(notify.now + _hours(23), event_now=t + _hours(1))).versions == []
    later = notify.now + _hours(24)
    swept = await notify.processor.sweep(later, event_now=t + _hours(1))
    assert [v.event.value for v in swept.versions] == ["repeated"]
    await notify.deliver(later)
    assert [(h.alert["version"], h.alert["event"]) for h in notify.hook.got("regency")] == [
        (1, "fired"),
        (2, "repeated"),
    ]


async def test_resolution_after_quiet_time_in_event_time(notify: Notify) -> None:
    t = notify.now - _hours(1)
    await notify.processor.process([assessed(Level.SIAGA, regency="19.06", at=t)], notify.now)
    await notify.deliver()
    # A recovery report brings the region back to normal: the alerts stay until the quiet time.
    recovery = assessed(Level.NORMAL, regency="19.06", at=t + _hours(2), kind="recovery", form=None)
    assert (await notify.processor.process([recovery], notify.now)).versions == []
    # Wall clock barely moves (but at least group_interval, 5 min, since the last notice); event
    # time (the watermark) passes the 72 h quiet time since the last qualifying report.
    later = notify.now + timedelta(minutes=5)
    assert (await notify.processor.sweep(later, event_now=t + _hours(71))).versions == []
    assert (
        await notify.processor.sweep(notify.now + timedelta(minutes=4), event_now=t + _hours(73))
    ).versions == []
    swept = await notify.processor.sweep(later, event_now=t + _hours(72.1))
    assert sorted(v.event.value for v in swept.versions) == ["resolved", "resolved"]
    await notify.deliver(later)
    resolved = [h.alert for h in notify.hook.hits if h.alert["status"] == "resolved"]
    assert {a["audience"] for a in resolved} == {"regency", "province"}
    assert all(a["version"] == 2 and a["title"].startswith("Selesai:") for a in resolved)


async def test_watermark_drives_resolution_when_the_province_falls_silent(notify: Notify) -> None:
    """Reports from elsewhere move event time on; a silent region's alert resolves by it."""
    t = notify.now - _hours(100)
    await notify.processor.process([assessed(Level.WASPADA, regency="19.06", at=t)], notify.now)
    await notify.processor.process([assessed(Level.NORMAL, regency="63.71", at=t + _hours(80))], notify.now)
    swept = await notify.processor.sweep(
        notify.now + timedelta(minutes=5)
    )  # event_now: the watermark (t + 80 h)
    assert [(v.alert.regency, v.event.value) for v in swept.versions] == [("19.06", "resolved")]


async def test_unacknowledged_alerts_escalate_one_audience_up(notify: Notify) -> None:
    t = notify.now - _hours(1)
    await notify.processor.process([assessed(Level.AWAS, regency="19.06", at=t)], notify.now)
    await notify.deliver()
    ids = {r["audience"]: r["alert_id"] for r in await notify.rows("SELECT audience, alert_id FROM alerts")}
    regency, province = ids["regency"], ids["province"]
    # The province team acknowledges in time; the regency team does not.
    await notify.processor.acknowledge(
        province, "Kesbangpol Babel", "tim menuju lokasi", "it", notify.now + _hours(1)
    )
    assert (await notify.processor.sweep(notify.now + _hours(1.9))).versions == []
    swept = await notify.processor.sweep(notify.now + _hours(2))
    assert [(v.alert.audience.value, v.event.value) for v in swept.versions] == [
        ("province", "ack_escalated")
    ]
    await notify.deliver(notify.now + _hours(2))
    last = notify.hook.got("province")[-1].alert
    assert last["event"] == "ack_escalated" and last["escalated_from"] == "regency"
    assert (await notify.processor.sweep(notify.now + _hours(3))).versions == []  # once
    acks = await notify.rows("SELECT alert_id, in_time FROM acks")
    assert [(r["alert_id"], r["in_time"]) for r in acks] == [(province, True)]
    assert regency != province
