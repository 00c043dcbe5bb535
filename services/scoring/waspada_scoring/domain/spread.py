"""Spread: the same category elevated in other regencies of the same province. Pure.

The view holds, per (regency, category), only the current level and its time span: bounded by the
number of regions. Another regency counts for a report at time t when its level began strictly
before t and a report supported it within the window before t (event time on both sides).

Only the same province counts: intake places a province's reports in one Kafka partition, so every
consumer sees them in submission order and a replay gives the same spread however it is batched.
Other provinces are read from other partitions in no fixed order; escalation across provinces is
notify's national roll-up instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from waspada_scoring.domain.config import Spread
from waspada_shared.levels import Level
from waspada_shared.regions import reference


@dataclass(slots=True)  # not frozen: a frozen init costs 4x in this hot path
class Elevation:
    regency: str
    province: str
    level: Level
    since: float
    held: float


@dataclass(slots=True)  # not frozen: a frozen init costs 4x in this hot path
class SpreadResult:
    value: float
    neighbours: int  # other regencies of the province elevated (waspada or above)
    high: int  # of which at siaga or above
    neighbour_names: tuple[str, ...]


@cache
def neighbours(regency: str) -> frozenset[str]:
    """The other regencies/cities of the same province."""
    ref = reference()
    me = ref.regencies.get(regency)
    if me is None:
        return frozenset()
    return frozenset(
        r.code for r in ref.regencies.values() if r.code != regency and r.province_code == me.province_code
    )


class SpreadView:
    """Elevated regions by category; updated in memory as a batch is scored, in order."""

    def __init__(self, elevations: list[tuple[str, Elevation]] | None = None) -> None:
        self._by_category: dict[str, dict[str, Elevation]] = {}
        for category, e in elevations or []:
            self.put(category, e)

    def put(self, category: str, e: Elevation) -> None:
        cell = self._by_category.setdefault(category, {})
        cell.pop(e.regency, None)
        if e.level is not Level.NORMAL:
            cell[e.regency] = e

    def measure(self, category: str, regency: str, t: float, cfg: Spread) -> SpreadResult:
        cell = self._by_category.get(category)
        if not cell:
            return _NONE
        window = cfg.window_hours * 3600.0
        near = neighbours(regency)
        if len(near) < len(cell):
            candidates = [cell[r] for r in near if r in cell]
        else:
            candidates = [e for r, e in cell.items() if r in near]
        weight = 0.0
        names: list[str] = []
        high = 0
        for e in candidates:
            # Strictly before t: reports at the same instant never see each other, whatever their order.
            if e.since < t and t - e.held <= window:
                weight += cfg.level_weights[e.level.value]  # type: ignore[index]
                names.append(e.regency)
                high += e.level in _HIGH
        value = min(1.0, cfg.per_neighbour * weight)
        return SpreadResult(value, len(names), high, tuple(sorted(names)))


_HIGH = frozenset({Level.SIAGA, Level.AWAS})
_NONE = SpreadResult(0.0, 0, 0, ())
