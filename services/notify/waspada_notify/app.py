"""Composition root of notify: settings -> pool -> broker -> delivery worker -> FastAPI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from waspada_shared.contracts.alert import Audience
from waspada_shared.db import apply_migrations, create_pool
from waspada_shared.http import broker_check, install_error_handlers, ops_router, pool_check
from waspada_shared.kafka import make_broker, start_with_retry
from waspada_shared.keys import KeyStore
from waspada_shared.logging import get_logger

from waspada_notify import api
from waspada_notify.adapters.delivery import DeliveryWorker, Receiver
from waspada_notify.adapters.pipeline import AlertPipeline
from waspada_notify.settings import NotifySettings

log = get_logger(__name__)


def receivers(settings: NotifySettings) -> list[Receiver]:
    out: list[Receiver] = []
    if settings.is_local and settings.demo_webhook_url:
        out.append(Receiver("demo-webhook", "webhook", settings.demo_webhook_url, frozenset(Audience)))
    return out


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    broker = make_broker(settings, "notify")
    state: dict[str, object] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await create_pool(
            settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        await apply_migrations(pool, "auth", "waspada_shared")
        await apply_migrations(pool, "notify", "waspada_notify")
        keys.pool = pool
        if settings.is_local:
            await keys.ensure_demo_keys()
        worker = DeliveryWorker(
            pool,
            settings.webhook_secret.get_secret_value().encode(),
            settings.delivery_max_attempts,
            settings.delivery_timeout_seconds,
        )
        AlertPipeline(pool, broker, settings.topics, receivers(settings), worker).register(
            settings.consumer_batch
        )
        broker_task = asyncio.create_task(start_with_retry(broker, "notify"), name="kafka-start")
        task = asyncio.create_task(worker.run(), name="delivery-worker")
        app.state.pool = pool
        state["pool"] = pool
        log.info("notify started", port=settings.http_port)
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            await worker.close()
            broker_task.cancel()
            with suppress(asyncio.CancelledError):
                await broker_task
            await broker.stop()
            await pool.close()

    keys = KeyStore(None)  # type: ignore[arg-type]  # pool attached at start-up
    app = FastAPI(title="Waspada notify", version="1", lifespan=lifespan)
    app.include_router(ops_router({"postgres": pool_check(state), "kafka": broker_check(broker)}))
    app.include_router(api.build_router(keys))
    install_error_handlers(app)
    return app
