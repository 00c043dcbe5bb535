"""Topic names, message keys and headers: the one place that names them (SPEC §5)."""

from __future__ import annotations

from collections.abc import Iterable
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

# Submission scopes (SPEC §8): an agency may submit only within its scope, and the broker enforces which
# scope it may write to by ACLs on these topics. `reports.submitted.v1` itself is the national scope's
# door (any province); `reports.submitted.v1.<province code>` is a province's. Intake reads them all and
# rejects a report whose province is not the scope of the topic it came on (docs/security.md).
NATIONAL_SCOPE = "national"
SCOPE_SEPARATOR = "."

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

    def submitted_for(self, scope: str) -> str:
        """The submission topic of a scope: a province code (`19`), or `national` (the plain topic)."""
        if scope == NATIONAL_SCOPE:
            return self.submitted
        if not scope.isdigit():
            raise ValueError(f"a submission scope is a province code or {NATIONAL_SCOPE!r}, not {scope!r}")
        return f"{self.submitted}{SCOPE_SEPARATOR}{scope}"

    def submission_topics(self, provinces: Iterable[str]) -> list[str]:
        """Every submission door: the national one, then one per province, in code order."""
        return [self.submitted] + [self.submitted_for(p) for p in sorted(provinces)]

    def scope_of(self, topic: str) -> str | None:
        """The scope a submission topic admits (`national` or a province code); None if it is none."""
        if topic == self.submitted:
            return NATIONAL_SCOPE
        head = f"{self.submitted}{SCOPE_SEPARATOR}"
        if topic.startswith(head) and topic[len(head) :].isdigit():
            return topic[len(head) :]
        return None
