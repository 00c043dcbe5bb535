"""Replay a file of reports through the scratch pipeline in one batching mode, wait until notify has
decided on every assessment, and read what came out from the scratch database.

Modes (how the file reaches intake; the pipeline behind is the same):
- `batch`: POST /v1/reports/batch, up to 500 reports a request, in file order, as fast as accepted;
- `day`: one batch request per event date (the local date of `occurred_at`), in file order;
- `report`: one POST /v1/reports per report;
- `kafka`: everything produced to `reports.submitted.v1` at once (key: province), as agencies do.

`kill_midway` SIGKILLs scoring and notify once half of the file is submitted and starts them again:
the result must not change (at-least-once delivery, idempotent consumers).

Results are read from the scratch database, not the APIs: `intake.reports` (what was accepted),
`scoring.assessments` (the published event, column `event`), `notify.alert_versions` (every version
as sent) and `notify.alerts` (each alert's current state, whose `report_ids` include reports added
without a new version).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaProducer

from backtest.harness import Services, Target, poll, scratch
from backtest.measure import AlertVersion, Assessment, Report, RunData
from waspada_shared.kafka import env_security

BATCH_LIMIT = 500  # intake's largest batch
ADMIN_KEY = "demo-admin"  # the local profile's admin key: the scratch intake runs in the local profile


class Mode(StrEnum):
    BATCH = "batch"
    DAY = "day"
    REPORT = "report"
    KAFKA = "kafka"


@dataclass(frozen=True)
class Submitted:
    reports: int
    accepted: int  # accepted or duplicate (HTTP); for Kafka, known only from intake's tables
    rejected: list[str]  # report ids (HTTP) with the first error


def _chunks(items: Sequence[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def _by_day(reports: Sequence[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Consecutive runs of one event date (local date as written), each cut to the batch limit."""
    run: list[dict[str, Any]] = []
    for r in reports:
        if run and (r["occurred_at"][:10] != run[0]["occurred_at"][:10] or len(run) == BATCH_LIMIT):
            yield run
            run = []
        run.append(r)
    if run:
        yield run


def requests_for(mode: Mode, reports: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The file cut into the requests a mode sends (one list per request; `report`: one each)."""
    if mode is Mode.BATCH:
        return list(_chunks(reports, BATCH_LIMIT))
    if mode is Mode.DAY:
        return list(_by_day(reports))
    if mode is Mode.REPORT:
        return [[r] for r in reports]
    return [list(reports)]


async def _post(http: httpx.AsyncClient, url: str, group: list[dict[str, Any]], out: list[str]) -> int:
    """Submit one request; returns how many were accepted (or duplicates), collects the rejected."""
    headers = {"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"}
    for attempt in range(20):
        try:
            body = group if url.endswith("/batch") else group[0]
            r = await http.post(url, content=orjson.dumps(body), headers=headers)
        except httpx.TransportError:
            r = None
        # 503: intake could not store (e.g. the database restarting); 429 cannot happen at the
        # harness's rate limit but is retried too. Anything else is the answer.
        if r is not None and r.status_code not in (429, 503):
            break
        await asyncio.sleep(min(0.1 * 2**attempt, 5.0))  # backoff between retries, not a wait for state
    else:
        raise RuntimeError(f"intake kept refusing a request to {url}")
    if url.endswith("/batch"):
        if r.status_code not in (
            200,
            207,
        ):  # the whole request refused (e.g. 413, 422 not a list): nothing stored
            raise RuntimeError(f"intake refused a batch: HTTP {r.status_code} {r.text[:300]}")
        body = r.json()
        for report, result in zip(group, body["results"], strict=True):
            if result.get("status") not in ("accepted", "duplicate"):
                out.append(f"{report['report_id']}: {result.get('status')} {result.get('errors')}")
        return int(body["accepted"]) + int(body["duplicates"])
    if r.status_code in (200, 202):
        return 1
    out.append(f"{group[0]['report_id']}: HTTP {r.status_code} {r.text[:200]}")
    return 0


async def _produce(bootstrap: str, topic: str, reports: Sequence[dict[str, Any]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all", **env_security())
    await producer.start()
    try:
        futures = [
            await producer.send(
                topic,
                orjson.dumps(r),
                key=r["region"]["province"].encode(),
                headers=[("schema-version", b"1")],
            )
            for r in reports
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def submit(
    target: Target,
    mode: Mode,
    reports: Sequence[dict[str, Any]],
    on_half: Callable[[], Any] | None = None,
) -> Submitted:
    """Send the file in `mode`; `on_half` (an async callable) runs once half the reports are sent."""
    rejected: list[str] = []
    accepted = sent = 0
    half_done = on_half is None
    if mode is Mode.KAFKA:
        topic = target.prefix + "reports.submitted.v1"
        halves = [reports[: len(reports) // 2], reports[len(reports) // 2 :]] if on_half else [reports]
        for i, part in enumerate(halves):
            await _produce(target.bootstrap, topic, part)
            if i == 0 and on_half is not None:
                await on_half()
        return Submitted(len(reports), -1, [])
    url = target.url("intake") + ("/v1/reports" if mode is Mode.REPORT else "/v1/reports/batch")
    async with httpx.AsyncClient(timeout=60.0) as http:
        for group in requests_for(mode, reports):
            accepted += await _post(http, url, group, rejected)
            sent += len(group)
            if not half_done and sent >= len(reports) / 2:
                half_done = True
                assert on_half is not None
                await on_half()
    return Submitted(len(reports), accepted, rejected)


async def wait_decided(pool: asyncpg.Pool, expected: int, timeout: float) -> None:
    """Until intake has stored or rejected `expected` reports and notify has processed an assessment
    of every stored one."""
    last: dict[str, int] = {}

    async def done() -> bool:
        row = await pool.fetchrow(
            "SELECT (SELECT count(*) FROM intake.reports) AS stored,"
            " (SELECT count(*) FROM intake.rejections) AS rejected,"
            " (SELECT count(*) FROM scoring.assessments) AS assessed,"
            " (SELECT count(*) FROM notify.processed) AS decided"
        )
        assert row is not None
        last.update(row)
        stored: int = row["stored"]
        return bool(stored + row["rejected"] >= expected and min(row["assessed"], row["decided"]) >= stored)

    if not await poll(done, timeout):
        raise TimeoutError(f"pipeline did not finish within {timeout:.0f}s: {last}")


async def _wait_tables(pool: asyncpg.Pool, timeout: float = 60.0) -> None:
    """The services create their schemas on start; readiness implies it, but a slow migration must
    not be read as an empty result."""

    async def created() -> bool:
        n = await pool.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE (table_schema, table_name) IN"
            " (('intake','reports'),('intake','rejections'),('scoring','assessments'),"
            " ('notify','processed'),('notify','alert_versions'),('notify','alerts'))"
        )
        return bool(n == 6)

    if not await poll(created, timeout, 0.2):
        raise TimeoutError("the scratch schemas were not created")


async def load(pool: asyncpg.Pool) -> RunData:
    """What the run produced, from the scratch database."""
    reports = [
        Report.from_json(orjson.loads(r["facts"]))
        for r in await pool.fetch("SELECT facts::text AS facts FROM intake.reports")
    ]
    assessments = [
        Assessment.from_event(orjson.loads(r["event"]))
        for r in await pool.fetch(
            "SELECT coalesce(event, convert_to(payload::text, 'UTF8')) AS event FROM scoring.assessments"
        )
    ]
    versions = [
        AlertVersion.model_validate_json(r["payload"])
        for r in await pool.fetch(
            "SELECT payload::text AS payload FROM notify.alert_versions ORDER BY alert_id, version"
        )
    ]
    alerts = [
        AlertVersion.model_validate_json(r["payload"])
        for r in await pool.fetch("SELECT payload::text AS payload FROM notify.alerts ORDER BY alert_id")
    ]
    return RunData(reports=reports, assessments=assessments, versions=versions, alerts=alerts)


@dataclass(frozen=True)
class Replay:
    data: RunData
    submitted: Submitted
    seconds: float
    model_versions: list[str]


async def replay(
    target: Target,
    reports: Sequence[dict[str, Any]],
    mode: Mode = Mode.BATCH,
    *,
    kill_midway: bool = False,
    timeout: float = 900.0,
    log: Callable[[str], None] = print,
) -> Replay:
    """One replay on a fresh scratch database and topic prefix; returns what it produced."""
    t0 = time.monotonic()
    async with scratch(target) as services:
        pool = await asyncpg.create_pool(target.dsn, min_size=1, max_size=2)
        assert pool is not None
        try:
            await _wait_tables(pool)

            async def crash(procs: Services = services) -> None:
                log("SIGKILL scoring and notify, then start them again")
                for name in ("scoring", "notify"):
                    procs.kill(name)
                for name in ("scoring", "notify"):
                    await procs.restart(name)

            log(f"submitting {len(reports)} reports, mode {mode.value}")
            submitted = await submit(target, mode, reports, crash if kill_midway else None)
            log(
                f"submitted in {time.monotonic() - t0:.1f}s; waiting for notify to decide on every assessment"
            )
            await wait_decided(pool, len(reports), timeout)
            data = await load(pool)
            models = [
                r["model_version"]
                for r in await pool.fetch("SELECT DISTINCT model_version FROM scoring.assessments")
            ]
        finally:
            await pool.close()
    seconds = time.monotonic() - t0
    log(f"replay ({mode.value}) done in {seconds:.1f}s")
    return Replay(data, submitted, seconds, sorted(models))


async def replay_twice(
    target: Target,
    reports: Sequence[dict[str, Any]],
    first: Mode,
    second: Mode,
    *,
    kill_midway: bool = False,
    timeout: float = 900.0,
    log: Callable[[str], None] = print,
) -> tuple[Replay, Replay]:
    """The determinism check: the same file in two modes, each on a fresh scratch database and topic
    prefix (`kill_midway` applies to the second); compare with `measure.differences`."""
    a = await replay(target, reports, first, timeout=timeout, log=log)
    b_target = Target(
        target.bootstrap,
        target.admin_dsn,
        target.database,
        target.prefix.rstrip(".") + "b.",
        target.ports,
        target.log_name,
        target.env,
    )
    b = await replay(b_target, reports, second, kill_midway=kill_midway, timeout=timeout, log=log)
    return a, b
