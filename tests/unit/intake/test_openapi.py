"""The committed OpenAPI document (docs/openapi.json) matches the code and documents the real API."""

from __future__ import annotations

import json
from pathlib import Path

from waspada_intake import openapi

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def test_committed_openapi_is_current() -> None:
    assert COMMITTED.exists(), "run: .venv/bin/python -m waspada_intake.openapi"
    assert COMMITTED.read_text(encoding="utf-8") == openapi.render(), (
        "docs/openapi.json is out of date; run: .venv/bin/python -m waspada_intake.openapi"
    )


def test_check_mode_detects_drift(tmp_path: Path) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n", encoding="utf-8")
    assert openapi.main(["--check", "--output", str(stale)]) == 1
    assert openapi.main(["--output", str(stale)]) == 0
    assert openapi.main(["--check", "--output", str(stale)]) == 0


def test_request_bodies_and_every_response_code_are_documented() -> None:
    doc = json.loads(openapi.render())
    paths = doc["paths"]
    single = paths["/v1/reports"]["post"]
    assert single["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReportIn"
    }
    assert set(single["responses"]) == {"200", "202", "401", "403", "409", "413", "422", "429", "503"}
    batch = paths["/v1/reports/batch"]["post"]
    assert batch["requestBody"]["content"]["application/json"]["schema"]["maxItems"] == 500
    assert {"200", "401", "413", "422", "429", "503"} <= set(batch["responses"])
    assert {"200", "401", "404", "429", "503"} <= set(paths["/v1/reports/{report_id}"]["get"]["responses"])
    assert {"200", "401", "403", "404"} <= set(paths["/v1/reports/{report_id}/reporter"]["get"]["responses"])
    problem = single["responses"]["422"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}
    schemas = doc["components"]["schemas"]
    report = schemas["ReportIn"]
    assert set(report["required"]) == {
        "report_id",
        "region",
        "occurred_at",
        "kind",
        "category",
        "source",
        "summary",
    }
    assert report["additionalProperties"] is False
    assert "reporter" in report["properties"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert all(op.get("security") == [{"bearer": []}] for p in paths.values() for op in p.values())
