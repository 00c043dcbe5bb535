"""Peringatan: current alerts (candidates first), one alert's reasons, reports, versions and delivery
log, and the two actions: Tanggapi (acknowledge) and the Level-4 decision (Konfirmasi / Tolak)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from waspada_console import alertview
from waspada_console.client import Service
from waspada_console.web import call, form_with_csrf, get_ok, page_error, redirect, render, session, signed_in

MAX_REPORTS_SHOWN = 20


async def current_alerts(request: Request, everything: bool = False) -> list[dict[str, Any]]:
    s = signed_in(request)
    params: dict[str, Any] = {"limit": 1000}
    if not everything:
        params["status"] = "firing"
    body = await get_ok(request, Service.NOTIFY, "/v1/alerts", params)
    return alertview.ordered(alertview.one_per_group(body.get("alerts", []), s.is_national))


def router() -> APIRouter:
    r = APIRouter()

    @r.get("/peringatan")
    async def alert_list(request: Request, semua: bool = False, bagian: str = "") -> Response:
        s = signed_in(request)
        alerts = await current_alerts(request, semua)
        template = "_daftar_peringatan.html" if bagian == "daftar" else "peringatan.html"
        return render(
            request,
            template,
            alerts=alerts,
            everything=semua,
            pending=alertview.pending,
            candidate=alertview.candidate,
            may_decide=lambda a: alertview.may_decide(a, s.scope),
        )

    @r.get("/peringatan/{alert_id}")
    async def alert_detail(request: Request, alert_id: str) -> Response:
        s = signed_in(request)
        path = f"/v1/alerts/{quote(alert_id, safe='')}"
        alert = await get_ok(request, Service.NOTIFY, path)
        versions = await get_ok(request, Service.NOTIFY, f"{path}/versions")
        deliveries = await get_ok(request, Service.NOTIFY, f"{path}/deliveries")
        reports = []
        for report_id in list(alert.get("report_ids", []))[-MAX_REPORTS_SHOWN:][::-1]:
            answer = await call(request, "GET", Service.INTAKE, f"/v1/reports/{quote(report_id, safe='')}")
            if answer.ok:  # a roll-up's reports from other provinces stay hidden from a province key
                reports.append(answer.body)
        return render(
            request,
            "peringatan_detail.html",
            alert=alert,
            versions=list(reversed(versions.get("versions", []))),
            deliveries=deliveries,
            reports=reports,
            candidate=alertview.candidate(alert),
            pending=alertview.pending(alert),
            may_decide=alertview.may_decide(alert, s.scope),
            may_acknowledge=alertview.may_acknowledge(alert, s.scope),
            errors={},
            values={},
        )

    @r.post("/peringatan/{alert_id}/tanggapi")
    async def acknowledge(request: Request, alert_id: str) -> Response:
        form = await form_with_csrf(request)
        who = str(form.get("who") or "").strip()
        note = str(form.get("note") or "").strip()
        path = f"/v1/alerts/{quote(alert_id, safe='')}"
        if not who:
            return await _detail_with_errors(request, alert_id, {"who": "Isi nama dan jabatan Anda."}, form)
        answer = await call(request, "POST", Service.NOTIFY, f"{path}/ack", json={"who": who, "note": note})
        if answer.status == 422:
            return await _detail_with_errors(request, alert_id, _errors(answer.field_errors()), form)
        if not answer.ok:
            raise page_error(answer)
        done = isinstance(answer.body, dict) and answer.body.get("acknowledged")
        session(request).flash.append(
            "Peringatan sudah ditanggapi." if done else "Peringatan ini sudah ditanggapi sebelumnya."
        )
        return redirect(f"/peringatan/{quote(alert_id, safe='')}")

    @r.post("/peringatan/{alert_id}/keputusan")
    async def decide(request: Request, alert_id: str) -> Response:
        form = await form_with_csrf(request)
        decision = str(form.get("decision") or "")
        by = str(form.get("by") or "").strip()
        reason = str(form.get("reason") or "").strip()
        errors: dict[str, str] = {}
        if decision not in ("confirm", "decline"):
            errors["decision"] = "Pilih Konfirmasi Level 4 atau Tolak."
        if not by:
            errors["by"] = "Isi nama dan jabatan yang memutuskan."
        if decision == "decline" and not reason:
            errors["reason"] = "Alasan wajib diisi untuk menolak."
        if errors:
            return await _detail_with_errors(request, alert_id, errors, form)
        body: dict[str, Any] = {"decision": decision, "by": by}
        if reason:
            body["reason"] = reason
        path = f"/v1/alerts/{quote(alert_id, safe='')}/decision"
        answer = await call(request, "POST", Service.NOTIFY, path, json=body)
        if answer.status == 422:
            return await _detail_with_errors(request, alert_id, _errors(answer.field_errors()), form)
        if answer.status == 409:
            session(request).flash.append(
                "Tidak ada calon Level 4 yang menunggu keputusan pada peringatan ini."
            )
            return redirect(f"/peringatan/{quote(alert_id, safe='')}")
        if not answer.ok:
            raise page_error(answer)
        session(request).flash.append(
            "Level 4 (Awas) dikonfirmasi." if decision == "confirm" else "Calon Level 4 ditolak."
        )
        return redirect(f"/peringatan/{quote(alert_id, safe='')}")

    async def _detail_with_errors(
        request: Request, alert_id: str, errors: dict[str, str], form: dict[str, Any]
    ) -> Response:
        response = await alert_detail(request, alert_id)
        context = getattr(response, "context", None)
        if isinstance(context, dict):
            context.update(errors=errors, values=form)
            return render(
                request,
                "peringatan_detail.html",
                422,
                **{
                    k: v
                    for k, v in context.items()
                    if k not in ("request", "session", "csrf", "flash", "path")
                },
            )
        return response

    return r


def _errors(found: list[dict[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in found:
        name = str(e.get("field", "")).removeprefix("body.")
        out.setdefault(name.split(".")[0] or "_umum", str(e.get("message", "tidak sah")))
    return out
