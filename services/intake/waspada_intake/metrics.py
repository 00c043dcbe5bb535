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
    "Time to store a batch of reports durably",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
