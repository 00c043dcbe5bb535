"""Alerts, their versions, their delivery log ("who was told, and when") and acknowledgements."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, model_validator

from waspada_notify.adapters.processor import AlertNotFound, AlertResolved, CandidateNotPending
from waspada_notify.api.context import ApiContext, not_found, scope_clause, sees
from waspada_shared.auth import Principal
from waspada_shared.contracts.alert import Alert, AlertStatus, Audience, CandidateStatus
from waspada_shared.http import ProblemError, principal_dependency
from waspada_shared.keys import KeyStore
from waspada_shared.levels import Level
from waspada_shared.problems import problem


class AlertList(BaseModel):
    alerts: list[Alert]


class DeliveryAttempt(BaseModel):
    receiver: str
    channel: str
    target: str | None = Field(None, description="Shown to national and admin keys only")
    version: int
    attempt: int | None = None
    attempted_at: datetime
    finished_at: datetime | None = None
    outcome: str = Field(
        description="sending, delivered, retry, failed, or unknown (notify stopped mid-attempt)"
    )
    response_code: int | None = None
    error: str | None = None
    duration_ms: float | None = None


class DeliveryState(BaseModel):
    receiver: str
    channel: str
    target: str | None = None
    version: int
    status: str = Field(description="pending, sending, delivered, failed, suppressed or superseded")
    attempts: int
    created_at: datetime
    next_attempt: datetime
    delivered_at: datetime | None = None
    last_error: str | None = None
    reason: str | None = Field(None, description="Why suppressed: silenced:<id> or inhibited:<alert id>")


class DeliveryLog(BaseModel):
    alert_id: str
    deliveries: list[DeliveryState]
    attempts: list[DeliveryAttempt]


class VersionList(BaseModel):
    alert_id: str
    versions: list[Alert]


class AckIn(BaseModel):
    who: str = Field(min_length=1, max_length=200, description="Who acknowledges (name and role)")
    note: str = Field("", max_length=2000, description="What is being done")


class AckOut(BaseModel):
    alert: Alert
    acknowledged: bool = Field(description="False when the alert had already been acknowledged")
    acknowledged_by: str | None = None
    note: str | None = None


class DecisionIn(BaseModel):
    decision: Literal["confirm", "decline"] = Field(
        description="confirm: Level 4 (Awas); decline: not Level 4"
    )
    by: str = Field(min_length=1, max_length=200, description="Who decides (name and role)")
    reason: str = Field("", max_length=2000, description="Why; required to decline")

    @model_validator(mode="after")
    def _reason_to_decline(self) -> "DecisionIn":
        if self.decision == "decline" and not self.reason.strip():
            raise ValueError("a reason is required to decline a Level-4 candidate")
        return self


def router(keys: KeyStore, ctx: ApiContext) -> APIRouter:
    r = APIRouter(tags=["alerts"])
    principal = principal_dependency(keys)
    Who = Annotated[Principal, Depends(principal)]

    async def visible(alert_id: str, who: Principal) -> Alert:
        row = await ctx.db().fetchrow("SELECT payload FROM alerts WHERE alert_id = $1", alert_id)
        if row is None:
            raise not_found()
        alert = Alert.model_validate(row["payload"])
        if not sees(who, alert):
            raise not_found()  # not 403: a province key learns nothing about other provinces
        return alert

    @r.get("/alerts", response_model=AlertList, summary="Alerts, newest first")
    async def list_alerts(
        who: Who,
        audience: Audience | None = None,
        province: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
        regency: Annotated[str | None, Query(pattern=r"^\d{2}\.\d{2}$")] = None,
        level: Level | None = None,
        status: AlertStatus | None = None,
        since: datetime | None = None,
        candidate: Annotated[
            CandidateStatus | None, Query(description="Only alerts with a Level-4 candidate in this state")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> AlertList:
        args: list[object] = []
        clauses: list[str] = []
        scoped = scope_clause(who, args)
        if scoped:
            clauses.append(scoped)
        for column, value in (
            ("audience", audience.value if audience else None),
            ("regency", regency),
            ("level", level.value if level else None),
            ("status", status.value if status else None),
            ("candidate_status", candidate.value if candidate else None),
        ):
            if value is not None:
                args.append(value)
                clauses.append(f"{column} = ${len(args)}")
        if province is not None:
            args.append(province)
            clauses.append(f"(province = ${len(args)} OR ${len(args)} = ANY(provinces))")
        if since is not None:
            args.append(since)
            clauses.append(f"updated_at >= ${len(args)}")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        args.append(limit)
        rows = await ctx.db().fetch(
            f"SELECT payload FROM alerts {where} ORDER BY updated_at DESC LIMIT ${len(args)}", *args
        )
        return AlertList(alerts=[Alert.model_validate(row["payload"]) for row in rows])

    @r.get("/alerts/{alert_id}", response_model=Alert, summary="One alert")
    async def get_alert(alert_id: str, who: Who) -> Alert:
        return await visible(alert_id, who)

    @r.get("/alerts/{alert_id}/versions", response_model=VersionList, summary="Every version, as sent")
    async def versions(alert_id: str, who: Who) -> VersionList:
        await visible(alert_id, who)
        rows = await ctx.db().fetch(
            "SELECT payload FROM alert_versions WHERE alert_id = $1 ORDER BY version", alert_id
        )
        return VersionList(alert_id=alert_id, versions=[Alert.model_validate(row["payload"]) for row in rows])

    @r.get("/alerts/{alert_id}/deliveries", response_model=DeliveryLog, summary="Who was told, and when")
    async def deliveries(alert_id: str, who: Who) -> DeliveryLog:
        await visible(alert_id, who)
        pool = ctx.db()
        states = await pool.fetch(
            "SELECT receiver, channel, target, version, status, attempts, created_at, next_attempt, delivered_at,"
            " last_error, reason FROM deliveries WHERE alert_id = $1 ORDER BY version, receiver, target",
            alert_id,
        )
        attempts = await pool.fetch(
            "SELECT receiver, channel, target, version, attempt, attempted_at, finished_at, outcome, response_code,"
            " error, duration_ms FROM delivery_attempts WHERE alert_id = $1 ORDER BY attempted_at, id",
            alert_id,
        )

        def shown(row: dict[str, object]) -> dict[str, object]:
            return row if who.is_national else {**row, "target": None}

        return DeliveryLog(
            alert_id=alert_id,
            deliveries=[DeliveryState.model_validate(shown(dict(s))) for s in states],
            attempts=[DeliveryAttempt.model_validate(shown(dict(a))) for a in attempts],
        )

    @r.post("/alerts/{alert_id}/ack", response_model=AckOut, summary="Acknowledge an alert")
    async def ack(alert_id: str, body: AckIn, who: Who) -> AckOut:
        alert = await visible(alert_id, who)
        if alert.audience is Audience.NATIONAL and not who.is_national:
            raise ProblemError(problem(403, "forbidden", "Only national keys acknowledge national alerts"))
        try:
            rec, done = await ctx.alerts().acknowledge(alert_id, body.who, body.note, who.name)
        except AlertNotFound:
            raise not_found() from None
        except AlertResolved:
            raise ProblemError(
                problem(409, "conflict", "The alert is resolved; nothing to acknowledge")
            ) from None
        return AckOut(
            alert=rec.to_alert(), acknowledged=done, acknowledged_by=rec.acknowledged_by, note=rec.ack_note
        )

    @r.post(
        "/alerts/{alert_id}/decision",
        response_model=Alert,
        summary="Confirm or decline a Level-4 candidate",
        description="For national and admin keys and the alert's own province key. `confirm` makes the "
        "region+category Level 4 (Awas), routed to the national desk with the prompt to consider a "
        "*status keadaan konflik*; `decline` needs a reason. Recorded as an event (alert topics, "
        "version history); `409` when the alert has no candidate awaiting a decision.",
    )
    async def decide(alert_id: str, body: DecisionIn, who: Who) -> Alert:
        await visible(alert_id, who)  # any key that sees the alert decides: its province, national, admin
        try:
            rec = await ctx.alerts().decide(
                alert_id, body.decision == "confirm", body.by, body.reason.strip(), who.name
            )
        except AlertNotFound:
            raise not_found() from None
        except (AlertResolved, CandidateNotPending):
            raise ProblemError(
                problem(409, "conflict", "The alert has no Level-4 candidate awaiting a decision")
            ) from None
        return rec.to_alert()

    return r
