"""What one report asserts, as sub-scores 0..1: severity, harm, scale, signals, the source's confidence.

Severity and signals are noisy-ORs, 1 - prod(1 - x_j); each part's share of the result is
proportional to -ln(1 - x_j), so the parts add up exactly to the whole (domain.md §7.2).
Harm is the size of the toll, 1 - exp(-sum of counts / their scales): it keeps rising where severity
has saturated (33 deaths weigh more than 3) and saturates itself, so no count runs away. Its parts
share it in proportion to their terms, which add up exactly too. Pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from waspada_scoring.domain.config import ModelConfig
from waspada_shared.contracts.report import Impact, ReportFacts, Signal


@dataclass(slots=True)  # not frozen: a frozen init costs 4x in this hot path
class Part:
    """One ingredient of a noisy-OR sub-score, with its share of the sub-score."""

    key: str  # e.g. "deaths", "weapons", "signal:hate_speech"
    strength: float  # its own value in 0..1 (after its coefficient)
    share: float  # its part of the combined sub-score (shares add up to the sub-score)


@dataclass(slots=True)  # not frozen: a frozen init costs 4x in this hot path
class Facts:
    severity: float
    severity_parts: tuple[Part, ...]
    scale: float
    signals: float
    signal_parts: tuple[Part, ...]
    confidence: float
    flagged_recurring: bool
    harm: float = 0.0
    harm_parts: tuple[Part, ...] = ()
    form: float = 0.0  # the SNPK form's own weight: a blockade or an intimidation is not peaceful


def noisy_or(items: list[tuple[str, float]]) -> tuple[float, tuple[Part, ...]]:
    """Combine strengths in 0..1; returns the total and each item's share of it."""
    present = [(k, min(1.0, max(0.0, x))) for k, x in items if x > 0]
    if not present:
        return 0.0, ()
    rest = 1.0
    for _, x in present:
        rest *= 1.0 - x
    total = 1.0 - rest
    # A certain part (x = 1) would take an infinite share; cap it just below 1 for the shares only.
    logs = [(k, x, -math.log1p(-min(x, 0.999))) for k, x in present]
    denom = sum(v for _, _, v in logs)
    return total, tuple(Part(k, x, total * v / denom) for k, x, v in logs)


def _log_part(n: int, full: int) -> float:
    return min(1.0, math.log1p(n) / math.log1p(full))


def deaths_part(deaths: int, cfg: ModelConfig) -> float:
    """The first death weighs `death_first`; further deaths on a log scale, reaching 1 at `deaths_full`."""
    if deaths <= 0:
        return 0.0
    s = cfg.severity
    return min(1.0, s.death_first + (1.0 - s.death_first) * math.log(deaths) / math.log(s.deaths_full))


def buildings_part(impact: Impact, cfg: ModelConfig) -> float:
    s = cfg.severity
    if impact.arson and impact.buildings_damaged >= s.buildings_many:
        return s.buildings_burned_many
    if impact.arson:
        return s.buildings_burned
    return s.buildings_damaged if impact.buildings_damaged > 0 else 0.0


def severity(report: ReportFacts, cfg: ModelConfig) -> tuple[float, tuple[Part, ...]]:
    s = cfg.severity
    c = s.coefficients
    i = report.impact
    items = [
        ("deaths", c["deaths"] * deaths_part(i.deaths, cfg)),
        ("injured", c["injured"] * _log_part(i.injured, s.injured_full)),
        ("displaced", c["displaced"] * _log_part(i.displaced, s.displaced_full)),
        ("buildings", c["buildings"] * buildings_part(i, cfg)),
        ("weapons", c["weapons"] * s.weapons[i.weapons]),
        ("form", c["form"] * (s.forms[report.form] if report.form else 0.0)),
    ]
    return noisy_or(items)


def harm(report: ReportFacts, cfg: ModelConfig) -> tuple[float, tuple[Part, ...]]:
    """The toll, `1 - exp(-sum(count_j / scale_j))`; burned buildings count `burned_factor` times."""
    h = cfg.harm
    i = report.impact
    buildings = i.buildings_damaged * (h.burned_factor if i.arson else 1.0)
    terms = [
        (key, n / scale)
        for key, n, scale in (
            ("deaths", i.deaths, h.deaths_scale),
            ("injured", i.injured, h.injured_scale),
            ("displaced", i.displaced, h.displaced_scale),
            ("buildings", buildings, h.buildings_scale),
        )
        if n > 0
    ]
    total = sum(x for _, x in terms)
    if total <= 0:
        return 0.0, ()
    value = -math.expm1(-total)
    return value, tuple(Part(k, x, value * x / total) for k, x in terms)


def crowd_part(report: ReportFacts, cfg: ModelConfig) -> float:
    return _log_part(report.impact.crowd_size, cfg.scale.crowd_full)


def scale(report: ReportFacts, cfg: ModelConfig) -> float:
    crowd = crowd_part(report, cfg)
    mobilised = cfg.scale.mobilisation if Signal.OUTSIDE_MOBILISATION in report.signals else 0.0
    return min(1.0, crowd + mobilised)


def signals(report: ReportFacts, cfg: ModelConfig) -> tuple[float, tuple[Part, ...]]:
    return noisy_or([(f"signal:{s.value}", cfg.signals[s]) for s in report.signals])


def confidence(report: ReportFacts, cfg: ModelConfig) -> float:
    c = cfg.confidence
    rel = c.reliability[report.source.reliability]
    cred = c.credibility[str(report.source.credibility)]  # type: ignore[index]
    return c.base + (1.0 - c.base) * rel * cred


def facts(report: ReportFacts, cfg: ModelConfig) -> Facts:
    sev, sev_parts = severity(report, cfg)
    sig, sig_parts = signals(report, cfg)
    toll, toll_parts = harm(report, cfg)
    return Facts(
        severity=sev,
        severity_parts=sev_parts,
        scale=scale(report, cfg),
        signals=sig,
        signal_parts=sig_parts,
        confidence=confidence(report, cfg),
        flagged_recurring=Signal.RECURRING_CONFLICT in report.signals,
        harm=toll,
        harm_parts=toll_parts,
        form=cfg.severity.forms[report.form] if report.form else 0.0,
    )
