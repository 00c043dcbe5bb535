"""HTTP API of notify (SPEC §4): alerts and their delivery log.

No `from __future__ import annotations`: FastAPI resolves the closures' dependency annotations at runtime.
"""

from datetime import datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from waspada_shared.auth import Principal
from waspada_shared.contracts.alert import Alert, AlertStatus, Audience
from waspada_shared.http import ProblemError, principal_dependency
from waspada_shared.keys import KeyStore
from waspada_shared.levels import Level
from waspada_shared.problems import problem


class AlertList(BaseModel):
    alerts: list[Alert]


class DeliveryAttempt(BaseModel):
    receiver: str
    channel: str
    version: int
    attempted_at: datetime
    outcome: str
    response_code: int | None = None
    error: str | None = None


class DeliveryLog(BaseModel):
    alert_id: str
    attempts: list[DeliveryAttempt]


def build_router(keys: KeyStore) -> APIRouter:
    router = APIRouter(prefix="/v1")
    principal = principal_dependency(keys)

    def pool(request: Request) -> asyncpg.Pool:
        return request.app.state.pool  # type: ignore[no-any-return]

    async def visible_alert(alert_id: str, request: Request, who: Principal) -> Alert:
        row = await pool(request).fetchrow("SELECT payload FROM notify.alerts WHERE alert_id = $1", alert_id)
        if row is None:
            raise ProblemError(problem(404, "not-found", "No such alert"))
        alert = Alert.model_validate(row["payload"])
        if not who.may_read(alert.province):
            raise ProblemError(problem(404, "not-found", "No such alert"))
        return alert

    @router.get("/alerts", response_model=AlertList, summary="Alerts, newest first")
    async def list_alerts(
        request: Request,
        who: Annotated[Principal, Depends(principal)],
        audience: Audience | None = None,
        province: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
        regency: Annotated[str | None, Query(pattern=r"^\d{2}\.\d{2}$")] = None,
        level: Level | None = None,
        status: AlertStatus | None = None,
        since: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> AlertList:
        if not who.is_national:
            if province is not None and province != who.scope:
                return AlertList(alerts=[])
            province = who.scope
        clauses: list[str] = []
        args: list[object] = []
        for column, value in (
            ("audience", audience.value if audience else None),
            ("province", province),
            ("regency", regency),
            ("level", level.value if level else None),
            ("status", status.value if status else None),
        ):
            if value is not None:
                args.append(value)
                clauses.append(f"{column} = ${len(args)}")
        if since is not None:
            args.append(since)
            clauses.append(f"updated_at >= ${len(args)}")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        args.append(limit)
        rows = await pool(request).fetch(
            f"SELECT payload FROM notify.alerts {where} ORDER BY updated_at DESC LIMIT ${len(args)}", *args
        )
        return AlertList(alerts=[Alert.model_validate(r["payload"]) for r in rows])

    @router.get("/alerts/{alert_id}", response_model=Alert, summary="One alert")
    async def get_alert(
        alert_id: str, request: Request, who: Annotated[Principal, Depends(principal)]
    ) -> Alert:
        return await visible_alert(alert_id, request, who)

    @router.get("/alerts/{alert_id}/deliveries", response_model=DeliveryLog, summary="Who was told, and when")
    async def deliveries(
        alert_id: str, request: Request, who: Annotated[Principal, Depends(principal)]
    ) -> DeliveryLog:
        await visible_alert(alert_id, request, who)
        rows = await pool(request).fetch(
            "SELECT receiver, channel, version, attempted_at, outcome, response_code, error"
            " FROM notify.delivery_attempts WHERE alert_id = $1 ORDER BY attempted_at, id",
            alert_id,
        )
        return DeliveryLog(alert_id=alert_id, attempts=[DeliveryAttempt(**dict(r)) for r in rows])

    return router
