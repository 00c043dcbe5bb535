"""HTTP load generator for intake (SPEC §9: >= 2,000 accepted single reports/s; p99 <= 50 ms at 500/s).

Targets an intake that is already running (the local stack's, or your own):

    .venv/bin/python bench/http_intake.py                       # all phases against :8080, 10 s each
    .venv/bin/python bench/http_intake.py --url http://127.0.0.1:18180 --seconds 5 --phases single,rate

Phases:
- `single`: closed loop, `--concurrency` keep-alive connections each POSTing one report at a time;
  accepted (202) reports per second.
- `batch`: closed loop of `POST /v1/reports/batch` with `--batch-size` reports each; accepted reports/s.
- `rate`: open loop at `--rate` single reports/s (sends on schedule whatever the answers; latency is
  measured from the scheduled send time, so queueing is not hidden); p50/p90/p99/max in ms.

The client is a minimal HTTP/1.1 keep-alive client on asyncio streams (uvloop when available): a general
client such as httpx costs more CPU per request than the server under test, on the same 2 cores. Report
bodies are generated before each phase. The last line printed is one JSON object with the results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reports


def synthetic_report(rng: random.Random, report_id: str, mix: str = "realistic") -> dict[str, Any]:
    """A valid, varied v1 report in a random regency, with a (confidential) reporter to encrypt."""
    return reports.synthetic_report(rng, report_id, mix=mix, reporter=True)


class Connection:
    """One keep-alive HTTP/1.1 connection: write a request, read status and body (Content-Length)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        body = await self.reader.readexactly(length) if length else b""
        if close:
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def post(host: str, path: str, key: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


@dataclass
class Target:
    host: str
    port: int
    key: str

    @classmethod
    def parse(cls, url: str, key: str) -> Target:
        parts = urlsplit(url)
        return cls(parts.hostname or "127.0.0.1", parts.port or 80, key)


@dataclass
class Tally:
    accepted: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)

    def add(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def closed_loop(
    target: Target, seconds: float, concurrency: int, tag: str, batch_size: int, mix: str = "realistic"
) -> dict[str, Any]:
    """`concurrency` connections, each sending its next request when the previous one is answered."""
    rng = random.Random(tag)
    path = "/v1/reports/batch" if batch_size else "/v1/reports"
    # Enough bodies for a generous rate; generated up front so the client spends its time sending.
    per_request = batch_size or 1
    count = int(seconds * (6000 if not batch_size else 12000) / per_request) + concurrency
    requests: list[bytes] = []
    for i in range(count):
        if batch_size:
            items = [synthetic_report(rng, f"{tag}-{i}-{j}", mix) for j in range(batch_size)]
            requests.append(post(target.host, path, target.key, orjson.dumps(items)))
        else:
            requests.append(
                post(target.host, path, target.key, orjson.dumps(synthetic_report(rng, f"{tag}-{i}", mix)))
            )
    tally = Tally()
    next_index = 0
    stop_at = 0.0

    async def worker() -> None:
        nonlocal next_index
        conn = Connection(target.host, target.port)
        try:
            while time.perf_counter() < stop_at and next_index < len(requests):
                raw = requests[next_index]
                next_index += 1
                status, body = await conn.request(raw)
                tally.add(status)
                if batch_size and status == 200:
                    tally.accepted += orjson.loads(body)["accepted"]
                elif status == 202:
                    tally.accepted += 1
        finally:
            await conn.close()

    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "phase": "batch" if batch_size else "single",
        "concurrency": concurrency,
        "batch_size": batch_size or 1,
        "seconds": round(elapsed, 2),
        "requests": sum(tally.statuses.values()),
        "statuses": tally.statuses,
        "accepted": tally.accepted,
        "accepted_per_s": round(tally.accepted / elapsed, 1),
        "requests_per_s": round(sum(tally.statuses.values()) / elapsed, 1),
    }


async def open_loop(
    target: Target, seconds: float, rate: float, tag: str, mix: str = "realistic"
) -> dict[str, Any]:
    """Send single reports on a fixed schedule; latency from the scheduled time to the full answer."""
    rng = random.Random(tag)
    total = int(rate * seconds)
    requests = [
        post(target.host, "/v1/reports", target.key, orjson.dumps(synthetic_report(rng, f"{tag}-{i}", mix)))
        for i in range(total)
    ]
    idle: list[Connection] = []
    tally = Tally()

    async def one(raw: bytes, scheduled: float) -> None:
        conn = idle.pop() if idle else Connection(target.host, target.port)
        try:
            status, _ = await conn.request(raw)
        except (OSError, asyncio.IncompleteReadError):
            # The server closes keep-alive connections idle for 5 s: retry once on a fresh one
            # (safe: a resubmission of the same report is a duplicate at worst).
            await conn.close()
            conn = Connection(target.host, target.port)
            try:
                status, _ = await conn.request(raw)
            except (OSError, asyncio.IncompleteReadError):
                tally.add(0)
                await conn.close()
                return
        tally.latencies_ms.append((time.perf_counter() - scheduled) * 1000)
        tally.add(status)
        tally.accepted += status == 202
        idle.append(conn)

    tasks: list[asyncio.Task[None]] = []
    started = time.perf_counter()
    for i, raw in enumerate(requests):
        scheduled = started + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(raw, scheduled)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    for conn in idle:
        await conn.close()
    lat = tally.latencies_ms
    return {
        "phase": "rate",
        "target_rate": rate,
        "seconds": round(elapsed, 2),
        "requests": len(requests),
        "statuses": tally.statuses,
        "accepted_per_s": round(tally.accepted / elapsed, 1),
        "p50_ms": round(percentile(lat, 0.50), 2),
        "p90_ms": round(percentile(lat, 0.90), 2),
        "p99_ms": round(percentile(lat, 0.99), 2),
        "max_ms": round(max(lat), 2) if lat else None,
        "connections": len(idle),
    }


async def metric(target: Target, name: str) -> float | None:
    """One unlabelled sample from intake's /metrics (None if absent)."""
    conn = Connection(target.host, target.port)
    try:
        raw = f"GET /metrics HTTP/1.1\r\nHost: {target.host}\r\n\r\n".encode()
        _, body = await conn.request(raw)
    finally:
        await conn.close()
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


async def settle(target: Target, timeout: float = 120.0) -> float:
    """Wait until intake's outbox is drained (so a phase does not pay for the previous one's relay)."""
    started = time.perf_counter()
    last = await metric(target, "waspada_intake_published_total")
    while time.perf_counter() - started < timeout:
        await asyncio.sleep(1.0)
        now = await metric(target, "waspada_intake_published_total")
        backlog = await metric(target, "waspada_intake_outbox_backlog")
        if now == last and not backlog:
            break
        last = now
    return round(time.perf_counter() - started, 1)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    target = Target.parse(args.url, args.key)
    tag = f"bench-http-{int(time.time() * 1000)}"
    results: dict[str, Any] = {}
    if args.warmup > 0:  # first requests pay for imports, caches and connection set-up: not measured
        await closed_loop(target, args.warmup, args.concurrency, f"{tag}-w", 0)
    for phase in args.phases.split(","):
        waited = await settle(target)
        print(json.dumps({"settled_s": waited}), flush=True)
        if phase == "single":
            r = await closed_loop(target, args.seconds, args.concurrency, f"{tag}-s", 0)
        elif phase == "batch":
            r = await closed_loop(target, args.seconds, args.batch_concurrency, f"{tag}-b", args.batch_size)
        elif phase == "rate":
            r = await open_loop(target, args.seconds, args.rate, f"{tag}-r")
        else:
            raise SystemExit(f"unknown phase {phase!r} (single, batch, rate)")
        print(json.dumps(r), flush=True)
        results[phase] = r
    return {
        "http_single_rps": results.get("single", {}).get("accepted_per_s"),
        "http_batch_reports_per_s": results.get("batch", {}).get("accepted_per_s"),
        "p50_ms_at_rate": results.get("rate", {}).get("p50_ms"),
        "p99_ms_at_rate": results.get("rate", {}).get("p99_ms"),
        "rate": args.rate if "rate" in results else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--key", default="demo-admin", help="an API key without a tight rate limit")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load first")
    parser.add_argument("--phases", default="single,batch,rate")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--batch-concurrency", type=int, default=4)
    parser.add_argument("--rate", type=float, default=500.0)
    args = parser.parse_args()
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:
        pass
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        print(json.dumps(runner.run(run(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
