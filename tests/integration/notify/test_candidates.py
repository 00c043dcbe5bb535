"""Level-4 candidates (SPEC §6, domain.md §7.2): both desks asked at once, a person decides, reminders."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.integration.notify.conftest import Keys, Notify
from tests.unit.notify.factories import assessed
from waspada_shared.levels import Level

CANDIDATE_REASONS = (
    "tiga korban meninggal; kerusuhan; tiga korban jiwa atau lebih (kandidat Level 4, perlu keputusan)"
)


def deadly(notify: Notify, hours_ago: float = 1.0, **kw: object) -> object:
    return assessed(
        Level.SIAGA,
        regency="19.06",
        at=notify.now - timedelta(hours=hours_ago),
        flags=["awas_candidate"],
        reasons=CANDIDATE_REASONS,
        **kw,
    )


async def _by_audience(notify: Notify) -> dict[str, dict[str, object]]:
    rows = await notify.rows("SELECT audience, payload FROM alerts WHERE status = 'firing'")
    return {r["audience"]: r["payload"] for r in rows}


async def test_a_candidate_reaches_province_and_national_desks_at_once_and_is_confirmed(
    notify: Notify, client: httpx.AsyncClient, keys: Keys
) -> None:
    await notify.processor.process([deadly(notify)], notify.now)  # type: ignore[list-item]
    alerts = await _by_audience(notify)
    assert set(alerts) == {"regency", "province", "national"}  # siaga alone would not reach national
    national = alerts["national"]
    assert national["level"] == "siaga" and national["event"] == "candidate"
    assert str(national["title"]).startswith("Kandidat Level 4 — perlu keputusan")
    candidate = national["candidate"]
    assert isinstance(candidate, dict) and candidate["status"] == "pending"
    assert candidate["reasons"] == ["tiga korban jiwa atau lebih (kandidat Level 4, perlu keputusan)"]

    pending = (await client.get("/v1/alerts", params={"candidate": "pending"}, headers=keys("19"))).json()
    assert {a["audience"] for a in pending["alerts"]} == {"regency", "province", "national"}
    assert (await client.get("/v1/alerts", params={"candidate": "pending"}, headers=keys("63"))).json() == {
        "alerts": []
    }
    alert_id = national["alert_id"]
    url = f"/v1/alerts/{alert_id}/decision"
    assert (
        await client.post(url, json={"decision": "confirm", "by": "x"}, headers=keys("63"))
    ).status_code == 404
    refused = await client.post(url, json={"decision": "decline", "by": "x"}, headers=keys("19"))
    assert refused.status_code == 422  # declining needs a reason

    confirmed = await client.post(
        url,
        json={"decision": "confirm", "by": "Sekda Babel", "reason": "korban terus bertambah"},
        headers=keys("19"),
    )
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["level"] == "awas" and body["event"] == "confirmed"
    assert body["candidate"]["status"] == "confirmed" and body["candidate"]["decided_by"] == "Sekda Babel"
    assert "Pertimbangkan penetapan status keadaan konflik" in body["summary"]
    assert {a["level"] for a in (await _by_audience(notify)).values()} == {"awas"}
    again = await client.post(url, json={"decision": "confirm", "by": "x"}, headers=keys("national"))
    assert again.status_code == 409
    history = (await client.get(f"/v1/alerts/{alert_id}/versions", headers=keys("national"))).json()
    assert [v["event"] for v in history["versions"]] == ["candidate", "confirmed"]
    (decision,) = await notify.rows("SELECT decision, decided_by, principal FROM decisions")
    assert decision["decision"] == "confirm" and decision["decided_by"] == "Sekda Babel"

    # A later siaga assessment of the same episode keeps the confirmed Level 4.
    await notify.processor.process([assessed(Level.SIAGA, regency="19.06", at=notify.now)], notify.now)
    assert {a["level"] for a in (await _by_audience(notify)).values()} == {"awas"}


async def test_a_declined_candidate_leaves_the_national_desk_and_is_not_asked_again(
    notify: Notify, client: httpx.AsyncClient, keys: Keys
) -> None:
    await notify.processor.process([deadly(notify, 2)], notify.now)  # type: ignore[list-item]
    national = (await _by_audience(notify))["national"]
    declined = await client.post(
        f"/v1/alerts/{national['alert_id']}/decision",
        json={"decision": "decline", "by": "Ditjen Polpum", "reason": "sudah ditangani Polda"},
        headers=keys("national"),
    )
    assert declined.status_code == 200
    assert declined.json()["status"] == "resolved"  # the desk was asked only because of the candidate
    alerts = await _by_audience(notify)
    assert set(alerts) == {"regency", "province"}
    candidate = alerts["province"]["candidate"]
    assert isinstance(candidate, dict)
    assert candidate["status"] == "declined" and candidate["decision_reason"] == "sudah ditangani Polda"
    # Another deadly report in the same episode: the question was answered, so no new question.
    await notify.processor.process([deadly(notify, 1)], notify.now)  # type: ignore[list-item]
    assert set(await _by_audience(notify)) == {"regency", "province"}


async def test_an_undecided_candidate_reminds_both_desks(notify: Notify) -> None:
    await notify.processor.process([deadly(notify)], notify.now)  # type: ignore[list-item]
    assert (await notify.processor.sweep(notify.now + timedelta(minutes=59))).versions == []
    swept = await notify.processor.sweep(notify.now + timedelta(minutes=61))
    reminded = sorted((v.alert.audience.value, v.event.value) for v in swept.versions)
    assert reminded == [("national", "candidate_reminder"), ("province", "candidate_reminder")]
    assert all(v.alert.title.startswith("Pengingat: Kandidat Level 4") for v in swept.versions)
    assert (await notify.processor.sweep(notify.now + timedelta(minutes=62))).versions == []  # once an hour
