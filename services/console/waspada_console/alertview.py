"""Pure helpers shaping notify's alerts for pages: one row per group, order, counts, candidates.

Notify keeps one alert per group and audience (regency team, province team, national desk). A page shows
each group once, as the alert addressed to the key's own level when there is one.
"""

from __future__ import annotations

from typing import Any

from waspada_console.formatting import level_rank, parse_time

_PREFERENCE_NATIONAL = {"national": 0, "province": 1, "regency": 2}
_PREFERENCE_PROVINCE = {"province": 0, "regency": 1, "national": 2}


def candidate(alert: dict[str, Any]) -> dict[str, Any] | None:
    """The Level-4 candidate of an alert, read tolerantly: absent, null or malformed means none."""
    found = alert.get("candidate")
    return found if isinstance(found, dict) else None


def pending(alert: dict[str, Any]) -> bool:
    c = candidate(alert)
    return c is not None and c.get("status") == "pending"


def may_decide(alert: dict[str, Any], scope: str) -> bool:
    """Who may confirm or decline a Level-4 candidate: national, admin and the alert's own province."""
    return scope in ("national", "admin") or scope == alert.get("province")


def may_acknowledge(alert: dict[str, Any], scope: str) -> bool:
    return alert.get("status") == "firing" and (
        alert.get("audience") != "national" or scope in ("national", "admin")
    )


def one_per_group(alerts: list[dict[str, Any]], national: bool) -> list[dict[str, Any]]:
    prefer = _PREFERENCE_NATIONAL if national else _PREFERENCE_PROVINCE
    best: dict[str, dict[str, Any]] = {}
    for a in alerts:
        key = f"{a.get('group_key')}|{a.get('status')}|{a.get('first_seen')}"
        held = best.get(key)
        if held is None or (pending(a), -prefer.get(a.get("audience", ""), 9)) > (
            pending(held),
            -prefer.get(held.get("audience", ""), 9),
        ):
            best[key] = a
    return list(best.values())


def ordered(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pending Level-4 candidates first, then the highest level, then the newest."""

    def key(a: dict[str, Any]) -> tuple[int, int, float]:
        t = parse_time(a.get("updated_at"))
        return (0 if pending(a) else 1, -level_rank(a.get("level")), -(t.timestamp() if t else 0.0))

    return sorted(alerts, key=key)


def counts_by_level(alerts: list[dict[str, Any]]) -> dict[str, int]:
    out = {"normal": 0, "waspada": 0, "siaga": 0, "awas": 0}
    for a in alerts:
        if a.get("status") == "firing" and a.get("level") in out:
            out[a["level"]] += 1
    return out


def newest_escalations(alerts: list[dict[str, Any]], n: int = 5) -> list[dict[str, Any]]:
    rising = [a for a in alerts if a.get("event") in (None, "fired", "escalated", "ack_escalated")]

    def key(a: dict[str, Any]) -> float:
        t = parse_time(a.get("updated_at"))
        return -(t.timestamp() if t else 0.0)

    return sorted(rising, key=key)[:n]


def regency_levels(alerts: list[dict[str, Any]]) -> dict[str, int]:
    """Highest current level (1..4) of each regency, from firing alerts (roll-ups count for theirs)."""
    out: dict[str, int] = {}
    for a in alerts:
        if a.get("status") != "firing":
            continue
        rank = level_rank(a.get("level"))
        codes = [a["regency"]] if a.get("regency") else list(a.get("regencies") or [])
        for code in codes:
            if isinstance(code, str):
                out[code] = max(out.get(code, 0), rank)
    return out
