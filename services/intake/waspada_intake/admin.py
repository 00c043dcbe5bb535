"""Who am I, key administration and the audit log, over HTTP (admin keys; `/v1/me` for any key).

Keys live in the shared `auth` schema, as for the keys CLI (`python -m waspada_intake.keys`); every
change is audited in the same transaction. Intake serves these because it owns the keys CLI.
"""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import asyncpg
from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from waspada_intake.adapters.reporters import Match, ReporterVault
from waspada_intake.api import problem_responses
from waspada_shared import audit
from waspada_shared.audit import AuditEntry
from waspada_shared.auth import Principal
from waspada_shared.http import ProblemError, bearer_token, unauthorized
from waspada_shared.keys import KeyStore
from waspada_shared.problems import problem

SERVICE = "intake"
_SECURED: dict[str, object] = {"security": [{"bearer": []}]}


class Me(BaseModel):
    name: str = Field(description="The key's name")
    scope: str = Field(description="A province code, national or admin")


class KeyInfo(BaseModel):
    name: str
    scope: str
    rate_limit: float | None = None
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = Field(None, description="Written by the services every few seconds")
    revoked_at: datetime | None = None
    revoked_by: str | None = None


class KeyList(BaseModel):
    keys: list[KeyInfo]


class NewKey(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    scope: str = Field(description="A province code (e.g. 19), national or admin")
    rate_limit: float | None = Field(None, gt=0, description="Requests per second; default: the service's")
    expires_in_days: int | None = Field(None, ge=1, le=3650, description="Days until it expires; none: never")


class CreatedKey(BaseModel):
    name: str
    scope: str
    expires_at: datetime | None
    key: str = Field(description="The key itself: shown only now, stored only as a hash")


class Revoked(BaseModel):
    name: str
    revoked: bool


class AuditList(BaseModel):
    entries: list[AuditEntry]


class EraseRequest(BaseModel):
    """Whose reporter data to erase (UU 27/2022): reports named, or every report of a phone or email."""

    report_ids: list[str] = Field(default_factory=list, max_length=1000)
    phone: str | None = Field(None, min_length=3, max_length=40)
    email: str | None = Field(None, min_length=3, max_length=200)


class Erased(BaseModel):
    erased: list[str] = Field(description="Reports whose reporter was erased now")


class ClientEvent(BaseModel):
    """What a client of the APIs (the console) records about its own key's sessions."""

    action: Literal["console.signed_in", "console.signed_out"]


def router() -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["admin"])

    async def who(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
        keys: KeyStore = request.app.state.keys
        token = bearer_token(authorization)
        found = await keys.authenticate(token) if token else None
        if found is None:
            raise unauthorized()
        return found

    Who = Annotated[Principal, Depends(who)]

    def admin_only(p: Principal) -> None:
        if not p.is_admin:
            raise ProblemError(
                problem(403, "forbidden", "Only admin keys manage keys and read the audit log")
            )

    def pool(request: Request) -> asyncpg.Pool:
        keys: KeyStore = request.app.state.keys
        return keys.pool

    @r.get(
        "/me",
        response_model=Me,
        summary="The calling key's name and scope",
        responses=problem_responses(401),
        openapi_extra=_SECURED,
    )
    async def me(p: Who) -> Me:
        return Me(name=p.name, scope=p.scope)

    @r.post(
        "/audit/events",
        status_code=204,
        summary="Record a console session event of the calling key",
        responses=problem_responses(400, 401, 422),
        openapi_extra=_SECURED,
    )
    async def client_event(body: ClientEvent, p: Who, request: Request) -> None:
        await audit.record(
            pool(request), p, body.action, service="console", scope=p.scope if p.scope.isdigit() else None
        )

    @r.get(
        "/admin/keys",
        response_model=KeyList,
        summary="Every key (never the keys themselves)",
        responses=problem_responses(401, 403),
        openapi_extra=_SECURED,
    )
    async def list_keys(p: Who, request: Request) -> KeyList:
        admin_only(p)
        keys: KeyStore = request.app.state.keys
        return KeyList(keys=[KeyInfo.model_validate(dict(row)) for row in await keys.list()])

    @r.post(
        "/admin/keys",
        response_model=CreatedKey,
        status_code=201,
        summary="Create a key (shown once)",
        responses=problem_responses(400, 401, 403, 409, 422),
        openapi_extra=_SECURED,
    )
    async def create_key(body: NewKey, p: Who, request: Request) -> CreatedKey:
        admin_only(p)
        keys: KeyStore = request.app.state.keys
        expires = datetime.now(UTC) + timedelta(days=body.expires_in_days) if body.expires_in_days else None
        try:
            key = await keys.create(
                body.name, body.scope, body.rate_limit, expires, by=(p.name, p.scope), service=SERVICE
            )
        except ValueError as exc:
            raise ProblemError(problem(422, "invalid", str(exc))) from None
        except asyncpg.UniqueViolationError:
            raise ProblemError(
                problem(409, "conflict", f"A key named {body.name!r} exists already")
            ) from None
        return CreatedKey(name=body.name, scope=body.scope, expires_at=expires, key=key)

    @r.post(
        "/admin/keys/{name}/revoke",
        response_model=Revoked,
        summary="Revoke a key by name",
        responses=problem_responses(401, 403, 404),
        openapi_extra=_SECURED,
    )
    async def revoke_key(name: str, p: Who, request: Request) -> Revoked:
        admin_only(p)
        keys: KeyStore = request.app.state.keys
        if not await keys.revoke(name, by=(p.name, p.scope), service=SERVICE):
            raise ProblemError(problem(404, "not-found", f"No active key named {name!r}"))
        return Revoked(name=name, revoked=True)

    @r.get(
        "/admin/audit",
        response_model=AuditList,
        summary="The audit log, newest first",
        responses=problem_responses(401, 403, 422),
        openapi_extra=_SECURED,
    )
    async def audit_log(
        p: Who,
        request: Request,
        since: AwareDatetime | None = None,
        action: str | None = None,
        province: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> AuditList:
        admin_only(p)
        rows = await audit.entries(pool(request), since=since, action=action, scope=province, limit=limit)
        return AuditList(entries=rows)

    @r.post(
        "/admin/reporters/erase",
        response_model=Erased,
        summary="Erase a reporter's confidential data (admin keys; audited per report)",
        responses=problem_responses(400, 401, 403, 422),
        openapi_extra=_SECURED,
    )
    async def erase(body: EraseRequest, p: Who, request: Request) -> Erased:
        admin_only(p)
        match = Match(tuple(body.report_ids), body.phone, body.email)
        if not (match.report_ids or match.needs_decryption()):
            raise ProblemError(problem(422, "invalid", "Name report_ids, phone or email"))
        vault: ReporterVault = request.app.state.vault
        return Erased(erased=await vault.erase(match, p))

    return r
