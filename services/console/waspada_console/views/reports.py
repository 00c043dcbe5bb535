"""Laporan (the scope's reports, one report with its explanation) and Laporan baru (the report form)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from waspada_console import alertview, report_form
from waspada_console.client import Service
from waspada_console.web import call, form_with_csrf, get_ok, page_error, redirect, render, session, signed_in
from waspada_shared.regions import reference

PAGE = 50


def regions_for(scope: str | None) -> dict[str, Any]:
    """Provinces and their regencies that a key may report for (all for national keys)."""
    ref = reference()
    codes = sorted(ref.provinces) if scope is None else [scope]
    return {
        "provinces": [(c, ref.province_name(c)) for c in codes],
        "regencies": {
            c: sorted(((r.code, r.name) for r in ref.regencies_of(c)), key=lambda x: x[0]) for c in codes
        },
    }


def router() -> APIRouter:
    r = APIRouter()

    @r.get("/laporan")
    async def report_list(request: Request, kabkota: str = "", sebelum: str = "") -> Response:
        signed_in(request)
        params = {"limit": PAGE, "regency": kabkota or None, "before": sebelum or None}
        body = await get_ok(request, Service.INTAKE, "/v1/reports", params)
        return render(
            request,
            "laporan.html",
            reports=body.get("reports", []),
            next_before=body.get("next_before"),
            regency=kabkota,
        )

    @r.get("/laporan/baru")
    async def report_new(request: Request) -> Response:
        s = signed_in(request)
        return _form(request, report_form.defaults(s.province), {}, 200)

    @r.post("/laporan/baru")
    async def report_submit(request: Request) -> Response:
        signed_in(request)
        form = await form_with_csrf(request)
        report, errors = report_form.to_report(form)
        if errors:
            return _form(request, form, errors, 422)
        answer = await call(request, "POST", Service.INTAKE, "/v1/reports", json=report)
        if answer.status in (200, 202):
            duplicate = isinstance(answer.body, dict) and answer.body.get("duplicate")
            session(request).flash.append(
                "Laporan ini sudah pernah diterima."
                if duplicate
                else "Laporan diterima. Status penilaiannya tampil di bawah."
            )
            return redirect(f"/laporan/{quote(report['report_id'], safe='')}")
        if answer.status == 422:
            return _form(request, form, report_form.api_errors(answer.field_errors()), 422)
        if answer.status == 403:
            return _form(request, form, {"region.province": "Wilayah ini di luar wewenang kunci Anda."}, 403)
        if answer.status == 409:
            return _form(
                request,
                {**form, "report_id": report_form.new_report_id()},
                {
                    "_umum": "Nomor laporan sudah dipakai untuk isi yang berbeda; kirim lagi dengan nomor baru."
                },
                409,
            )
        if answer.status in (413, 429, 503):
            return _form(
                request,
                form,
                {"_umum": answer.problem_title() or "Laporan belum dapat dikirim; coba lagi."},
                answer.status,
            )
        raise page_error(answer)

    @r.get("/laporan/{report_id}")
    async def report_detail(request: Request, report_id: str) -> Response:
        signed_in(request)
        path = f"/v1/reports/{quote(report_id, safe='')}"
        view = await get_ok(request, Service.INTAKE, path)
        explanation = await get_ok(request, Service.INTAKE, f"{path}/explanation")
        factors = explanation.get("factors") or []
        total = round(sum(float(f.get("contribution", 0)) for f in factors), 2)
        related: list[dict[str, Any]] = []
        if view.get("state") == "assessed":
            regency = view.get("report", {}).get("region", {}).get("regency")
            body = await get_ok(request, Service.NOTIFY, "/v1/alerts", {"regency": regency, "limit": 100})
            mine = [a for a in body.get("alerts", []) if report_id in a.get("report_ids", [])]
            related = alertview.ordered(alertview.one_per_group(mine, session(request).is_national))
        return render(
            request, "laporan_detail.html", view=view, factors=factors, total=total, related=related
        )

    @r.get("/wilayah/{regency}/kecamatan.json")
    async def districts(request: Request, regency: str) -> Response:
        ref = reference()
        found = sorted((c, n) for c, n in ref.district_names.items() if ref.districts.get(c) == regency)
        return JSONResponse(
            [{"code": c, "name": n} for c, n in found], headers={"Cache-Control": "max-age=86400"}
        )

    return r


def _form(request: Request, values: dict[str, Any], errors: dict[str, str], status: int) -> Response:
    s = session(request)

    def selected(name: str, value: str) -> bool:
        held = values.get(name)
        return value in held if isinstance(held, list) else value == held

    return render(
        request,
        "laporan_baru.html",
        status,
        values=values,
        errors=errors,
        choices=report_form.choices(),
        regions=regions_for(s.province),
        selected=selected,
    )
