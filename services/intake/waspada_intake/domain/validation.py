"""Turning raw input into a valid report, or into named field errors. Pure: the clock is passed in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from pydantic import ValidationError
from waspada_shared.contracts.rejection import FieldError
from waspada_shared.contracts.report import AcceptedReport, ReportIn
from waspada_shared.problems import field_errors
from waspada_shared.regions import normalise_legacy_codes


@dataclass(slots=True)
class Parsed:
    report: ReportIn | None
    errors: list[FieldError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    province_hint: str | None = None  # the province as submitted, for routing a rejection

    @property
    def ok(self) -> bool:
        return self.report is not None


def parse_obj(obj: Any, now: datetime, *, indonesian: bool = False) -> Parsed:
    """Validate one decoded JSON value as a v1 report."""
    if not isinstance(obj, dict):
        return Parsed(
            None, [FieldError(field="body", message="a report must be a JSON object", code="model_type")]
        )
    notes: list[str] = []
    region = obj.get("region")
    province_hint = region.get("province") if isinstance(region, dict) else None
    if isinstance(region, dict):
        new_region, notes = normalise_legacy_codes(region)
        if notes:
            obj = {**obj, "region": new_region}
    try:
        report = ReportIn.model_validate(obj, context={"now": now})
    except ValidationError as exc:
        return Parsed(None, field_errors(exc, indonesian=indonesian), notes, _str_or_none(province_hint))
    return Parsed(report, [], notes, report.region.province)


def parse_bytes(raw: bytes, now: datetime, *, indonesian: bool = False) -> Parsed:
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return Parsed(None, [FieldError(field="body", message=f"invalid JSON: {exc}", code="json_invalid")])
    return parse_obj(obj, now, indonesian=indonesian)


def content_hash(report: ReportIn) -> str:
    """Hash of the report's content, for telling an exact resubmission from a conflicting one."""
    canonical = orjson.dumps(report.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def accepted(report: ReportIn, received_at: datetime, submitted_by: str) -> AcceptedReport:
    """The published form: the facts without `reporter`, plus receipt metadata."""
    data = report.model_dump(exclude={"reporter"})
    return AcceptedReport.model_validate({**data, "received_at": received_at, "submitted_by": submitted_by})


def _str_or_none(v: object) -> str | None:
    return v if isinstance(v, str) else None


def strip_reporter(obj: Any) -> Any:
    """Remove `reporter` from a decoded input before it is echoed anywhere (dead letters, logs)."""
    if isinstance(obj, dict) and "reporter" in obj:
        return {k: v for k, v in obj.items() if k != "reporter"}
    return obj
