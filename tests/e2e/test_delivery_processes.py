"""Notify split in two, as `make bench` runs it: one process decides (WASPADA_ROLE=decide), another
delivers (WASPADA_ROLE=deliver), woken through PostgreSQL. A scratch pipeline of real processes on the
real Kafka and PostgreSQL (`backtest/harness.py`); the local stack is not touched."""

from __future__ import annotations

import time
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from backtest.harness import Target, scratch
from tests.conftest import auth
from tests.e2e.test_console import serious
from tests.helpers import Stack, wait_until

PORTS = {"intake": 28280, "scoring": 28281, "notify": 28282, "delivery": 28283, "receiver": 28289}


def deliveries(metrics_text: str) -> dict[tuple[str, str], float]:
    """waspada_notify_deliveries_total by (channel, outcome) from a /metrics page."""
    out: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(metrics_text):
        for s in family.samples:
            if s.name == "waspada_notify_deliveries_total":
                out[(s.labels["channel"], s.labels["outcome"])] = s.value
    return out


async def test_the_deciding_process_plans_and_the_delivering_process_sends(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    target = Target(
        bootstrap=stack.kafka_bootstrap,
        admin_dsn=stack.database_url,
        database="waspada_test_roles",
        prefix=f"roles{int(time.time())}.",
        ports=PORTS,
        log_name="test-roles",
    )
    async with scratch(target):
        report = serious("19.06", "land_resource")
        r = await http.post(f"{target.url('intake')}/v1/reports", json=report, headers=auth("demo-admin"))
        assert r.status_code == 202, r.text

        async def received() -> list[dict[str, Any]]:
            got = (await http.get(f"{target.url('receiver')}/received")).json()
            return [d for d in got if report["report_id"] in d["alert"]["report_ids"]]

        arrived = await wait_until(received, timeout=60, what="the alert at the webhook receiver")
        assert arrived[0]["alert"]["status"] == "firing"

        decided = deliveries((await http.get(f"{target.url('notify')}/metrics")).text)
        delivered = deliveries((await http.get(f"{target.url('delivery')}/metrics")).text)
        assert delivered.get(("webhook", "delivered"), 0) >= 1
        assert not any(decided.values()), f"the deciding process sent deliveries itself: {decided}"
