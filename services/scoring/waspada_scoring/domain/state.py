"""State of one region+category (regency x category): bounded by time windows, never by reports. Pure.

What it remembers:
- the facts memory: the strongest severity, harm, scale and signals seen, each already multiplied by its
  report's confidence, decaying in event time (one slot for incidents, one for potential reports,
  with their own half-lives), as of `t`, the newest event time applied;
- report counts per hour (last 8 days) and per day (last 98 days), for momentum;
- the days of the year with reports, per year (last 6 years), for recurrence;
- the conflict history: the confidence-weighted severity of past reports, decaying over a year;
- the level, when it began (`since`) and when a report last supported it (`held`).

Times are POSIX seconds (floats) of event time (`occurred_at`), never the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from waspada_shared.levels import Level

HOUR = 3600.0
DAY = 86400.0
HOURLY_KEEP = 8 * 24  # hours of hourly counts kept (24 h and 7 d windows)
DAILY_KEEP = 100  # days of daily counts kept (the 90-day baseline before the last 7 days)
YEARS_KEEP = 6
DAYS_PER_YEAR_KEEP = 96  # distinct days of the year kept per year (enough to find anniversaries)

INCIDENT, POTENTIAL = "i", "p"


@dataclass(slots=True)
class Memory:
    """Remembered facts of one slot, as of the cell's `t` (confidence already applied)."""

    severity: float = 0.0
    scale: float = 0.0
    signals: float = 0.0
    harm: float = 0.0

    def scaled(self, factor: float) -> Memory:
        return Memory(self.severity * factor, self.scale * factor, self.signals * factor, self.harm * factor)

    def merged(self, other: Memory) -> Memory:
        return Memory(
            max(self.severity, other.severity),
            max(self.scale, other.scale),
            max(self.signals, other.signals),
            max(self.harm, other.harm),
        )


@dataclass(slots=True)
class CellState:
    t: float | None = None  # newest event time applied; the memory is as of this time
    memory: dict[str, Memory] = field(default_factory=dict)
    hourly: dict[int, int] = field(default_factory=dict)  # hour index -> reports
    daily: dict[int, int] = field(default_factory=dict)  # day index -> reports
    years: dict[int, list[int]] = field(default_factory=dict)  # year -> days of year with reports
    level: Level = Level.NORMAL
    since: float | None = None  # event time the current level began
    held: float | None = None  # event time a report last supported the current level
    last_active: float | None = None  # newest event time of a potential/incident report
    score: float = 0.0  # score after the last report applied
    history: float = 0.0  # remembered severity of past reports as of `t` (slow decay)

    # --- counts ---------------------------------------------------------------------------------
    def count(self, t: float) -> None:
        h, d = int(t // HOUR), int(t // DAY)
        self.hourly[h] = self.hourly.get(h, 0) + 1
        self.daily[d] = self.daily.get(d, 0) + 1
        # Buckets older than the windows never count; drop them once there can be too many, so a
        # state holds at most HOURLY_KEEP + 1 hours and DAILY_KEEP + 1 days.
        if len(self.hourly) > HOURLY_KEEP:
            newest = max(self.hourly)
            self.hourly = {k: v for k, v in self.hourly.items() if k > newest - HOURLY_KEEP}
        if len(self.daily) > DAILY_KEEP:
            newest = max(self.daily)
            self.daily = {k: v for k, v in self.daily.items() if k > newest - DAILY_KEEP}

    def reports_in_hours(self, t: float, hours: int) -> int:
        """Reports counted in the `hours` hour-buckets ending with t's hour (reports before this one)."""
        h = int(t // HOUR)
        hourly = self.hourly
        if hours < len(hourly):  # look the window's hours up rather than walk every bucket kept
            get = hourly.get
            return sum([get(k, 0) for k in range(h - hours + 1, h + 1)])
        return sum([n for k, n in hourly.items() if h - hours < k <= h])

    def reports_in_days(self, t: float, first_day_back: int, last_day_back: int) -> int:
        """Reports on the days from `first_day_back` to `last_day_back` days before t's day."""
        d = int(t // DAY)
        return sum(n for k, n in self.daily.items() if d - first_day_back <= k <= d - last_day_back)

    # --- recurrence ------------------------------------------------------------------------------
    def mark_day(self, year: int, day_of_year: int) -> None:
        days = self.years.setdefault(year, [])
        if day_of_year not in days and len(days) < DAYS_PER_YEAR_KEEP:
            days.append(day_of_year)
            days.sort()
        if len(self.years) > YEARS_KEEP:
            for old in sorted(self.years)[: len(self.years) - YEARS_KEEP]:
                del self.years[old]

    def copy(self) -> CellState:
        return CellState(
            t=self.t,
            memory=dict(self.memory),  # Memory values are replaced, never mutated
            hourly=dict(self.hourly),
            daily=dict(self.daily),
            years={y: list(days) for y, days in self.years.items()},
            level=self.level,
            since=self.since,
            held=self.held,
            last_active=self.last_active,
            score=self.score,
            history=self.history,
        )

    # --- JSON (stored in PostgreSQL; floats round-trip exactly) ----------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "m": {k: [m.severity, m.scale, m.signals, m.harm] for k, m in sorted(self.memory.items())},
            "h": sorted(self.hourly.items()),
            "d": sorted(self.daily.items()),
            "y": {str(y): days for y, days in sorted(self.years.items())},
            "lv": self.level.value,
            "since": self.since,
            "held": self.held,
            "active": self.last_active,
            "s": self.score,
            "hx": self.history,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CellState:
        return cls(
            t=data["t"],
            memory={k: Memory(*v) for k, v in data["m"].items()},
            hourly=dict(data["h"]),  # [hour, count] pairs of ints, as `to_json` writes them
            daily=dict(data["d"]),
            years={int(y): list(days) for y, days in data["y"].items()},
            level=_LEVELS[data["lv"]],
            since=data["since"],
            held=data["held"],
            last_active=data["active"],
            score=data["s"],
            history=data.get("hx", 0.0),  # states written before risk-2.0 have none
        )


_LEVELS = {lv.value: lv for lv in Level}  # a dict lookup: Level(text) costs ten times more
