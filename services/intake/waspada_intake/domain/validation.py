"""Turning raw input into a valid report, or into named field errors. Pure: the clock is passed in."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from pydantic import ValidationError

from waspada_shared.contracts.rejection import FieldError
from waspada_shared.contracts.report import ReportIn
from waspada_shared.problems import field_error, field_errors
from waspada_shared.regions import normalise_legacy_codes


@dataclass(slots=True)
class Parsed:
    report: ReportIn | None
    errors: list[FieldError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    province_hint: str | None = None  # the province as submitted, for routing a rejection
    report_id_hint: str | None = None  # the report_id as submitted, when well-formed, to echo back

    @property
    def ok(self) -> bool:
        return self.report is not None

    @property
    def reason(self) -> str:
        """The rejection reason for metrics and dead letters: the first error's code."""
        return self.errors[0].code if self.errors else "invalid"


_REPORT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def parse_obj(obj: Any, now: datetime, *, indonesian: bool = False) -> Parsed:
    """Validate one decoded JSON value as a v1 report; every offending field is listed."""
    if not isinstance(obj, dict):
        return Parsed(
            None,
            [field_error("body", "model_type", "a report must be a JSON object", indonesian=indonesian)],
        )
    notes: list[str] = []
    report_id = obj.get("report_id")
    report_id_hint = report_id if isinstance(report_id, str) and _REPORT_ID.fullmatch(report_id) else None
    region = obj.get("region")
    province_hint = region.get("province") if isinstance(region, dict) else None
    if isinstance(region, dict):
        new_region, notes = normalise_legacy_codes(region, indonesian=indonesian)
        if notes:
            obj = {**obj, "region": new_region}
    try:
        report = ReportIn.model_validate(obj, context={"now": now})
    except ValidationError as exc:
        errors = field_errors(exc, indonesian=indonesian)
        return Parsed(None, errors, notes, _str_or_none(province_hint), report_id_hint)
    return Parsed(report, [], notes, report.region.province, report.report_id)


def parse_bytes(
    raw: bytes, now: datetime, *, indonesian: bool = False, max_bytes: int | None = None
) -> Parsed:
    """Decode and validate one report; `max_bytes` refuses larger input before decoding it."""
    if max_bytes is not None and len(raw) > max_bytes:
        return Parsed(
            None,
            [
                field_error(
                    "body",
                    "too_large",
                    f"{len(raw)} bytes; the limit is {max_bytes}",
                    indonesian=indonesian,
                )
            ],
        )
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return Parsed(
            None, [field_error("body", "json_invalid", f"invalid JSON: {exc}", indonesian=indonesian)]
        )
    return parse_obj(obj, now, indonesian=indonesian)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A valid report turned into what is stored and published."""

    content_hash: str
    payload: bytes  # the `reports.accepted.v1` value: the facts without reporter, plus receipt metadata


def prepare(report: ReportIn, received_at: datetime, submitted_by: str) -> Prepared:
    """Content hash and published form of a report, from one serialisation of its facts.

    The facts serialise canonically as they are: the model fixes the order of every field and fills in
    every default. The hash covers the facts only, not the confidential reporter: a hash of plain
    reporter details stored beside the facts could be brute-forced back into a phone number. A
    resubmission that differs only in its reporter is therefore a duplicate (the first one is kept).
    """
    facts = orjson.dumps(report.model_dump(mode="json", exclude={"reporter"}))
    receipt = orjson.dumps({"received_at": received_at.isoformat(), "submitted_by": submitted_by})
    # `{...facts}` + `{receipt}` -> `{...facts,receipt}`: the published object without re-encoding.
    return Prepared(hashlib.sha256(facts).hexdigest(), facts[:-1] + b"," + receipt[1:])


def content_hash(report: ReportIn) -> str:
    """Hash of the report's facts, telling an exact resubmission from a conflicting one."""
    return hashlib.sha256(orjson.dumps(report.model_dump(mode="json", exclude={"reporter"}))).hexdigest()


def _str_or_none(v: object) -> str | None:
    return v if isinstance(v, str) else None


def strip_reporter(obj: Any) -> Any:
    """Remove every `reporter` member (at any depth) from decoded input before it is echoed anywhere."""
    if isinstance(obj, dict):
        return {k: strip_reporter(v) for k, v in obj.items() if k != "reporter"}
    if isinstance(obj, list):
        return [strip_reporter(v) for v in obj]
    return obj


# A `"reporter": ...` member in text that is not valid JSON: an object (one level), a string or a bare
# value, possibly cut off by the truncation.
_REPORTER_IN_TEXT = re.compile(
    r'"reporter"\s*:\s*(\{[^{}]*\}?|"(?:[^"\\]|\\.)*"?|[^,}\]]*)', re.IGNORECASE | re.DOTALL
)
WITHHELD = "<withheld: unparseable input that mentions a reporter>"


def redact_unparsed(text: str) -> str:
    """Best-effort removal of reporter details from input that could not be parsed as JSON.

    If anything that looks like a reporter survives the redaction, the whole text is withheld: a dead
    letter without its original is better than a reporter's phone number on a topic.
    """
    redacted = _REPORTER_IN_TEXT.sub('"reporter":"<redacted>"', text)
    rest = redacted.replace('"reporter":"<redacted>"', "")
    if re.search(r"reporter|phone|email|@", rest, re.IGNORECASE):
        return WITHHELD
    return redacted


def original_for_dead_letter(raw: bytes, limit: int) -> str:
    """The input as it may be echoed on `reports.rejected.v1`: reporter removed, at most `limit` chars."""
    try:
        text = orjson.dumps(strip_reporter(orjson.loads(raw))).decode()
    except orjson.JSONDecodeError:
        return redact_unparsed(raw[: limit * 4].decode("utf-8", errors="replace"))[:limit]
    return text[:limit]
