"""`GET /v1/reports`, `GET /v1/reports/{id}/explanation` and `GET /v1/regencies/activity`: scoped like
`GET /v1/reports/{id}` (a province key sees its own province only), newest first, with the factors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import auth
from tests.helpers import Stack, make_report, wait_until

pytestmark = pytest.mark.stack


async def submit(http: httpx.AsyncClient, stack: Stack, report: dict[str, Any], key: str) -> None:
    r = await http.post(f"{stack.intake_url}/v1/reports", json=report, headers=auth(key))
    assert r.status_code == 202, r.text


async def listed(http: httpx.AsyncClient, stack: Stack, key: str, **params: Any) -> dict[str, Any]:
    r = await http.get(f"{stack.intake_url}/v1/reports", params=params, headers=auth(key))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_province_keys_list_their_own_province_only(stack: Stack, http: httpx.AsyncClient) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    ours = make_report()
    theirs = make_report(region={"province": "63", "regency": "63.71"})
    await submit(http, stack, ours, "demo-19")
    await submit(http, stack, theirs, "demo-63")
    since = started.isoformat()

    mine = [v["report"]["report_id"] for v in (await listed(http, stack, "demo-19", since=since))["reports"]]
    assert ours["report_id"] in mine and theirs["report_id"] not in mine
    # Asking for another province answers as if it had no reports (no leak, no hint).
    other = await listed(http, stack, "demo-19", province="63", since=since)
    assert other == {"reports": [], "next_before": None}
    assert (await listed(http, stack, "demo-19", regency="63.71", since=since))["reports"] == []

    everything = [
        v["report"]["report_id"] for v in (await listed(http, stack, "demo-national", since=since))["reports"]
    ]
    assert {ours["report_id"], theirs["report_id"]} <= set(everything)
    assert "reporter" not in str(everything)


async def test_newest_first_with_paging(stack: Stack, http: httpx.AsyncClient) -> None:
    started = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    ids = []
    for _ in range(3):
        report = make_report(region={"province": "19", "regency": "19.04"})
        await submit(http, stack, report, "demo-19")
        ids.append(report["report_id"])
    page = await listed(http, stack, "demo-19", regency="19.04", since=started, limit=2)
    assert [v["report"]["report_id"] for v in page["reports"]] == ids[::-1][:2]
    assert page["next_before"] is not None
    rest = await listed(http, stack, "demo-19", regency="19.04", since=started, before=page["next_before"])
    assert [v["report"]["report_id"] for v in rest["reports"]] == ids[:1]


async def test_assessed_reports_carry_factors_that_sum_to_the_score(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    report = make_report()
    await submit(http, stack, report, "demo-19")

    async def explained() -> dict[str, Any] | None:
        r = await http.get(
            f"{stack.intake_url}/v1/reports/{report['report_id']}/explanation", headers=auth("demo-19")
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body if body["state"] == "assessed" and body["factors"] else None

    body = await wait_until(explained, timeout=30, what="the report's assessment")
    assert abs(sum(f["contribution"] for f in body["factors"]) - body["score"]) < 0.1
    item = next(
        v
        for v in (await listed(http, stack, "demo-19", regency="19.06", limit=100))["reports"]
        if v["report"]["report_id"] == report["report_id"]
    )
    assert item["state"] == "assessed" and item["factors"] == body["factors"]

    hidden = await http.get(
        f"{stack.intake_url}/v1/reports/{report['report_id']}/explanation", headers=auth("demo-63")
    )
    assert hidden.status_code == 404


async def test_regency_activity_is_scoped(stack: Stack, http: httpx.AsyncClient) -> None:
    started = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    await submit(http, stack, make_report(region={"province": "19", "regency": "19.05"}), "demo-19")
    await submit(http, stack, make_report(region={"province": "63", "regency": "63.02"}), "demo-63")
    url = f"{stack.intake_url}/v1/regencies/activity"
    mine = (await http.get(url, params={"since": started}, headers=auth("demo-19"))).json()
    regencies = {r["regency"] for r in mine["regencies"]}
    assert "19.05" in regencies and all(r.startswith("19.") for r in regencies)
    national = (await http.get(url, params={"since": started}, headers=auth("demo-national"))).json()
    assert {"19.05", "63.02"} <= {r["regency"] for r in national["regencies"]}
    assert (await http.get(url, params={"since": started})).status_code == 401


async def test_listing_needs_a_key_and_checks_its_filters(stack: Stack, http: httpx.AsyncClient) -> None:
    assert (await http.get(f"{stack.intake_url}/v1/reports")).status_code == 401
    bad = await http.get(f"{stack.intake_url}/v1/reports", params={"limit": 0}, headers=auth("demo-19"))
    assert bad.status_code == 422
