"""Topic names, message keys and headers: the one place that names them (SPEC §5)."""

from __future__ import annotations

from dataclasses import dataclass

REPORTS_SUBMITTED = "reports.submitted.v1"
REPORTS_ACCEPTED = "reports.accepted.v1"
REPORTS_REJECTED = "reports.rejected.v1"
RISK_ASSESSED = "risk.assessed.v1"
ALERTS_PROVINCE = "alerts.province.v1"
ALERTS_NATIONAL = "alerts.national.v1"

ALL_TOPICS = [
    REPORTS_SUBMITTED,
    REPORTS_ACCEPTED,
    REPORTS_REJECTED,
    RISK_ASSESSED,
    ALERTS_PROVINCE,
    ALERTS_NATIONAL,
]

HEADER_SCHEMA_VERSION = "schema-version"
HEADER_CONTENT_TYPE = "content-type"
JSON_CONTENT_TYPE = "application/json"


def headers(schema_version: int = 1) -> dict[str, str]:
    return {HEADER_SCHEMA_VERSION: str(schema_version), HEADER_CONTENT_TYPE: JSON_CONTENT_TYPE}


@dataclass(frozen=True, slots=True)
class Topics:
    """Topic names with the deployment's prefix applied (e.g. ``staging.`` for a shared cluster)."""

    prefix: str = ""

    def name(self, base: str) -> str:
        return f"{self.prefix}{base}"

    @property
    def submitted(self) -> str:
        return self.name(REPORTS_SUBMITTED)

    @property
    def accepted(self) -> str:
        return self.name(REPORTS_ACCEPTED)

    @property
    def rejected(self) -> str:
        return self.name(REPORTS_REJECTED)

    @property
    def assessed(self) -> str:
        return self.name(RISK_ASSESSED)

    @property
    def alerts_province(self) -> str:
        return self.name(ALERTS_PROVINCE)

    @property
    def alerts_national(self) -> str:
        return self.name(ALERTS_NATIONAL)

    def all(self) -> list[str]:
        return [self.name(t) for t in ALL_TOPICS]
