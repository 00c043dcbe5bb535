"""HTTP pieces shared by the services: ops endpoints (/healthz, /readyz, /metrics), problems, auth.

No `from __future__ import annotations`: FastAPI resolves the closures' dependency annotations at runtime.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Annotated

import orjson
from fastapi import APIRouter, FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from waspada_shared.auth import Principal
from waspada_shared.contracts.rejection import FieldError
from waspada_shared.keys import KeyStore
from waspada_shared.problems import PROBLEM_CONTENT_TYPE, Problem, problem

ReadinessCheck = Callable[[], Awaitable[None]]


def ops_router(
    checks: dict[str, ReadinessCheck],
    registry: CollectorRegistry = REGISTRY,
    *,
    degraded: dict[str, ReadinessCheck] | None = None,
) -> APIRouter:
    """`checks` must pass for /readyz to answer 200; `degraded` ones are reported but do not gate.

    Intake stays ready while Kafka is down (its outbox holds what it accepts), so Kafka is a degraded
    check there; taking intake out of a load balancer then would turn a Kafka outage into lost reports.
    """
    router = APIRouter(include_in_schema=False)
    optional = degraded or {}

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in {**checks, **optional}.items():
            try:
                await asyncio.wait_for(check(), timeout=2.0)
                results[name] = "ok"
            except Exception as exc:  # any failure: say which and why
                results[name] = f"error: {type(exc).__name__}: {exc}"[:300]
        ready = all(results[name] == "ok" for name in checks)
        body = {"ready": ready, "degraded": any(results[n] != "ok" for n in optional), "checks": results}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


SWAGGER_ASSETS = Path(str(resources.files("waspada_shared").joinpath("static", "swagger-ui")))
_DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})


def install_local_docs(app: FastAPI, prefix: str = "/docs") -> None:
    """Serve the Swagger UI at `/docs` from the vendored assets (no CDN); drop ReDoc (CDN only).

    FastAPI's own `/docs` page loads its script, stylesheet and favicon from the internet; the offices
    that use Waspada may have none. The assets (npm `swagger-ui-dist`) are in `static/swagger-ui/`.
    """
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) not in _DOCS_PATHS]
    app.docs_url = app.redoc_url = None
    openapi_url = app.openapi_url or "/openapi.json"
    static = f"{prefix}/static"
    app.mount(static, StaticFiles(directory=SWAGGER_ASSETS), name="swagger-ui-assets")

    @app.get(prefix, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title}: API",
            swagger_js_url=f"{static}/swagger-ui-bundle.js",
            swagger_css_url=f"{static}/swagger-ui.css",
            swagger_favicon_url=f"{static}/favicon-32x32.png",
            # The default validator badge calls validator.swagger.io: off.
            swagger_ui_parameters={"validatorUrl": None},
        )


def pool_check(holder: dict[str, object]) -> ReadinessCheck:
    """Readiness of the PostgreSQL pool kept under holder["pool"] once the service has started."""

    async def check() -> None:
        pool = holder.get("pool")
        if pool is None:
            raise RuntimeError("not started")
        await pool.fetchval("SELECT 1")  # type: ignore[attr-defined]

    return check


def broker_check(broker: object) -> ReadinessCheck:
    async def check() -> None:
        if not await broker.ping(timeout=2.0):  # type: ignore[attr-defined]
            raise RuntimeError("broker not reachable")

    return check


class ProblemError(Exception):
    """Raised by handlers to answer with an RFC 9457 problem."""

    def __init__(self, p: Problem, headers: dict[str, str] | None = None) -> None:
        self.problem = p
        self.headers = headers or {}


def problem_response(p: Problem, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(p.model_dump(mode="json", exclude_none=True)),
        status_code=p.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> Response:
        return problem_response(exc.problem, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        # FastAPI's own errors (an unreadable body: 400; unknown route: 404) as RFC 9457 problems too.
        kind = {400: "bad-request", 404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "error")
        return problem_response(problem(exc.status_code, kind, str(exc.detail)), dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> Response:
        errors = [
            FieldError(field=".".join(str(p) for p in e["loc"]), message=e["msg"], code=e["type"])
            for e in exc.errors()
        ]
        return problem_response(problem(422, "invalid-request", "Invalid request", errors=errors))


def bearer_token(authorization: str | None) -> str | None:
    if not authorization or not authorization.startswith("Bearer "):
        return None
    return authorization.removeprefix("Bearer ").strip() or None


def unauthorized() -> ProblemError:
    return ProblemError(
        problem(401, "unauthorized", "Missing or invalid API key", "Send Authorization: Bearer <key>"),
        {"WWW-Authenticate": "Bearer"},
    )


def principal_dependency(keys: KeyStore) -> Callable[..., Awaitable[Principal]]:
    """FastAPI dependency: the key's principal, or 401."""

    async def dependency(authorization: Annotated[str | None, Header()] = None) -> Principal:
        token = bearer_token(authorization)
        found = await keys.authenticate(token) if token else None
        if found is None:
            raise unauthorized()
        return found

    return dependency


HTTP_REQUEST_SECONDS = Histogram(
    "waspada_http_request_duration_seconds",
    "HTTP request latency, from the request's arrival to its last response byte handed to the server",
    ["service", "method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class HttpMetricsMiddleware:
    """ASGI middleware timing every HTTP request into `waspada_http_request_duration_seconds`.

    Labels stay low-cardinality: the route is the matched path template (`/v1/reports/{report_id}`), or
    `unmatched`; unusual methods are `other`. A plain ASGI middleware (not BaseHTTPMiddleware), so it
    adds microseconds, not a task per request. Use: `app.add_middleware(HttpMetricsMiddleware, service=...)`.
    """

    def __init__(self, app: ASGIApp, service: str, histogram: Histogram = HTTP_REQUEST_SECONDS) -> None:
        self.app = app
        self.service = service
        self.histogram = histogram
        self._series: dict[tuple[str, str, int], Histogram] = {}  # labelled children, looked up once

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # unless a response starts: an exception escaping the app becomes a 500

        async def send_timed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_timed)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"] if scope["method"] in _METHODS else "other"
            series = self._series.get((method, route, status))
            if series is None:
                series = self._series[(method, route, status)] = self.histogram.labels(
                    self.service, method, route, str(status)
                )
            series.observe(time.perf_counter() - start)
