"""Notify settings (`WASPADA_*` environment variables)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from waspada_shared.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    http_port: int = Field(8082, description="HTTP port of the notify API")
    consumer_batch: int = Field(500, ge=1, description="Most records per Kafka consume batch")
    demo_webhook_url: str | None = Field(
        None, description="Local profile only: webhook receiving every alert (the demo receiver)"
    )
    webhook_secret: SecretStr = Field(
        SecretStr("waspada-local-webhook-secret"), description="HMAC-SHA256 key signing webhook bodies"
    )
    delivery_max_attempts: int = Field(8, ge=1, description="Attempts before a delivery is marked failed")
    delivery_timeout_seconds: float = Field(5.0, gt=0, description="Timeout of one webhook POST")
