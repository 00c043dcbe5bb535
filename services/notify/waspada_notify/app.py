"""Composition root of notify: settings -> routing -> pool -> broker -> processor, worker, sweep -> FastAPI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from importlib import resources

import asyncpg
from fastapi import FastAPI

from waspada_notify import api
from waspada_notify.adapters import gauges, pipeline, store, wakeups
from waspada_notify.adapters.delivery import DeliveryWorker
from waspada_notify.adapters.processor import AlertProcessor
from waspada_notify.adapters.receivers import Channel
from waspada_notify.adapters.receivers.email import EmailChannel
from waspada_notify.adapters.receivers.kafka import KafkaChannel
from waspada_notify.adapters.receivers.webhook import WebhookChannel
from waspada_notify.api.context import ApiContext
from waspada_notify.domain.config import ReceiverConfig, RoutingConfig, WebhookConfig
from waspada_notify.domain.loader import load_routing
from waspada_notify.domain.retry import RetryPolicy
from waspada_notify.domain.routing import Router
from waspada_notify.settings import NotifySettings
from waspada_shared.db import apply_migrations, create_pool
from waspada_shared.http import (
    broker_check,
    install_error_handlers,
    install_local_docs,
    ops_router,
    pool_check,
)
from waspada_shared.kafka import make_broker, start_with_retry
from waspada_shared.keys import KeyStore
from waspada_shared.logging import get_logger
from waspada_shared.metrics import install as install_shared_metrics

log = get_logger(__name__)
DEMO_RECEIVER = "demo-webhook"


def load_config(settings: NotifySettings) -> RoutingConfig:
    """The routing file; a bad one raises ConfigError naming the file, line and key."""
    if settings.routing_config is not None:
        return load_routing(settings.routing_config.read_text(encoding="utf-8"), str(settings.routing_config))
    text = resources.files("waspada_notify").joinpath("routing.yml").read_text(encoding="utf-8")
    return load_routing(text, "waspada_notify/routing.yml")


def receivers(
    config: RoutingConfig, settings: NotifySettings
) -> tuple[dict[str, ReceiverConfig], tuple[str, ...]]:
    """Configured receivers, plus (local profile only) the demo webhook that gets every routed alert."""
    out = {r.name: r for r in config.receivers}
    if settings.is_local and settings.demo_webhook_url:
        out[DEMO_RECEIVER] = ReceiverConfig(
            name=DEMO_RECEIVER, webhook_configs=[WebhookConfig(url=settings.demo_webhook_url)]
        )
        return out, (DEMO_RECEIVER,)
    return out, ()


def channels(config: RoutingConfig, settings: NotifySettings, broker: object) -> dict[str, Channel]:
    out: dict[str, Channel] = {
        "webhook": WebhookChannel(
            settings.webhook_secret.get_secret_value().encode(), settings.delivery_timeout_seconds
        )
    }
    g = config.global_
    if g.smtp_smarthost:
        out["email"] = EmailChannel(
            g.smtp_smarthost,
            g.smtp_from,
            starttls=g.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        )
    if settings.publish_alert_topics:
        out["kafka"] = KafkaChannel(broker)  # type: ignore[arg-type]
    return out


async def _sweep_forever(processor: AlertProcessor, pool: object, interval: float) -> None:
    while True:
        try:
            await processor.sweep()
            await gauges.refresh(pool)  # type: ignore[arg-type]
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the next sweep tries again; nothing is lost by waiting
            log.warning("sweep failed; retrying", error=str(exc))
        await asyncio.sleep(interval)


async def _retention_forever(pool: asyncpg.Pool, settings: NotifySettings, every: float = 3600.0) -> None:
    """Forget processed ids beyond the replay horizon and old delivery logs, hourly."""
    while True:
        try:
            now = datetime.now(UTC)
            async with pool.acquire() as conn:
                processed, attempts = await store.forget_old(
                    conn,
                    now - timedelta(days=settings.processed_retention_days),
                    now - timedelta(days=settings.delivery_log_retention_days),
                )
            if processed or attempts:
                log.info("retention applied", processed_ids=processed, delivery_attempts=attempts)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the next round tries again
            log.warning("retention failed; retrying", error=str(exc))
        await asyncio.sleep(every)


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    config = load_config(settings)
    known, extra = receivers(config, settings)
    router = Router(config, extra)
    broker = make_broker(settings, "notify")
    state: dict[str, object] = {}
    install_shared_metrics("notify", broker, state)
    ctx = ApiContext(
        cap_sender=settings.cap_sender,
        intake_schema=settings.intake_schema,
        resolve_timeout=config.global_.resolve_timeout,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await create_pool(
            settings.database_url,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            server_settings={"search_path": f"{settings.db_schema},public"},
        )
        await apply_migrations(pool, "auth", "waspada_shared")
        await apply_migrations(pool, settings.db_schema, "waspada_notify")
        keys.pool = pool
        if settings.is_local:
            await keys.ensure_demo_keys()
        policy = RetryPolicy(
            settings.delivery_max_attempts,
            timedelta(seconds=settings.delivery_backoff_seconds),
            timedelta(seconds=settings.delivery_backoff_max_seconds),
        )
        worker = DeliveryWorker(
            pool,
            channels(config, settings, broker),
            policy,
            concurrency=settings.delivery_concurrency,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
        )
        decides, delivers = settings.role in ("all", "decide"), settings.role in ("all", "deliver")
        # Deliveries planned here (by a batch, the sweep, or an acknowledgement through the API) wake the
        # worker of this process, or the `deliver` processes through PostgreSQL.
        announcer = None if settings.role == "all" else wakeups.Announcer(pool)
        processor = AlertProcessor(
            pool,
            config,
            router,
            known,
            topics=settings.topics if settings.publish_alert_topics else None,
            on_planned=worker.notify if announcer is None else announcer.planned,
            resolve_guard=settings.resolve_guard,
        )
        # The broker also publishes the alert topics (the Kafka channel), so a `deliver` process starts it
        # without a subscriber.
        tasks = [asyncio.create_task(start_with_retry(broker, "notify"), name="kafka-start")]
        if decides:
            pipeline.register(
                broker, settings.topics, processor, settings.consumer_batch, settings.consumer_group
            )
            tasks += [
                asyncio.create_task(_retention_forever(pool, settings), name="retention"),
                asyncio.create_task(
                    _sweep_forever(processor, pool, settings.sweep_interval_seconds), name="sweep"
                ),
            ]
        if delivers:
            tasks.append(asyncio.create_task(worker.run(), name="delivery-worker"))
        if settings.role == "deliver":
            tasks.append(
                asyncio.create_task(
                    wakeups.listen_forever(settings.database_url, worker.notify), name="delivery-wakeups"
                )
            )
        ctx.pool, ctx.processor = pool, processor
        app.state.pool = pool
        state["pool"] = pool
        log.info(
            "notify started",
            port=settings.http_port,
            role=settings.role,
            receivers=sorted(known),
            schema=settings.db_schema,
        )
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError):
                    await task
            await broker.stop()  # stop consuming first: no new deliveries are planned
            if announcer is not None:
                await announcer.close()
            await worker.close()
            await pool.close()

    keys = KeyStore(None)  # type: ignore[arg-type]  # pool attached at start-up
    app = FastAPI(title="Waspada notify", version="1", lifespan=lifespan)
    app.include_router(ops_router({"postgres": pool_check(state), "kafka": broker_check(broker)}))
    app.include_router(api.build_router(keys, ctx))
    install_error_handlers(app)
    install_local_docs(app)
    return app
