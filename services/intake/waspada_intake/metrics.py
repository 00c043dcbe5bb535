"""Intake's own metrics (FastStream's middleware measures the Kafka side)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REPORTS = Counter(
    "waspada_intake_reports_total",
    "Reports received, by outcome (accepted, duplicate, conflict, invalid, forbidden) and province",
    ["outcome", "province"],
)
REJECTIONS = Counter(
    "waspada_intake_rejections_total",
    "Rejected inputs by reason (first failing field's code) and door (http, kafka)",
    ["reason", "door"],
)
OUTBOX_BACKLOG = Gauge("waspada_intake_outbox_backlog", "Outbox rows not yet relayed to Kafka")
STORE_SECONDS = Histogram(
    "waspada_intake_store_seconds",
    "Time of one store transaction (reports and outbox rows, committed)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
COMMIT_SIZE = Histogram(
    "waspada_intake_commit_reports",
    "Reports per store transaction (group commit gathers concurrent submissions)",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000),
)
PUBLISHED = Counter("waspada_intake_published_total", "Reports relayed from the outbox to Kafka")
RELAY_FAILURES = Counter(
    "waspada_intake_relay_failures_total", "Outbox relay rounds that failed (Kafka or database unreachable)"
)


_report_series: dict[tuple[str, str], Counter] = {}


def count_report(outcome: str, province: str) -> None:
    """`REPORTS.labels(outcome, province).inc()`, with the labelled child looked up once."""
    series = _report_series.get((outcome, province))
    if series is None:
        series = _report_series[(outcome, province)] = REPORTS.labels(outcome=outcome, province=province)
    series.inc()


OUTCOMES = ("accepted", "duplicate", "conflict", "invalid", "forbidden")


def initialise_series(provinces: list[str]) -> None:
    """Create every (outcome, province) series at 0, so `increase()` also counts a province's first report."""
    for province in provinces:
        for outcome in OUTCOMES:
            REPORTS.labels(outcome=outcome, province=province)
