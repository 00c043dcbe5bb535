"""Notify's Prometheus metrics (`waspada_notify_*`). Labels stay low-cardinality: no alert ids."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ALERTS_ACTIVE = Gauge(
    "waspada_notify_alerts_active",
    "Firing alerts by level, audience and province (refreshed by the sweep)",
    ["level", "audience", "province"],
)
ALERT_EVENTS = Counter(
    "waspada_notify_alert_events_total",
    "Alert lifecycle events (fired, escalated, deescalated, resolved, repeated, ack_escalated) and "
    "muted versions (silenced, inhibited)",
    ["event", "audience"],
)
DELIVERIES = Counter(
    "waspada_notify_deliveries_total",
    "Delivery attempts by channel and outcome (delivered, retry, failed)",
    ["channel", "outcome"],
)
DELIVERY_SECONDS = Histogram(
    "waspada_notify_delivery_seconds",
    "Duration of one delivery attempt",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RECEIPT_TO_DELIVERY = Histogram(
    "waspada_notify_receipt_to_delivery_seconds",
    "From the report's receipt at intake to the successful webhook delivery of the alert it changed",
    buckets=(0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60),
)
ACK_LATENCY = Histogram(
    "waspada_notify_ack_latency_seconds",
    "From an alert's current level being set to its acknowledgement",
    buckets=(60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400),
)
DELIVERIES_PENDING = Gauge(
    "waspada_notify_deliveries_pending", "Deliveries waiting to be (re)tried, including ones being sent"
)
ASSESSMENTS = Counter(
    "waspada_notify_assessments_total",
    "Risk assessments consumed, by what became of them (applied, duplicate, stale, no_change)",
    ["result"],
)
