"""How many assessments per second one scoring process sustains (batches of 500, real Kafka + PostgreSQL).

    .venv/bin/python bench/scoring_throughput.py [--reports 30000] [--batch 500]

Produces N synthetic accepted reports (every regency and category, so the state table fills up to
its real size) to a fresh topic prefix, then starts one scoring process (`python -m waspada_scoring`)
on a fresh database and times it from its first stored assessment until all N are stored and
published. Prints the rate and the process's own batch timings; cleans up its topics and database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from waspada_shared.kafka import env_security

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reports import synthetic_report

from waspada_shared.topics import REPORTS_ACCEPTED, RISK_ASSESSED

ROOT = Path(__file__).resolve().parents[1]
PORT = 28181
PARTITIONS = 4


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (from /proc, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    print(f"[scoring-bench] {msg}", flush=True)


def accepted(rng: random.Random, i: int, tag: str) -> tuple[bytes, bytes]:
    r = synthetic_report(rng, f"sb-{tag}-{i}")
    r.update(received_at=datetime.now(UTC).isoformat(), submitted_by=r["region"]["province"])
    return r["region"]["regency"].encode(), orjson.dumps(r)


async def produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=512 * 1024, acks="all", **env_security()
    )
    await producer.start()
    t0 = time.monotonic()
    try:
        futures = [await producer.send(topic, v, key=k) for k, v in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.monotonic() - t0


async def scrape(port: int) -> dict[str, float]:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("waspada_scoring_batch_seconds_") and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


async def run(args: argparse.Namespace) -> dict[str, float]:
    tag = uuid.uuid4().hex[:8]
    prefix = f"bench-scoring-{tag}."
    db = f"bench_scoring_{tag}"
    admin_dsn = args.database_url
    dsn = admin_dsn.rsplit("/", 1)[0] + f"/{db}"
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'CREATE DATABASE "{db}"')
    await conn.close()
    topics = [prefix + REPORTS_ACCEPTED, prefix + RISK_ASSESSED]
    admin = AIOKafkaAdminClient(bootstrap_servers=args.bootstrap, **env_security())
    await admin.start()
    await admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in topics])
    proc: subprocess.Popen[bytes] | None = None
    try:
        rng = random.Random(7)
        records = [accepted(rng, i, tag) for i in range(args.reports)]
        produce_s = await produce(args.bootstrap, prefix + REPORTS_ACCEPTED, records)
        log(f"produced {args.reports} accepted reports in {produce_s:.1f} s")
        env = dict(
            os.environ,
            WASPADA_TOPIC_PREFIX=prefix,
            WASPADA_DATABASE_URL=dsn,
            WASPADA_KAFKA_BOOTSTRAP=args.bootstrap,
            WASPADA_HTTP_PORT=str(PORT),
            WASPADA_CONSUMER_BATCH=str(args.batch),
            WASPADA_LOG_LEVEL="WARNING",
        )
        logfile = ROOT / ".local" / "log" / "bench-scoring-throughput.log"
        logfile.parent.mkdir(parents=True, exist_ok=True)
        with open(logfile, "ab") as out:  # noqa: ASYNC230
            command = [sys.executable, "-m", "waspada_scoring"]
            if args.profile:  # cProfile of the whole process, written when it stops
                command[1:1] = ["-m", "cProfile", "-o", args.profile]
            proc = subprocess.Popen(command, env=env, stdout=out, stderr=out)  # noqa: ASYNC220

        pool = None
        deadline = time.monotonic() + 60
        while pool is None:
            try:
                pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
                await pool.fetchval("SELECT 1 FROM scoring.assessments LIMIT 1")
            except (asyncpg.PostgresError, OSError):
                if pool is not None:
                    await pool.close()
                pool = None
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"scoring did not start; see {logfile}") from None
                await asyncio.sleep(0.2)
        first: float | None = None
        at_first = count = 0
        cpu_first = 0.0
        deadline = time.monotonic() + args.timeout
        while count < args.reports:
            count = int(await pool.fetchval("SELECT count(*) FROM scoring.assessments"))
            now = time.monotonic()
            if count and first is None:
                first, at_first, cpu_first = now, count, _cpu_seconds(proc.pid)
            if now > deadline:
                raise RuntimeError(f"only {count} of {args.reports} assessed after {args.timeout} s")
            await asyncio.sleep(0.05)
        last = time.monotonic()
        cpu = _cpu_seconds(proc.pid) - cpu_first
        cells = int(await pool.fetchval("SELECT count(*) FROM scoring.cells"))
        await pool.close()
        batch = await scrape(PORT)
        assert first is not None
        # Rate over what was assessed after the first poll that saw rows (startup excluded).
        seconds = last - first
        batches = max(1.0, batch.get("waspada_scoring_batch_seconds_count", 1.0))
        rss = 0.0
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():  # noqa: ASYNC240
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
        return {
            "reports": float(args.reports),
            "seconds": round(seconds, 2),
            "assessments_per_s": round((args.reports - at_first) / seconds, 1),
            # CPU of the scoring process alone: what it would sustain on a core of its own
            "cpu_us_per_assessment": round(1e6 * cpu / (args.reports - at_first), 1),
            "assessments_per_cpu_s": round((args.reports - at_first) / cpu, 1),
            "batches": batches,
            "mean_batch_ms": round(1000 * batch.get("waspada_scoring_batch_seconds_sum", 0.0) / batches, 1),
            "region_states": float(cells),
            "rss_mb": round(rss, 1),
        }
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        try:
            await admin.delete_topics(topics)
        finally:
            await admin.close()
        conn = await asyncpg.connect(admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await conn.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reports", type=int, default=30000)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--profile", help="write a cProfile of the scoring process to this file")
    p.add_argument("--bootstrap", default=os.environ.get("WASPADA_KAFKA_BOOTSTRAP", "127.0.0.1:19092"))
    p.add_argument(
        "--database-url",
        default=os.environ.get("WASPADA_DATABASE_URL", "postgresql://waspada@127.0.0.1:15432/waspada"),
    )
    result = asyncio.run(run(p.parse_args()))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
