"""How alerts are shaped for pages: one per group, candidates first, then level and time; tolerant
reading of the Level-4 candidate field."""

from __future__ import annotations

from typing import Any

from waspada_console import alertview


def alert(n: str, **kw: Any) -> dict[str, Any]:
    base = {
        "alert_id": n,
        "group_key": f"g-{n}",
        "audience": "regency",
        "province": "19",
        "regency": "19.01",
        "level": "waspada",
        "status": "firing",
        "first_seen": "2026-12-01T00:00:00Z",
        "updated_at": "2026-12-01T01:00:00Z",
    }
    return {**base, **kw}


def test_candidates_first_then_level_then_newest() -> None:
    rows = [
        alert("a", level="siaga", updated_at="2026-12-01T02:00:00Z"),
        alert("b", level="awas"),
        alert("c", level="waspada", candidate={"status": "pending", "reasons": []}),
        alert("d", level="siaga", updated_at="2026-12-01T03:00:00Z"),
    ]
    assert [a["alert_id"] for a in alertview.ordered(rows)] == ["c", "b", "d", "a"]


def test_candidate_is_read_tolerantly() -> None:
    assert not alertview.pending(alert("a"))
    assert not alertview.pending(alert("a", candidate=None))
    assert not alertview.pending(alert("a", candidate="odd"))
    assert not alertview.pending(alert("a", candidate={"status": "declined"}))
    assert alertview.pending(alert("a", candidate={"status": "pending"}))


def test_one_alert_per_group_for_the_keys_own_level() -> None:
    rows = [
        alert("r", group_key="g", audience="regency"),
        alert("p", group_key="g", audience="province"),
        alert("n", group_key="g", audience="national"),
    ]
    assert [a["alert_id"] for a in alertview.one_per_group(rows, national=True)] == ["n"]
    assert [a["alert_id"] for a in alertview.one_per_group(rows, national=False)] == ["p"]


def test_who_may_decide_and_acknowledge() -> None:
    a = alert("a", audience="national")
    assert alertview.may_decide(a, "19") and alertview.may_decide(a, "national")
    assert not alertview.may_decide(a, "63")
    assert not alertview.may_acknowledge(a, "19") and alertview.may_acknowledge(a, "admin")
    assert not alertview.may_acknowledge(alert("b", status="resolved"), "19")


def test_counts_and_regency_levels() -> None:
    rows = [
        alert("a", level="awas", regency="19.01"),
        alert("b", level="waspada", regency="19.01"),
        alert("c", level="siaga", regency=None, regencies=["19.02", "19.03"]),
        alert("d", level="awas", regency="19.04", status="resolved"),
    ]
    assert alertview.counts_by_level(rows) == {"normal": 0, "waspada": 1, "siaga": 1, "awas": 1}
    assert alertview.regency_levels(rows) == {"19.01": 4, "19.02": 3, "19.03": 3}
