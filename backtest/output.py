"""The backtest's result as plain-text tables (for the terminal) and as one JSON document (for files
and for comparing runs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from backtest.expect import Check
from backtest.measure import LEVELS, Figures, Ratio


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)] if rows else []
    if not widths:
        widths = [len(h) for h in headers]

    def line(cells: list[str]) -> str:
        return "  ".join(
            str(c).rjust(w) if i else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _ratio(r: Ratio) -> str:
    return "n/a" if r.value is None else f"{r.value:.1%} ({r.hits}/{r.total})"


def render(figs: Figures, checks: list[Check] | None = None, meta: dict[str, Any] | None = None) -> str:
    out: list[str] = []
    if meta:
        out.append("  ".join(f"{k}: {v}" for k, v in meta.items()))
    out.append(
        f"reports {figs.reports}, assessments {figs.assessments}, alerts {figs.alerts}"
        f" ({figs.alert_versions} versions), model {', '.join(figs.model_versions) or '-'}"
    )
    out.append("\nLevels per year (assessments)")
    out.append(
        table(
            ["year", *LEVELS],
            [[y, *(str(c[lv]) for lv in LEVELS)] for y, c in figs.levels_per_year.items()],
        )
    )
    years = sorted({y for per in figs.alerts_per_audience_year.values() for y in per})
    audiences = ["regency", "province", "national"]
    out.append("\nAlerts per audience per year (by first_seen)")
    out.append(
        table(
            ["year", *audiences],
            [
                [y, *(str(figs.alerts_per_audience_year.get(a, {}).get(y, 0)) for a in audiences)]
                for y in years
            ],
        )
    )
    out.append("\nAlerts per province-month (province-months with at least one alert)")
    out.append(
        table(
            ["audience", "province-months", "median", "p90", "max", "busiest"],
            [
                [aud, str(d.cells), str(d.median), str(d.p90), str(d.max), "; ".join(d.worst[:3])]
                for aud in audiences
                if (d := figs.alerts_per_province_month_summary.get(aud)) is not None
            ],
        )
    )
    out.append("\nFigures")
    out.append(
        table(
            ["figure", "value"],
            [
                [
                    "precision of province/national siaga+ alerts (harm +-14 d)",
                    _ratio(figs.precision_siaga_province_national),
                ],
                ["recall: regency-weeks with >= 1 death at siaga+", _ratio(figs.recall_1_death)],
                ["recall: regency-weeks with >= 3 deaths at siaga+", _ratio(figs.recall_3_deaths)],
                [">= 3-death reports at the national desk within 24 h", _ratio(figs.national_within_day)],
                [">= 3-death reports scored awas or awas_candidate", _ratio(figs.scored_for_level_4)],
                ["regency alerts of peaceful demonstrations only", _ratio(figs.peaceful_only_regency_alerts)],
            ],
        )
    )
    out.append("\nRegency x category pairs that fire most (regency-audience alerts)")
    out.append(
        table(
            ["regency", "name", "category", "alerts", "max level"],
            [[p.regency, p.name, p.category, str(p.alerts), p.max_level] for p in figs.top_pairs],
        )
    )
    if checks:
        passed = sum(c.passed for c in checks)
        out.append(f"\nExpectations: {passed} of {len(checks)} passed")
        out.append(
            table(
                ["", "kind", "check", "detail"],
                [["PASS" if c.passed else "FAIL", c.kind, c.name, c.detail] for c in checks],
            )
        )
    return "\n".join(out)


def document(figs: Figures, checks: list[Check] | None, meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "meta": meta,
        "figures": figs.model_dump(mode="json"),
        "checks": [c.model_dump(mode="json") for c in checks] if checks is not None else None,
        "passed": all(c.passed for c in checks) if checks is not None else None,
    }


def write_json(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
