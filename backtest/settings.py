"""Where a backtest runs: the shared stack's Kafka and PostgreSQL (the services' own variables) and the
scratch database and ports (BACKTEST_* variables)."""

from __future__ import annotations

import time

from pydantic_settings import BaseSettings, SettingsConfigDict

from backtest.harness import Target


class BacktestSettings(BaseSettings):
    """The shared stack to run against (the same variables as the services) and the scratch names."""

    model_config = SettingsConfigDict(extra="ignore")

    waspada_kafka_bootstrap: str = "127.0.0.1:19092"
    waspada_database_url: str = "postgresql://waspada@127.0.0.1:15432/waspada"
    backtest_database: str = "waspada_backtest"
    # Ports 2818x: bench uses 2808x, the live stack 808x.
    backtest_intake_port: int = 28180
    backtest_scoring_port: int = 28181
    backtest_notify_port: int = 28182

    def target(self, name: str = "backtest") -> Target:
        return Target(
            bootstrap=self.waspada_kafka_bootstrap,
            admin_dsn=self.waspada_database_url,
            database=self.backtest_database,
            prefix=f"{name}{int(time.time() * 1000)}.",
            ports={
                "intake": self.backtest_intake_port,
                "scoring": self.backtest_scoring_port,
                "notify": self.backtest_notify_port,
            },
            log_name=name,
            # Event time only: the wall-clock wait before quiet-time resolution is for people, and would
            # make what resolves depend on how long the replay takes.
            env={"WASPADA_RESOLVE_GUARD": "false"},
        )
