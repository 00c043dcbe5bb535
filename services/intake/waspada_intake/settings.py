"""Intake settings (`WASPADA_*` environment variables; defaults fit the local stack)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from waspada_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    http_port: int = Field(8080, description="HTTP port of the intake API")
    reporter_key: SecretStr | None = Field(
        None,
        description="32-byte key, urlsafe base64 (e.g. from `Fernet.generate_key()`), encrypting "
        "`reporter` at rest with AES-256-GCM; required outside the local profile. After a rotation: "
        "the new key first, then the old ones still to be read, comma-separated",
    )
    reporter_retention_days: int = Field(
        365,
        ge=1,
        description="Days after receipt when a report's confidential reporter is erased (UU 27/2022: kept "
        "no longer than needed); the report itself stays",
    )
    default_rate_limit: float = Field(
        200.0, gt=0, description="Requests per second per key, unless set per key"
    )
    max_body_bytes: int = Field(64 * 1024, description="Largest accepted single-report body (413 above)")
    max_batch_items: int = Field(500, ge=1, description="Most reports in one batch request")
    max_batch_bytes: int = Field(16 * 1024 * 1024, description="Largest accepted batch body (413 above)")
    demo_rate_limit: float = Field(
        10_000.0, gt=0, description="Rate limit of the local profile's demo keys (requests/s)"
    )
    group_commit_inflight: int = Field(
        2, ge=1, description="Concurrent store transactions; submissions arriving meanwhile share the next"
    )
    group_commit_max: int = Field(2000, ge=1, description="Most reports in one group commit")
    outbox_batch: int = Field(1000, ge=1, description="Most outbox rows relayed to Kafka per round")
    outbox_linger_ms: float = Field(
        10.0,
        ge=0,
        description="After a commit wakes the outbox relay, how long it waits for more before relaying "
        "(one round per few reports instead of one per report at low rates; 0: at once)",
    )
    consumer_batch: int = Field(500, ge=1, description="Most records per Kafka consume batch")
