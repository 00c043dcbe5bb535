"""Silences: matchers, a time window, an author and a reason; listed, and deleted by expiring them."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

import asyncpg
from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, Field

from waspada_notify.api.context import ApiContext, not_found
from waspada_notify.domain.matchers import LABELS, Matcher, Op
from waspada_shared import audit
from waspada_shared.auth import Principal
from waspada_shared.contracts.rejection import FieldError
from waspada_shared.http import ProblemError, principal_dependency
from waspada_shared.keys import KeyStore
from waspada_shared.problems import problem

LabelName = Literal["audience", "coverage", "province", "regency", "category", "level", "escalation"]
assert set(LabelName.__args__) == set(LABELS)  # type: ignore[attr-defined]


class MatcherIn(BaseModel):
    name: LabelName
    value: str = Field(max_length=200)
    op: Literal["=", "!=", "=~", "!~", ">=", "<="] = "="


class SilenceIn(BaseModel):
    matchers: list[MatcherIn] = Field(min_length=1, max_length=20)
    starts_at: AwareDatetime | None = Field(None, description="Default: now")
    ends_at: AwareDatetime
    created_by: str = Field(min_length=1, max_length=200, description="Author")
    comment: str = Field(min_length=1, max_length=2000, description="Reason (required)")


class SilenceOut(BaseModel):
    silence_id: str
    matchers: list[str]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    created_at: datetime
    state: Literal["pending", "active", "expired"]


class SilenceList(BaseModel):
    silences: list[SilenceOut]


def _out(row: asyncpg.Record, now: datetime) -> SilenceOut:
    state: Literal["pending", "active", "expired"] = (
        "expired" if row["ends_at"] <= now else "pending" if row["starts_at"] > now else "active"
    )
    return SilenceOut(
        silence_id=row["silence_id"],
        matchers=list(row["matchers"]),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        created_by=row["created_by"],
        comment=row["comment"],
        created_at=row["created_at"],
        state=state,
    )


def _invalid(field: str, message: str) -> ProblemError:
    return ProblemError(
        problem(
            422,
            "invalid-request",
            "Invalid request",
            errors=[FieldError(field=field, message=message, code="invalid")],
        )
    )


def router(keys: KeyStore, ctx: ApiContext) -> APIRouter:
    r = APIRouter(tags=["silences"])
    principal = principal_dependency(keys)
    Who = Annotated[Principal, Depends(principal)]

    @r.post("/silences", response_model=SilenceOut, status_code=201, summary="Create a silence")
    async def create(body: SilenceIn, who: Who) -> SilenceOut:
        now = datetime.now(UTC)
        matchers: list[Matcher] = []
        for i, m in enumerate(body.matchers):
            try:
                matchers.append(Matcher.create(m.name, Op(m.op), m.value))
            except ValueError as exc:
                raise _invalid(f"matchers.{i}", str(exc)) from None
        province: str | None = None
        if not who.is_national:
            # A province key silences its own province only: say so in the matchers if it did not.
            own = [m for m in matchers if m.name == "province"]
            if any(m.op is not Op.EQ or m.value != who.scope for m in own):
                raise ProblemError(problem(403, "forbidden", "A province key silences its own province only"))
            if not own:
                matchers.append(Matcher.create("province", Op.EQ, who.scope))
            province = who.scope
        starts = body.starts_at or now
        if body.ends_at <= starts or body.ends_at <= now:
            raise _invalid("ends_at", "ends_at must be after starts_at and in the future")
        async with ctx.db().acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "INSERT INTO silences (silence_id, matchers, starts_at, ends_at, created_by, comment, principal,"
                " province) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
                str(uuid.uuid4()),
                [str(m) for m in matchers],
                starts,
                body.ends_at,
                body.created_by,
                body.comment,
                who.name,
                province,
            )
            assert row is not None
            await audit.record(
                conn,
                who,
                "silence.created",
                service="notify",
                target=row["silence_id"],
                scope=province,
                detail={
                    "matchers": row["matchers"],
                    "ends_at": body.ends_at.isoformat(),
                    "created_by": body.created_by,
                    "comment": body.comment,
                },
            )
        return _out(row, now)

    @r.get(
        "/silences",
        response_model=SilenceList,
        summary="Silences (active and pending; ?all=true for expired too)",
    )
    async def list_silences(who: Who, all: Annotated[bool, Query()] = False) -> SilenceList:
        now = datetime.now(UTC)
        rows = await ctx.db().fetch(
            "SELECT * FROM silences WHERE ($1 OR ends_at > $2) AND ($3::text IS NULL OR province = $3)"
            " ORDER BY created_at DESC LIMIT 1000",
            all,
            now,
            None if who.is_national else who.scope,
        )
        return SilenceList(silences=[_out(row, now) for row in rows])

    @r.delete("/silences/{silence_id}", response_model=SilenceOut, summary="Expire a silence now")
    async def delete(silence_id: str, who: Who) -> SilenceOut:
        now = datetime.now(UTC)
        async with ctx.db().acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "UPDATE silences SET ends_at = LEAST(ends_at, $2), expired_at = $2"
                " WHERE silence_id = $1 AND ($3::text IS NULL OR province = $3) RETURNING *",
                silence_id,
                now,
                None if who.is_national else who.scope,
            )
            if row is None:
                raise not_found("silence")
            await audit.record(
                conn, who, "silence.expired", service="notify", target=silence_id, scope=row["province"]
            )
        return _out(row, now)

    return r
