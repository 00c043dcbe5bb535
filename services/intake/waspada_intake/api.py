"""HTTP API of intake (SPEC §4): /v1/reports, /v1/reports/batch, /v1/reports/{id}.

No `from __future__ import annotations`: FastAPI resolves the closures' dependency annotations at runtime.
"""

import time
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from waspada_shared.auth import Principal
from waspada_shared.contracts.rejection import FieldError
from waspada_shared.contracts.report import ReportFacts, ReportIn
from waspada_shared.http import ProblemError, bearer_token, unauthorized
from waspada_shared.keys import KeyStore
from waspada_shared.logging import get_logger
from waspada_shared.problems import PROBLEM_CONTENT_TYPE, Problem, problem, wants_indonesian

from waspada_intake import metrics
from waspada_intake.adapters.store import ReportStore
from waspada_intake.domain.ratelimit import RateLimiter
from waspada_intake.domain.validation import Parsed, parse_bytes, parse_obj
from waspada_intake.service import IntakeService, ItemResult
from waspada_intake.settings import IntakeSettings

log = get_logger(__name__)


class SubmitResult(BaseModel):
    report_id: str | None
    status: str = Field(description="accepted, duplicate, conflict, invalid or forbidden")
    duplicate: bool = False
    received_at: datetime | None = None
    notes: list[str] = Field(default_factory=list)
    errors: list[FieldError] = Field(default_factory=list)


class BatchResult(BaseModel):
    results: list[SubmitResult]
    accepted: int
    duplicates: int
    failed: int


class ReportView(BaseModel):
    report: ReportFacts
    state: str = Field(description="accepted, published or assessed")
    received_at: datetime
    submitted_by: str
    score: float | None = None
    level: str | None = None
    model_version: str | None = None
    assessed_at: datetime | None = None


PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {PROBLEM_CONTENT_TYPE: {}}}
    for code in (401, 403, 404, 413, 422, 429, 503)
}


def _as_result(r: ItemResult) -> SubmitResult:
    return SubmitResult(
        report_id=r.report_id,
        status=r.status,
        duplicate=r.status == "duplicate",
        received_at=r.received_at,
        notes=r.notes,
        errors=r.errors,
    )


def build_router(settings: IntakeSettings) -> APIRouter:
    router = APIRouter(prefix="/v1", responses=PROBLEMS)
    limiter = RateLimiter()

    async def principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
        keys: KeyStore = request.app.state.keys
        token = bearer_token(authorization)
        found = await keys.authenticate(token) if token else None
        if found is None:
            raise unauthorized()
        rate = found.rate_limit or settings.default_rate_limit
        if not limiter.allow(found.name, rate, time.monotonic()):
            raise ProblemError(
                problem(
                    429, "rate-limited", "Too many requests", f"limit is {rate:g} requests/s for this key"
                ),
                {"Retry-After": "1"},
            )
        return found

    async def read_body(request: Request, limit: int) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise ProblemError(problem(413, "too-large", "Body too large", f"the limit is {limit} bytes"))
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise ProblemError(problem(413, "too-large", "Body too large", f"the limit is {limit} bytes"))
        return body

    def service(request: Request) -> IntakeService:
        return request.app.state.service  # type: ignore[no-any-return]

    async def submit(
        svc: IntakeService, who: Principal, parsed: list[Parsed], indonesian: bool
    ) -> list[ItemResult]:
        now = datetime.now(UTC)
        results: dict[int, ItemResult] = {}
        valid: list[tuple[int, Parsed]] = []
        for i, p in enumerate(parsed):
            if p.report is None:
                metrics.REPORTS.labels(outcome="invalid", province=_province_label(p.province_hint)).inc()
                metrics.REJECTIONS.labels(
                    reason=p.errors[0].code if p.errors else "invalid", door="http"
                ).inc()
                results[i] = ItemResult(i, None, "invalid", errors=p.errors, notes=p.notes)
            elif not who.may_submit_for(p.report.region.province):
                metrics.REPORTS.labels(outcome="forbidden", province=p.report.region.province).inc()
                msg = (
                    f"kunci ini hanya untuk provinsi {who.scope}"
                    if indonesian
                    else f"this key may only submit for province {who.scope}"
                )
                results[i] = ItemResult(
                    i,
                    p.report.report_id,
                    "forbidden",
                    errors=[FieldError(field="region.province", message=msg, code="forbidden")],
                )
            else:
                valid.append((i, p))
        if valid:
            try:
                with metrics.STORE_SECONDS.time():
                    for r in await svc.accept(valid, who.scope, now):
                        results[r.index] = r
            except (OSError, ConnectionError) as exc:
                log.error("report store unavailable", error=str(exc))
                raise ProblemError(problem(503, "unavailable", "Reports cannot be stored right now")) from exc
            except Exception as exc:
                if type(exc).__module__.startswith("asyncpg"):
                    log.error("report store failed", error=str(exc))
                    raise ProblemError(
                        problem(503, "unavailable", "Reports cannot be stored right now")
                    ) from exc
                raise
        return [results[i] for i in range(len(parsed))]

    @router.post(
        "/reports",
        status_code=202,
        response_model=SubmitResult,
        responses={
            200: {"model": SubmitResult, "description": "Exact resubmission (duplicate)"},
            409: {"model": Problem, "content": {PROBLEM_CONTENT_TYPE: {}}},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReportIn"}}},
            }
        },
        summary="Submit one report",
    )
    async def post_report(
        request: Request,
        who: Annotated[Principal, Depends(principal)],
        accept_language: Annotated[str | None, Header()] = None,
    ) -> Response:
        indonesian = wants_indonesian(accept_language)
        body = await read_body(request, settings.max_body_bytes)
        parsed = parse_bytes(body, datetime.now(UTC), indonesian=indonesian)
        (result,) = await submit(service(request), who, [parsed], indonesian)
        if result.status == "invalid":
            title = "Laporan tidak sah" if indonesian else "Invalid report"
            raise ProblemError(problem(422, "invalid-report", title, errors=result.errors))
        if result.status == "forbidden":
            title = "Di luar wewenang kunci" if indonesian else "Region outside the key's scope"
            raise ProblemError(problem(403, "forbidden", title, errors=result.errors))
        if result.status == "conflict":
            raise ProblemError(
                problem(
                    409,
                    "conflict",
                    "report_id already used for different content",
                    f"first received at {result.received_at.isoformat() if result.received_at else '?'}",
                    errors=result.errors,
                    received_at=result.received_at.isoformat() if result.received_at else None,
                )
            )
        status = 200 if result.status == "duplicate" else 202
        return Response(
            _as_result(result).model_dump_json(), status_code=status, media_type="application/json"
        )

    @router.post(
        "/reports/batch",
        response_model=BatchResult,
        summary="Submit up to 500 reports; one result per item, in order",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "array",
                            "maxItems": settings.max_batch_items,
                            "items": {"$ref": "#/components/schemas/ReportIn"},
                        }
                    }
                },
            }
        },
    )
    async def post_batch(
        request: Request,
        who: Annotated[Principal, Depends(principal)],
        accept_language: Annotated[str | None, Header()] = None,
    ) -> Response:
        indonesian = wants_indonesian(accept_language)
        body = await read_body(request, settings.max_body_bytes * settings.max_batch_items)
        try:
            items = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ProblemError(
                problem(
                    422,
                    "invalid-batch",
                    "Invalid JSON",
                    errors=[FieldError(field="body", message=str(exc), code="json_invalid")],
                )
            ) from exc
        if not isinstance(items, list) or len(items) > settings.max_batch_items:
            raise ProblemError(
                problem(
                    422,
                    "invalid-batch",
                    f"A batch is a JSON array of at most {settings.max_batch_items} reports",
                    errors=[
                        FieldError(field="body", message="expected an array of reports", code="list_type")
                    ],
                )
            )
        now = datetime.now(UTC)
        parsed = [parse_obj(item, now, indonesian=indonesian) for item in items]
        results = await submit(service(request), who, parsed, indonesian)
        out = BatchResult(
            results=[_as_result(r) for r in results],
            accepted=sum(r.status == "accepted" for r in results),
            duplicates=sum(r.status == "duplicate" for r in results),
            failed=sum(r.status not in ("accepted", "duplicate") for r in results),
        )
        return Response(out.model_dump_json(), media_type="application/json")

    @router.get(
        "/reports/{report_id}", response_model=ReportView, summary="A report and its processing state"
    )
    async def get_report(
        report_id: str, request: Request, who: Annotated[Principal, Depends(principal)]
    ) -> ReportView:
        store: ReportStore = request.app.state.store
        row = await store.get(report_id)
        # 404 rather than 403 outside the key's scope, so report ids do not leak across provinces.
        if row is None or not who.may_read(row["province"]):
            raise ProblemError(problem(404, "not-found", "No such report"))
        return ReportView(
            report=ReportFacts.model_validate(
                {k: v for k, v in row["facts"].items() if k not in ("received_at", "submitted_by")}
            ),
            state=row["state"],
            received_at=row["received_at"],
            submitted_by=row["submitted_by"],
            score=row["score"],
            level=row["level"],
            model_version=row["model_version"],
            assessed_at=row["assessed_at"],
        )

    return router


def _province_label(code: str | None) -> str:
    from waspada_shared.regions import reference

    return code if code in reference().provinces else "unknown"


def openapi_extra_schemas(app: FastAPI) -> None:
    """Add the report model to the generated OpenAPI (the body is parsed by hand for speed and errors)."""
    original = app.openapi

    def custom() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        defs = ReportIn.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(defs.pop("$defs", {}))
        components["ReportIn"] = defs
        app.openapi_schema = schema
        return schema

    app.openapi = custom  # type: ignore[method-assign]
