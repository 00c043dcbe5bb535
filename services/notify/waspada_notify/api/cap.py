"""CAP 1.2 per alert and the Atom feed of current alerts (SPEC §7)."""

from datetime import UTC, datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, Query, Request, Response

from waspada_notify.api.context import ApiContext, not_found, scope_clause, sees
from waspada_notify.domain.cap import Sent, atom_feed, cap_element, to_bytes
from waspada_shared.auth import Principal
from waspada_shared.contracts.alert import Alert
from waspada_shared.http import principal_dependency
from waspada_shared.keys import KeyStore
from waspada_shared.logging import get_logger

log = get_logger(__name__)
CAP_TYPE = "application/cap+xml"
ATOM_TYPE = "application/atom+xml"


async def credibilities(pool: asyncpg.Pool, schema: str, report_ids: list[str]) -> dict[str, int]:
    """Information credibility (Admiralty 1..6) of reports, from intake's store (read-only)."""
    if not report_ids:
        return {}
    name = '"' + schema.replace('"', "") + '"'
    try:
        rows = await pool.fetch(
            f"SELECT report_id, (facts->'source'->>'credibility')::int AS c FROM {name}.reports"
            " WHERE report_id = ANY($1::text[])",
            report_ids,
        )
    except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError, asyncpg.DataError) as exc:
        log.warning("report credibility not readable; CAP certainty Unknown", error=str(exc))
        return {}
    return {r["report_id"]: r["c"] for r in rows if r["c"] is not None}


def best(alert: Alert, known: dict[str, int]) -> int | None:
    grades = [known[r] for r in alert.report_ids if r in known]
    return min(grades) if grades else None


def router(keys: KeyStore, ctx: ApiContext) -> APIRouter:
    r = APIRouter(tags=["cap"])
    principal = principal_dependency(keys)
    Who = Annotated[Principal, Depends(principal)]

    @r.get(
        "/alerts/{alert_id}/cap",
        summary="The alert as a CAP 1.2 message (latest version, or ?version=n)",
        response_class=Response,
        responses={200: {"content": {CAP_TYPE: {}}}},
    )
    async def alert_cap(
        alert_id: str, request: Request, who: Who, version: Annotated[int | None, Query(ge=1)] = None
    ) -> Response:
        pool = ctx.db()
        rows = await pool.fetch(
            "SELECT version, created_at, payload FROM alert_versions WHERE alert_id = $1 ORDER BY version",
            alert_id,
        )
        current = await pool.fetchrow("SELECT payload FROM alerts WHERE alert_id = $1", alert_id)
        if current is None:
            raise not_found()
        alert = Alert.model_validate(current["payload"])
        if not sees(who, alert):
            raise not_found()
        if version is not None:
            match = [row for row in rows if row["version"] == version]
            if not match:
                raise not_found("version")
            alert = Alert.model_validate(match[0]["payload"])
        elif rows and rows[-1]["version"] == alert.version:
            alert = Alert.model_validate(rows[-1]["payload"])  # exactly as sent
        earlier = [Sent(row["version"], row["created_at"]) for row in rows if row["version"] < alert.version]
        known = await credibilities(pool, ctx.intake_schema, alert.report_ids)
        el = cap_element(
            alert,
            earlier,
            sender=ctx.cap_sender,
            credibility=best(alert, known),
            quiet=ctx.resolve_timeout,
            web=str(request.url_for("get_alert", alert_id=alert.alert_id)),
        )
        return Response(to_bytes(el), media_type=CAP_TYPE)

    @r.get(
        "/cap/feed",
        summary="Atom feed of current (firing) alerts as CAP 1.2",
        response_class=Response,
        responses={200: {"content": {ATOM_TYPE: {}}}},
    )
    async def feed(
        request: Request,
        who: Who,
        province: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    ) -> Response:
        pool = ctx.db()
        args: list[object] = []
        clauses = ["status = 'firing'"]
        scoped = scope_clause(who, args)
        if scoped:
            clauses.append(scoped)
        if province:
            args.append(province)
            clauses.append(f"(province = ${len(args)} OR ${len(args)} = ANY(provinces))")
        args.append(limit)
        rows = await pool.fetch(
            f"SELECT payload FROM alerts WHERE {' AND '.join(clauses)} ORDER BY updated_at DESC LIMIT ${len(args)}",
            *args,
        )
        alerts = [Alert.model_validate(row["payload"]) for row in rows]
        history = await pool.fetch(
            "SELECT alert_id, version, created_at FROM alert_versions WHERE alert_id = ANY($1::text[])",
            [a.alert_id for a in alerts],
        )
        sent: dict[str, list[Sent]] = {}
        for h in history:
            sent.setdefault(h["alert_id"], []).append(Sent(h["version"], h["created_at"]))
        known = await credibilities(
            pool, ctx.intake_schema, sorted({i for a in alerts for i in a.report_ids})
        )
        entries = [
            (
                a,
                cap_element(
                    a,
                    sent.get(a.alert_id, []),
                    sender=ctx.cap_sender,
                    credibility=best(a, known),
                    quiet=ctx.resolve_timeout,
                ),
                str(request.url_for("alert_cap", alert_id=a.alert_id)),
            )
            for a in alerts
        ]
        updated = max((a.updated_at for a in alerts), default=datetime.now(UTC))
        body = atom_feed(
            entries,
            feed_id=f"urn:waspada:cap-feed:{province or (who.scope if not who.is_national else 'all')}",
            title="Waspada: peringatan dini konflik sosial (CAP 1.2)",
            self_url=str(request.url),
            updated=updated,
        )
        return Response(body, media_type=ATOM_TYPE)

    return r
