"""Peta: regencies coloured by their highest current level; one regency's alerts and latest reports."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from waspada_console import alertview
from waspada_console.client import Service
from waspada_console.web import PageError, error_title, get_ok, render, signed_in
from waspada_shared.regions import reference


def router() -> APIRouter:
    r = APIRouter()

    async def levels(request: Request) -> dict[str, int]:
        body = await get_ok(request, Service.NOTIFY, "/v1/alerts", {"status": "firing", "limit": 1000})
        return alertview.regency_levels(body.get("alerts", []))

    @r.get("/peta")
    async def map_page(request: Request) -> Response:
        s = signed_in(request)
        found = await levels(request)
        ref = reference()
        rows = sorted(
            ((code, rank) for code, rank in found.items() if s.is_national or code.startswith(f"{s.scope}.")),
            key=lambda x: (-x[1], x[0]),
        )
        return render(
            request,
            "peta.html",
            rows=rows,
            scope=s.province,
            scope_name=ref.province_name(s.province) if s.province else "Indonesia",
        )

    @r.get("/peta/tingkat.json")
    async def map_levels(request: Request) -> Response:
        s = signed_in(request)
        return JSONResponse({"scope": s.province, "levels": await levels(request)})

    @r.get("/peta/wilayah/{regency}")
    async def regency_panel(request: Request, regency: str, bagian: str = "") -> Response:
        s = signed_in(request)
        ref = reference()
        found = ref.regencies.get(regency)
        # Outside the key's province a regency has nothing to show: answer as the APIs do for such ids.
        if found is None or not (s.is_national or found.province_code == s.scope):
            raise PageError(404, error_title(404))
        body = await get_ok(request, Service.NOTIFY, "/v1/alerts", {"regency": regency, "limit": 50})
        alerts = alertview.ordered(alertview.one_per_group(body.get("alerts", []), s.is_national))
        reports = await get_ok(request, Service.INTAKE, "/v1/reports", {"regency": regency, "limit": 5})
        template = "_wilayah.html" if bagian == "panel" else "wilayah.html"
        return render(
            request,
            template,
            regency=found,
            alerts=alerts,
            reports=reports.get("reports", []),
            pending=alertview.pending,
        )

    return r
