"""The ceiling of a three-hop Kafka pipeline on this machine (`make bench-ceiling`).

`make bench` compares the pipeline with one bare consume-and-produce passthrough. The pipeline has
three hops (intake, scoring, notify), each its own process on the same cores. This script measures
what three hops of *nothing* achieve here, so the pipeline's rate can be read against what is
physically left once the hops themselves are paid:

- `bare`: each hop passes the bytes on (aiokafka only);
- `json`: each hop also decodes the JSON and encodes it again (orjson, no validation): the least any
  hop that reads its messages does;
- `typed`: each hop parses the message into the report contract (pydantic) and writes it out again,
  the least a service with typed contracts does with a message.

Every hop is a separate process, batches of up to 500 records, commits after each batch, like the
services. The rate counts from the first produced record to the last hop's committed offsets, as the
throughput phase of `make bench` does; CPU per message from /proc for the hops and Kafka, and of this
process, which produces the messages (it shares the cores, as `make bench`'s load generator does). The
last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from aiokafka.admin import AIOKafkaAdminClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
from cpu import CpuMeter, local_stack_pids
from run import RUN_DIR, BenchSettings, committed, corpus, log, passthrough_clients, phase_baseline, produce

from backtest.harness import create_topics, delete_topics
from waspada_shared.contracts.report import ReportIn
from waspada_shared.kafka import env_security


async def hop(bootstrap: str, src: str, dst: str, group: str, mode: str) -> None:
    """One hop: consume `src`, (decode and re-encode by `mode`), produce to `dst`, commit; until killed."""
    consumer, producer = passthrough_clients(bootstrap, src, group)
    await consumer.start()
    await producer.start()
    ready = False
    while True:
        batch = await consumer.getmany(timeout_ms=100, max_records=500)
        if not ready and consumer.assignment():
            print("READY", flush=True)
            ready = True
        records = [r for recs in batch.values() for r in recs]
        if not records:
            continue
        if mode == "typed":
            out = [(ReportIn.model_validate_json(r.value).model_dump_json().encode(), r.key) for r in records]
        elif mode == "json":
            out = [(orjson.dumps(orjson.loads(r.value)), r.key) for r in records]
        else:
            out = [(r.value, r.key) for r in records]
        futures = [await producer.send(dst, v, key=k) for v, k in out]
        await asyncio.gather(*futures)
        await consumer.commit()


async def measure(
    s: BenchSettings, values: list[bytes], keys: list[bytes], hops: int, mode: str
) -> dict[str, Any]:
    n = len(values)
    prefix = f"ceiling{int(time.time())}h{hops}{mode}."
    topics = [f"{prefix}hop{i}" for i in range(hops + 1)]
    await create_topics(s.waspada_kafka_bootstrap, topics)
    procs = []
    try:
        for i in range(hops):
            cmd = [
                sys.executable,
                __file__,
                "--hop",
                topics[i],
                topics[i + 1],
                f"{prefix}g{i}",
                "--mode",
                mode,
            ]
            procs.append(await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE))
        for p in procs:
            assert p.stdout is not None
            line = await asyncio.wait_for(p.stdout.readline(), 60)
            if line.strip() != b"READY":
                raise RuntimeError(f"a hop did not start: {line!r}")
        meter = CpuMeter({"hops": [p.pid for p in procs], **local_stack_pids(RUN_DIR)})
        admin = AIOKafkaAdminClient(bootstrap_servers=s.waspada_kafka_bootstrap, **env_security())
        await admin.start()
        t0, own0 = time.monotonic(), time.process_time()
        try:
            await produce(s.waspada_kafka_bootstrap, topics[0], values, keys)
            done = 0
            while done < n:
                await asyncio.sleep(0.1)
                done = await committed(admin, f"{prefix}g{hops - 1}", topics[hops - 1])
                if time.monotonic() - t0 > 300:
                    raise RuntimeError(f"only {done} of {n} messages crossed {hops} hops in 300 s")
            elapsed = time.monotonic() - t0
        finally:
            await admin.close()
        cpu = {**meter.since(), "load generator": time.process_time() - own0}
        return {
            "rps": round(n / elapsed, 1),
            "cpu_us_per_message": {k: round(v * 1e6 / n, 1) for k, v in cpu.items()},
        }
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
                await p.wait()
        await delete_topics(s.waspada_kafka_bootstrap, topics)


async def main(n: int) -> None:
    s = BenchSettings()
    values, keys = corpus(n, 20241127, "ceiling")
    prefix = f"ceiling{int(time.time())}."
    log(f"make bench's baseline (one passthrough, timed from its first batch): {n} messages")
    result: dict[str, Any] = {
        "messages": n,
        "baseline_rps": round(await phase_baseline(s, prefix, values, keys), 1),
    }
    log(f"  {result['baseline_rps']:.0f} msg/s")
    for hops, mode in ((1, "bare"), (3, "bare"), (3, "json"), (3, "typed")):
        name = f"hops{hops}_{mode}"
        log(f"{hops} hop(s), {mode}: {n} messages, timed from the first produced")
        result[name] = await measure(s, values, keys, hops, mode)
        result[name]["ratio"] = round(result[name]["rps"] / result["baseline_rps"], 3)
        log(f"  {result[name]['rps']:.0f} msg/s, CPU µs/message {result[name]['cpu_us_per_message']}")
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hop", nargs=3, metavar=("SRC", "DST", "GROUP"))
    parser.add_argument("--mode", choices=("bare", "json", "typed"), default="bare")
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    if args.hop:
        src, dst, group = args.hop
        asyncio.run(hop(BenchSettings().waspada_kafka_bootstrap, src, dst, group, mode=args.mode))
    else:
        asyncio.run(main(args.messages))
