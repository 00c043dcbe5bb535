"""Every PromQL query of every Grafana dashboard, run against the real Prometheus of the test stack.

Reports go through the real pipeline first (the demo feed over HTTP, plus a duplicate and an invalid
submission), so that intake, scoring and notify have counted something; then each query must run without
error, and return data unless its dashboard declares it may be empty (error counters that only appear
with the first error: see `q(..., may_be_empty=True)` in deploy/grafana/build.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import auth
from tests.helpers import Stack, load_jsonl, unique, wait_for_delivered_alert, wait_until
from tests.unit.deploy import dashboards

pytestmark = pytest.mark.stack

SCRAPE_WAIT = 90.0  # seconds: scrape every 5 s, rule evaluation every 5 s, rates over 1 m
RULE_GROUPS = {"waspada-recording", "waspada-pipeline", "waspada-reporting"}


async def prom_query(http: httpx.AsyncClient, stack: Stack, expr: str) -> list[dict[str, Any]]:
    r = await http.get(f"{stack.prometheus_url}/api/v1/query", params={"query": expr})
    body = r.json()
    assert r.status_code == 200 and body["status"] == "success", f"{expr}\n-> {r.status_code} {body}"
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


async def ensure_rules_loaded(http: httpx.AsyncClient, stack: Stack) -> None:
    """The dashboards read recording rules; a Prometheus started before they existed must reload."""

    async def loaded() -> bool:
        groups = (await http.get(f"{stack.prometheus_url}/api/v1/rules")).json()["data"]["groups"]
        return RULE_GROUPS <= {g["name"] for g in groups}

    if not await loaded():
        await http.post(f"{stack.prometheus_url}/-/reload")  # started with --web.enable-lifecycle
        await wait_until(loaded, timeout=20, interval=0.5, what="Prometheus to load deploy/prometheus/rules")


async def push_traffic(http: httpx.AsyncClient, stack: Stack) -> str:
    """The demo feed (its deadly brawl fires an alert), a duplicate and an invalid report."""
    suffix = unique("obs")
    feed = load_jsonl("demo-feed.jsonl")
    for report in feed:
        report["report_id"] = f"{report['report_id']}-{suffix}"
        r = await http.post(
            f"{stack.intake_url}/v1/reports",
            json=report,
            headers=auth(f"demo-{report['region']['province']}"),
        )
        assert r.status_code == 202, r.text
    again = await http.post(f"{stack.intake_url}/v1/reports", json=feed[0], headers=auth("demo-19"))
    assert again.status_code == 200
    invalid = {**feed[1], "report_id": f"bad-{suffix}", "kind": "rumour"}
    bad = await http.post(f"{stack.intake_url}/v1/reports", json=invalid, headers=auth("demo-19"))
    assert bad.status_code == 422
    return f"babel-belitung-0001-{suffix}"


async def test_every_dashboard_query_runs_and_returns_data_where_data_must_exist(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    await ensure_rules_loaded(http, stack)
    brawl = await push_traffic(http, stack)

    # End to end first (reports assessed, the brawl alert delivered), then the metrics must show it.
    await wait_for_delivered_alert(http, stack, brawl, "19.02")

    expectations = dashboards.expectations()
    queries = sorted(
        {
            (dash["uid"], title, target["expr"])
            for dash in dashboards.committed().values()
            for title, target in dashboards.targets(dash)
        }
    )
    must = {(uid, title, expr) for uid, title, expr in queries if not expectations[(uid, expr)]}
    assert len(must) > 30  # the test would prove little if most queries were allowed to be empty

    empty: list[tuple[str, str, str]] = []
    deadline = asyncio.get_running_loop().time() + SCRAPE_WAIT
    while True:
        empty = []
        for uid, title, expr in queries:
            # Errors fail at once, whatever the expectation: a query Grafana cannot run is a bug.
            result = await prom_query(http, stack, dashboards.concrete(expr))
            if not result and (uid, title, expr) in must:
                empty.append((uid, title, expr))
        if not empty or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(2.5)
    assert not empty, "queries without data after an end-to-end run:\n" + "\n".join(
        f"  {uid} / {title}: {expr}" for uid, title, expr in empty
    )


async def test_the_geomap_query_places_every_province_at_its_centroid(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    await ensure_rules_loaded(http, stack)
    risk = next(d for d in dashboards.committed().values() if d["uid"] == "waspada-risk")
    geo = next(p for p in dashboards.panels(risk) if p["type"] == "geomap")

    async def all_provinces() -> list[dict[str, Any]] | None:
        rows = await prom_query(http, stack, dashboards.concrete(geo["targets"][0]["expr"]))
        return rows if len(rows) == 38 else None

    rows = await wait_until(all_provinces, timeout=30, interval=1, what="38 provinces on the map")
    for row in rows:
        labels, value = row["metric"], float(row["value"][1])
        assert -11.5 <= float(labels["lat"]) <= 6.5 and 94.5 <= float(labels["lon"]) <= 141.5, labels
        assert value in (1, 2, 3, 4), labels
