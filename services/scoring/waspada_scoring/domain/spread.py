"""Spread: the same category elevated in neighbouring regencies or in other provinces. Pure.

The view holds, per (regency, category), only the current level and its time span: bounded by the
number of regions. A neighbouring region counts for a report at time t when its level began at or
before t and a report supported it within the window before t (event time on both sides). Another
province counts when the siaga-or-above region+category of that province that was supported last
meets the same test.
"""

from __future__ import annotations

import math
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
    neighbours: int  # neighbouring regencies elevated (waspada or above)
    provinces: int  # other provinces at siaga or above
    neighbour_names: tuple[str, ...]


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance between centres; equirectangular (exact enough at these distances, and fast)."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6371.0 * math.hypot(x, y)


@cache
def neighbours(regency: str, km: float) -> frozenset[str]:
    """Regencies of the same province, or whose centres lie within `km` (the reference has no borders)."""
    ref = reference()
    me = ref.regencies.get(regency)
    if me is None:
        return frozenset()
    degrees = km / 111.0  # a degree of latitude is ~111 km: skip the far ones cheaply
    return frozenset(
        r.code
        for r in ref.regencies.values()
        if r.code != regency
        and (
            r.province_code == me.province_code
            or (abs(r.lat - me.lat) <= degrees and _km(me.lat, me.lon, r.lat, r.lon) <= km)
        )
    )


class SpreadView:
    """Elevated regions by category; updated in memory as a batch is scored, in order."""

    def __init__(self, elevations: list[tuple[str, Elevation]] | None = None) -> None:
        self._by_category: dict[str, dict[str, Elevation]] = {}
        # Per category and province, the siaga-or-above region+category a report supported last:
        # it stands for its province in the national part of spread (one comparison per province).
        self._high: dict[str, dict[str, dict[str, Elevation]]] = {}
        self._latest: dict[str, dict[str, Elevation]] = {}
        for category, e in elevations or []:
            self.put(category, e)

    def put(self, category: str, e: Elevation) -> None:
        cell = self._by_category.setdefault(category, {})
        old = cell.pop(e.regency, None)
        if e.level is not Level.NORMAL:
            cell[e.regency] = e
        was_high = old is not None and old.level in _HIGH
        is_high = e.level in _HIGH
        if not (was_high or is_high):
            return
        high = self._high.setdefault(category, {}).setdefault(e.province, {})
        if is_high:
            high[e.regency] = e
        else:
            high.pop(e.regency, None)
        latest = self._latest.setdefault(category, {})
        if high:
            latest[e.province] = max(high.values(), key=lambda x: (x.held, x.regency))
        else:
            latest.pop(e.province, None)

    def measure(self, category: str, regency: str, province: str, t: float, cfg: Spread) -> SpreadResult:
        cell = self._by_category.get(category)
        if not cell:
            return _NONE
        window = cfg.window_hours * 3600.0
        near = neighbours(regency, cfg.neighbour_km)
        if len(near) < len(cell):
            candidates = [cell[r] for r in near if r in cell]
        else:
            candidates = [e for r, e in cell.items() if r in near]
        weight = 0.0
        names: list[str] = []
        for e in candidates:
            if e.since <= t and t - e.held <= window:
                weight += cfg.level_weights[e.level.value]  # type: ignore[index]
                names.append(e.regency)
        provinces = sum(
            1
            for other, e in self._latest.get(category, {}).items()
            if other != province and e.since <= t and t - e.held <= window
        )
        value = min(1.0, cfg.per_neighbour * weight + cfg.per_province * provinces)
        return SpreadResult(value, len(names), provinces, tuple(sorted(names)))


_HIGH = frozenset({Level.SIAGA, Level.AWAS})
_NONE = SpreadResult(0.0, 0, 0, ())
