"""Intake settings (`WASPADA_*` environment variables; defaults fit the local stack)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from waspada_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    http_port: int = Field(8080, description="HTTP port of the intake API")
    reporter_key: SecretStr | None = Field(
        None,
        description="Fernet key (urlsafe base64, 32 bytes) encrypting `reporter` at rest; "
        "required outside the local profile",
    )
    default_rate_limit: float = Field(
        200.0, gt=0, description="Requests per second per key, unless set per key"
    )
    max_body_bytes: int = Field(64 * 1024, description="Largest accepted single-report body (413 above)")
    max_batch_items: int = Field(500, description="Most reports in one batch request")
    outbox_batch: int = Field(1000, ge=1, description="Most outbox rows relayed to Kafka per round")
    consumer_batch: int = Field(500, ge=1, description="Most records per Kafka consume batch")
