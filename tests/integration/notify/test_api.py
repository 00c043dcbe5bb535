"""The notify API over a real schema: scopes, acknowledgements, silences, CAP and the summary."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import xmlschema
from lxml import etree

from tests.integration.notify.conftest import Keys, Notify
from tests.unit.notify.factories import assessed
from waspada_notify.adapters.summary import figures
from waspada_notify.domain.cap import ATOM_NS, CAP_NS
from waspada_shared.db import apply_migrations
from waspada_shared.levels import Level

XSD = Path(__file__).parents[2] / "data" / "cap-1.2.xsd"


async def _alert_id(notify: Notify, regency: str, audience: str) -> str:
    rows = await notify.rows(
        "SELECT alert_id FROM alerts WHERE regency = $1 AND audience = $2 AND status = 'firing'",
        regency,
        audience,
    )
    assert len(rows) == 1
    return str(rows[0]["alert_id"])


async def test_scope_isolation(notify: Notify, client: httpx.AsyncClient, keys: Keys) -> None:
    t = notify.now - timedelta(hours=1)
    await notify.processor.process(
        [
            assessed(Level.SIAGA, regency="19.06", at=t),
            assessed(Level.SIAGA, regency="63.71", at=t, category="election"),
        ],
        notify.now,
    )
    babel = await _alert_id(notify, "19.06", "province")
    kalsel = await _alert_id(notify, "63.71", "province")
    mine = (await client.get("/v1/alerts", headers=keys("19"))).json()["alerts"]
    assert {a["province"] for a in mine} == {"19"} and len(mine) == 2
    assert (await client.get("/v1/alerts", params={"province": "63"}, headers=keys("19"))).json()[
        "alerts"
    ] == []
    assert (await client.get(f"/v1/alerts/{kalsel}", headers=keys("19"))).status_code == 404
    assert (await client.get(f"/v1/alerts/{kalsel}/deliveries", headers=keys("19"))).status_code == 404
    assert (await client.get(f"/v1/alerts/{kalsel}/cap", headers=keys("19"))).status_code == 404
    assert (
        await client.post(f"/v1/alerts/{kalsel}/ack", json={"who": "x"}, headers=keys("19"))
    ).status_code == 404
    assert (await client.get(f"/v1/alerts/{babel}", headers=keys("19"))).status_code == 200
    everything = (await client.get("/v1/alerts", headers=keys("national"))).json()["alerts"]
    assert {a["province"] for a in everything} == {"19", "63"}
    assert (await client.get("/v1/alerts", headers={"Authorization": "Bearer nope"})).status_code == 401
    feed = etree.fromstring((await client.get("/v1/cap/feed", headers=keys("63"))).content)
    codes = [
        str(v.text) for v in feed.iter(f"{{{CAP_NS}}}value") if v.getparent().tag == f"{{{CAP_NS}}}geocode"
    ]
    assert codes and set(codes) == {"63.71"}
    summary = (await client.get("/v1/summary", headers=keys("19"))).json()
    assert [p["province"] for p in summary["provinces"]] == ["19"]
    assert summary["provinces"][0]["alerts_by_level"] == {"siaga": 2}


async def test_acknowledgement(notify: Notify, client: httpx.AsyncClient, keys: Keys) -> None:
    await notify.processor.process([assessed(Level.AWAS, regency="19.06", at=notify.now)], notify.now)
    province = await _alert_id(notify, "19.06", "province")
    national = await _alert_id(notify, "19.06", "national")
    r = await client.post(
        f"/v1/alerts/{province}/ack",
        json={"who": "Kaban Kesbangpol", "note": "rapat Forkopimda"},
        headers=keys("19"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["acknowledged"] is True and body["alert"]["acknowledged_by"] == "Kaban Kesbangpol"
    assert body["alert"]["version"] == 2 and body["alert"]["event"] == "acknowledged"
    again = await client.post(f"/v1/alerts/{province}/ack", json={"who": "someone else"}, headers=keys("19"))
    assert again.json()["acknowledged"] is False and again.json()["acknowledged_by"] == "Kaban Kesbangpol"
    # A province key does not acknowledge for the national desk.
    assert (
        await client.post(f"/v1/alerts/{national}/ack", json={"who": "x"}, headers=keys("19"))
    ).status_code == 403
    assert (
        await client.post(
            f"/v1/alerts/{national}/ack", json={"who": "Ditjen Polpum"}, headers=keys("national")
        )
    ).status_code == 200
    assert (
        await client.post(f"/v1/alerts/{province}/ack", json={"who": ""}, headers=keys("19"))
    ).status_code == 422
    # Acknowledged in time: counted for the province's reporting performance.
    assert [
        (r["acked_by"], r["in_time"])
        for r in await notify.rows("SELECT acked_by, in_time FROM acks ORDER BY id")
    ] == [
        ("Kaban Kesbangpol", True),
        ("Ditjen Polpum", None),  # the national desk has no ack deadline (nobody above it)
    ]
    resolved = await notify.processor.sweep(
        notify.now + timedelta(minutes=10), event_now=notify.now + timedelta(hours=73)
    )
    assert resolved.versions
    assert (
        await client.post(f"/v1/alerts/{province}/ack", json={"who": "x"}, headers=keys("19"))
    ).status_code == 409


async def test_silences_mute_and_release(notify: Notify, client: httpx.AsyncClient, keys: Keys) -> None:
    ends = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    body = {
        "matchers": [{"name": "category", "value": "identity"}],
        "ends_at": ends,
        "created_by": "Kesbangpol Babel",
        "comment": "latihan simulasi",
    }
    created = await client.post("/v1/silences", json=body, headers=keys("19"))
    assert created.status_code == 201, created.text
    silence = created.json()
    assert (
        silence["state"] == "active" and 'province="19"' in silence["matchers"]
    )  # scoped to the key's province
    bad = {**body, "matchers": [{"name": "province", "value": "63"}]}
    assert (await client.post("/v1/silences", json=bad, headers=keys("19"))).status_code == 403
    no_reason = {**body, "comment": ""}
    assert (await client.post("/v1/silences", json=no_reason, headers=keys("19"))).status_code == 422
    bad_level = {**body, "matchers": [{"name": "level", "value": "extreme"}]}
    problem = (await client.post("/v1/silences", json=bad_level, headers=keys("national"))).json()
    assert problem["errors"][0]["field"] == "matchers.0"
    assert [
        s["silence_id"] for s in (await client.get("/v1/silences", headers=keys("19"))).json()["silences"]
    ] == [silence["silence_id"]]
    assert (await client.get("/v1/silences", headers=keys("63"))).json()["silences"] == []

    now = datetime.now(UTC)
    await notify.processor.process([assessed(Level.WASPADA, regency="19.06", at=now)], now)
    await notify.processor.process([assessed(Level.WASPADA, regency="63.71", at=now)], now)
    await notify.deliver(now)
    assert [h.alert["regency"] for h in notify.hook.hits] == ["63.71"]  # 19.06 is silenced
    babel = await _alert_id(notify, "19.06", "regency")
    log = (await client.get(f"/v1/alerts/{babel}/deliveries", headers=keys("19"))).json()
    assert [(d["status"], d["reason"]) for d in log["deliveries"]] == [
        ("suppressed", f"silenced:{silence['silence_id']}")
    ]
    assert log["attempts"] == []

    assert (
        await client.delete(f"/v1/silences/{silence['silence_id']}", headers=keys("63"))
    ).status_code == 404
    gone = await client.delete(f"/v1/silences/{silence['silence_id']}", headers=keys("19"))
    assert gone.json()["state"] == "expired"
    later = datetime.now(UTC) + timedelta(seconds=1)
    await notify.processor.sweep(later)
    await notify.deliver(later)
    assert [h.alert["regency"] for h in notify.hook.hits] == ["63.71", "19.06"]  # released


async def test_cap_and_feed_validate_against_the_oasis_schema(
    notify: Notify, client: httpx.AsyncClient, keys: Keys
) -> None:
    schema = xmlschema.XMLSchema(str(XSD))
    t = notify.now - timedelta(hours=1)
    await notify.processor.process([assessed(Level.SIAGA, regency="19.06", at=t)], notify.now)
    await notify.processor.process(
        [assessed(Level.AWAS, regency="19.06", at=t + timedelta(minutes=5))],
        notify.now + timedelta(minutes=5),
    )
    alert_id = await _alert_id(notify, "19.06", "regency")
    r = await client.get(f"/v1/alerts/{alert_id}/cap", headers=keys("19"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/cap+xml")
    schema.validate(r.text.split("?>", 1)[1].strip())
    doc = etree.fromstring(r.content)
    ns = {"c": CAP_NS}
    assert doc.findtext("c:msgType", namespaces=ns) == "Update"
    assert doc.findtext("c:references", namespaces=ns).count(",") == 2  # one earlier message
    assert doc.findtext("c:info/c:severity", namespaces=ns) == "Extreme"
    first = await client.get(f"/v1/alerts/{alert_id}/cap", params={"version": 1}, headers=keys("19"))
    assert etree.fromstring(first.content).findtext("c:msgType", namespaces=ns) == "Alert"
    feed = await client.get("/v1/cap/feed", params={"province": "19"}, headers=keys("national"))
    assert feed.headers["content-type"].startswith("application/atom+xml")
    entries = etree.fromstring(feed.content).findall(f"{{{ATOM_NS}}}entry")
    assert len(entries) == 3  # regency, province, national alerts of the awas group
    for entry in entries:
        schema.validate(etree.tostring(entry.find(f"{{{ATOM_NS}}}content/{{{CAP_NS}}}alert")).decode())


async def test_summary_reporting_performance(notify: Notify, client: httpx.AsyncClient, keys: Keys) -> None:
    schema = f"intake_it_{uuid.uuid4().hex[:8]}"
    await apply_migrations(notify.pool, schema, "waspada_intake")
    try:
        now = datetime.now(UTC)
        rows = [
            ("r1", "19", "19.06", now - timedelta(hours=1), timedelta(minutes=10)),
            ("r2", "19", "19.06", now - timedelta(hours=30), timedelta(minutes=30)),
            ("r3", "19", "19.02", now - timedelta(days=3), timedelta(minutes=50)),
            ("r4", "19", "19.02", now - timedelta(days=9), timedelta(minutes=5)),  # outside 7 days
            ("r5", "63", "63.71", now - timedelta(hours=2), timedelta(minutes=1)),
        ]
        await notify.pool.executemany(
            f'INSERT INTO "{schema}".reports (report_id, content_hash, province, regency, facts, received_at, submitted_by)'
            " VALUES ($1, 'h', $2, $3, $4, $5, 'test')",
            [
                (i, p, r, {"occurred_at": (at - delay).isoformat(), "source": {"credibility": 2}}, at)
                for i, p, r, at, delay in rows
            ],
        )
        await notify.pool.execute(
            f"INSERT INTO \"{schema}\".rejections (province, reason, received_at) VALUES ('19', 'invalid', $1)",
            now - timedelta(hours=5),
        )
        async with notify.pool.acquire() as conn:
            found, ok = await figures(conn, schema, None, now, timedelta(days=7))
        assert ok
        babel = found["19"]
        assert (babel.reports_24h, babel.reports_7d, babel.reports_period, babel.regencies_reporting) == (
            1,
            3,
            3,
            2,
        )
        assert babel.median_delay_seconds == 1800.0 and babel.rejected == 1
        assert found["63"].reports_7d == 1
        async with notify.pool.acquire() as conn:
            only, _ = await figures(conn, schema, "63", now, timedelta(days=7))
        assert set(only) == {"63"}
        # Without intake's tables the API still answers, saying the report figures are missing.
        summary = (await client.get("/v1/summary", headers=keys("national"))).json()
        assert summary["report_figures_available"] is False and len(summary["provinces"]) == 38
        babel_row = next(p for p in summary["provinces"] if p["province"] == "19")
        assert babel_row["regencies_total"] == 7 and babel_row["name"] == "Kepulauan Bangka Belitung"
    finally:
        await notify.pool.execute(f'DROP SCHEMA "{schema}" CASCADE')


async def test_deliveries_log_answers_who_was_told_and_when(
    notify: Notify, client: httpx.AsyncClient, keys: Keys
) -> None:
    await notify.processor.process([assessed(Level.SIAGA, regency="19.06", at=notify.now)], notify.now)
    await notify.deliver()
    alert_id = await _alert_id(notify, "19.06", "province")
    log = (await client.get(f"/v1/alerts/{alert_id}/deliveries", headers=keys("19"))).json()
    assert {(d["receiver"], d["channel"], d["status"]) for d in log["deliveries"]} == {
        ("province-teams", "webhook", "delivered"),
        ("province-teams", "email", "delivered"),
    }
    assert all(
        a["outcome"] == "delivered" and a["attempted_at"] and a["target"] is None for a in log["attempts"]
    )
    admin = (await client.get(f"/v1/alerts/{alert_id}/deliveries", headers=keys("admin"))).json()
    assert {a["target"] for a in admin["attempts"]} == {
        notify.hook.url("province"),
        "kesbangpol@prov.example.go.id",
    }
    versions = (await client.get(f"/v1/alerts/{alert_id}/versions", headers=keys("19"))).json()["versions"]
    assert [v["version"] for v in versions] == [1]
    assert orjson.loads(orjson.dumps(versions[0]))["title"].startswith("Level 3 (Siaga)")
