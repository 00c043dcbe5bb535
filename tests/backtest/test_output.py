"""The table and JSON output of a small run (no services)."""

from __future__ import annotations

import json
from pathlib import Path

from backtest import expect, output
from backtest.measure import RunData, figures
from tests.backtest.test_measure import assessment, report, version


def test_render_and_json(tmp_path: Path) -> None:
    reports = [report("a", deaths=3, arson=True), report("b", form="demonstration", days=3)]
    versions = [
        version("r1", "regency", "siaga", report_ids=["a"]),
        version("p1", "province", "siaga", report_ids=["a"]),
    ]
    data = RunData(reports, [assessment("a", "siaga"), assessment("b", "normal", days=3)], versions, versions)
    figs = figures(data)
    checks = expect.evaluate(expect.Expectations(quiet=[expect.Quiet(regency="31.71")]), data, figs)
    text = output.render(figs, checks, {"mode": "batch"})
    assert "Levels per year" in text and "2019" in text
    assert "precision of province/national siaga+ alerts" in text and "100.0% (1/1)" in text
    assert "Expectations: 0 of 1 passed" in text and "FAIL" in text
    doc = output.document(figs, checks, {"mode": "batch"})
    path = tmp_path / "out" / "r.json"
    output.write_json(path, doc)
    back = json.loads(path.read_text())
    assert back["passed"] is False
    assert back["figures"]["recall_3_deaths"]["value"] == 1.0
    assert back["figures"]["alerts_per_province_month_summary"]["province"]["max"] == 1
