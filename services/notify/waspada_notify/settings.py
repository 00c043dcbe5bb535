"""Notify settings (`WASPADA_*` environment variables)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from waspada_shared.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    http_port: int = Field(8082, description="HTTP port of the notify API")
    consumer_batch: int = Field(1000, ge=1, description="Most records per Kafka consume batch")
    consumer_group: str = Field("waspada-notify", description="Kafka consumer group of risk.assessed.v1")
    routing_config: Path | None = Field(
        None, description="Routing YAML (Alertmanager-like); default: the packaged waspada_notify/routing.yml"
    )
    db_schema: str = Field(
        "notify", pattern=r"^[a-z_][a-z0-9_]*$", description="PostgreSQL schema of notify's tables"
    )
    intake_schema: str = Field(
        "intake",
        pattern=r"^[a-z_][a-z0-9_]*$",
        description="Schema of intake's tables (read for /v1/summary)",
    )
    demo_webhook_url: str | None = Field(
        None, description="Local profile only: webhook receiving every alert (the demo receiver)"
    )
    webhook_secret: SecretStr = Field(
        SecretStr("waspada-local-webhook-secret"), description="HMAC-SHA256 key signing webhook bodies"
    )
    role: Literal["all", "decide", "deliver"] = Field(
        "all",
        description="all: one process decides alerts and delivers them; decide: consume assessments, decide, "
        "sweep (and wake the deliverers through PostgreSQL NOTIFY); deliver: only the delivery worker. "
        "Under load, one `decide` and one or more `deliver` processes keep webhook sending off the "
        "decision path (docs/notify.md)",
    )
    delivery_max_attempts: int = Field(8, ge=1, description="Attempts before a delivery is marked failed")
    delivery_timeout_seconds: float = Field(5.0, gt=0, description="Timeout of one webhook POST")
    delivery_backoff_seconds: float = Field(1.0, gt=0, description="First retry delay; doubles per attempt")
    delivery_backoff_max_seconds: float = Field(300.0, gt=0, description="Longest retry delay")
    delivery_concurrency: int = Field(64, ge=1, description="Delivery attempts in flight at once")
    delivery_lease_seconds: float = Field(
        30.0, gt=0, description="A claimed delivery not recorded within this time is retried (crash recovery)"
    )
    sweep_interval_seconds: float = Field(
        5.0, gt=0, description="How often quiet time, roll-up windows, ack timeouts and repeats are checked"
    )
    publish_alert_topics: bool = Field(True, description="Publish province/national alert events to Kafka")
    processed_retention_days: int = Field(
        30,
        ge=1,
        description="Days the ids of processed assessments are kept against redelivery: longer than Kafka's "
        "retention of risk.assessed.v1 (the replay horizon)",
    )
    delivery_log_retention_days: int = Field(
        730, ge=1, description="Days the delivery log of a resolved alert is kept (who was told, and when)"
    )
    resolve_guard: bool = Field(
        True,
        description="Quiet-time resolution waits group_interval (wall clock) after an alert's last version, so "
        "people see an alert before its end; false for backtests, which judge event time only",
    )
    smtp_username: str | None = Field(None, description="SMTP login (the host is in the routing file)")
    smtp_password: SecretStr | None = Field(None, description="SMTP password")
    cap_sender: str = Field(
        "waspada.kemendagri.go.id", pattern=r"^[^\s,]+$", description="CAP `sender` (no spaces or commas)"
    )
