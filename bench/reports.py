"""Synthetic v1 reports for benchmarks: valid, varied, spread over every regency."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from waspada_shared.contracts.report import Category, Kind, Signal
from waspada_shared.regions import reference

_CATEGORIES = [c.value for c in Category]
_SIGNALS = [s.value for s in Signal]
_REGENCIES = list(reference().regencies.values())


# (share of violent incidents, share of other reports carrying warning signals) per mix:
# `realistic` is mostly routine early signs and peaceful incidents, as in a real feed, so that about 2 % of
# reports open or escalate an alert (SPEC §9); `storm` makes about 20 % of them do so.
MIXES: dict[str, tuple[float, float]] = {"realistic": (0.012, 0.01), "storm": (0.2, 0.4)}
CROWDS = [0, 20, 50, 200, 1000]
# A day-to-day feed's routine reports mostly describe small gatherings (bench/reports.py `feed`).
ROUTINE_CROWDS = [0, 0, 0, 10, 20, 20, 50, 50, 100, 300]


def synthetic_report(
    rng: random.Random,
    report_id: str,
    *,
    mix: str = "realistic",
    reporter: bool = False,
    occurred: datetime | None = None,
    crowds: list[int] = CROWDS,
) -> dict[str, Any]:
    """A report in a random regency and category, in the given mix (`MIXES`); it happened at `occurred`
    (default: at a random time in the last ten hours)."""
    violent_share, signal_share = MIXES[mix]
    regency = rng.choice(_REGENCIES)
    violent = rng.random() < violent_share
    if occurred is None:
        occurred = datetime.now(UTC) - timedelta(minutes=rng.randint(1, 600))
    impact: dict[str, Any] = {"crowd_size": rng.choice(crowds)}
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
        "signals": rng.sample(_SIGNALS, rng.choice([1, 2])) if violent or rng.random() < signal_share else [],
        "actors": [{"type": "villagers"}],
        "source": {"type": "official", "reliability": rng.choice("ABC"), "credibility": rng.randint(1, 3)},
        "summary": "Laporan sintetis untuk uji beban.",
    }
    if reporter:
        report["reporter"] = {"name": "Bench", "phone": "+62 800 0000 0000"}
    return report


# A national feed in a tense period: about four reports a day per regency, mostly routine (small crowds).
# Calibrated with the scoring model itself (docs/benchmarks.md): at 5,000 a day with the latency mix's
# crowds, momentum and spread kept 29 % of assessments in raised groups and 13 % raising one, a storm
# rather than a feed; at 2,000 a day with routine crowds, once a month of history gives each
# region+category its baseline, about 3 % raise a level and 17 % fall in a raised group.
FEED_PER_DAY = 2000


def feed(rng: random.Random, n: int, tag: str) -> list[dict[str, Any]]:
    """`n` reports as a feed brings them: in event-time order, at FEED_PER_DAY, ending now.

    Alerts then resolve after their quiet time as they would in service, so the pipeline works at a
    steady state; a hundred thousand reports crammed into ten hours of event time would instead keep
    about 40 % of all region+category groups raised at once.
    """
    step = timedelta(days=1) / FEED_PER_DAY
    start = datetime.now(UTC) - step * n - timedelta(hours=1)
    return [
        synthetic_report(rng, f"{tag}-{i}", occurred=start + step * i, crowds=ROUTINE_CROWDS)
        for i in range(n)
    ]
