"""How each mode cuts a file into requests (no services)."""

from __future__ import annotations

from typing import Any

from backtest.replay import BATCH_LIMIT, Mode, requests_for


def _reports(days: list[str]) -> list[dict[str, Any]]:
    return [{"report_id": f"r{i}", "occurred_at": f"{d}T12:00:00+07:00"} for i, d in enumerate(days)]


def test_batch_mode_cuts_at_the_limit_in_file_order() -> None:
    reports = _reports(["2019-05-21"] * (BATCH_LIMIT + 3))
    groups = requests_for(Mode.BATCH, reports)
    assert [len(g) for g in groups] == [BATCH_LIMIT, 3]
    assert [r for g in groups for r in g] == reports


def test_day_mode_sends_one_request_per_event_date() -> None:
    reports = _reports(["2019-05-21", "2019-05-21", "2019-05-22", "2019-05-24", "2019-05-24"])
    assert [[r["report_id"] for r in g] for g in requests_for(Mode.DAY, reports)] == [
        ["r0", "r1"],
        ["r2"],
        ["r3", "r4"],
    ]
    # A day above the batch limit is cut, still in order.
    big = _reports(["2019-05-21"] * (BATCH_LIMIT + 1))
    assert [len(g) for g in requests_for(Mode.DAY, big)] == [BATCH_LIMIT, 1]


def test_report_and_kafka_modes() -> None:
    reports = _reports(["2019-05-21", "2019-05-22"])
    assert requests_for(Mode.REPORT, reports) == [[reports[0]], [reports[1]]]
    assert requests_for(Mode.KAFKA, reports) == [reports]
