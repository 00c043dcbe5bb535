"""Benchmarks of SPEC §9 against real processes on this machine (`make bench`).

Runs its own intake, scoring, notify and webhook receiver processes (ports 28080-28089, through
`backtest/harness.py`, shared with `make backtest`) on a fresh
database `waspada_bench` and a fresh topic prefix, against the local stack's Kafka and PostgreSQL,
so results do not depend on earlier data. Phases (each about BENCH_SECONDS long):

1. baseline: a bare aiokafka consume-and-produce passthrough of the same messages;
2. throughput: reports produced to `reports.submitted.v1` until all are validated, stored, assessed
   and turned into alert decisions (notify has processed every assessment);
3. latency: 200 reports/s over HTTP, in the realistic mix (about 2 % of reports escalate) and in an alert
   storm (about 20 %); acceptance-to-webhook percentiles from the receiver's arrival timestamps;
4. http: single-report POSTs with many concurrent connections, accepted reports per second;
5. http p99 at a fixed 500 reports/s (open loop);
then the services' RSS. The throughput phase also reports the CPU time per report of every process
(the services, Kafka, PostgreSQL, from /proc). With BENCH_SCALE=1,2,4 the throughput phase is run again
with that many processes per service (scale-out curve). The last line printed is one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pydantic_settings import BaseSettings, SettingsConfigDict

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
import http_intake
from cpu import CpuMeter, local_stack_pids
from reports import FEED_PER_DAY, feed

from backtest.harness import ROOT, Target, create_topics, delete_topics, poll, scratch
from waspada_shared.kafka import env_security

# notify as one deciding process and its delivery worker in another (WASPADA_ROLE): the layout under load.
PORTS = {"intake": 28080, "scoring": 28081, "notify": 28082, "delivery": 28084, "receiver": 28089}
RUN_DIR = ROOT / ".local" / "run"
NOTIFY_GROUP = "waspada-notify"  # notify's consumer group of risk.assessed.v1, behind the run's prefix


class BenchSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    bench_seconds: float = 10.0
    waspada_kafka_bootstrap: str = "127.0.0.1:19092"
    waspada_database_url: str = "postgresql://waspada@127.0.0.1:15432/waspada"
    bench_http_concurrency: int = 64
    bench_scale: str = ""  # e.g. "1,2,4": also run the throughput phase with that many processes per service
    bench_scale_reports: int = 30000  # reports per scale-out run


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def produce(bootstrap: str, topic: str, values: list[bytes], keys: list[bytes]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=256 * 1024, acks="all", **env_security()
    )
    await producer.start()
    t0 = time.monotonic()
    try:
        futures = [await producer.send(topic, v, key=k) for v, k in zip(values, keys, strict=True)]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.monotonic() - t0


def passthrough_clients(bootstrap: str, src: str, group: str) -> tuple[AIOKafkaConsumer, AIOKafkaProducer]:
    """The consumer and producer of a bare passthrough hop (the baseline, and `make bench-ceiling`'s hops):
    batches of up to 500 records, committed by hand, produced with `acks=all`."""
    consumer = AIOKafkaConsumer(
        src,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=500,
        **env_security(),
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=5, acks="all", max_batch_size=256 * 1024, **env_security()
    )
    return consumer, producer


async def committed(admin: AIOKafkaAdminClient, group: str, topic: str) -> int:
    """Records of `topic` the consumer group `group` has committed, over all partitions."""
    offsets = await admin.list_consumer_group_offsets(group)
    return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset > 0)


async def phase_baseline(s: BenchSettings, prefix: str, values: list[bytes], keys: list[bytes]) -> float:
    """Bare aiokafka consume-and-produce passthrough: the ceiling of any Kafka pipeline here."""
    src, dst = f"{prefix}baseline.in", f"{prefix}baseline.out"
    await create_topics(s.waspada_kafka_bootstrap, [src, dst])
    await produce(s.waspada_kafka_bootstrap, src, values, keys)
    consumer, producer = passthrough_clients(s.waspada_kafka_bootstrap, src, f"{prefix}baseline")
    await consumer.start()
    await producer.start()
    n, t0 = 0, None
    try:
        while n < len(values):
            batch = await consumer.getmany(timeout_ms=1000, max_records=500)
            if t0 is None and batch:
                t0 = time.monotonic()
            futures = [await producer.send(dst, r.value, key=r.key) for recs in batch.values() for r in recs]
            await asyncio.gather(*futures)
            await consumer.commit()
            n += len(futures)
        assert t0 is not None
        return n / (time.monotonic() - t0)
    finally:
        await consumer.stop()
        await producer.stop()
        await delete_topics(s.waspada_kafka_bootstrap, [src, dst])


async def phase_throughput(
    s: BenchSettings, prefix: str, pool: asyncpg.Pool, values: list[bytes], keys: list[bytes]
) -> dict[str, float]:
    n = len(values)
    t0 = time.monotonic()
    produce_s = await produce(s.waspada_kafka_bootstrap, f"{prefix}reports.submitted.v1", values, keys)
    # Progress from notify's committed offsets (it commits after each batch's transaction), not from
    # counting rows: a count(*) every 100 ms would itself cost the database more than some stages.
    admin = AIOKafkaAdminClient(bootstrap_servers=s.waspada_kafka_bootstrap, **env_security())
    await admin.start()
    processed = 0
    deadline = t0 + max(120.0, 20 * s.bench_seconds)
    try:
        while processed < n:
            # the harness gives the scratch notify the group `<prefix>waspada-notify` (backtest/harness.py)
            processed = await committed(admin, f"{prefix}{NOTIFY_GROUP}", f"{prefix}risk.assessed.v1")
            if time.monotonic() > deadline:
                log(f"throughput phase timed out: notify processed {processed} of {n}")
                break
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
    elapsed = time.monotonic() - t0
    return {
        "throughput_rps": processed / elapsed,
        "throughput_produce_s": produce_s,
        "throughput_elapsed_s": elapsed,
    }


async def wait_idle(pool: asyncpg.Pool, timeout: float = 300.0) -> None:
    """Wait until every stored report is assessed and decided and no delivery is pending, so that one
    phase's backlog does not eat the next phase's CPU."""

    async def idle() -> bool:
        row = await pool.fetchrow(
            "SELECT (SELECT count(*) FROM intake.reports) AS stored,"
            " (SELECT count(*) FROM notify.processed) AS decided,"
            " (SELECT count(*) FROM notify.deliveries WHERE status IN ('pending', 'sending')"
            "  AND next_attempt <= now()) AS pending"
        )
        assert row is not None
        return bool(row["decided"] >= row["stored"] and row["pending"] == 0)

    if not await poll(idle, timeout, 0.5):
        log("pipeline did not drain before the next phase")


async def delivery_latencies(pool: asyncpg.Pool, receiver_url: str, since: datetime) -> list[float]:
    """Acceptance-to-arrival times (ms) of the webhooks the receiver got since `since`: its own arrival
    timestamps against intake's acceptance time of the report behind each alert version (kept with
    the delivery). Real percentiles, not histogram buckets."""
    async with httpx.AsyncClient(timeout=30.0) as http:
        got = (await http.get(f"{receiver_url}/received")).json()
    arrivals: dict[tuple[str, int], datetime] = {}
    for entry in got:
        at = datetime.fromisoformat(entry["received_at"]) if entry.get("received_at") else None
        if at is not None and at >= since and not entry["duplicate"]:
            arrivals[(entry["alert"]["alert_id"], int(entry["alert"]["version"]))] = at
    # Only versions caused by this phase's reports: a roll-up or resolution of an earlier phase's
    # reports that arrives meanwhile is not this phase's latency.
    rows = await pool.fetch(
        "SELECT alert_id, version, min(received_at) AS accepted FROM notify.deliveries"
        " WHERE channel = 'webhook' AND status = 'delivered' AND alert_id = ANY($1::text[])"
        " GROUP BY alert_id, version HAVING min(received_at) >= $2",
        sorted({a for a, _ in arrivals}),
        since,
    )
    out = []
    for r in rows:
        at = arrivals.get((r["alert_id"], r["version"]))
        if at is not None and r["accepted"] is not None:
            out.append((at - r["accepted"]).total_seconds() * 1000)
    return out


async def phase_latency(
    target: Target, pool: asyncpg.Pool, seconds: float, mix: str, tag: str
) -> dict[str, float]:
    """200 reports/s over HTTP in the given mix; acceptance-to-webhook latency at the receiver."""
    since = datetime.now(UTC)
    http_target = http_intake.Target("127.0.0.1", PORTS["intake"], "demo-admin")
    await http_intake.open_loop(http_target, seconds, 200, tag, mix)
    await wait_idle(pool)  # every delivery of the phase made
    lat = await delivery_latencies(pool, target.url("receiver"), since)
    return {
        f"delivery_p50_ms_{mix}": round(percentile(lat, 0.50), 1),
        f"delivery_p99_ms_{mix}": round(percentile(lat, 0.99), 1),
        f"delivery_max_ms_{mix}": round(max(lat), 1) if lat else float("nan"),
        f"deliveries_{mix}": len(lat),
    }


def cpu_figures(seconds: dict[str, float], reports: int) -> dict[str, Any]:
    """CPU µs per report by process; the total counts the stack (services, Kafka, PostgreSQL), not the
    demo webhook receiver, which stands in for the agencies' own systems."""
    per = {name: round(v * 1e6 / reports, 1) for name, v in seconds.items()}
    stack = sum(v for name, v in per.items() if name != "receiver")
    return {"cpu_us_per_report": round(stack, 1), "cpu_us_per_report_by_process": per}


async def throughput_run(
    s: BenchSettings, values: list[bytes], keys: list[bytes], replicas: int, database: str
) -> tuple[dict[str, float], dict[str, Any]]:
    """The throughput phase alone on a fresh pipeline with `replicas` processes per service."""
    target = bench_target(s, database, replicas)
    async with scratch(target) as services:
        pool = await asyncpg.create_pool(target.dsn, min_size=1, max_size=2)
        assert pool is not None
        try:
            meter = CpuMeter({**services.pids(), **local_stack_pids(RUN_DIR)})
            tp = await phase_throughput(s, target.prefix, pool, values, keys)
            return tp, cpu_figures(meter.since(), len(values))
        finally:
            await pool.close()


def bench_target(s: BenchSettings, database: str, replicas: int = 1) -> Target:
    return Target(
        bootstrap=s.waspada_kafka_bootstrap,
        admin_dsn=s.waspada_database_url,
        database=database,
        prefix=f"bench{int(time.time())}r{replicas}.",
        ports=PORTS,
        log_name="bench",
        replicas=replicas,
        # The throughput phase replays weeks of a feed in a minute, as a backtest does: alerts resolve
        # by event time only, not also five minutes of wall clock after their last notice.
        env={"WASPADA_RESOLVE_GUARD": "false"},
    )


def corpus(n: int, seed: int, tag: str) -> tuple[list[bytes], list[bytes]]:
    reports = feed(random.Random(seed), n, tag)
    return [orjson.dumps(r) for r in reports], [r["region"]["province"].encode() for r in reports]


async def main() -> int:
    s = BenchSettings()
    target = bench_target(s, "waspada_bench")
    prefix = target.prefix

    n = int(5000 * s.bench_seconds)
    log(f"generating {n} synthetic reports: a realistic feed of {n / FEED_PER_DAY:.0f} days of event time")
    values, keys = corpus(n, 20241127, "bench")
    result: dict[str, Any] = {"bench_seconds": s.bench_seconds, "reports": n}

    async with scratch(target, services=False) as services:
        log("phase 1: baseline aiokafka passthrough")
        result["baseline_rps"] = round(await phase_baseline(s, prefix, values, keys), 1)
        log(f"  baseline {result['baseline_rps']:.0f} msg/s")

        await services.start()
        pool = await asyncpg.create_pool(target.dsn, min_size=1, max_size=2)
        assert pool is not None
        log(f"phase 2: {n} reports through reports.submitted.v1 to alert decisions")
        meter = CpuMeter({**services.pids(), **local_stack_pids(RUN_DIR)})
        tp = await phase_throughput(s, prefix, pool, values, keys)
        result.update({k: round(v, 2) for k, v in tp.items()})
        result.update(cpu_figures(meter.since(), n))
        result["throughput_ratio"] = round(result["throughput_rps"] / result["baseline_rps"], 3)
        log(
            f"  end to end {result['throughput_rps']:.0f} reports/s ({result['throughput_ratio']:.3f} x baseline),"
            f" CPU {result['cpu_us_per_report']} us/report: {result['cpu_us_per_report_by_process']}"
        )

        for mix in ("normal", "storm"):
            await wait_idle(pool)
            log(f"phase 3 ({mix}): 200 reports/s, acceptance to webhook arrival at the receiver")
            got = await phase_latency(
                target, pool, s.bench_seconds, "realistic" if mix == "normal" else "storm", f"{prefix}l{mix}"
            )
            got = {k.replace("_realistic", "_normal"): v for k, v in got.items()}
            result.update(got)
            log(
                f"  p50 {got[f'delivery_p50_ms_{mix}']} ms, p99 {got[f'delivery_p99_ms_{mix}']} ms"
                f" over {got[f'deliveries_{mix}']} deliveries"
            )
        # The latency phases come first: the HTTP phases push some 40,000 reports of the last ten hours
        # through the pipeline, an alert storm whose aftermath is not the latency at 200 reports/s.
        await wait_idle(pool)
        http_target = http_intake.Target("127.0.0.1", PORTS["intake"], "demo-admin")
        log("phase 4: HTTP single reports, closed loop")
        single = await http_intake.closed_loop(
            http_target, s.bench_seconds, s.bench_http_concurrency, f"{prefix}s", 0
        )
        result["http_rps"] = single["accepted_per_s"]
        log(f"  {result['http_rps']:.0f} accepted/s")

        await wait_idle(pool)
        log("phase 5: HTTP at 500 reports/s, open loop")
        rate = await http_intake.open_loop(http_target, s.bench_seconds, 500, f"{prefix}r")
        result.update(p50_ms=rate["p50_ms"], p99_ms=rate["p99_ms"], p99_accepted_per_s=rate["accepted_per_s"])
        log(f"  p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms")

        result["rss_mb"] = services.rss_mb()
        log(f"  RSS MB: {result['rss_mb']}")
        await pool.close()

    if s.bench_scale:
        m = s.bench_scale_reports
        log(f"scale-out: the throughput phase with {s.bench_scale} processes per service, {m} reports each")
        scale_values, scale_keys = corpus(m, 7, "scale")
        curve: dict[str, Any] = {}
        for replicas in (int(x) for x in s.bench_scale.split(",")):
            tp, cpu = await throughput_run(s, scale_values, scale_keys, replicas, "waspada_bench_scale")
            curve[str(replicas)] = {"throughput_rps": round(tp["throughput_rps"], 1), **cpu}
            log(
                f"  {replicas} per service: {tp['throughput_rps']:.0f} reports/s, {cpu['cpu_us_per_report']} us/report"
            )
        result["scale_out"] = curve

    result["targets_met"] = {
        "throughput>=5000": result.get("throughput_rps", 0) >= 5000,
        "throughput>=baseline/4": result.get("throughput_ratio", 0) >= 0.25,
        "cpu<=300us/report": result.get("cpu_us_per_report", 1e9) <= 300,
        "http>=2000": result.get("http_rps", 0) >= 2000,
        "p99<=50ms@500/s": result.get("p99_ms", 1e9) <= 50,
        "delivery_p99<=500ms@200/s normal": result.get("delivery_p99_ms_normal", 1e9) <= 500,
        "delivery_p99<=2s@200/s storm": result.get("delivery_p99_ms_storm", 1e9) <= 2000,
        "rss<200MB": all(v < 200 for k, v in result.get("rss_mb", {}).items() if k != "receiver"),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
