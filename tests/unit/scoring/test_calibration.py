"""The calibration set (shared/examples/calibration.jsonl): every case at the analyst's level.

Each case is assessed in a region with no history, except cal-08, which follows cal-06 in the same
regency (a peace agreement two weeks after a deadly brawl).
"""

from __future__ import annotations

from pathlib import Path

from tests.unit.scoring.factories import Scorer, calibration
from waspada_shared.contracts.report import AcceptedReport


def _accepted(raw: dict[str, object]) -> AcceptedReport:
    return AcceptedReport.model_validate({**raw, "received_at": raw["occurred_at"], "submitted_by": "kafka"})


def test_every_calibration_case_lands_at_the_expected_level() -> None:
    shared = Scorer()  # cal-06 and cal-08 share their regency's history
    rows = []
    for case in calibration():
        r = _accepted(case["report"])
        scorer = shared if r.report_id in ("cal-06", "cal-08") else Scorer()
        a = scorer.one(r).assessment
        rows.append((r.report_id, case["expect"], a.level.value, a.score))
    table = "\n".join(f"{rid}: expected {exp}, got {got} ({score:.2f})" for rid, exp, got, score in rows)
    assert all(exp == got for _, exp, got, _ in rows), table


def test_calibration_scores_keep_a_margin_from_the_thresholds() -> None:
    """A small weight change should not flip a case: each score is at least 2 points inside its band."""
    shared = Scorer()
    bounds = {"normal": (0, 25), "waspada": (25, 50), "siaga": (50, 75), "awas": (75, 100)}
    for case in calibration():
        r = _accepted(case["report"])
        scorer = shared if r.report_id in ("cal-06", "cal-08") else Scorer()
        a = scorer.one(r).assessment
        low, high = bounds[case["expect"]]
        assert low + 2 <= a.score <= high - 2 or (case["expect"] == "awas" and a.score >= 77), (
            r.report_id,
            a.score,
        )


def test_calibration_reasons_name_the_facts_in_indonesian() -> None:
    by_id = {c["report"]["report_id"]: c for c in calibration()}
    a = Scorer().one(_accepted(by_id["cal-07"]["report"])).assessment
    assert a.reasons.startswith("empat korban meninggal")
    assert "pembakaran 12 bangunan" in a.reasons
    assert a.reasons.endswith("tiga korban jiwa atau lebih (kandidat Level 4, perlu keputusan)")
    assert "awas_candidate" in a.flags
    recovery = Scorer()
    recovery.one(_accepted(by_id["cal-06"]["report"]))
    peace = recovery.one(_accepted(by_id["cal-08"]["report"])).assessment
    assert peace.reasons.startswith("laporan pemulihan/perdamaian")
    assert peace.previous_level is not None and peace.previous_level.value == "siaga"


def test_the_documented_calibration_table_matches_the_model() -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "scoring.md").read_text(encoding="utf-8")
    shared = Scorer()
    for case in calibration():
        r = _accepted(case["report"])
        scorer = shared if r.report_id in ("cal-06", "cal-08") else Scorer()
        a = scorer.one(r).assessment
        row = next(line for line in doc.splitlines() if line.startswith(f"| {r.report_id} |"))
        assert row.endswith(f"| {case['expect']} | {a.level.value} | {a.score:.2f} |"), row
