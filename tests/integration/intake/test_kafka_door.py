"""The Kafka door (`reports.submitted.v1`) against the real broker: validation, dead letters, no stalls."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from tests.conftest import auth
from tests.helpers import Stack, make_report, read_topic, unique, wait_until

pytestmark = pytest.mark.stack

PHONE = "+62 813-5550-" + unique("x")[-4:]


async def produce(stack: Stack, records: list[tuple[bytes, bytes | None]]) -> list[tuple[int, int]]:
    """Send (key, value) records in order; returns their (partition, offset)."""
    producer = AIOKafkaProducer(**stack.kafka, acks="all")
    await producer.start()
    try:
        out = []
        for key, value in records:
            meta = await producer.send_and_wait(stack.topic_prefix + "reports.submitted.v1", value, key=key)
            out.append((meta.partition, meta.offset))
        return out
    finally:
        await producer.stop()


async def test_poison_records_are_dead_lettered_and_never_stall_the_partition(
    stack: Stack, http: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    earlier = make_report()
    r = await http.post(f"{stack.intake_url}/v1/reports", json=earlier, headers=auth("demo-19"))
    assert r.status_code == 202

    valid = make_report(reporter={"name": "Pelapor", "phone": PHONE})
    marker = unique("poison")
    cases: list[tuple[str, bytes | None, str, set[str]]] = [
        ("not json", f"not json {{ {marker}".encode(), "not_json", {"body"}),
        ("array", orjson.dumps([marker]), "invalid", {"body"}),
        (
            "wrong types",
            orjson.dumps(
                make_report(
                    report_id=f"{marker}-types",
                    impact={"deaths": "many", "arson": "no"},
                    kind=3,
                    reporter={"phone": PHONE},
                )
            ),
            "invalid",
            {"impact.deaths", "impact.arson", "kind"},
        ),
        (
            "huge",
            orjson.dumps(
                make_report(report_id=f"{marker}-huge", narrative="x" * 90_000, reporter={"phone": PHONE})
            ),
            "too_large",
            {"body"},
        ),
        (
            "nul",
            orjson.dumps(make_report(report_id=f"{marker}-nul", summary="a\u0000b")),
            "invalid",
            {"summary"},
        ),
        (
            "broken with reporter",
            f'{{"report_id": "{marker}-broken", "reporter": {{"phone": "{PHONE}"}}, "kind": '.encode(),
            "not_json",
            {"body"},
        ),
        ("empty", None, "not_json", {"body"}),
        ("conflict", orjson.dumps({**earlier, "summary": "Isi lain."}), "conflict", {"report_id"}),
    ]
    records: list[tuple[bytes, bytes | None]] = [(b"19", value) for _, value, _, _ in cases]
    records.append((b"19", orjson.dumps(earlier)))  # an exact duplicate: silently idempotent
    records.append((b"19", orjson.dumps(valid)))  # after the poison, in the same partition
    positions = await produce(stack, records)

    accepted = await read_topic(
        stack, "reports.accepted.v1", lambda k, v, h: v.get("report_id") == valid["report_id"]
    )
    assert (
        len(accepted) == 1
        and "reporter" not in accepted[0][1]
        and PHONE not in orjson.dumps(accepted[0][1]).decode()
    )
    assert accepted[0][1]["submitted_by"] == "kafka"

    wanted = {positions[i]: cases[i] for i in range(len(cases))}
    rejected = await read_topic(
        stack,
        "reports.rejected.v1",
        lambda k, v, h: (
            (v.get("source_partition"), v.get("source_offset")) in wanted
            and v.get("source_topic") == stack.topic_prefix + "reports.submitted.v1"
        ),
        count=len(cases),
    )
    by_position = {(v["source_partition"], v["source_offset"]): (k, v, h) for k, v, h in rejected}
    assert len(by_position) == len(cases)
    for position, (name, _, reason, fields) in wanted.items():
        key, value, headers = by_position[position]
        assert value["reason"] == reason, name
        assert {e["field"] for e in value["errors"]} == fields, name
        assert PHONE not in value["original"], name
        assert headers["schema-version"] == "1"
        assert key == ("19" if name in ("wrong types", "nul", "conflict") else "unknown"), name
    huge = by_position[positions[3]][1]
    assert len(huge["original"]) <= 64 * 1024 and '"reporter"' not in huge["original"]
    assert marker in by_position[positions[0]][1]["original"]
    assert "Isi lain." in by_position[positions[7]][1]["original"]

    sources = [f"{stack.topic_prefix}reports.submitted.v1:{p}:{o}" for p, o in wanted]
    counted = await pg.fetchval(
        "SELECT count(*) FROM intake.rejections WHERE source = ANY($1::text[])", sources
    )
    assert counted == len(cases)


async def test_the_duplicate_and_the_valid_report_through_kafka(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    report = make_report(region={"province": "92", "regency": "92.10"})
    await produce(stack, [(b"92", orjson.dumps(report)), (b"92", orjson.dumps(report))])

    async def stored() -> dict[str, Any] | None:
        r = await http.get(f"{stack.intake_url}/v1/reports/{report['report_id']}", headers=auth("demo-96"))
        return r.json() if r.status_code == 200 else None

    view = await wait_until(stored, what="the Kafka-submitted report to be stored")
    assert view["report"]["region"]["regency"] == "96.05" and view["submitted_by"] == "kafka"
    published = await read_topic(
        stack, "reports.accepted.v1", lambda k, v, h: v.get("report_id") == report["report_id"], count=1
    )
    assert published[0][0] == "96.05"
