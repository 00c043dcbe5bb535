"""Composition root of intake: settings -> pool -> broker -> FastAPI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from waspada_shared.db import apply_migrations, create_pool
from waspada_shared.http import broker_check, install_error_handlers, ops_router, pool_check
from waspada_shared.kafka import make_broker, start_with_retry
from waspada_shared.keys import KeyStore
from waspada_shared.logging import get_logger

from waspada_intake import api, metrics
from waspada_intake.adapters import consumers
from waspada_intake.adapters.crypto import ReporterCipher
from waspada_intake.adapters.outbox import OutboxRelay
from waspada_intake.adapters.store import ReportStore
from waspada_intake.service import IntakeService
from waspada_intake.settings import IntakeSettings

log = get_logger(__name__)


def _cipher(settings: IntakeSettings) -> ReporterCipher:
    if settings.reporter_key is not None:
        return ReporterCipher(settings.reporter_key.get_secret_value().encode())
    if settings.is_local or settings.profile == "test":
        return ReporterCipher.local_dev()
    raise RuntimeError("WASPADA_REPORTER_KEY is required outside the local profile")


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    cipher = _cipher(settings)
    broker = make_broker(settings, "intake")
    state: dict[str, object] = {}

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
            await keys.ensure_demo_keys()
        await keys.refresh()
        relay = OutboxRelay(pool, broker, settings.outbox_batch)
        service = IntakeService(store, relay, cipher, settings.topics)
        consumers.register(broker, service, store, settings.topics, settings.consumer_batch)
        broker_task = asyncio.create_task(start_with_retry(broker, "intake"), name="kafka-start")
        relay_task = asyncio.create_task(relay.run(), name="outbox-relay")
        gauge_task = asyncio.create_task(_watch_backlog(relay), name="outbox-gauge")
        app.state.store, app.state.keys, app.state.service, app.state.relay = store, keys, service, relay
        state["pool"] = pool
        log.info("intake started", port=settings.http_port, profile=settings.profile)
        try:
            yield
        finally:
            for task in (relay_task, gauge_task):
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            broker_task.cancel()
            with suppress(asyncio.CancelledError):
                await broker_task
            await broker.stop()
            await pool.close()

    app = FastAPI(
        title="Waspada intake",
        version="1",
        description="Reports of social-conflict potential and incidents from Indonesian regional teams.",
        lifespan=lifespan,
    )
    app.include_router(ops_router({"postgres": pool_check(state), "kafka": broker_check(broker)}))
    app.include_router(api.build_router(settings))
    install_error_handlers(app)
    api.openapi_extra_schemas(app)
    app.state.broker = broker
    return app


async def _watch_backlog(relay: OutboxRelay) -> None:
    while True:
        with suppress(Exception):
            metrics.OUTBOX_BACKLOG.set(await relay.backlog())
        await asyncio.sleep(5)
