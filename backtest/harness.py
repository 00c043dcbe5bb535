"""The scratch pipeline shared by `make bench` and `make backtest`: the real intake, scoring and notify
processes (and, for the bench, the demo webhook receiver) on their own ports, their own PostgreSQL
database and their own topic prefix, against the local stack's Kafka and PostgreSQL.

Nothing here touches the live `waspada` database or unprefixed topics: a run can neither disturb the
running stack nor be disturbed by its data.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError

from waspada_shared.kafka import env_security
from waspada_shared.topics import ALL_TOPICS

ROOT = Path(__file__).resolve().parents[1]
PARTITIONS = 4
MODULES = {
    "receiver": "waspada_notify.demo_receiver",
    "intake": "waspada_intake",
    "scoring": "waspada_scoring",
    "notify": "waspada_notify",
    "delivery": "waspada_notify",  # notify's delivery worker in processes of its own (WASPADA_ROLE=deliver)
}
# The services answer /readyz; the receiver has no readiness endpoint.
READY = ("intake", "scoring", "notify", "delivery")
T = TypeVar("T")


async def poll(probe: Callable[[], Awaitable[T | None]], timeout: float, interval: float = 0.25) -> T | None:
    """Poll `probe` until it returns something truthy (returned) or `timeout` seconds pass (None): the
    pipeline's progress is in other processes' tables, with no event to await."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(interval)


@dataclass(frozen=True)
class Target:
    """Where the scratch pipeline runs: the shared Kafka and PostgreSQL, and a name for this tool's
    database, topic prefix, ports and log files."""

    bootstrap: str
    admin_dsn: str  # any database of the server, used to create and drop the scratch one
    database: str  # e.g. waspada_bench, waspada_backtest
    prefix: str  # topic and consumer group prefix, e.g. "backtest1733100000."
    ports: Mapping[str, int]  # service name -> HTTP port; a name absent here is not started
    log_name: str  # .local/log/<log_name>-<service>.log
    env: Mapping[str, str] = field(default_factory=dict)  # extra WASPADA_* settings for every service
    replicas: int = 1  # processes per service (the receiver is always one); replica i listens on port+100*i

    @property
    def dsn(self) -> str:
        return self.admin_dsn.rsplit("/", 1)[0] + "/" + self.database

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    @property
    def topics(self) -> list[str]:
        return [self.prefix + t for t in ALL_TOPICS]


class Services:
    """The scratch pipeline's service processes; `kill` and `restart` let a run crash them midway."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def env(self, port: int, service: str) -> dict[str, str]:
        t = self.target
        env = dict(os.environ)
        # A scratch receiver keeps what it gets in memory only: never in the demo receiver's store.
        env.pop("WASPADA_RECEIVER_STORE", None)
        env.update(
            WASPADA_PROFILE="local",
            WASPADA_KAFKA_BOOTSTRAP=t.bootstrap,
            WASPADA_DATABASE_URL=t.dsn,
            WASPADA_TOPIC_PREFIX=t.prefix,
            # notify's group is a setting, not prefixed like intake's and scoring's: a scratch notify in the
            # live notify's group would share its rebalances, and the live one, which may not even describe
            # the scratch topics (ACLs), would lead the group and assign the scratch consumer nothing.
            WASPADA_CONSUMER_GROUP=f"{t.prefix}waspada-notify",
            WASPADA_HTTP_PORT=str(port),
            WASPADA_LOG_LEVEL="WARNING",
            WASPADA_DEFAULT_RATE_LIMIT="1000000",  # measure the pipeline, not the per-key limit
        )
        if "receiver" in t.ports:
            env.update(
                WASPADA_RECEIVER_PORT=str(t.ports["receiver"]),
                WASPADA_DEMO_WEBHOOK_URL=f"{t.url('receiver')}/hook",
            )
        if "delivery" in t.ports and service in ("notify", "delivery"):
            # With delivery processes of its own, notify only decides (and wakes them through PostgreSQL).
            env["WASPADA_ROLE"] = "deliver" if service == "delivery" else "decide"
        env.update(t.env)
        return env

    def spawn(self, name: str) -> None:
        """Start `name` ("scoring", or "scoring-2" for a further replica on port+100*2)."""
        service, _, index = name.partition("-")
        port = self.target.ports[service] + 100 * int(index or 0)
        logs = ROOT / ".local" / "log"
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / f"{self.target.log_name}-{name}.log", "ab") as out:  # the child keeps its own fd
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", MODULES[service]],
                env=self.env(port, service),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def names(self) -> list[str]:
        """Every process to run: each service of the target, with its replicas."""
        out = []
        for service in MODULES:
            if service in self.target.ports:
                count = 1 if service == "receiver" else self.target.replicas
                out += [service] + [f"{service}-{i}" for i in range(1, count)]
        return out

    def pids(self) -> dict[str, list[int]]:
        """PIDs by service (replicas together)."""
        out: dict[str, list[int]] = {}
        for name, p in self.procs.items():
            out.setdefault(name.partition("-")[0], []).append(p.pid)
        return out

    async def wait_ready(self, names: tuple[str, ...] | None = None, timeout: float = 60.0) -> None:
        names = names or tuple(n for n in self.procs if n.partition("-")[0] in READY)
        async with httpx.AsyncClient(timeout=2.0) as http:
            for name in names:
                service, _, index = name.partition("-")
                url = f"http://127.0.0.1:{self.target.ports[service] + 100 * int(index or 0)}"
                hint = f"see .local/log/{self.target.log_name}-{name}.log"

                async def ready(name: str = name, hint: str = hint, url: str = url) -> bool:
                    if self.procs[name].poll() is not None:
                        raise RuntimeError(f"{self.target.log_name} {name} exited while starting; {hint}")
                    try:
                        return (await http.get(f"{url}/readyz")).status_code == 200
                    except httpx.HTTPError:
                        return False

                if not await poll(ready, timeout, 0.2):
                    raise RuntimeError(f"{self.target.log_name} {name} did not get ready; {hint}")

    async def start(self) -> None:
        for name in self.names():
            self.spawn(name)
        await self.wait_ready()

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash: no shutdown hooks, no offset commits, no flushing."""
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    async def restart(self, name: str) -> None:
        self.spawn(name)
        await self.wait_ready((name,) if name.partition("-")[0] in READY else ())

    def rss_mb(self) -> dict[str, float]:
        out = {}
        for name, p in self.procs.items():
            try:
                for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        out[name] = round(int(line.split()[1]) / 1024, 1)
            except OSError:
                pass
        return out

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
        for p in self.procs.values():
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


async def create_topics(
    bootstrap: str, names: list[str], partitions: int = PARTITIONS, timeout: float = 120.0
) -> None:
    """Create the topics, waiting up to `timeout` seconds for the broker: the shared Kafka may be
    restarting (fault tests on the same stack stop it briefly)."""

    async def created() -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **env_security())
        try:
            await admin.start()
        except KafkaConnectionError:
            return False
        try:
            await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
        finally:
            await admin.close()
        return True

    if not await poll(created, timeout, 1.0):
        raise RuntimeError(f"Kafka at {bootstrap} not reachable for {timeout:.0f}s")


async def delete_topics(bootstrap: str, names: list[str], prefix: str | None = None) -> None:
    """Delete these topics, and with `prefix` every topic under it (intake creates its province doors
    itself): left behind, thousands of idle partitions slow the shared broker down."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **env_security())
    await admin.start()
    try:
        if prefix:
            names = sorted(set(names) | {t for t in await admin.list_topics() if t.startswith(prefix)})
        await admin.delete_topics(names)
    except Exception as exc:  # cleanup only: a leftover prefixed topic harms nobody
        print(f"[harness] could not delete topics: {exc}", file=sys.stderr, flush=True)
    finally:
        await admin.close()


async def fresh_database(admin_dsn: str, database: str) -> None:
    """Drop and create the scratch database; each service migrates its own schema on start."""
    if not database.replace("_", "").isalnum() or database == "waspada":
        raise ValueError(f"refusing to recreate database {database!r}")
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


@asynccontextmanager
async def scratch(target: Target, *, services: bool = True) -> AsyncIterator[Services]:
    """A fresh database and topics, the services started on them; everything stopped and the topics
    deleted on the way out (the database stays, for inspection, until the next run recreates it)."""
    await fresh_database(target.admin_dsn, target.database)
    await create_topics(target.bootstrap, target.topics)
    procs = Services(target)
    try:
        if services:
            await procs.start()
        yield procs
    finally:
        procs.stop()
        await delete_topics(target.bootstrap, target.topics, target.prefix)
