"""What the API handlers need, built once by the composition root (no globals)."""

from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from waspada_notify.adapters.processor import AlertProcessor
from waspada_shared.auth import Principal
from waspada_shared.contracts.alert import Alert
from waspada_shared.http import ProblemError
from waspada_shared.problems import problem


@dataclass
class ApiContext:
    pool: asyncpg.Pool | None = None  # attached at start-up
    processor: AlertProcessor | None = None
    cap_sender: str = "waspada.kemendagri.go.id"
    intake_schema: str = "intake"
    resolve_timeout: timedelta = timedelta(hours=72)

    def db(self) -> asyncpg.Pool:
        if self.pool is None:
            raise ProblemError(problem(503, "unavailable", "Notify is starting"))
        return self.pool

    def alerts(self) -> AlertProcessor:
        if self.processor is None:
            raise ProblemError(problem(503, "unavailable", "Notify is starting"))
        return self.processor


def sees(who: Principal, alert: Alert) -> bool:
    return who.is_national or who.scope == alert.province or who.scope in alert.provinces


def not_found(what: str = "alert") -> ProblemError:
    return ProblemError(problem(404, "not-found", f"No such {what}"))


def scope_clause(who: Principal, args: list[object], column: str = "province") -> str | None:
    """SQL restricting rows to the key's province (None for national and admin keys)."""
    if who.is_national:
        return None
    args.append(who.scope)
    n = len(args)
    return f"({column} = ${n} OR ${n} = ANY(provinces))"
