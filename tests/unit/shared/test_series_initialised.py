"""Counters with a province label exist at 0 from the start, so `increase()` counts a province's first report."""

from __future__ import annotations

from prometheus_client import REGISTRY

from waspada_intake import metrics as intake_metrics
from waspada_scoring import metrics as scoring_metrics
from waspada_shared.regions import reference


def test_every_province_has_its_series_before_any_report() -> None:
    provinces = list(reference().provinces)
    intake_metrics.initialise_series(provinces)
    scoring_metrics.initialise_series(provinces)
    for province in ("11", "96"):
        assert (
            REGISTRY.get_sample_value(
                "waspada_intake_reports_total", {"outcome": "accepted", "province": province}
            )
            is not None
        )
        assert (
            REGISTRY.get_sample_value(
                "waspada_scoring_assessments_total", {"level": "awas", "province": province}
            )
            is not None
        )
