"""Console settings (`WASPADA_*` environment variables); defaults fit the local stack (deploy/local/env.sh)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from waspada_shared.settings import ServiceSettings


class ConsoleSettings(ServiceSettings):
    http_port: int = Field(8083, description="HTTP port of the console")
    intake_url: str = Field("http://127.0.0.1:8080", description="Base URL of the intake API")
    notify_url: str = Field("http://127.0.0.1:8082", description="Base URL of the notify API")
    session_secret: SecretStr | None = Field(
        None,
        description="Key signing the session cookie; required outside the local and test profiles "
        "(locally a fresh random one per process)",
    )
    session_idle_minutes: int = Field(480, ge=5, description="A session unused this long is signed out")
    session_max: int = Field(10_000, ge=10, description="Most sessions held at once (oldest dropped)")
    secure_cookies: bool | None = Field(
        None,
        description="Mark cookies Secure; default: when the request came over HTTPS (X-Forwarded-Proto "
        "from a trusted proxy counts)",
    )
    api_timeout_seconds: float = Field(10.0, gt=0, description="Timeout of one call to intake or notify")
    poll_seconds: int = Field(15, ge=1, description="How often open alert pages look for new alerts")
