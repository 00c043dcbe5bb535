"""Scoring settings (`WASPADA_*` environment variables)."""

from __future__ import annotations

from pydantic import Field

from waspada_shared.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    http_port: int = Field(8081, description="Port of /healthz, /readyz, /metrics")
    consumer_batch: int = Field(500, ge=1, description="Most records per Kafka consume batch")
    db_schema: str = Field(
        "scoring",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL schema of assessments and region state",
    )
    model_file: str | None = Field(
        None, description="Model YAML to score with; default: the model shipped in the package"
    )
