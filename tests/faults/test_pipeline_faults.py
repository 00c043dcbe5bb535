"""Fault injection on the real local stack (`make test-faults`): processes are killed and restarted.

SPEC §9: broker killed and restarted, database restarted, any service killed mid-batch: no accepted
report lost, no assessment counted twice, no successful delivery repeated. These tests stop and start
processes of the stack through deploy/local/stack.sh, so they run only in the fault suite.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from tests.conftest import auth
from tests.helpers import Stack, make_report, read_topic, unique, wait_until

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "deploy" / "local" / "stack.sh"
REGENCY = {"province": "94", "regency": "94.01"}  # Papua Tengah, used by no other test


def stack_cmd(*args: str) -> None:
    subprocess.run([str(STACK), *args], check=True, cwd=ROOT, capture_output=True, timeout=180)


def kill9(name: str) -> None:
    pid = int((ROOT / ".local" / "run" / f"{name}.pid").read_text().strip())
    os.kill(pid, signal.SIGKILL)


def _report(i: int, base: datetime, tag: str) -> dict[str, Any]:
    return make_report(
        report_id=f"{tag}-{i}",
        region=dict(REGENCY),
        occurred_at=(base + timedelta(milliseconds=i)).isoformat(),
        kind="potential",
        category="land_resource",
        form=None,
        election_stage=None,
        impact={},
        signals=[],
    )


async def _probe(stack_: Stack, http: httpx.AsyncClient, occurred_at: datetime) -> dict[str, Any]:
    """Submit one report and return its assessment as read from risk.assessed.v1."""
    report = _report(0, occurred_at, unique("probe"))
    r = await http.post(f"{stack_.intake_url}/v1/reports", json=report, headers=auth("demo-94"))
    assert r.status_code == 202, r.text
    ((_, value, _),) = await read_topic(
        stack_, "risk.assessed.v1", lambda k, v, h: v.get("report_id") == report["report_id"], timeout=60
    )
    return value


async def _count_assessed(pg: asyncpg.Pool, ids: list[str]) -> int:
    return int(
        await pg.fetchval("SELECT count(*) FROM scoring.assessments WHERE report_id = ANY($1::text[])", ids)
    )


async def test_scoring_killed_mid_batch_loses_nothing_and_counts_nothing_twice(
    stack: Stack, http: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    base = datetime.now(UTC) - timedelta(minutes=8)
    before = await _probe(stack, http, base)
    tag = unique("kill-scoring")
    reports = [_report(i, base + timedelta(seconds=1), tag) for i in range(1, 6001)]
    ids = [r["report_id"] for r in reports]
    producer = AIOKafkaProducer(**stack.kafka, linger_ms=5, acks="all")
    await producer.start()
    try:
        futures = [
            await producer.send(stack.topic_prefix + "reports.submitted.v1", orjson.dumps(r), key=b"94")
            for r in reports
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    await wait_until(lambda: _count_assessed(pg, ids), interval=0.02, timeout=60, what="scoring to start")
    kill9("scoring")
    partial = await _count_assessed(pg, ids)
    stack_cmd("up", "scoring")

    async def all_assessed() -> bool:
        return await _count_assessed(pg, ids) == len(ids)

    await wait_until(all_assessed, timeout=120, what="every report assessed after the restart")
    after = await _probe(stack, http, base + timedelta(seconds=2))
    # Exactly the reports in between were counted, once each, whatever was redelivered.
    assert after["region_state"]["count_24h"] == before["region_state"]["count_24h"] + 1 + len(ids), partial


async def test_broker_killed_and_restarted_loses_no_accepted_report(
    stack: Stack, http: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    kill9("kafka")
    try:
        reports = [make_report(report_id=unique("kafka-down")) for _ in range(20)]
        for r in reports:
            resp = await http.post(f"{stack.intake_url}/v1/reports", json=r, headers=auth("demo-19"))
            assert resp.status_code == 202, resp.text  # durably stored even with the broker gone
    finally:
        stack_cmd("up", "kafka")
    ids = [r["report_id"] for r in reports]

    async def all_assessed() -> bool:
        count = await pg.fetchval(
            "SELECT count(*) FROM scoring.assessments WHERE report_id = ANY($1::text[])", ids
        )
        return bool(count == len(ids))

    await wait_until(all_assessed, timeout=120, what="reports accepted while Kafka was down to be assessed")
    assert await _count_assessed(pg, ids) == len(ids)


async def test_database_restart_keeps_every_accepted_report(
    stack: Stack, http: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    accepted: list[str] = []
    stack_cmd("down", "postgres")
    try:
        for _ in range(5):
            r = make_report(report_id=unique("db-down"))
            resp = await http.post(f"{stack.intake_url}/v1/reports", json=r, headers=auth("demo-19"))
            # Nothing can be stored: the answer must say so, never pretend to accept.
            assert resp.status_code == 503, resp.text
    finally:
        stack_cmd("up", "postgres")

    async def intake_ready() -> bool:
        return (await http.get(f"{stack.intake_url}/readyz")).status_code == 200

    await wait_until(intake_ready, timeout=60, what="intake ready after the database restart")
    for _ in range(10):
        r = make_report(report_id=unique("db-back"))
        resp = await http.post(f"{stack.intake_url}/v1/reports", json=r, headers=auth("demo-19"))
        assert resp.status_code == 202, resp.text
        accepted.append(r["report_id"])

    async def all_assessed() -> bool:
        return await _count_assessed(pg, accepted) == len(accepted)

    await wait_until(all_assessed, timeout=120, what="reports after the database restart to be assessed")
