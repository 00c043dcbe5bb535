"""The confidential reporter never leaves intake's encrypted column (SPEC §3).

A planted phone number, name and e-mail go in through every door (HTTP single and batch, valid and
invalid; Kafka valid, invalid and unparseable), the reports flow through scoring and notify, and then
every topic, the services' logs and their metrics are searched for them.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import asyncpg
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tests.conftest import auth
from tests.helpers import Stack, make_report, read_topic, unique, wait_until
from tests.integration.intake.conftest import log_dir
from waspada_shared.regions import reference

pytestmark = pytest.mark.stack

TOPICS = [
    "reports.submitted.v1",
    "reports.accepted.v1",
    "reports.rejected.v1",
    "risk.assessed.v1",
    "alerts.province.v1",
    "alerts.national.v1",
]
SCANNED = [t for t in TOPICS if t != "reports.submitted.v1"]  # the input topic holds what agencies sent


async def end_offsets(stack: Stack) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(**stack.kafka)
    await consumer.start()
    try:
        tps = []
        for topic in SCANNED:
            name = stack.topic_prefix + topic
            partitions = consumer.partitions_for_topic(name) or set()
            if not partitions:
                await consumer._client.force_metadata_update()
                partitions = consumer.partitions_for_topic(name) or set()
            tps += [TopicPartition(name, p) for p in partitions]
        return dict(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


async def records_since(stack: Stack, start: dict[TopicPartition, int]) -> list[bytes]:
    """Every record (key and value bytes) written to the scanned topics since `start`."""
    end = await end_offsets(stack)
    consumer = AIOKafkaConsumer(**stack.kafka, enable_auto_commit=False)
    await consumer.start()
    out: list[bytes] = []
    try:
        todo = [tp for tp in end if end[tp] > start.get(tp, 0)]
        consumer.assign(todo)
        for tp in todo:
            consumer.seek(tp, start.get(tp, 0))
        while todo:
            batch = await consumer.getmany(*todo, timeout_ms=1000)
            for records in batch.values():
                for r in records:
                    out.append(
                        (r.key or b"") + b"|" + (r.value or b"") + b"|" + b"".join(v for _, v in r.headers)
                    )
            todo = [tp for tp in todo if await consumer.position(tp) < end[tp]]
    finally:
        await consumer.stop()
    return out


def read_logs() -> dict[str, str]:
    return {str(p): p.read_text(encoding="utf-8", errors="replace") for p in sorted(log_dir().glob("*.log"))}


async def quiet_regency(stack: Stack, http: httpx.AsyncClient, category: str) -> str:
    """A random regency where notify has no firing alert of `category` (any, if notify cannot say)."""
    codes = sorted(reference().regencies)
    rng = random.Random()
    for _ in range(30):
        code = rng.choice(codes)
        r = await http.get(
            f"{stack.notify_url}/v1/alerts", params={"regency": code}, headers=auth("demo-national")
        )
        if r.status_code != 200:
            return code
        alerts = r.json().get("alerts", [])
        if not any(a.get("category") == category and a.get("status") == "firing" for a in alerts):
            return code
    raise AssertionError("no regency without a firing alert found")


async def test_planted_reporter_appears_nowhere_but_the_admin_endpoint(
    stack: Stack, http: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    tag = unique("x")[-8:]
    phone = f"+62 877-{tag[:4]}-{tag[4:]}"
    name = f"Saksi Rahasia {tag}"
    email = f"saksi.{tag}@contoh.id"
    secrets = [phone, name, email, phone.replace(" ", "").replace("-", "")]
    reporter = {"name": name, "phone": phone, "email": email}
    start = await end_offsets(stack)

    # A severe incident (alerts fire), through HTTP, in a regency without a firing alert for its
    # category: an alert group already at the top level would not announce this report.
    regency = await quiet_regency(stack, http, "communal_clash")
    severe = make_report(
        region={"province": regency.split(".")[0], "regency": regency},
        kind="incident",
        category="communal_clash",
        form="clash",
        impact={
            "deaths": 4,
            "injured": 30,
            "buildings_damaged": 12,
            "crowd_size": 3000,
            "arson": True,
            "weapons": "firearms",
        },
        signals=["outside_mobilisation", "weapons_gathering", "provocation", "recurring_conflict"],
        summary=f"Bentrok antarkampung {tag}, korban jiwa.",
        reporter=reporter,
    )
    r = await http.post(f"{stack.intake_url}/v1/reports", json=severe, headers=auth("demo-national"))
    assert r.status_code == 202
    invalid = make_report(kind="x", reporter=reporter)
    r = await http.post(f"{stack.intake_url}/v1/reports", json=invalid, headers=auth("demo-19"))
    assert r.status_code == 422 and not any(s in r.text for s in secrets)
    batch = [make_report(reporter=reporter), make_report(summary="", reporter=reporter)]
    r = await http.post(f"{stack.intake_url}/v1/reports/batch", json=batch, headers=auth("demo-19"))
    assert [x["status"] for x in r.json()["results"]] == ["accepted", "invalid"]
    assert not any(s in r.text for s in secrets)

    # Through Kafka: valid, invalid, unparseable.
    via_kafka = make_report(reporter=reporter)
    producer = AIOKafkaProducer(**stack.kafka, acks="all")
    await producer.start()
    try:
        submitted = stack.topic_prefix + "reports.submitted.v1"
        await producer.send_and_wait(submitted, orjson.dumps(via_kafka), key=b"19")
        bad = orjson.dumps(make_report(category="x", reporter=reporter))
        broken = orjson.dumps(make_report(reporter=reporter))[:-40]
        rejects = [await producer.send_and_wait(submitted, value, key=b"19") for value in (bad, broken)]
    finally:
        await producer.stop()

    valid_ids = {severe["report_id"], batch[0]["report_id"], via_kafka["report_id"]}
    await read_topic(stack, "risk.assessed.v1", lambda k, v, h: v.get("report_id") in valid_ids, count=3)
    await read_topic(
        stack,
        "alerts.province.v1",
        lambda k, v, h: severe["report_id"] in (v.get("report_ids") or []),
        timeout=30,
    )
    # The two Kafka rejects are dead-lettered.
    positions = {(m.partition, m.offset) for m in rejects}
    await read_topic(
        stack,
        "reports.rejected.v1",
        lambda k, v, h: (
            v.get("source_topic") == submitted
            and (v.get("source_partition"), v.get("source_offset")) in positions
        ),
        count=2,
    )

    # The admin can read it (and that read is logged, without the content).
    r = await http.get(
        f"{stack.intake_url}/v1/reports/{severe['report_id']}/reporter", headers=auth("demo-admin")
    )
    assert r.status_code == 200 and r.json()["phone"] == phone

    # Topics: nothing of the reporter on any of them.
    records = await records_since(stack, start)
    assert any(severe["report_id"].encode() in rec for rec in records), (
        "the scan must see this test's records"
    )
    for rec in records:
        for secret in secrets:
            assert secret.encode() not in rec, f"{secret!r} found on a topic: {rec[:300]!r}"

    # Logs of the running services (the stack's .local/log, or WASPADA_TEST_LOG_DIR).
    async def audit_logged() -> dict[str, str] | None:
        logs = await asyncio.to_thread(read_logs)
        audited = any(severe["report_id"] in t and "reporter read" in t for t in logs.values())
        return logs if audited else None

    logs = await wait_until(audit_logged, timeout=10, what="the admin's reporter read to be logged")
    assert any(Path(name).name.startswith("intake") for name in logs), f"no intake log in {log_dir()}"
    for name, text in logs.items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} found in {name}"

    # Metrics of every service.
    for base in (stack.intake_url, stack.scoring_url, stack.notify_url):
        text = (await http.get(f"{base}/metrics")).text
        assert not any(s in text for s in secrets), base

    # At rest: only the encrypted column holds it.
    rows = await pg.fetch(
        "SELECT facts::text AS facts, reporter_enc FROM intake.reports WHERE report_id = ANY($1::text[])",
        list(valid_ids),
    )
    assert len(rows) == 3
    for row in rows:
        assert row["reporter_enc"] is not None
        for secret in secrets:
            assert secret not in row["facts"] and secret.encode() not in bytes(row["reporter_enc"])
