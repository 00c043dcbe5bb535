"""End to end on the real stack: the demo feed goes in over HTTP; real topics and rows come out."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from tests.conftest import auth
from tests.helpers import Stack, load_jsonl, read_topic, unique, wait_for_delivered_alert

PLANTED_PHONE = "+62 812-0000-0001"  # the demo feed's first reporter


def _feed(suffix: str) -> list[dict[str, Any]]:
    reports = load_jsonl("demo-feed.jsonl")
    for r in reports:
        r["report_id"] = f"{r['report_id']}-{suffix}"
    return reports


async def test_demo_feed_flows_to_assessments_and_alerts(
    stack: Stack, http: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    suffix = unique("e2e")
    feed = _feed(suffix)
    for report in feed:
        r = await http.post(
            f"{stack.intake_url}/v1/reports",
            json=report,
            headers=auth(f"demo-{report['region']['province']}"),
        )
        assert r.status_code == 202, r.text
    ids = {r["report_id"] for r in feed}

    accepted = await read_topic(
        stack, "reports.accepted.v1", lambda k, v, h: v.get("report_id") in ids, count=len(ids)
    )
    for key, value, headers in accepted:
        assert key == value["region"]["regency"]
        assert headers["schema-version"] == "1"
        assert "reporter" not in value
        assert PLANTED_PHONE not in str(value)

    assessed = await read_topic(
        stack, "risk.assessed.v1", lambda k, v, h: v.get("report_id") in ids, count=len(ids)
    )
    by_id = {v["report_id"]: v for _, v, _ in assessed}
    for value in by_id.values():
        total = sum(f["contribution"] for f in value["factors"])
        assert abs(total - value["score"]) < 0.6 or value["score"] in (0, 100)
        assert value["level"] in ("normal", "waspada", "siaga", "awas")

    rows = await pg.fetch(
        "SELECT report_id, score, level FROM scoring.assessments WHERE report_id = ANY($1::text[])", list(ids)
    )
    assert {r["report_id"] for r in rows} == ids

    # Intake shows scoring's stored assessment: assessed as soon as scoring committed it.
    one = await http.get(f"{stack.intake_url}/v1/reports/{feed[0]['report_id']}", headers=auth("demo-19"))
    assert one.json()["state"] == "assessed" and one.json()["level"] == by_id[feed[0]["report_id"]]["level"]
    assert "reporter" not in one.text

    # The deadly brawl in Kabupaten Belitung (19.02) fires an alert that reaches the webhook receiver.
    brawl = f"babel-belitung-0001-{suffix}"

    alert = await wait_for_delivered_alert(http, stack, brawl, "19.02")
    assert alert["status"] == "firing"
    assert alert["level"] in ("waspada", "siaga", "awas")
    log = await http.get(
        f"{stack.notify_url}/v1/alerts/{alert['alert_id']}/deliveries", headers=auth("demo-19")
    )
    assert any(a["outcome"] == "delivered" for a in log.json()["attempts"])


async def test_resubmission_is_duplicate_and_changed_content_conflicts(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    report = load_jsonl("demo-feed.jsonl")[1]
    report["report_id"] = unique("dup")
    url = f"{stack.intake_url}/v1/reports"
    first = await http.post(url, json=report, headers=auth("demo-19"))
    again = await http.post(url, json=report, headers=auth("demo-19"))
    changed = await http.post(url, json={**report, "summary": "Isi berbeda."}, headers=auth("demo-19"))
    assert (first.status_code, again.status_code, changed.status_code) == (202, 200, 409)
    assert again.json()["duplicate"] is True
    assert changed.headers["content-type"].startswith("application/problem+json")
