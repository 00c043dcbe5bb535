"""Test helpers shared by the suites: report factories, waiting for conditions, reading topics."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition

from waspada_shared.kafka import env_security

DATA = Path(__file__).parent / "data"
T = TypeVar("T")


@dataclass(frozen=True)
class Stack:
    """Where the running stack is; overridable so a developer can point tests at other ports."""

    intake_url: str = os.environ.get("WASPADA_TEST_INTAKE_URL", "http://127.0.0.1:8080")
    scoring_url: str = os.environ.get("WASPADA_TEST_SCORING_URL", "http://127.0.0.1:8081")
    notify_url: str = os.environ.get("WASPADA_TEST_NOTIFY_URL", "http://127.0.0.1:8082")
    receiver_url: str = os.environ.get("WASPADA_TEST_RECEIVER_URL", "http://127.0.0.1:8089")
    console_url: str = os.environ.get("WASPADA_TEST_CONSOLE_URL", "http://127.0.0.1:8083")
    prometheus_url: str = os.environ.get("WASPADA_TEST_PROMETHEUS_URL", "http://127.0.0.1:19090")
    database_url: str = os.environ.get("WASPADA_DATABASE_URL", "postgresql://waspada@127.0.0.1:15432/waspada")
    kafka_bootstrap: str = os.environ.get("WASPADA_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
    topic_prefix: str = os.environ.get("WASPADA_TOPIC_PREFIX", "")

    @property
    def kafka_security(self) -> dict[str, Any]:
        """SASL (and TLS) arguments of the tests' Kafka principal: env.sh's super user on the local stack."""
        return env_security()

    @property
    def kafka(self) -> dict[str, Any]:
        """aiokafka connection arguments: the bootstrap servers and the tests' credentials."""
        return {"bootstrap_servers": self.kafka_bootstrap, **self.kafka_security}


def load_jsonl(name: str) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def make_report(**overrides: Any) -> dict[str, Any]:
    """A valid v1 report (Kabupaten Belitung Timur, an election demonstration) with a fresh id."""
    base: dict[str, Any] = {
        "report_id": unique("rpt"),
        "region": {"province": "19", "regency": "19.06", "place": "Manggar"},
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "kind": "incident",
        "category": "election",
        "form": "demonstration",
        "election_stage": "campaign",
        "impact": {"crowd_size": 200},
        "signals": ["provocation"],
        "actors": [{"type": "supporters"}],
        "source": {
            "type": "official",
            "agency": "Polres Belitung Timur",
            "reliability": "B",
            "credibility": 2,
        },
        "summary": "Unjuk rasa simpatisan paslon di depan kantor KPU.",
    }
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        out[key] = value
    return out


async def wait_until(
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 20.0, interval: float = 0.05, what: str = ""
) -> T:
    """Poll `probe` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or probe}")
        await asyncio.sleep(interval)


async def read_topic(
    stack: Stack,
    topic: str,
    match: Callable[[str | None, dict[str, Any], dict[str, str]], bool],
    *,
    count: int = 1,
    timeout: float = 30.0,
) -> list[tuple[str | None, dict[str, Any], dict[str, str]]]:
    """Read `topic` from the beginning until `count` records match; returns (key, value, headers)."""
    name = stack.topic_prefix + topic
    consumer = AIOKafkaConsumer(enable_auto_commit=False, **stack.kafka)
    await consumer.start()
    found: list[tuple[str | None, dict[str, Any], dict[str, str]]] = []
    try:
        partitions = consumer.partitions_for_topic(name)
        if not partitions:
            await consumer._client.force_metadata_update()  # topic created by the stack; refresh
            partitions = consumer.partitions_for_topic(name) or set()
        tps = [TopicPartition(name, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found) < count:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"found {len(found)} of {count} matching records on {name}")
            batch = await consumer.getmany(timeout_ms=int(min(remaining, 1.0) * 1000))
            for records in batch.values():
                for rec in records:
                    try:
                        value = json.loads(rec.value)
                    except (TypeError, ValueError):
                        continue
                    key = rec.key.decode() if rec.key else None
                    headers = {k: v.decode() for k, v in rec.headers}
                    if match(key, value, headers):
                        found.append((key, value, headers))
    finally:
        await consumer.stop()
    return found


async def wait_for_delivered_alert(http: Any, stack: Stack, report_id: str, regency: str) -> dict[str, Any]:
    """The regency-audience alert carrying `report_id`, once it has reached the webhook receiver.

    The group may have fired in an earlier run (alerts group by region and category), so the receiver
    is asked for the alert at any version rather than for this report; and where that earlier delivery
    went to a receiver that kept no store, notify's delivery log must show it delivered there.
    """
    headers = {"Authorization": "Bearer demo-national"}

    async def alert() -> dict[str, Any] | None:
        r = await http.get(f"{stack.notify_url}/v1/alerts", params={"regency": regency}, headers=headers)
        for a in r.json()["alerts"]:
            if report_id in a["report_ids"] and a["audience"] == "regency":
                return a  # type: ignore[no-any-return]
        return None

    found = await wait_until(alert, timeout=60, what=f"an alert carrying {report_id}")

    async def delivered() -> bool:
        got = (await http.get(f"{stack.receiver_url}/received")).json()
        if any(d["alert"]["alert_id"] == found["alert_id"] for d in got):
            return True
        log = (
            await http.get(f"{stack.notify_url}/v1/alerts/{found['alert_id']}/deliveries", headers=headers)
        ).json()
        return any(d["channel"] == "webhook" and d["status"] == "delivered" for d in log["deliveries"])

    await wait_until(delivered, timeout=60, what=f"the webhook receiver to get alert {found['alert_id']}")
    return found
