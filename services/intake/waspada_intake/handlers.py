"""Request handling of intake's HTTP API, independent of the web framework.

`Submissions` answers `POST /v1/reports` and `POST /v1/reports/batch` from headers and a body reader,
so the same code serves both the FastAPI routes (documentation, fallback) and the plain-ASGI fast path
(`fastpath.py`) that the hot endpoints take. `Gate` authenticates and rate-limits every API request.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from waspada_intake import metrics
from waspada_intake.adapters.store import ReportStore
from waspada_intake.domain.ratelimit import RateLimiter
from waspada_intake.domain.validation import Parsed, parse_bytes, parse_obj
from waspada_intake.service import IntakeService, ItemResult
from waspada_intake.settings import IntakeSettings
from waspada_shared.auth import Principal
from waspada_shared.contracts.rejection import FieldError
from waspada_shared.http import ProblemError, bearer_token
from waspada_shared.keys import KeyStore
from waspada_shared.logging import get_logger
from waspada_shared.problems import PROBLEM_CONTENT_TYPE, field_error, problem, title, wants_indonesian
from waspada_shared.regions import reference

log = get_logger(__name__)

JSON = "application/json"
# Failures of the database as a whole: the answer is 503 (retry later), never 500.
STORE_UNAVAILABLE = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


@dataclass(slots=True)
class Incoming:
    """What a handler needs of a request: a few headers (lower-case names) and a body reader."""

    headers: Mapping[str, str]
    read: Callable[[int], Awaitable[bytes]]  # reads the whole body; raises BodyTooLarge over the limit

    @property
    def indonesian(self) -> bool:
        return wants_indonesian(self.headers.get("accept-language"))


class BodyTooLarge(Exception):
    pass


@dataclass(slots=True)
class Answer:
    status: int
    body: bytes
    media_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


def problem_answer(exc: ProblemError) -> Answer:
    body = orjson.dumps(exc.problem.model_dump(mode="json", exclude_none=True))
    return Answer(exc.problem.status, body, PROBLEM_CONTENT_TYPE, exc.headers)


def unavailable(indonesian: bool, what: str = "Reports cannot be stored right now") -> ProblemError:
    return ProblemError(
        problem(503, "unavailable", title("unavailable", what, indonesian=indonesian)), {"Retry-After": "1"}
    )


class Gate:
    """Bearer-key authentication (401) and the per-key token-bucket rate limit (429)."""

    def __init__(self, default_rate: float) -> None:
        self.default_rate = default_rate
        self.limiter = RateLimiter()
        self.keys: KeyStore | None = None  # set when the service starts

    async def admit(self, authorization: str | None, indonesian: bool) -> Principal:
        assert self.keys is not None, "not started"
        token = bearer_token(authorization)
        try:
            found = await self.keys.authenticate(token) if token else None
        except STORE_UNAVAILABLE as exc:
            raise unavailable(indonesian, "API keys cannot be checked right now") from exc
        if found is None:
            raise ProblemError(
                problem(
                    401,
                    "unauthorized",
                    title("unauthorized", "Missing or invalid API key", indonesian=indonesian),
                    "Send Authorization: Bearer <key>",
                ),
                {"WWW-Authenticate": "Bearer"},
            )
        rate = found.rate_limit or self.default_rate
        if not self.limiter.allow(found.name, rate, time.monotonic()):
            raise ProblemError(
                problem(
                    429,
                    "rate-limited",
                    title("rate-limited", "Too many requests", indonesian=indonesian),
                    f"limit is {rate:g} requests/s for this key",
                ),
                {"Retry-After": "1"},
            )
        return found


def _known_province(code: str | None) -> str | None:
    return code if code is not None and code in reference().provinces else None


def _province_label(code: str | None) -> str:
    """A metric label of bounded cardinality: a real province code, or `unknown`."""
    return _known_province(code) or "unknown"


def result_json(r: ItemResult) -> dict[str, Any]:
    return {
        "report_id": r.report_id,
        "status": r.status,
        "duplicate": r.status == "duplicate",
        "received_at": r.received_at.isoformat() if r.received_at else None,
        "notes": r.notes,
        "errors": [{"field": e.field, "message": e.message, "code": e.code} for e in r.errors],
    }


class Submissions:
    """`POST /v1/reports` and `POST /v1/reports/batch`."""

    def __init__(self, settings: IntakeSettings, gate: Gate) -> None:
        self.settings = settings
        self.gate = gate
        self.service: IntakeService | None = None  # set when the service starts
        self.store: ReportStore | None = None

    async def single(self, req: Incoming) -> Answer:
        indonesian = req.indonesian
        try:
            who = await self.gate.admit(req.headers.get("authorization"), indonesian)
            body = await self._read(req, self.settings.max_body_bytes, indonesian)
            parsed = parse_bytes(body, datetime.now(UTC), indonesian=indonesian)
            (result,) = await self._submit(who, [parsed], indonesian)
            self._raise_for(result, indonesian)
        except ProblemError as exc:
            return problem_answer(exc)
        return Answer(200 if result.status == "duplicate" else 202, orjson.dumps(result_json(result)))

    async def batch(self, req: Incoming) -> Answer:
        indonesian = req.indonesian
        limit = self.settings.max_batch_items
        try:
            who = await self.gate.admit(req.headers.get("authorization"), indonesian)
            body = await self._read(req, self.settings.max_batch_bytes, indonesian)
            try:
                items = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise _invalid_batch(
                    field_error("body", "json_invalid", f"invalid JSON: {exc}", indonesian=indonesian),
                    indonesian,
                ) from exc
            if not isinstance(items, list):
                raise _invalid_batch(
                    field_error(
                        "body", "list_type", "a batch is a JSON array of reports", indonesian=indonesian
                    ),
                    indonesian,
                )
            if len(items) > limit:
                raise _invalid_batch(
                    field_error(
                        "body",
                        "too_long",
                        f"at most {limit} reports per batch, got {len(items)}",
                        indonesian=indonesian,
                        max_length=limit,
                    ),
                    indonesian,
                )
            now = datetime.now(UTC)
            results = await self._submit(
                who, [parse_obj(i, now, indonesian=indonesian) for i in items], indonesian
            )
        except ProblemError as exc:
            return problem_answer(exc)
        out = {
            "results": [result_json(r) for r in results],
            "accepted": sum(r.status == "accepted" for r in results),
            "duplicates": sum(r.status == "duplicate" for r in results),
            "failed": sum(r.status not in ("accepted", "duplicate") for r in results),
        }
        return Answer(200, orjson.dumps(out))

    async def _read(self, req: Incoming, limit: int, indonesian: bool) -> bytes:
        try:
            return await req.read(limit)
        except BodyTooLarge as exc:
            raise ProblemError(
                problem(
                    413,
                    "too-large",
                    title("too-large", "Body too large", indonesian=indonesian),
                    f"the limit is {limit} bytes",
                )
            ) from exc

    async def _submit(self, who: Principal, parsed: list[Parsed], indonesian: bool) -> list[ItemResult]:
        assert self.service is not None and self.store is not None, "not started"
        now = datetime.now(UTC)
        results: dict[int, ItemResult] = {}
        valid: list[tuple[int, Parsed]] = []
        rejected: list[tuple[str | None, str]] = []
        for i, p in enumerate(parsed):
            if p.report is None:
                metrics.count_report("invalid", _province_label(p.province_hint))
                metrics.REJECTIONS.labels(reason=p.reason, door="http").inc()
                rejected.append((_known_province(p.province_hint), p.reason))
                results[i] = ItemResult(i, p.report_id_hint, "invalid", errors=p.errors, notes=p.notes)
            elif not who.may_submit_for(p.report.region.province):
                metrics.count_report("forbidden", p.report.region.province)
                error = field_error(
                    "region.province",
                    "forbidden",
                    f"this key may only submit for province {who.scope}",
                    indonesian=indonesian,
                )
                results[i] = ItemResult(i, p.report.report_id, "forbidden", errors=[error])
            else:
                valid.append((i, p))
        if valid:
            try:
                for r in await self.service.accept(valid, who.scope, now, indonesian=indonesian):
                    results[r.index] = r
            except STORE_UNAVAILABLE as exc:
                log.error("report store unavailable", error=str(exc), error_type=type(exc).__name__)
                raise unavailable(indonesian) from exc
        if rejected:
            try:  # statistics only: a failure here must not turn a 422 into a 503
                await self.store.record_rejections(rejected, door="http")
            except STORE_UNAVAILABLE as exc:
                log.warning("rejections not counted", error=str(exc), count=len(rejected))
        return [results[i] for i in range(len(parsed))]

    @staticmethod
    def _raise_for(result: ItemResult, indonesian: bool) -> None:
        """The problem answering a single submission that was not stored."""
        if result.status == "invalid":
            raise ProblemError(
                problem(
                    422,
                    "invalid-report",
                    title("invalid-report", "Invalid report", indonesian=indonesian),
                    errors=result.errors,
                    report_id=result.report_id,
                )
            )
        if result.status == "forbidden":
            raise ProblemError(
                problem(
                    403,
                    "forbidden",
                    title("forbidden", "Region outside the key's scope", indonesian=indonesian),
                    errors=result.errors,
                )
            )
        if result.status == "conflict":
            received = result.received_at.isoformat() if result.received_at else None
            raise ProblemError(
                problem(
                    409,
                    "conflict",
                    title("conflict", "report_id already used for different content", indonesian=indonesian),
                    f"first received at {received}",
                    errors=result.errors,
                    report_id=result.report_id,
                    received_at=received,
                )
            )


def _invalid_batch(error: FieldError, indonesian: bool) -> ProblemError:
    return ProblemError(
        problem(
            422,
            "invalid-batch",
            title("invalid-batch", "Invalid batch", indonesian=indonesian),
            errors=[error],
        )
    )
