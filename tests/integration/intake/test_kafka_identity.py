"""The Kafka door authenticates and authorises (SPEC §8): against the real broker of the local stack.

Every client is a SCRAM-SHA-512 principal of `waspada_shared.kafka_access` (the local profile's demo
credentials, created by deploy/local/kafka_auth.py at `make up`); the broker refuses an anonymous client
and anything a principal's ACLs do not allow; intake refuses a report of another province than the scope
of the topic it came on, dead-letters it and counts it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)
from aiokafka.protocol.metadata import MetadataRequest

from tests.conftest import auth
from tests.helpers import Stack, make_report, read_topic, unique, wait_until
from waspada_shared.kafka_access import (
    NATIONAL_READER,
    agency_user,
    demo_password,
    local_principals,
    service_user,
)
from waspada_shared.regions import reference
from waspada_shared.topics import Topics

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[3]
TOPIC_AUTHORIZATION_FAILED = 29


def as_user(stack: Stack, user: str, password: str | None = None) -> dict[str, Any]:
    """Connection arguments of a local-profile principal (same protocol and CA as the tests' own)."""
    found = {
        **stack.kafka,
        "sasl_plain_username": user,
        "sasl_plain_password": demo_password(user) if password is None else password,
    }
    assert found.get("security_protocol") in ("SASL_PLAINTEXT", "SASL_SSL"), "the stack's Kafka must be SCRAM"
    return found


def topics(stack: Stack) -> Topics:
    return Topics(stack.topic_prefix)


async def send(stack: Stack, user: str, topic: str, value: bytes, key: bytes) -> tuple[int, int]:
    producer = AIOKafkaProducer(acks="all", **as_user(stack, user))
    await producer.start()
    try:
        meta = await producer.send_and_wait(topic, value, key=key)
        return meta.partition, meta.offset
    finally:
        await producer.stop()


async def describable(stack: Stack, user: str, names: list[str]) -> dict[str, int]:
    """topic -> the error code the broker answers `user`'s metadata request with (29: not authorised)."""
    client = AIOKafkaClient(**as_user(stack, user))
    await client.bootstrap()
    try:
        response = await client.send(client.get_random_node(), MetadataRequest(names))
        return {t[1]: t[0] for t in response.topics}
    finally:
        await client.close()


# --- authentication ------------------------------------------------------------------------------------


async def test_an_anonymous_client_can_neither_produce_nor_consume(stack: Stack) -> None:
    anonymous = {"bootstrap_servers": stack.kafka_bootstrap, "request_timeout_ms": 5000}
    if stack.kafka.get("security_protocol") == "SASL_SSL":
        anonymous |= {"security_protocol": "SSL", "ssl_context": stack.kafka["ssl_context"]}
    producer = AIOKafkaProducer(**anonymous)
    with pytest.raises(KafkaConnectionError):
        await producer.start()  # the listener closes a client that does not start with a SASL handshake
    await producer.stop()
    consumer = AIOKafkaConsumer(topics(stack).alerts_national, **anonymous)
    with pytest.raises(KafkaConnectionError):
        await consumer.start()
    await consumer.stop()


async def test_a_wrong_password_is_refused(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    producer = AIOKafkaProducer(**as_user(stack, agency_user("19"), "not-the-password"))
    with pytest.raises(KafkaConnectionError):
        await producer.start()
    await producer.stop()
    assert "SaslAuthenticationFailed" in caplog.text  # the broker's answer, as aiokafka logs it


# --- authorisation: agencies -----------------------------------------------------------------------------


async def test_an_agency_submits_within_its_scope_and_the_broker_refuses_any_other_scope(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    t = topics(stack)
    report = make_report()  # province 19 (Kepulauan Bangka Belitung)
    await send(stack, agency_user("19"), t.submitted_for("19"), orjson.dumps(report), b"19")

    async def stored() -> dict[str, Any] | None:
        r = await http.get(f"{stack.intake_url}/v1/reports/{report['report_id']}", headers=auth("demo-19"))
        return r.json() if r.status_code == 200 else None

    view = await wait_until(stored, what="the report of agency-19's own scope to be stored")
    assert view["submitted_by"] == "kafka"

    other = make_report(region={"province": "21", "regency": "21.01"})
    for topic in (t.submitted_for("21"), t.submitted):  # another province's door; the national door
        with pytest.raises(TopicAuthorizationFailedError):
            await send(stack, agency_user("19"), topic, orjson.dumps(other), b"21")
    # and an agency cannot write anywhere else either (a forged accepted report, say)
    with pytest.raises(TopicAuthorizationFailedError):
        await send(stack, agency_user("19"), t.accepted, orjson.dumps(other), b"21.01")


async def test_a_report_of_another_province_on_an_agencys_topic_is_rejected_and_counted(
    stack: Stack, http: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    t = topics(stack)
    before = await rejections_metric(stack, http)
    outside = make_report(region={"province": "63", "regency": "63.71"})  # Kota Banjarmasin, not 19
    # a legacy code that intake normalises into the scope's province is inside the scope
    legacy = make_report(region={"province": "92", "regency": "92.10"})  # now 96.05, Papua Barat Daya
    position = await send(stack, agency_user("19"), t.submitted_for("19"), orjson.dumps(outside), b"19")
    await send(stack, agency_user("96"), t.submitted_for("96"), orjson.dumps(legacy), b"96")

    (found,) = await read_topic(
        stack,
        "reports.rejected.v1",
        lambda k, v, h: (
            (v.get("source_topic"), v.get("source_partition"), v.get("source_offset"))
            == (t.submitted_for("19"), *position)
        ),
    )
    key, value, _ = found
    assert key == "19"  # dead-lettered under the submitting scope, not the province the report named
    assert value["reason"] == "out_of_scope"
    (error,) = value["errors"]
    assert error["field"] == "region.province" and error["code"] == "out_of_scope"
    assert "63" in error["message"] and "19" in error["message"]
    assert outside["report_id"] in value["original"]

    source = f"{t.submitted_for('19')}:{position[0]}:{position[1]}"
    counted = await pg.fetchrow(
        "SELECT province, reason, door FROM intake.rejections WHERE source = $1", source
    )
    assert counted is not None and dict(counted) == {
        "province": "19",
        "reason": "out_of_scope",
        "door": "kafka",
    }

    async def rejected_counter_moved() -> bool:
        return await rejections_metric(stack, http) >= before + 1

    await wait_until(rejected_counter_moved, what="waspada_intake_rejections_total{reason=out_of_scope}")
    r = await http.get(f"{stack.intake_url}/v1/reports/{outside['report_id']}", headers=auth("demo-admin"))
    assert r.status_code == 404  # never stored

    async def legacy_stored() -> bool:
        r = await http.get(f"{stack.intake_url}/v1/reports/{legacy['report_id']}", headers=auth("demo-96"))
        return r.status_code == 200

    await wait_until(legacy_stored, what="the legacy-coded report of agency-96's scope to be stored")


async def rejections_metric(stack: Stack, http: httpx.AsyncClient) -> float:
    text = (await http.get(f"{stack.intake_url}/metrics")).text
    for line in text.splitlines():
        if line.startswith("waspada_intake_rejections_total{") and all(
            label in line for label in ('reason="out_of_scope"', 'door="kafka"')
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_an_agency_cannot_read_the_alert_topics_or_the_reports(stack: Stack) -> None:
    t = topics(stack)
    denied = [t.alerts_national, t.alerts_province, t.accepted, t.rejected, t.submitted_for("21")]
    answers = await describable(stack, agency_user("19"), [*denied, t.submitted_for("19")])
    assert {name: answers[name] for name in denied} == dict.fromkeys(denied, TOPIC_AUTHORIZATION_FAILED)
    assert answers[t.submitted_for("19")] == 0  # its own door it may describe (to produce)
    consumer = AIOKafkaConsumer(
        t.alerts_national, group_id=unique("agency-19"), **as_user(stack, agency_user("19"))
    )
    with pytest.raises((GroupAuthorizationFailedError, TopicAuthorizationFailedError)):
        await consumer.start()
        await consumer.getmany(timeout_ms=5000)
    await consumer.stop()


# --- authorisation: the national alert reader ------------------------------------------------------------


async def test_the_national_reader_reads_the_alert_topics_and_nothing_else(stack: Stack) -> None:
    t = topics(stack)
    for topic in (t.alerts_national, t.alerts_province):
        consumer = AIOKafkaConsumer(
            topic,
            group_id=unique("national-reader-test"),
            auto_offset_reset="earliest",
            **as_user(stack, NATIONAL_READER),
        )
        await consumer.start()
        try:
            await consumer.getmany(timeout_ms=2000)  # raises if the broker refused anything
            assert {tp.topic for tp in consumer.assignment()} == {topic}
        finally:
            await consumer.stop()

    for topic in (t.accepted, t.assessed, t.submitted):
        consumer = AIOKafkaConsumer(
            topic, group_id=unique("national-reader-test"), **as_user(stack, NATIONAL_READER)
        )
        with pytest.raises(TopicAuthorizationFailedError):
            await consumer.start()
            await consumer.getmany(timeout_ms=5000)
        await consumer.stop()
    for topic in (t.submitted, t.submitted_for("19"), t.alerts_national):
        with pytest.raises(TopicAuthorizationFailedError):
            await send(stack, NATIONAL_READER, topic, orjson.dumps(make_report()), b"19")
    # only in its own consumer groups
    consumer = AIOKafkaConsumer(
        t.alerts_national, group_id=unique("waspada-notify"), **as_user(stack, NATIONAL_READER)
    )
    with pytest.raises(GroupAuthorizationFailedError):
        await consumer.start()
        await consumer.getmany(timeout_ms=5000)
    await consumer.stop()


async def test_the_national_rollup_example_runs_as_the_national_reader(stack: Stack, tmp_path: Path) -> None:
    protocol = stack.kafka["security_protocol"]
    cafile = os.environ.get("WASPADA_KAFKA_SSL_CAFILE", "")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "examples" / "national_rollup.py"), "--once",
        "--bootstrap", stack.kafka_bootstrap, "--prefix", stack.topic_prefix,
        "--protocol", protocol, "--cafile", cafile, "--state", str(tmp_path / "rollup.json"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, output.decode()
    assert "not authorized" not in output.decode().lower()


# --- the services' own principals ------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["intake", "scoring", "notify"])
async def test_a_service_principal_may_describe_only_its_own_topics(stack: Stack, service: str) -> None:
    t = topics(stack)
    (principal,) = [p for p in local_principals(t, reference().provinces) if p.user == service_user(service)]
    every = [*t.all(), t.submitted_for("19")]
    answers = await describable(stack, principal.user, every)
    for topic in every:
        allowed = principal.allows("Describe", "topic", topic)
        assert (answers[topic] == 0) == allowed, (service, topic, answers[topic])
