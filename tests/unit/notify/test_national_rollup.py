"""The example national aggregation consumer's roll-up: de-duplication, days in local time, resume."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

EXAMPLE = Path(__file__).parents[3] / "examples" / "national_rollup.py"


def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("national_rollup", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["national_rollup"] = module
    spec.loader.exec_module(module)
    return module


def event(
    alert_id: str, version: int, event: str, level: str, province: str = "63", **extra: object
) -> dict[str, object]:
    return {
        "alert_id": alert_id,
        "version": version,
        "event": event,
        "level": level,
        "province": province,
        "category": "election",
        "updated_at": "2024-11-20T16:30:00+00:00",  # 00:30 WITA on the 21st, 23:30 WIB on the 20th
        **extra,
    }


def test_rollup_counts_once_per_version_in_local_days(tmp_path: Path) -> None:
    m = example()
    rollup = m.Rollup()
    assert rollup.apply(event("a", 1, "fired", "siaga"))
    assert not rollup.apply(event("a", 1, "fired", "siaga"))  # redelivery
    assert rollup.apply(event("a", 2, "escalated", "awas"))
    assert rollup.apply(event("n", 1, "fired", "siaga", province="00", provinces=["19", "63"]))
    kalsel = rollup.days["63|2024-11-21"]
    assert (kalsel["fired"], kalsel["escalated"], kalsel["max_level"]) == (2, 1, "awas")
    assert rollup.days["19|2024-11-20"]["fired"] == 1  # the cross-province roll-up counts for both
    rollup.offsets["alerts.province.v1|0"] = 3
    path = tmp_path / "state.json"
    rollup.dump(path)
    again = m.Rollup.load(path)
    assert again.days == rollup.days and again.offsets == {"alerts.province.v1|0": 3}
    assert not again.apply(event("a", 2, "escalated", "awas"))  # remembered across a restart
    assert "63       2024-11-21 awas" in again.table()
