"""Synthetic v1 reports for benchmarks: valid, varied, spread over every regency."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from waspada_shared.contracts.report import Category, Kind, Signal
from waspada_shared.regions import reference

_CATEGORIES = [c.value for c in Category]
_SIGNALS = [s.value for s in Signal]


def synthetic_report(
    rng: random.Random, report_id: str, *, violent_share: float = 0.02, reporter: bool = False
) -> dict[str, Any]:
    """A report in a random regency and category; `violent_share` of them are violent incidents.

    The default mix is mostly early signs and peaceful incidents, as in a real feed: most assessments
    stay at Level 1, a few per cent open or escalate alerts.
    """
    regency = rng.choice(list(reference().regencies.values()))
    violent = rng.random() < violent_share
    occurred = datetime.now(UTC) - timedelta(minutes=rng.randint(1, 600))
    impact: dict[str, Any] = {"crowd_size": rng.choice([0, 20, 50, 200, 1000])}
    if violent:
        impact.update(
            deaths=rng.choice([0, 0, 1, 3]),
            injured=rng.randint(0, 20),
            buildings_damaged=rng.randint(0, 5),
            arson=rng.random() < 0.3,
            weapons=rng.choice(["none", "blunt", "sharp", "firearms"]),
        )
    report = {
        "report_id": report_id,
        "region": {"province": regency.province_code, "regency": regency.code},
        "occurred_at": occurred.isoformat(),
        "kind": Kind.INCIDENT.value if violent else rng.choice([Kind.POTENTIAL.value, Kind.INCIDENT.value]),
        "category": rng.choice(_CATEGORIES),
        "impact": impact,
        "signals": rng.sample(_SIGNALS, rng.choice([0, 0, 0, 1, 2])),
        "actors": [{"type": "villagers"}],
        "source": {"type": "official", "reliability": rng.choice("ABC"), "credibility": rng.randint(1, 3)},
        "summary": "Laporan sintetis untuk uji beban.",
    }
    if reporter:
        report["reporter"] = {"name": "Bench", "phone": "+62 800 0000 0000"}
    return report
