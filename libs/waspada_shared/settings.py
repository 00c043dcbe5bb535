"""Settings shared by every service, read from `WASPADA_*` environment variables.

Each service subclasses `ServiceSettings`; the defaults match the local stack (`deploy/local/env.sh`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from waspada_shared.topics import Topics


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WASPADA_", extra="ignore")

    profile: Literal["local", "test", "production"] = Field(
        "production", description="`local` enables demo keys and the demo webhook receiver"
    )
    kafka_bootstrap: str = Field("127.0.0.1:19092", description="Kafka bootstrap servers, comma-separated")
    # Kafka security: SASL_PLAINTEXT with SCRAM-SHA-512 on the local stack (deploy/local/env.sh, the local
    # profile's demo principals), SASL_SSL on Kubernetes, where every service is its own Strimzi KafkaUser
    # (deploy/k8s/base/kafka-users.yaml); PLAINTEXT only for a broker without authentication (compose).
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT",
        description="PLAINTEXT; SASL_PLAINTEXT (SASL with kafka_sasl_mechanism, no TLS: loopback only); "
        "or SASL_SSL (TLS + SASL)",
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512"] = Field("SCRAM-SHA-512", description="SASL mechanism")
    kafka_sasl_username: str = Field("", description="SASL user (the service's KafkaUser)")
    kafka_sasl_password: SecretStr = Field(SecretStr(""), description="SASL password")
    kafka_ssl_cafile: str = Field(
        "", description="CA bundle verifying the brokers (SASL_SSL); empty: the system's"
    )
    database_url: str = Field("postgresql://waspada@127.0.0.1:15432/waspada", description="PostgreSQL DSN")
    topic_prefix: str = Field("", description="Prefix for every topic name")
    http_host: str = Field("127.0.0.1", description="Address the HTTP server binds to")
    log_level: str = Field("INFO", description="Python log level")
    db_pool_min: int = Field(2, ge=1)
    db_pool_max: int = Field(10, ge=1)

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)

    @property
    def is_local(self) -> bool:
        return self.profile == "local"
