"""Composition root of the console: settings -> API client, sessions, templates, assets -> FastAPI."""

from __future__ import annotations

import logging
import mimetypes
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.middleware.gzip import GZipMiddleware

from waspada_console import formatting
from waspada_console.assets import Assets
from waspada_console.client import Api, Unreachable
from waspada_console.sessions import COOKIE, SessionStore
from waspada_console.settings import ConsoleSettings
from waspada_console.views import alerts, auth, map_view, overview, performance, reports
from waspada_console.web import Console, PageError, SignInRequired, error_title, render, sign_in_url
from waspada_shared.http import HttpMetricsMiddleware, ops_router
from waspada_shared.logging import get_logger

log = get_logger(__name__)
HERE = Path(__file__).parent
IMMUTABLE = "public, max-age=31536000, immutable"
# No external host anywhere: scripts, styles, images, data and forms from the console itself.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def _secret(settings: ConsoleSettings) -> bytes:
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value().encode()
    if settings.is_local or settings.profile == "test":
        return secrets.token_bytes(32)  # sessions live in memory anyway: a restart signs everyone out
    raise RuntimeError("WASPADA_SESSION_SECRET is required outside the local profile")


def _readiness(api: Api, service: str, base: str) -> Callable[[], Awaitable[None]]:
    async def check() -> None:
        r = await api.http.get(f"{base}/healthz", timeout=2.0)
        if r.status_code != 200:
            raise RuntimeError(f"{service} answered {r.status_code}")

    return check


def create_app(settings: ConsoleSettings | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per API call is noise here
    http = httpx.AsyncClient(timeout=settings.api_timeout_seconds)
    api = Api(http, settings.intake_url, settings.notify_url)
    assets = Assets(HERE / "static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters.update(formatting.FILTERS)
    templates.env.globals.update(asset=assets.url, poll_seconds=settings.poll_seconds)
    sessions = SessionStore(_secret(settings), settings.session_idle_minutes * 60.0, settings.session_max)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info(
            "console started", port=settings.http_port, intake=settings.intake_url, notify=settings.notify_url
        )
        try:
            yield
        finally:
            await http.aclose()

    app = FastAPI(
        title="Waspada konsol",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.console = Console(settings, api, sessions, templates, assets)
    app.include_router(
        ops_router(
            {},
            degraded={
                "intake": _readiness(api, "intake", settings.intake_url.rstrip("/")),
                "notify": _readiness(api, "notify", settings.notify_url.rstrip("/")),
            },
        )
    )

    @app.get("/static/{name:path}", include_in_schema=False)
    async def static(name: str) -> Response:
        path = assets.file(name)
        if path is None:
            return Response("Tidak ditemukan", status_code=404, media_type="text/plain; charset=utf-8")
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        return FileResponse(path, media_type=kind, headers={"Cache-Control": IMMUTABLE})

    for module in (auth, overview, alerts, reports, map_view, performance):
        app.include_router(module.router())

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return render(request, "error.html", exc.status, title=exc.title, detail=exc.detail, code=exc.status)

    @app.exception_handler(Unreachable)
    async def _unreachable(request: Request, exc: Unreachable) -> Response:
        return render(
            request,
            "error.html",
            503,
            title=error_title(503),
            detail=f"Layanan {exc.service.value} tidak menjawab. Coba lagi beberapa saat lagi.",
            code=503,
        )

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _: SignInRequired) -> Response:
        return _to_sign_in(request)

    @app.exception_handler(404)
    async def _not_found(request: Request, _: Exception) -> Response:
        return render(request, "error.html", 404, title=error_title(404), detail="", code=404)

    @app.middleware("http")
    async def sessions_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.url.path in ("/healthz", "/readyz", "/metrics") or request.url.path.startswith("/static/"):
            return await call_next(request)
        request.state.session = sessions.load(request.cookies.get(COOKIE))
        response = await call_next(request)
        s = request.state.session
        if s.new:
            secure = settings.secure_cookies
            if secure is None:
                secure = request.url.scheme == "https"
            response.set_cookie(
                COOKIE, sessions.cookie_value(s), httponly=True, samesite="strict", secure=secure, path="/"
            )
            s.new = False
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    app.add_middleware(GZipMiddleware, minimum_size=500)
    app.add_middleware(HttpMetricsMiddleware, service="console")
    return app


def _to_sign_in(request: Request) -> Response:
    if request.headers.get("x-requested-with") == "fetch" or request.method != "GET":
        return Response("Perlu masuk kembali", status_code=401, media_type="text/plain; charset=utf-8")
    return Response(status_code=303, headers={"Location": sign_in_url(request)})
