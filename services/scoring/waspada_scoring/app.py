"""Composition root of scoring: settings -> pool -> broker -> ops HTTP endpoints."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from waspada_shared.db import apply_migrations, create_pool
from waspada_shared.http import broker_check, ops_router, pool_check
from waspada_shared.kafka import make_broker, start_with_retry
from waspada_shared.logging import get_logger

from waspada_scoring.adapters.pipeline import ScoringPipeline
from waspada_scoring.settings import ScoringSettings

log = get_logger(__name__)


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    broker = make_broker(settings, "scoring")
    state: dict[str, object] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await create_pool(
            settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        await apply_migrations(pool, "scoring", "waspada_scoring")
        pipeline = ScoringPipeline(pool, broker, settings.topics)
        pipeline.register(settings.consumer_batch)
        broker_task = asyncio.create_task(start_with_retry(broker, "scoring"), name="kafka-start")
        state["pool"] = pool
        log.info("scoring started", port=settings.http_port)
        try:
            yield
        finally:
            broker_task.cancel()
            with suppress(asyncio.CancelledError):
                await broker_task
            await broker.stop()
            await pool.close()

    app = FastAPI(title="Waspada scoring", version="1", lifespan=lifespan)
    app.include_router(ops_router({"postgres": pool_check(state), "kafka": broker_check(broker)}))
    app.state.broker = broker
    return app
