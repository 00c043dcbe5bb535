"""Composition root of intake: settings -> pool -> broker -> FastAPI."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg
from fastapi import FastAPI

from waspada_intake import admin, api, metrics
from waspada_intake.adapters import consumers
from waspada_intake.adapters.batcher import GroupCommitter
from waspada_intake.adapters.crypto import cipher_for
from waspada_intake.adapters.outbox import OutboxRelay
from waspada_intake.adapters.reporters import ReporterVault
from waspada_intake.adapters.store import ReportStore
from waspada_intake.fastpath import FastPath, IntakeAPI
from waspada_intake.handlers import Gate, Submissions
from waspada_intake.service import IntakeService
from waspada_intake.settings import IntakeSettings
from waspada_shared.db import apply_migrations, create_pool, keep_session
from waspada_shared.http import (
    HttpMetricsMiddleware,
    broker_check,
    install_error_handlers,
    install_local_docs,
    ops_router,
    pool_check,
)
from waspada_shared.kafka import DirectProducer, client_security, make_broker, start_with_retry
from waspada_shared.keys import KeyStore
from waspada_shared.logging import get_logger
from waspada_shared.metrics import install as install_shared_metrics
from waspada_shared.regions import reference

log = get_logger(__name__)


OPENAPI_SERVERS: list[dict[str, Any]] = [
    {"url": "http://127.0.0.1:8080", "description": "Local stack (make up) and docker compose"},
    {
        "url": "https://{host}",
        "description": "A deployment (Kubernetes, deploy/k8s): its own host name",
        "variables": {"host": {"default": "intake.waspada.example", "description": "The deployment's host"}},
    },
]
# No licence has been chosen for Waspada yet: the terms are the government's own until one is.
OPENAPI_LICENSE = {"name": "Proprietary: for Indonesian government use; no licence granted"}
OPENAPI_CONTACT = {"name": "Waspada platform team"}


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    cipher = cipher_for(settings)
    broker = make_broker(settings, "intake")  # consumers, and dead letters
    producer = DirectProducer(
        settings.kafka_bootstrap, "waspada-intake-relay", security=client_security(settings)
    )  # the outbox relay
    state: dict[str, object] = {}
    gate = Gate(settings.default_rate_limit)
    submissions = Submissions(settings, gate)
    install_shared_metrics("intake", broker, state)
    metrics.initialise_series(list(reference().provinces))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await create_pool(
            settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        await apply_migrations(pool, "auth", "waspada_shared")
        await apply_migrations(pool, "intake", "waspada_intake")
        store = ReportStore(pool)
        keys = KeyStore(pool)
        if settings.is_local:
            await keys.ensure_demo_keys(settings.demo_rate_limit)
        await keys.refresh()
        # The relay's deletions need no flush to disk before they count: a deletion lost in a crash only
        # republishes rows that consumers absorb (idempotent). Its own connection, with asynchronous
        # commit, keeps those commits from queueing behind (and delaying) the reports' durable ones.
        relay_pool = await asyncpg.create_pool(
            settings.database_url,
            min_size=1,
            max_size=1,
            reset=keep_session,
            server_settings={"synchronous_commit": "off", "application_name": "waspada-intake-relay"},
        )
        relay = OutboxRelay(
            relay_pool,
            producer.publish,
            settings.outbox_batch,
            linger_seconds=settings.outbox_linger_ms / 1000,
        )
        committer = GroupCommitter(
            store.store, max_batch=settings.group_commit_max, max_inflight=settings.group_commit_inflight
        )
        service = IntakeService(committer.store, relay.notify, cipher, settings.topics)
        gate.keys, submissions.service, submissions.store = keys, service, store
        consumers.register(
            broker, service, store, settings.topics, settings.consumer_batch, settings.max_body_bytes
        )
        broker_task = asyncio.create_task(start_with_retry(broker, "intake"), name="kafka-start")
        relay_task = asyncio.create_task(relay.run(), name="outbox-relay")
        gauge_task = asyncio.create_task(_watch_backlog(store), name="outbox-gauge")
        vault = ReporterVault(pool, cipher)
        retention_task = asyncio.create_task(
            _enforce_retention(vault, settings.reporter_retention_days), name="reporter-retention"
        )
        app.state.store, app.state.keys, app.state.service, app.state.relay = store, keys, service, relay
        app.state.committer, app.state.cipher, app.state.vault = committer, cipher, vault
        state["pool"] = pool
        # Everything built so far (region reference, models, routes) lives as long as the process: out of
        # the garbage collector's way, so full collections stay short (tail latency).
        gc.freeze()
        log.info("intake started", port=settings.http_port, profile=settings.profile)
        try:
            yield
        finally:
            await committer.drain()
            for task in (relay_task, gauge_task, retention_task):
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            broker_task.cancel()
            with suppress(asyncio.CancelledError):
                await broker_task
            await broker.stop()
            await producer.stop()
            await relay_pool.close()
            await pool.close()

    app = IntakeAPI(
        title="Waspada intake",
        version="1",
        description="Reports of social-conflict potential and incidents from Indonesian regional teams.",
        # Document metadata only (docs/openapi.json): where the API runs, under which terms, whom to ask.
        servers=OPENAPI_SERVERS,
        license_info=OPENAPI_LICENSE,
        contact=OPENAPI_CONTACT,
        openapi_tags=[
            {"name": "reports", "description": "Submit reports and read their processing state"},
            {"name": "admin", "description": "Who am I, API keys, reporter data (UU 27/2022), the audit log"},
        ],
        lifespan=lifespan,
        # Prometheus is the metrics system here; FastAPI's OpenTelemetry hooks cost per-request checks.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.include_router(ops_router({"postgres": pool_check(state)}, degraded={"kafka": broker_check(broker)}))
    app.include_router(api.build_router(settings, gate, submissions))
    app.include_router(admin.router())
    install_error_handlers(app)
    install_local_docs(app)
    api.openapi_extra_schemas(app)
    app.add_middleware(HttpMetricsMiddleware, service="intake")
    app.use_fast_path(FastPath(submissions), lambda inner: HttpMetricsMiddleware(inner, service="intake"))
    app.state.broker = broker
    return app


async def _enforce_retention(vault: ReporterVault, days: int, every_seconds: float = 3600.0) -> None:
    """Erase reporters past the retention period, at start and then hourly (idempotent, so several
    intake processes may all do it)."""
    while True:
        try:
            erased = await vault.purge_older_than(days)
            if erased:
                log.info("reporters erased after the retention period", reports=erased, retention_days=days)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("reporter retention not enforced this round", error=str(exc))
        await asyncio.sleep(every_seconds)


async def _watch_backlog(store: ReportStore) -> None:
    while True:
        with suppress(Exception):  # the database may be away; the gauge keeps its last value
            metrics.OUTBOX_BACKLOG.set(await store.outbox_backlog())
        await asyncio.sleep(5)
