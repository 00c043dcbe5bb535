"""Prometheus metrics of scoring (module-level: registered once per process).

Labels stay low-cardinality: level and province (38 values); never a report id or a regency.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ASSESSMENTS = Counter(
    "waspada_scoring_assessments_total",
    "New assessments stored, by the level of the region+category after the report",
    ["level", "province"],
)
BATCH_SECONDS = Histogram(
    "waspada_scoring_batch_seconds",
    "Time to process one consumed batch (parse, assess, store, publish)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RECEIPT_TO_ASSESSMENT = Histogram(
    "waspada_scoring_receipt_to_assessment_seconds",
    "From received_at (intake) to the assessment",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
EVENT_TO_ASSESSMENT = Histogram(
    "waspada_scoring_event_to_assessment_seconds",
    "From occurred_at (event time) to the assessment: how late reports reach scoring",
    buckets=(
        60.0,
        300.0,
        900.0,
        3600.0,
        3 * 3600.0,
        6 * 3600.0,
        12 * 3600.0,
        86400.0,
        3 * 86400.0,
        7 * 86400.0,
        30 * 86400.0,
        365 * 86400.0,
    ),
)
DUPLICATES = Counter(
    "waspada_scoring_duplicates_total",
    "Redelivered or replayed reports that were already assessed (their stored assessment is re-published)",
)
REGIONS_TRACKED = Gauge(
    "waspada_scoring_regions_tracked",
    "Region+category states (regency x category) held in PostgreSQL",
)


def initialise_series(provinces: list[str]) -> None:
    """Create every (level, province) series at 0, so `increase()` also counts a province's first one."""
    for province in provinces:
        for level in ("normal", "waspada", "siaga", "awas"):
            ASSESSMENTS.labels(level=level, province=province)
