"""`reports.rejected.v1`: dead letters for input that intake could not accept (SPEC §5)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class FieldError(BaseModel):
    """One rejected field, named by its dotted path (`region.regency`, `impact.weapons`)."""

    model_config = ConfigDict(frozen=True)

    field: str
    message: str
    code: str = Field(description="Stable machine-readable reason, e.g. missing, enum, future_time")


class RejectedReport(BaseModel):
    """Value of `reports.rejected.v1` (key: province, when it could be read)."""

    model_config = ConfigDict(frozen=True)

    reason: str = Field(
        description="invalid, conflict, too_large, not_json, or out_of_scope (a valid report of another "
        "province than the scope of the submission topic it came on; the error names region.province)"
    )
    errors: list[FieldError]
    original: str = Field(description="The input as received (reporter fields removed when parseable)")
    source_topic: str
    source_partition: int
    source_offset: int
    received_at: AwareDatetime
