"""Ringkasan (the first page) and Tentang (about, credits)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from waspada_console import alertview
from waspada_console.client import Service
from waspada_console.web import get_ok, render, signed_in
from waspada_shared.regions import reference

SILENT_DAYS = 30


def router() -> APIRouter:
    r = APIRouter()

    @r.get("/")
    async def overview(request: Request) -> Response:
        s = signed_in(request)
        body = await get_ok(request, Service.NOTIFY, "/v1/alerts", {"status": "firing", "limit": 1000})
        alerts = alertview.one_per_group(body.get("alerts", []), s.is_national)
        since = datetime.now(UTC) - timedelta(days=SILENT_DAYS)
        activity = await get_ok(
            request, Service.INTAKE, "/v1/regencies/activity", {"since": since.isoformat()}
        )
        reporting = {a["regency"] for a in activity.get("regencies", [])}
        ref = reference()
        scope = [r for r in ref.regencies.values() if s.is_national or r.province_code == s.scope]
        silent = sorted((r for r in scope if r.code not in reporting), key=lambda r: r.code)
        by_province: dict[str, list[str]] = {}
        for reg in silent:
            by_province.setdefault(reg.province_code, []).append(reg.code)
        return render(
            request,
            "ringkasan.html",
            counts=alertview.counts_by_level(alerts),
            escalations=alertview.newest_escalations(alerts),
            candidates=[a for a in alerts if alertview.pending(a)],
            silent=silent,
            silent_by_province=by_province,
            regencies_in_scope=len(scope),
            silent_days=SILENT_DAYS,
        )

    @r.get("/tentang")
    async def about(request: Request) -> Response:
        return render(request, "tentang.html")

    return r
