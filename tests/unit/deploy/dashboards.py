"""Access to deploy/grafana/build.py (not a package) for the dashboard tests."""

from __future__ import annotations

import importlib.util
import json
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
GRAFANA = ROOT / "deploy" / "grafana"

# What Grafana substitutes in the dashboards' queries, with values fit for an instant query.
# Grafana's built-ins, and the dashboards' own variables at their default (All = any value).
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "1h",
    "$province": ".*",
    "$instance": ".*",
}


@cache
def builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("waspada_grafana_build", GRAFANA / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def committed() -> dict[str, dict[str, Any]]:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((GRAFANA / "dashboards").glob("*.json"))
    }


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for panel in dashboard.get("panels", []):
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def targets(dashboard: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(panel title, target) for every query of the dashboard."""
    return [(p["title"], t) for p in panels(dashboard) for t in p.get("targets", [])]


def concrete(expr: str) -> str:
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    assert "$" not in expr, f"unknown Grafana variable in {expr}"
    return expr


def expectations() -> dict[tuple[str, str], bool]:
    """(dashboard uid, expr) -> may the query be empty after an end-to-end run?"""
    b = builder()
    b.render()
    return {(q.dashboard, q.expr): q.may_be_empty for q in b.QUERIES}
