"""Composition root of scoring: settings -> pool -> broker -> ops HTTP endpoints."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI

from waspada_scoring import metrics
from waspada_scoring.adapters.pipeline import ScoringPipeline
from waspada_scoring.adapters.store import ScoringStore
from waspada_scoring.configfiles import load_model
from waspada_scoring.settings import ScoringSettings
from waspada_shared.db import apply_migrations, create_pool
from waspada_shared.http import broker_check, ops_router, pool_check
from waspada_shared.kafka import DirectProducer, client_security, make_broker, start_with_retry
from waspada_shared.logging import get_logger
from waspada_shared.metrics import install as install_shared_metrics
from waspada_shared.regions import reference

log = get_logger(__name__)


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    model = load_model(settings.model_file)  # fails fast on a bad model file, before connecting
    broker = make_broker(settings, "scoring")
    state: dict[str, object] = {}
    install_shared_metrics("scoring", broker, state, regions=True)
    metrics.initialise_series(list(reference().provinces))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await create_pool(
            settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        await apply_migrations(pool, settings.db_schema, "waspada_scoring")
        publisher = DirectProducer(
            settings.kafka_bootstrap, "waspada-scoring", security=client_security(settings)
        )
        pipeline = ScoringPipeline(
            pool, broker, settings.topics, model, ScoringStore(settings.db_schema), publisher
        )
        await pipeline.start()
        pipeline.register(settings.consumer_batch)
        # Scoring allocates many short-lived objects per batch and almost no cycles: move what lives
        # for the whole process out of the collector's way and collect the young generation less often.
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)
        broker_task = asyncio.create_task(start_with_retry(broker, "scoring"), name="kafka-start")
        state["pool"] = pool
        log.info("scoring started", port=settings.http_port, model_version=model.version)
        try:
            yield
        finally:
            broker_task.cancel()
            with suppress(asyncio.CancelledError):
                await broker_task
            await broker.stop()
            await publisher.stop()
            await pool.close()

    app = FastAPI(title="Waspada scoring", version="1", lifespan=lifespan)
    app.include_router(ops_router({"postgres": pool_check(state), "kafka": broker_check(broker)}))
    app.state.broker = broker
    return app
