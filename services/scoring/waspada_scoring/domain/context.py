"""Context of a report: the election stage around its local date and its region's vulnerability. Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from waspada_scoring.domain.config import Band, Model
from waspada_shared.contracts.report import ElectionStage

# Indonesia's three time zones by province code (WIB +7, WITA +8, WIT +9): calendar dates are local.
_WITA = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"})
_WIT = frozenset({"81", "82", "91", "92", "93", "94", "95", "96"})
_ZONES = {7: timezone(timedelta(hours=7)), 8: timezone(timedelta(hours=8)), 9: timezone(timedelta(hours=9))}

STAGE_ID = {
    "voter_registration": "pemutakhiran data pemilih",
    "candidate_registration": "pendaftaran calon",
    "campaign": "masa kampanye",
    "quiet_period": "masa tenang",
    "voting": "hari pemungutan suara",
    "counting": "penghitungan suara",
    "recapitulation": "rekapitulasi suara",
    "dispute": "sengketa hasil",
    "inauguration": "pelantikan",
    "party_verification": "verifikasi partai",
    "logistics": "distribusi logistik",
}


def local_offset_hours(province: str) -> int:
    if province in _WIT:
        return 9
    if province in _WITA:
        return 8
    return 7


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def local_date(at: datetime, province: str) -> date:
    """The calendar date in the province's time zone (arithmetic on the timestamp: no tz objects)."""
    return date.fromordinal(
        _EPOCH_ORDINAL + int((at.timestamp() + local_offset_hours(province) * 3600) // 86400)
    )


def day_of_year(on: date) -> int:
    return on.toordinal() - date(on.year, 1, 1).toordinal() + 1


@dataclass(frozen=True, slots=True)
class ElectionContext:
    value: float  # E in 0..1 before the category's relevance
    stage: str | None  # the stage that gives E
    election: str | None  # its election's name (None: the stage named by the report)
    days: int  # 0 inside the stage's window; > 0 days before it starts; < 0 days after it ended


def election_context(
    model: Model, province: str, regency: str, on: date, reported: ElectionStage | None
) -> ElectionContext:
    """E = max over stages of weight * proximity (1 inside the window, else e^(-days/proximity_days)).

    A stage named by the report counts as inside its window. Memoised per model in two steps: which
    elections cover the region, then the context of that coverage on the date with the reported stage
    (regions under the same elections share it: most misses of a per-region memo were repeats).
    """
    covering_of, contexts = model.election_cache
    covering = covering_of.get((province, regency))
    if covering is None:
        covering = covering_of[(province, regency)] = tuple(
            e.covers(province, regency) for e in model.calendar.elections
        )
    key = (covering, on, reported)
    found = contexts.get(key)
    if found is None:
        if len(contexts) > 200_000:  # bounded: coverages x days x stages
            contexts.clear()
        found = contexts[key] = _election_context(model, covering, on, reported)
    return found


def _election_context(
    model: Model, covering: tuple[bool, ...], on: date, reported: ElectionStage | None
) -> ElectionContext:
    cfg = model.config.election
    best = ElectionContext(0.0, None, None, 0)
    for event, covers in zip(model.calendar.elections, covering, strict=True):
        if not covers:
            continue
        for s in event.stages:
            weight = cfg.stage_weights[s.stage]
            if weight <= best.value:
                continue
            if s.start <= on <= s.end:
                best = ElectionContext(weight, s.stage, event.name, 0)
                continue
            days = (s.start - on).days if on < s.start else (s.end - on).days
            value = weight * math.exp(-abs(days) / cfg.proximity_days)
            if value > best.value:
                best = ElectionContext(value, s.stage, event.name, days)
    if reported is not None:
        weight = cfg.stage_weights.get(reported.value, 0.0)
        if weight > best.value:
            best = ElectionContext(weight, reported.value, None, 0)
    return best


def vulnerability_band(model: Model, province: str, regency: str) -> Band:
    return model.baseline.band(province, regency)
