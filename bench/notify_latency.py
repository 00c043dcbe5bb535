"""Notify on its own: how many assessments and alert versions per second it sustains, and how fast
a changed alert reaches a webhook.

Starts a notify process and the demo webhook receiver (ports 37282/37289) on a fresh schema of the local
PostgreSQL and a fresh topic prefix on the local Kafka, and feeds `risk.assessed.v1` directly (no intake,
no scoring), so the numbers are notify's share of the pipeline. Phases:

1. mostly-normal throughput: N assessments over all 514 regencies x 10 categories, produced at once;
   150 groups are at waspada/siaga/awas and 5 % of the reports fall in them (a group's level is
   sticky, as scoring keeps it), the rest are normal; assessments/s until notify consumed them all;
2. alert-heavy throughput: every assessment changes its group's level (cycling waspada, siaga, awas),
   so every one makes new alert versions for 1-3 audiences plus roll-ups; versions/s and deliveries/s;
3. latency at a fixed rate (open loop, default 200 assessments/s, 10 % of them escalations): from the
   assessment's `received_at` (set when it is produced) to the successful webhook delivery
   (`deliveries.delivered_at`), p50/p99, exact (from the delivery log, not histogram buckets).

    .venv/bin/python bench/notify_latency.py [--seconds 10] [--rate 200] [--n 50000]

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from waspada_shared.kafka import env_security
from waspada_shared.regions import reference
from waspada_shared.topics import ALL_TOPICS

ROOT = Path(__file__).resolve().parents[1]
NOTIFY_PORT, RECEIVER_PORT = 37282, 37289
CATEGORIES = ["election", "identity", "land_resource", "governance", "economic_labor", "communal_clash",
              "vigilantism", "disaster_related", "separatism", "other"]  # fmt: skip
SCORES = {"normal": 10.0, "waspada": 35.0, "siaga": 60.0, "awas": 85.0}


def log(msg: str) -> None:
    print(f"[notify-bench] {msg}", flush=True)


def assessment(
    report_id: str, regency: str, category: str, level: str, occurred: datetime, received: datetime
) -> bytes:
    score = SCORES[level]
    return orjson.dumps(
        {
            "report_id": report_id,
            "region": {"province": regency[:2], "regency": regency},
            "category": category,
            "kind": "incident",
            "form": "clash",
            "occurred_at": occurred.isoformat(),
            "received_at": received.isoformat(),
            "score": score,
            "level": level,
            "factors": [{"name": "severity", "value": 0.5, "contribution": score, "detail": ""}],
            "reasons": "bench",
            "summary": "Laporan sintetis untuk benchmark.",
            "region_state": {"count_24h": 1, "count_7d": 1, "baseline_daily": 0.1},
            "model_version": "bench",
            "assessed_at": datetime.now(UTC).isoformat(),
        }
    )


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        tag = uuid.uuid4().hex[:8]
        self.schema = f"notify_bench_{tag}"
        self.prefix = f"nbench-{tag}."
        self.topic = self.prefix + "risk.assessed.v1"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.regencies = sorted(reference().regencies)
        self.seq = itertools.count()

    def env(self, port: int) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            WASPADA_PROFILE="local",
            WASPADA_KAFKA_BOOTSTRAP=self.args.bootstrap,
            WASPADA_DATABASE_URL=self.args.dsn,
            WASPADA_DB_SCHEMA=self.schema,
            WASPADA_TOPIC_PREFIX=self.prefix,
            WASPADA_CONSUMER_GROUP=f"{self.prefix}notify",
            WASPADA_HTTP_PORT=str(port),
            WASPADA_RECEIVER_PORT=str(RECEIVER_PORT),
            WASPADA_DEMO_WEBHOOK_URL=f"http://127.0.0.1:{RECEIVER_PORT}/hook",
            WASPADA_LOG_LEVEL="WARNING",
        )
        return env

    def spawn(self) -> None:
        logs = ROOT / ".local" / "log"
        logs.mkdir(parents=True, exist_ok=True)
        for module, port in (
            ("waspada_notify.demo_receiver", RECEIVER_PORT),
            ("waspada_notify", NOTIFY_PORT),
        ):
            with open(logs / f"notify-bench-{port}.log", "ab") as out:  # the child keeps its own descriptor
                self.procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", module],
                        env=self.env(port),
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )

    async def start(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.args.bootstrap, **env_security())
        await admin.start()
        await admin.create_topics([NewTopic(self.prefix + t, 4, 1) for t in ALL_TOPICS])
        await admin.close()
        self.spawn()
        async with httpx.AsyncClient(timeout=2.0) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if (await http.get(f"http://127.0.0.1:{NOTIFY_PORT}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("notify did not get ready; see .local/log/notify-bench-*.log")
                await asyncio.sleep(0.2)
        self.pool = await asyncpg.create_pool(
            self.args.dsn, min_size=1, max_size=2, server_settings={"search_path": self.schema}
        )
        self.producer = AIOKafkaProducer(
            bootstrap_servers=self.args.bootstrap, linger_ms=5, max_batch_size=256 * 1024, **env_security()
        )
        await self.producer.start()

    async def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        await self.producer.stop()
        await self.pool.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        await self.pool.close()
        admin = AIOKafkaAdminClient(bootstrap_servers=self.args.bootstrap, **env_security())
        await admin.start()
        await admin.delete_topics([self.prefix + t for t in ALL_TOPICS])
        await admin.close()

    def msg(self, regency: str, category: str, level: str, occurred: datetime) -> tuple[bytes, bytes]:
        return assessment(
            f"b{next(self.seq)}", regency, category, level, occurred, datetime.now(UTC)
        ), regency.encode()

    async def produce(self, messages: list[tuple[bytes, bytes]]) -> None:
        futures = [await self.producer.send(self.topic, value, key=key) for value, key in messages]
        await asyncio.gather(*futures)

    async def drained(self, target: int, limit_s: float) -> float:
        start = time.monotonic()
        while (await self.pool.fetchval("SELECT count(*) FROM processed")) < target:
            if time.monotonic() - start > limit_s:
                raise RuntimeError("notify did not consume everything in time")
            await asyncio.sleep(0.05)
        return time.monotonic()

    async def deliveries_drained(self, limit_s: float) -> dict[str, float]:
        """Wait until no delivery is due (de-escalations wait group_interval by design, 5 min)."""
        start = time.monotonic()
        first = await self.pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'delivered'")
        while await self.pool.fetchval(
            "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending') AND next_attempt <= now()"
        ):
            if time.monotonic() - start > limit_s:
                break
            await asyncio.sleep(0.1)
        took = time.monotonic() - start
        done = await self.pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'delivered'") - first
        return {"drain_s": round(took, 2), "delivered_while_draining": done}

    async def throughput(self, n: int, heavy: bool) -> dict[str, float]:
        rng = random.Random(7 if heavy else 3)
        base = await self.pool.fetchval("SELECT count(*) FROM processed")
        versions0 = await self.pool.fetchval("SELECT count(*) FROM alert_versions")
        now = datetime.now(UTC) - timedelta(hours=1)
        messages = []
        cycle = ["waspada", "siaga", "awas", "siaga"]
        # Mostly-normal: scoring's level is the group's current level, so it is sticky: 3 % of the
        # groups are at waspada or above and every report in them carries that level (95 % normal).
        hot = {
            (r, c): rng.choice(["waspada", "waspada", "siaga", "awas"])
            for r, c in rng.sample([(r, c) for r in self.regencies for c in CATEGORIES], 150)
        }
        hot_list = sorted(hot)
        for i in range(n):
            if heavy:
                regency, category = rng.choice(self.regencies), rng.choice(CATEGORIES)
                level = cycle[i % 4]
            elif rng.random() < 0.05:
                (regency, category) = rng.choice(hot_list)
                level = hot[(regency, category)]
            else:
                regency, category = rng.choice(self.regencies), rng.choice(CATEGORIES)
                level = "normal" if (regency, category) not in hot else hot[(regency, category)]
            messages.append(self.msg(regency, category, level, now + timedelta(milliseconds=i)))
        t0 = time.monotonic()
        await self.produce(messages)
        t1 = await self.drained(base + n, limit_s=600)
        versions = await self.pool.fetchval("SELECT count(*) FROM alert_versions") - versions0
        delivered0 = await self.pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'delivered'")
        drained = await self.deliveries_drained(600)
        delivered = (
            await self.pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'delivered'")
            - delivered0
        )
        t2 = time.monotonic()
        return {
            **drained,
            "deliveries_after_consumed": delivered,
            "all_delivered_s": round(t2 - t0, 2),
            "assessments_per_s": round(n / (t1 - t0), 1),
            "alert_versions": versions,
            "alert_versions_per_s": round(versions / (t1 - t0), 1),
            "seconds": round(t1 - t0, 2),
        }

    async def latency(self, rate: float, seconds: float) -> dict[str, float]:
        rng = random.Random(11)
        started = datetime.now(UTC)
        base = await self.pool.fetchval("SELECT count(*) FROM processed")
        interval, sent = 1.0 / rate, 0
        t0 = time.monotonic()
        fresh = iter(itertools.product(self.regencies, ["identity", "separatism"]))
        while time.monotonic() - t0 < seconds:
            due = int((time.monotonic() - t0) / interval) + 1
            batch = []
            for _ in range(due - sent):
                if rng.random() < 0.1:  # an escalation: a new group going straight to siaga
                    regency, category = next(fresh)
                    batch.append(self.msg(regency, category, "siaga", datetime.now(UTC)))
                else:
                    batch.append(self.msg(rng.choice(self.regencies), "other", "normal", datetime.now(UTC)))
            sent = due
            if batch:
                await self.produce(batch)
            await asyncio.sleep(interval / 2)
        await self.drained(base + sent, limit_s=60)
        await asyncio.sleep(1.0)  # the last deliveries
        row = await self.pool.fetchrow(
            """
            SELECT count(*) AS n,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - received_at)) AS p50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - received_at)) AS p99,
                   max(extract(epoch FROM delivered_at - received_at)) AS max
            FROM deliveries WHERE channel = 'webhook' AND status = 'delivered' AND created_at >= $1
            """,
            started,
        )
        # Where the time goes: Kafka and batching until a batch starts (the version's time is the
        # batch's `now`), then processing, commit and claim, then the POST itself.
        parts = await self.pool.fetchrow(
            """
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM v.created_at - d.received_at)) AS q50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM v.created_at - d.received_at)) AS q99,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.attempted_at - v.created_at)) AS c50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM a.attempted_at - v.created_at)) AS c99,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.delivered_at - a.attempted_at)) AS s50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM d.delivered_at - a.attempted_at)) AS s99
            FROM deliveries d
            JOIN alert_versions v USING (alert_id, version)
            JOIN delivery_attempts a ON a.alert_id = d.alert_id AND a.version = d.version
                 AND a.receiver = d.receiver AND a.target = d.target AND a.outcome = 'delivered'
            WHERE d.channel = 'webhook' AND d.status = 'delivered' AND d.created_at >= $1
            """,
            started,
        )

        def ms(value: object) -> float:
            return round(float(value) * 1000, 1) if value is not None else float("nan")  # type: ignore[arg-type]

        assert row is not None and parts is not None  # aggregates always return a row
        return {
            "rate": rate,
            "assessments": sent,
            "webhook_deliveries": row["n"],
            "p50_ms": ms(row["p50"]),
            "p99_ms": ms(row["p99"]),
            "max_ms": ms(row["max"]),
            "to_batch_start_p50_ms": ms(parts["q50"]),
            "to_batch_start_p99_ms": ms(parts["q99"]),
            "batch_start_to_claim_p50_ms": ms(parts["c50"]),
            "batch_start_to_claim_p99_ms": ms(parts["c99"]),
            "post_p50_ms": ms(parts["s50"]),
            "post_p99_ms": ms(parts["s99"]),
        }

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.procs[1].pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        return float("nan")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "10")))
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--n", type=int, default=50_000, help="assessments in the mostly-normal phase")
    parser.add_argument("--heavy-n", type=int, default=10_000, help="assessments in the alert-heavy phase")
    parser.add_argument("--bootstrap", default=os.environ.get("WASPADA_KAFKA_BOOTSTRAP", "127.0.0.1:19092"))
    parser.add_argument(
        "--dsn",
        default=os.environ.get("WASPADA_DATABASE_URL", "postgresql://waspada@127.0.0.1:15432/waspada"),
    )
    args = parser.parse_args()
    bench = Bench(args)
    await bench.start()
    try:
        log(f"mostly-normal throughput, {args.n} assessments")
        normal = await bench.throughput(args.n, heavy=False)
        log(str(normal))
        log(f"latency at {args.rate}/s for {args.seconds}s")
        latency = await bench.latency(args.rate, args.seconds)
        log(str(latency))
        log(f"alert-heavy throughput, {args.heavy_n} assessments")
        heavy = await bench.throughput(args.heavy_n, heavy=True)
        log(str(heavy))
        pending = await bench.pool.fetchval(
            "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending') AND next_attempt <= now()"
        )
        result = {
            "normal": normal,
            "heavy": heavy,
            "latency": latency,
            "deliveries_due_after": pending,
            "notify_rss_mb": bench.rss_mb(),
        }
    finally:
        await bench.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
