"""The audit log (`auth.audit_log`): who did what, when, to what, in which province. Append-only.

Human and administrative actions are recorded in the same transaction as the action itself, so an
action without its record (or a record without its action) cannot happen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy
from pydantic import BaseModel, Field

from waspada_shared.auth import Principal

Executor = asyncpg.Connection | PoolConnectionProxy | asyncpg.Pool


class AuditEntry(BaseModel):
    """One recorded action (the API's view of a row)."""

    id: int
    at: datetime
    actor: str = Field(description="Name of the key that acted")
    actor_scope: str = Field(description="Scope of that key: province code, national or admin")
    action: str = Field(description="e.g. alert.acknowledged, silence.created, key.revoked")
    target: str | None = Field(None, description="Alert id, silence id, key name, report id")
    scope: str | None = Field(None, description="The province concerned, if any")
    detail: dict[str, Any] = Field(default_factory=dict)
    service: str


async def record(
    db: Executor,
    who: Principal | tuple[str, str],
    action: str,
    *,
    service: str,
    target: str | None = None,
    scope: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one entry; `who` is the acting key, or (name, scope) for a command-line operator."""
    name, actor_scope = (who.name, who.scope) if isinstance(who, Principal) else who
    await db.execute(
        # detail travels as text: pools with and without a JSON codec store it the same way
        "INSERT INTO auth.audit_log (actor, actor_scope, action, target, scope, detail, service)"
        " VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7)",
        name,
        actor_scope,
        action,
        target,
        scope,
        orjson.dumps(detail or {}).decode(),
        service,
    )


async def entries(
    db: Executor,
    *,
    since: datetime | None = None,
    action: str | None = None,
    scope: str | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """Newest first."""
    rows = await db.fetch(
        "SELECT id, at, actor, actor_scope, action, target, scope, detail::text AS detail, service"
        " FROM auth.audit_log"
        " WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::text IS NULL OR action = $2)"
        " AND ($3::text IS NULL OR scope = $3) ORDER BY id DESC LIMIT $4",
        since,
        action,
        scope,
        limit,
    )
    return [AuditEntry.model_validate({**dict(r), "detail": orjson.loads(r["detail"])}) for r in rows]
