"""HTTP API of intake (SPEC §4): /v1/reports, /v1/reports/batch, /v1/reports/{id}, and the admin-only
/v1/reports/{id}/reporter.

Bodies are read and validated by hand (orjson + the shared pydantic model), for speed and so that every
offending field is listed in one problem; the OpenAPI document gets the real request schemas injected
(`openapi_extra_schemas`). No `from __future__ import annotations`: FastAPI inspects the signatures.
"""

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from waspada_intake.adapters.crypto import CannotDecrypt, ReporterCipher
from waspada_intake.adapters.report_list import ReportFilter, ReportReader
from waspada_intake.adapters.store import ReportStore
from waspada_intake.handlers import (
    JSON,
    STORE_UNAVAILABLE,
    Answer,
    BodyTooLarge,
    Gate,
    Incoming,
    Submissions,
    unavailable,
)
from waspada_intake.settings import IntakeSettings
from waspada_shared.contracts.rejection import FieldError
from waspada_shared.contracts.report import Reporter, ReportFacts, ReportId, ReportIn
from waspada_shared.contracts.risk import Factor
from waspada_shared.http import ProblemError
from waspada_shared.logging import get_logger
from waspada_shared.problems import PROBLEM_CONTENT_TYPE, Problem, message, problem, title, wants_indonesian

T = TypeVar("T")

log = get_logger(__name__)


class SubmitResult(BaseModel):
    """The outcome of one submitted report."""

    report_id: str | None = Field(description="The report's id, when it could be read")
    status: str = Field(description="accepted, duplicate, conflict, invalid or forbidden")
    duplicate: bool = Field(False, description="True for an exact resubmission of an earlier report")
    received_at: datetime | None = Field(
        None, description="When intake stored it; for a duplicate or conflict, the earlier receipt"
    )
    notes: list[str] = Field(default_factory=list, description="Normalisations applied (legacy codes)")
    errors: list[FieldError] = Field(default_factory=list, description="Why it was not accepted")


class BatchResult(BaseModel):
    """One result per submitted item, in the order submitted."""

    results: list[SubmitResult]
    accepted: int
    duplicates: int
    failed: int


class ReportView(BaseModel):
    """A stored report (never its reporter) and how far it has come through the pipeline."""

    report: ReportFacts
    state: str = Field(description="accepted (stored), published (on reports.accepted.v1) or assessed")
    received_at: datetime
    submitted_by: str
    score: float | None = Field(None, description="Risk score 0-100, once assessed")
    level: str | None = Field(None, description="normal, waspada, siaga or awas, once assessed")
    model_version: str | None = None
    assessed_at: datetime | None = None


class ReportListItem(ReportView):
    """A listed report: its view plus, once assessed, every factor's contribution (they sum to the score)."""

    factors: list[Factor] | None = Field(
        None, description="The assessment's factors, once assessed and when scoring's record is readable"
    )


class ReportList(BaseModel):
    """Reports newest first; `next_before` pages on (pass it as `before`), null on the last page."""

    reports: list[ReportListItem]
    next_before: datetime | None = None


class RegencyActivity(BaseModel):
    province: str
    regency: str
    reports: int
    last_received_at: datetime


class Activity(BaseModel):
    """Regencies that reported since `since` (those that did not are absent), within the key's scope."""

    since: datetime
    regencies: list[RegencyActivity]


class Explanation(BaseModel):
    """Why a report scored what it did: every factor's contribution (they add up to the score)."""

    report_id: str
    state: str
    score: float | None = None
    level: str | None = None
    factors: list[Factor] = Field(default_factory=list)


_ERRORS: dict[int, str] = {
    400: "The body is not readable JSON",
    401: "No or unknown API key",
    403: "Outside the key's scope",
    404: "No such report (or not visible to this key)",
    409: "The report_id was used before for different content; names the earlier receipt time",
    413: "Body too large",
    422: "Invalid input; every offending field is listed by its dotted path",
    429: "Over the key's rate limit (see Retry-After)",
    503: "The database cannot be reached right now (nothing was stored); retry later",
}
_HEADERS: dict[int, tuple[str, str]] = {
    401: ("WWW-Authenticate", "`Bearer`"),
    429: ("Retry-After", "Seconds to wait before retrying"),
    503: ("Retry-After", "Seconds to wait before retrying"),
}


def _problem_response(code: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _ERRORS[code],
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if code in _HEADERS:
        name, description = _HEADERS[code]
        response["headers"] = {name: {"description": description, "schema": {"type": "string"}}}
    return response


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: _problem_response(code) for code in codes}


_AUTH_AND_LANGUAGE: dict[str, Any] = {
    "security": [{"bearer": []}],
    "parameters": [
        {
            "name": "Accept-Language",
            "in": "header",
            "required": False,
            "description": "`id` for messages in Bahasa Indonesia",
            "schema": {"type": "string"},
        }
    ],
}


def _json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {JSON: {"schema": schema}},
        },
        **_AUTH_AND_LANGUAGE,
    }


def _response(answer: Answer) -> Response:
    return Response(answer.body, answer.status, answer.headers, answer.media_type)


def _incoming(request: Request) -> Incoming:
    async def read(limit: int) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    return Incoming(request.headers, read)


# The path's report_id obeys the body field's constraints (the same type), so the document says which ids
# exist and a malformed one is a 422 naming the field, not a database lookup.
ReportIdPath = Annotated[ReportId, Path(description="The report's `report_id` as submitted")]


def build_router(settings: IntakeSettings, gate: Gate, submissions: Submissions) -> APIRouter:
    """The documented API. The two POST routes are normally answered by `fastpath.FastPath` (same code)."""
    router = APIRouter(prefix="/v1", tags=["reports"])

    @router.post(
        "/reports",
        status_code=202,
        response_model=SubmitResult,
        summary="Submit one report",
        description="`202` once the report is durably stored (it reaches Kafka through an outbox, even "
        "if Kafka is down at that moment); `200` with `duplicate: true` for an exact resubmission.",
        responses={
            202: {"description": "Accepted: stored durably"},
            200: {"model": SubmitResult, "description": "Exact resubmission (duplicate)"},
            **problem_responses(401, 403, 409, 413, 422, 429, 503),
        },
        openapi_extra=_json_body({"$ref": "#/components/schemas/ReportIn"}, "One report (schema v1)"),
    )
    async def post_report(request: Request) -> Response:
        return _response(await submissions.single(_incoming(request)))

    batch_schema = {
        "type": "array",
        "maxItems": settings.max_batch_items,
        "items": {"$ref": "#/components/schemas/ReportIn"},
    }

    @router.post(
        "/reports/batch",
        response_model=BatchResult,
        summary=f"Submit up to {settings.max_batch_items} reports; one result per item, in order",
        description="Valid items are stored (in one transaction) even when others fail; each item's "
        "result says accepted, duplicate, conflict, invalid or forbidden.",
        responses=problem_responses(401, 413, 422, 429, 503),
        openapi_extra=_json_body(batch_schema, "A JSON array of reports"),
    )
    async def post_batch(request: Request) -> Response:
        return _response(await submissions.batch(_incoming(request)))

    async def visible_report(report_id: str, request: Request) -> tuple[Any, bool]:
        """The stored report if the calling key may read it, and whether to answer in Indonesian."""
        indonesian = wants_indonesian(request.headers.get("accept-language"))
        who = await gate.admit(request.headers.get("authorization"), indonesian)
        store: ReportStore = request.app.state.store
        row = await _read(store.get(report_id), indonesian)
        # 404 rather than 403 outside the key's scope, so report ids do not leak across provinces.
        if row is None or not who.may_read(row["province"]):
            raise _not_found(indonesian)
        return row, indonesian

    @router.get(
        "/reports/{report_id}",
        response_model=ReportView,
        summary="A report (without reporter) and its processing state",
        description="Visible to keys of its province and to national/admin keys; any other key gets "
        "`404`, so report ids do not leak across provinces.",
        responses=problem_responses(401, 404, 422, 429, 503),
        openapi_extra=_AUTH_AND_LANGUAGE,
    )
    async def get_report(report_id: ReportIdPath, request: Request) -> Response:
        row, _ = await visible_report(report_id, request)
        return Response(orjson.dumps(_view(row)), media_type=JSON)

    @router.get(
        "/reports",
        response_model=ReportList,
        summary="Reports visible to the key, newest receipt first, with state, score, level and factors",
        description="A province key sees its own province only (another province's filter answers an "
        "empty list, as its reports do not exist for that key); national and admin keys see all.",
        responses=problem_responses(401, 422, 429, 503),
        openapi_extra=_AUTH_AND_LANGUAGE,
    )
    async def list_reports(
        request: Request,
        province: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
        regency: Annotated[str | None, Query(pattern=r"^\d{2}\.\d{2}$")] = None,
        state: Annotated[str | None, Query(pattern="^(accepted|published|assessed)$")] = None,
        since: Annotated[str | None, _instant_query("Received at or after")] = None,
        before: Annotated[
            str | None, _instant_query("Received before (paging: a page's `next_before`)")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> Response:
        indonesian = wants_indonesian(request.headers.get("accept-language"))
        who = await gate.admit(request.headers.get("authorization"), indonesian)
        _only_known(request, {"province", "regency", "state", "since", "before", "limit"}, indonesian)
        since_at, before_at = _instant("since", since, indonesian), _instant("before", before, indonesian)
        if not who.is_national:
            if province is not None and province != who.scope:
                return Response(orjson.dumps({"reports": [], "next_before": None}), media_type=JSON)
            province = who.scope
        reader = ReportReader(request.app.state.store.pool)
        wanted = ReportFilter(province, regency, since_at, before_at, state, limit)
        rows = await _read(reader.page(wanted), indonesian)
        factors = await _read(
            reader.factors([r["report_id"] for r in rows if r["state"] == "assessed"]), indonesian
        )
        items = [{**_view(row), "factors": factors.get(row["report_id"])} for row in rows]
        more = len(rows) == limit
        body = {"reports": items, "next_before": rows[-1]["received_at"].isoformat() if more else None}
        return Response(orjson.dumps(body), media_type=JSON)

    @router.get(
        "/regencies/activity",
        response_model=Activity,
        summary="Which regencies reported since a time (reports and latest receipt per regency)",
        description="Scoped like the reports: a province key sees its own province's regencies only.",
        responses=problem_responses(401, 422, 429, 503),
        openapi_extra=_AUTH_AND_LANGUAGE,
    )
    async def regency_activity(
        request: Request, since: Annotated[str, _instant_query("Received at or after")]
    ) -> Response:
        indonesian = wants_indonesian(request.headers.get("accept-language"))
        who = await gate.admit(request.headers.get("authorization"), indonesian)
        _only_known(request, {"since"}, indonesian)
        since_at = _instant("since", since, indonesian)
        assert since_at is not None
        reader = ReportReader(request.app.state.store.pool)
        rows = await _read(reader.activity(None if who.is_national else who.scope, since_at), indonesian)
        body = {
            "since": since_at.isoformat(),
            "regencies": [
                {
                    "province": r["province"],
                    "regency": r["regency"],
                    "reports": r["reports"],
                    "last_received_at": r["last_received_at"].isoformat(),
                }
                for r in rows
            ],
        }
        return Response(orjson.dumps(body), media_type=JSON)

    @router.get(
        "/reports/{report_id}/explanation",
        response_model=Explanation,
        summary="Why a report scored what it did: each factor's contribution",
        description="Scoped like `GET /v1/reports/{report_id}`; `factors` is empty until it is assessed.",
        responses=problem_responses(401, 404, 422, 429, 503),
        openapi_extra=_AUTH_AND_LANGUAGE,
    )
    async def explain_report(report_id: ReportIdPath, request: Request) -> Response:
        row, indonesian = await visible_report(report_id, request)
        store: ReportStore = request.app.state.store
        found = await _read(ReportReader(store.pool).factors([report_id]), indonesian)
        body = {
            "report_id": report_id,
            "state": row["state"],
            "score": row["score"],
            "level": row["level"],
            "factors": found.get(report_id, []),
        }
        return Response(orjson.dumps(body), media_type=JSON)

    @router.get(
        "/reports/{report_id}/reporter",
        response_model=Reporter,
        summary="The confidential reporter of a report (admin keys only)",
        description="Decrypted on request; every read is logged (who, which report; never the content). "
        "`403` for any key but admin, `404` when the report does not exist or has no reporter.",
        responses=problem_responses(401, 403, 404, 422, 429, 503),
        openapi_extra=_AUTH_AND_LANGUAGE,
    )
    async def get_reporter(report_id: ReportIdPath, request: Request) -> Response:
        indonesian = wants_indonesian(request.headers.get("accept-language"))
        who = await gate.admit(request.headers.get("authorization"), indonesian)
        if not who.is_admin:
            raise ProblemError(
                problem(
                    403,
                    "forbidden",
                    title("forbidden", "Only admin keys may read reporters", indonesian=indonesian),
                )
            )
        store: ReportStore = request.app.state.store
        cipher: ReporterCipher = request.app.state.cipher
        found = await _read(store.get_reporter(report_id), indonesian)
        if found is None or found[1] is None:
            raise _not_found(indonesian)
        try:
            reporter = cipher.decrypt(found[1], report_id)
        except CannotDecrypt as exc:  # encrypted with another key: say so, without details
            log.error("reporter cannot be decrypted with the configured key", report_id=report_id)
            raise ProblemError(
                problem(503, "unavailable", "The reporter cannot be decrypted with the configured key")
            ) from exc
        log.info("reporter read", report_id=report_id, key_name=who.name)
        assert reporter is not None
        return Response(reporter.model_dump_json(exclude_none=True), media_type=JSON)

    return router


_INSTANT = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})?$"


def _instant_query(description: str) -> Any:
    """An ISO 8601 date-time query parameter (no offset: UTC); numbers are not read as Unix times."""
    return Query(description=description, pattern=_INSTANT, json_schema_extra={"format": "date-time"})


def _invalid_query(errors: list[FieldError], indonesian: bool) -> ProblemError:
    return ProblemError(
        problem(
            422,
            "invalid-request",
            title("invalid-request", "Invalid request", indonesian=indonesian),
            errors=errors,
        )
    )


def _only_known(request: Request, known: set[str], indonesian: bool) -> None:
    """Unknown query parameters are refused (a misspelt filter must not silently list everything)."""
    unknown = sorted(set(request.query_params.keys()) - known)
    if unknown:
        raise _invalid_query(
            [
                FieldError(
                    field=name or "(empty)",
                    message=message("extra_forbidden", "unknown parameter", indonesian=indonesian),
                    code="extra_forbidden",
                )
                for name in unknown
            ],
            indonesian,
        )


def _instant(name: str, value: str | None, indonesian: bool) -> datetime | None:
    if value is None:
        return None
    try:
        found = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
        if found.tzinfo is None:
            found = found.replace(tzinfo=UTC)
        if not 1900 <= found.astimezone(UTC).year <= 9999:  # PostgreSQL's range, and any sensible one
            raise ValueError("out of range")
    except (ValueError, OverflowError):
        error = FieldError(
            field=name,
            message=message("datetime_parsing", "invalid date-time", indonesian=indonesian),
            code="datetime_parsing",
        )
        raise _invalid_query([error], indonesian) from None
    return found


def _view(row: Any) -> dict[str, Any]:
    """A stored report row as `ReportView` JSON (never the reporter)."""
    facts = row["facts"]
    if isinstance(facts, str | bytes):
        facts = orjson.loads(facts)
    return {
        "report": {k: v for k, v in facts.items() if k not in ("received_at", "submitted_by")},
        "state": row["state"],
        "received_at": row["received_at"].isoformat(),
        "submitted_by": row["submitted_by"],
        "score": row["score"],
        "level": row["level"],
        "model_version": row["model_version"],
        "assessed_at": row["assessed_at"].isoformat() if row["assessed_at"] else None,
    }


async def _read(query: Awaitable[T], indonesian: bool) -> T:
    try:
        return await query
    except STORE_UNAVAILABLE as exc:
        log.error("report store unavailable", error=str(exc), error_type=type(exc).__name__)
        raise unavailable(indonesian, "Reports cannot be read right now") from exc


def _not_found(indonesian: bool) -> ProblemError:
    return ProblemError(
        problem(404, "not-found", title("not-found", "No such report", indonesian=indonesian))
    )


def openapi_extra_schemas(app: FastAPI) -> None:
    """Complete the generated OpenAPI: the hand-parsed request bodies' schemas, problems, bearer auth."""
    original = app.openapi

    def custom() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        defs = ReportIn.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(defs.pop("$defs", {}))
        schemas["ReportIn"] = defs
        problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem_schema.pop("$defs", {}))
        schemas["Problem"] = problem_schema
        components["securitySchemes"] = {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API key; scope: a province code, `national` or `admin`",
            }
        }
        app.openapi_schema = schema
        return schema

    app.openapi = custom  # type: ignore[method-assign]
