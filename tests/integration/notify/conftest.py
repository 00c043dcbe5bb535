"""Notify's integration fixtures: a fresh schema per test on the real PostgreSQL, a real local webhook
server and a real SMTP server, and the processor, worker and API wired as the app wires them.

Time-dependent behaviour is driven by passing `now` (and the event-time `event_now`), never by waiting.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
import uvicorn
import yaml
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.helpers import Stack, wait_until
from tests.unit.notify.factories import DEFAULT_ROUTING
from waspada_notify import api
from waspada_notify.adapters.delivery import DeliveryWorker
from waspada_notify.adapters.processor import AlertProcessor
from waspada_notify.adapters.receivers import Channel
from waspada_notify.adapters.receivers.email import EmailChannel
from waspada_notify.adapters.receivers.webhook import (
    ALERT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    VERSION_HEADER,
    WebhookChannel,
    verify,
)
from waspada_notify.api.context import ApiContext
from waspada_notify.domain.config import RoutingConfig
from waspada_notify.domain.loader import load_routing
from waspada_notify.domain.retry import RetryPolicy
from waspada_notify.domain.routing import Router
from waspada_shared.db import apply_migrations, create_pool
from waspada_shared.http import install_error_handlers
from waspada_shared.keys import KeyStore
from waspada_shared.topics import Topics

SECRET = b"notify-integration-secret"


# --- a real webhook receiver ----------------------------------------------------------------------


@dataclass
class Hit:
    name: str
    alert: dict[str, Any]
    headers: dict[str, str]
    verified: bool
    duplicate: bool


@dataclass
class Hook:
    """POST /hook/<name> answers 204 after `failures[name]` failures (-1: always fails with 500)."""

    base: str = ""
    hits: list[Hit] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    seen: set[tuple[str, str, int]] = field(default_factory=set)
    on_hit: Any = None

    def url(self, name: str) -> str:
        return f"{self.base}/hook/{name}"

    def got(self, name: str | None = None, alert_id: str | None = None) -> list[Hit]:
        return [
            h
            for h in self.hits
            if (name is None or h.name == name) and (alert_id is None or h.alert["alert_id"] == alert_id)
        ]

    async def handle(self, request: Request) -> Response:
        name = request.path_params["name"]
        body = await request.body()
        left = self.failures.get(name, 0)
        if left != 0:
            self.failures[name] = left - 1 if left > 0 else left
            return Response("kaput", status_code=503)
        ok = verify(
            SECRET, request.headers.get(TIMESTAMP_HEADER, ""), body, request.headers.get(SIGNATURE_HEADER, "")
        )
        alert = orjson.loads(body)
        key = (name, alert["alert_id"], int(alert["version"]))
        hit = Hit(name, alert, dict(request.headers), ok, key in self.seen)
        self.seen.add(key)
        self.hits.append(hit)
        if self.on_hit is not None:
            await self.on_hit(hit)
        return Response(status_code=204 if ok else 401)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
async def hook_server() -> AsyncIterator[Hook]:
    hook = Hook()

    async def endpoint(request: Request) -> Response:
        return await hook.handle(request)

    app = Starlette(routes=[Route("/hook/{name}", endpoint, methods=["POST"])])
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return bool(server.started)

    await wait_until(started, timeout=10, what="the test webhook server")
    hook.base = f"http://127.0.0.1:{port}"
    yield hook
    server.should_exit = True
    await task


@pytest.fixture
def hook(hook_server: Hook) -> Hook:
    hook_server.hits.clear()
    hook_server.failures.clear()
    hook_server.seen.clear()
    hook_server.on_hit = None
    return hook_server


# --- a real SMTP server ---------------------------------------------------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


# --- database ---------------------------------------------------------------------------------------


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh schema (notify's migrations applied), dropped afterwards."""
    schema = f"notify_it_{uuid.uuid4().hex[:10]}"
    pool = await create_pool(
        stack.database_url, min_size=1, max_size=6, server_settings={"search_path": f"{schema},public"}
    )
    await apply_migrations(pool, "auth", "waspada_shared")
    await apply_migrations(pool, schema, "waspada_notify")
    try:
        yield pool
    finally:
        await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await pool.close()


# --- notify, wired as the app wires it ---------------------------------------------------------------


def routing(hook: Hook, smtp_port: int, **overrides: Any) -> RoutingConfig:
    """The default routing file, with receivers pointing at the local webhook and SMTP servers."""
    data = yaml.safe_load(DEFAULT_ROUTING.read_text(encoding="utf-8"))
    data["global"]["smtp_smarthost"] = f"127.0.0.1:{smtp_port}"
    data["receivers"] = [
        {"name": "none"},
        {"name": "regency-teams", "webhook_configs": [{"url": hook.url("regency")}]},
        {
            "name": "province-teams",
            "webhook_configs": [{"url": hook.url("province")}],
            "email_configs": [{"to": ["kesbangpol@prov.example.go.id"]}],
        },
        {"name": "national-desk", "webhook_configs": [{"url": hook.url("national")}]},
    ]
    for key, value in overrides.items():
        data[key] = value
    return load_routing(yaml.safe_dump(data, sort_keys=False), "test-routing.yml")


@dataclass
class Notify:
    pool: asyncpg.Pool
    config: RoutingConfig
    processor: AlertProcessor
    worker: DeliveryWorker
    hook: Hook
    mailbox: Mailbox
    topics: Topics | None
    now: datetime

    def new_worker(self, **kw: Any) -> DeliveryWorker:
        """A fresh worker with fresh channels, as after a restart."""
        return make_worker(self.pool, self.config, self.worker.policy, **kw)

    async def deliver(self, at: datetime | None = None) -> list[str]:
        """Run the worker once at `at` (default: the test's now); outcomes of the attempts."""
        return [r.outcome for r in await self.worker.run_once(at or self.now)]

    async def rows(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return list(await self.pool.fetch(sql, *args))


def make_worker(
    pool: asyncpg.Pool, config: RoutingConfig, policy: RetryPolicy, kafka: Channel | None = None, **kw: Any
) -> DeliveryWorker:
    host = config.global_.smtp_smarthost
    channels: dict[str, Channel] = {"webhook": WebhookChannel(SECRET, timeout=5.0)}
    if host:
        channels["email"] = EmailChannel(host, config.global_.smtp_from)
    if kafka is not None:
        channels["kafka"] = kafka
    return DeliveryWorker(pool, channels, policy, **kw)


@pytest.fixture
async def notify(db: asyncpg.Pool, hook: Hook, smtp: tuple[Mailbox, int]) -> AsyncIterator[Notify]:
    box, port = smtp
    box.messages.clear()
    config = routing(hook, port)
    policy = RetryPolicy(max_attempts=3, base=timedelta(seconds=1), cap=timedelta(seconds=10))
    worker = make_worker(db, config, policy)
    known = {r.name: r for r in config.receivers}
    processor = AlertProcessor(db, config, Router(config), known, topics=None)
    yield Notify(db, config, processor, worker, hook, box, None, datetime.now(UTC).replace(microsecond=0))
    await worker.close()


# --- the API over the same schema ------------------------------------------------------------------


@dataclass
class Keys:
    by_scope: dict[str, str]
    store: KeyStore

    def __call__(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.by_scope[scope]}"}


@pytest.fixture
async def keys(db: asyncpg.Pool) -> AsyncIterator[Keys]:
    store = KeyStore(db, refresh_seconds=0.0)
    suffix = uuid.uuid4().hex[:8]
    made = {
        scope: await store.create(f"notify-it-{scope}-{suffix}", scope)
        for scope in ("19", "63", "national", "admin")
    }
    yield Keys(made, store)
    for scope in made:
        await store.revoke(f"notify-it-{scope}-{suffix}")


@pytest.fixture
async def client(notify: Notify, keys: Keys) -> AsyncIterator[httpx.AsyncClient]:
    ctx = ApiContext(pool=notify.pool, processor=notify.processor, intake_schema="intake_absent_for_tests")
    app = FastAPI()
    app.include_router(api.build_router(keys.store, ctx))
    install_error_handlers(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify.test") as c:
        yield c


__all__ = [
    "ALERT_ID_HEADER",
    "SECRET",
    "VERSION_HEADER",
    "Hit",
    "Hook",
    "Keys",
    "Mailbox",
    "Notify",
    "routing",
]
