"""Benchmarks of SPEC §9 against real processes on this machine (`make bench`).

Runs its own intake, scoring, notify and webhook receiver processes (ports 28080-28089, through
`backtest/harness.py`, shared with `make backtest`) on a fresh
database `waspada_bench` and a fresh topic prefix, against the local stack's Kafka and PostgreSQL,
so results do not depend on earlier data. Phases (each about BENCH_SECONDS long):

1. baseline: a bare aiokafka consume-and-produce passthrough of the same messages;
2. throughput: reports produced to `reports.submitted.v1` until all are validated, stored, assessed
   and turned into alert decisions (notify has processed every assessment);
3. http: single-report POSTs with many concurrent connections, accepted reports per second;
4. http p99 at a fixed 500 reports/s (open loop);
5. latency: 200 reports/s over HTTP; receipt-to-webhook-delivery p99 from notify's histogram;
then the services' RSS. The last line printed is one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic_settings import BaseSettings, SettingsConfigDict

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
import http_intake
from reports import synthetic_report

from backtest.harness import Target, create_topics, delete_topics, poll, scratch

PORTS = {"intake": 28080, "scoring": 28081, "notify": 28082, "receiver": 28089}


class BenchSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    bench_seconds: float = 10.0
    waspada_kafka_bootstrap: str = "127.0.0.1:19092"
    waspada_database_url: str = "postgresql://waspada@127.0.0.1:15432/waspada"
    bench_http_concurrency: int = 64


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def produce(bootstrap: str, topic: str, values: list[bytes], keys: list[bytes]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=256 * 1024, acks="all"
    )
    await producer.start()
    t0 = time.monotonic()
    try:
        futures = [await producer.send(topic, v, key=k) for v, k in zip(values, keys, strict=True)]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.monotonic() - t0


async def phase_baseline(s: BenchSettings, prefix: str, values: list[bytes], keys: list[bytes]) -> float:
    """Bare aiokafka consume-and-produce passthrough: the ceiling of any Kafka pipeline here."""
    src, dst = f"{prefix}baseline.in", f"{prefix}baseline.out"
    await create_topics(s.waspada_kafka_bootstrap, [src, dst])
    await produce(s.waspada_kafka_bootstrap, src, values, keys)
    consumer = AIOKafkaConsumer(
        src,
        bootstrap_servers=s.waspada_kafka_bootstrap,
        group_id=f"{prefix}baseline",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=500,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=s.waspada_kafka_bootstrap, linger_ms=5, acks="all", max_batch_size=256 * 1024
    )
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
    assessed = processed = 0
    deadline = t0 + max(120.0, 20 * s.bench_seconds)
    while processed < n:
        assessed = await pool.fetchval("SELECT count(*) FROM scoring.assessments")
        processed = await pool.fetchval("SELECT count(*) FROM notify.processed")
        if time.monotonic() > deadline:
            log(f"throughput phase timed out: assessed {assessed}, notify processed {processed} of {n}")
            break
        await asyncio.sleep(0.1)
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
            " (SELECT count(*) FROM notify.deliveries WHERE status IN ('pending', 'sending')) AS pending"
        )
        assert row is not None
        return bool(row["decided"] >= row["stored"] and row["pending"] == 0)

    if not await poll(idle, timeout, 0.5):
        log("pipeline did not drain before the next phase")


async def scrape_histogram(metric: str, port: int) -> list[tuple[float, float]]:
    """Cumulative (upper bound in s, count) buckets of a histogram from a service's /metrics."""
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    buckets: dict[float, float] = {}
    for line in text.splitlines():
        if line.startswith(f"{metric}_bucket"):
            le = line.split('le="')[1].split('"')[0]
            bound = float("inf") if le == "+Inf" else float(le)
            buckets[bound] = buckets.get(bound, 0.0) + float(line.rsplit(" ", 1)[1])
    return sorted(buckets.items())


def quantile_between(
    before: list[tuple[float, float]], after: list[tuple[float, float]], q: float
) -> tuple[float, float]:
    """q-quantile (ms, as the bucket's upper bound) and count of observations made between two scrapes."""
    earlier = dict(before)
    diff = [(le, count - earlier.get(le, 0.0)) for le, count in after]
    if not diff or diff[-1][1] <= 0:
        return float("nan"), 0.0
    total = diff[-1][1]
    for le, count in diff:
        if count >= q * total:
            return le * 1000, total
    return float("inf"), total


async def main() -> int:
    s = BenchSettings()
    rng = random.Random(20241127)
    target = Target(
        bootstrap=s.waspada_kafka_bootstrap,
        admin_dsn=s.waspada_database_url,
        database="waspada_bench",
        prefix=f"bench{int(time.time())}.",
        ports=PORTS,
        log_name="bench",
    )
    prefix = target.prefix

    n = int(5000 * s.bench_seconds)
    log(f"generating {n} synthetic reports")
    reports = [synthetic_report(rng, f"bench-{i}") for i in range(n)]
    values = [orjson.dumps(r) for r in reports]
    keys = [r["region"]["province"].encode() for r in reports]
    result: dict[str, Any] = {"bench_seconds": s.bench_seconds, "reports": n}

    async with scratch(target, services=False) as services:
        log("phase 1: baseline aiokafka passthrough")
        result["baseline_rps"] = round(await phase_baseline(s, prefix, values, keys), 1)
        log(f"  baseline {result['baseline_rps']:.0f} msg/s")

        await services.start()
        pool = await asyncpg.create_pool(target.dsn, min_size=1, max_size=2)
        assert pool is not None
        log(f"phase 2: {n} reports through reports.submitted.v1 to alert decisions")
        tp = await phase_throughput(s, prefix, pool, values, keys)
        result.update({k: round(v, 2) for k, v in tp.items()})
        log(f"  end to end {result['throughput_rps']:.0f} reports/s")

        await wait_idle(pool)
        http_target = http_intake.Target("127.0.0.1", PORTS["intake"], "demo-admin")
        log("phase 3: HTTP single reports, closed loop")
        single = await http_intake.closed_loop(
            http_target, s.bench_seconds, s.bench_http_concurrency, f"{prefix}s", 0
        )
        result["http_rps"] = single["accepted_per_s"]
        log(f"  {result['http_rps']:.0f} accepted/s")

        await wait_idle(pool)
        log("phase 4: HTTP at 500 reports/s, open loop")
        rate = await http_intake.open_loop(http_target, s.bench_seconds, 500, f"{prefix}r")
        result.update(p50_ms=rate["p50_ms"], p99_ms=rate["p99_ms"], p99_accepted_per_s=rate["accepted_per_s"])
        log(f"  p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms")

        await wait_idle(pool)
        log("phase 5: 200 reports/s, receipt to webhook delivery")
        metric = "waspada_notify_receipt_to_delivery_seconds"
        before = await scrape_histogram(metric, PORTS["notify"])
        await http_intake.open_loop(http_target, s.bench_seconds, 200, f"{prefix}l")
        await asyncio.sleep(2.0)  # let the last deliveries of the phase complete
        q99, count = quantile_between(before, await scrape_histogram(metric, PORTS["notify"]), 0.99)
        result.update(delivery_p99_ms=q99, deliveries=count)
        log(f"  delivery p99 <= {q99} ms (histogram bucket bound) over {count:.0f} deliveries")
        result["rss_mb"] = services.rss_mb()
        log(f"  RSS MB: {result['rss_mb']}")
        await pool.close()
    result["targets_met"] = {
        "throughput>=5000": result.get("throughput_rps", 0) >= 5000,
        "throughput>=baseline/2": result.get("throughput_rps", 0) >= result["baseline_rps"] / 2,
        "http>=2000": result.get("http_rps", 0) >= 2000,
        "p99<=50ms@500/s": result.get("p99_ms", 1e9) <= 50,
        "delivery_p99<=500ms@200/s": result.get("delivery_p99_ms", 1e9) <= 500,
        "rss<200MB": all(v < 200 for v in result.get("rss_mb", {}).values()),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
