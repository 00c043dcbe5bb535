"""Masuk (sign in with an API key) and Keluar (sign out). The key stays in the server-side session."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from waspada_console.client import Service
from waspada_console.web import console, form_with_csrf, redirect, render, session
from waspada_shared.logging import get_logger

log = get_logger(__name__)


def safe_target(target: str | None) -> str:
    """Only a path of this site (no scheme, host or protocol-relative URL) is followed after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def _audit(request: Request, key: str, action: str) -> None:
    """Sessions go into the audit log through intake (the console reads and writes only through APIs).
    Best effort: a sign-in is not refused because the log could not be reached, but it is logged."""
    answer = await console(request).api.post(Service.INTAKE, "/v1/audit/events", key, {"action": action})
    if not answer.ok:
        log.warning("console session not audited", action=action, status=answer.status)


def router() -> APIRouter:
    r = APIRouter()

    @r.get("/masuk")
    async def sign_in_form(request: Request, lanjut: str = "/") -> Response:
        if session(request).signed_in:
            return redirect(safe_target(lanjut))
        return render(request, "masuk.html", lanjut=safe_target(lanjut), error=None)

    @r.post("/masuk")
    async def sign_in(request: Request) -> Response:
        form = await form_with_csrf(request)
        target = safe_target(str(form.get("lanjut") or "/"))
        key = str(form.get("kunci") or "").strip()
        if not key:
            return render(request, "masuk.html", 422, lanjut=target, error="Isi kunci API Anda.")
        answer = await console(request).api.get(Service.INTAKE, "/v1/me", key)
        if answer.status == 401:
            return render(
                request, "masuk.html", 401, lanjut=target, error="Kunci API tidak dikenal atau sudah dicabut."
            )
        if not answer.ok or not isinstance(answer.body, dict):
            return render(
                request, "masuk.html", 503, lanjut=target, error="Layanan tidak dapat dihubungi; coba lagi."
            )
        s = console(request).sessions.sign_in(
            session(request), key, str(answer.body.get("name", "")), str(answer.body.get("scope", ""))
        )
        request.state.session = s
        await _audit(request, key, "console.signed_in")
        s.flash.append(f"Selamat datang, {s.name}.")
        return redirect(target)

    @r.post("/keluar")
    async def sign_out(request: Request) -> Response:
        await form_with_csrf(request)
        key = session(request).key
        if key is not None:
            await _audit(request, key, "console.signed_out")
        s = console(request).sessions.sign_out(session(request))
        request.state.session = s
        s.flash.append("Anda sudah keluar.")
        return redirect("/masuk")

    return r
