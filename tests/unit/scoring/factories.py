"""Report factories and a small driver for the pure scoring model (no I/O)."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.helpers import load_jsonl
from waspada_scoring.configfiles import shipped_model
from waspada_scoring.domain.batch import Scored, score_batch
from waspada_scoring.domain.config import Model
from waspada_scoring.domain.spread import SpreadView
from waspada_scoring.domain.state import CellState
from waspada_shared.contracts.report import AcceptedReport

_ids = itertools.count()

# An incident in Kota Banjarmasin far from any election stage (no election context).
BASE: dict[str, Any] = {
    "region": {"province": "63", "regency": "63.71"},
    "occurred_at": "2026-06-10T10:00:00+08:00",
    "kind": "incident",
    "category": "land_resource",
    "source": {"type": "official", "reliability": "B", "credibility": 2},
    "summary": "Laporan uji.",
}


def report(**overrides: Any) -> AcceptedReport:
    data = copy.deepcopy(BASE)
    data["report_id"] = f"u-{next(_ids)}"
    for key, value in overrides.items():
        data[key] = value
    at = data["occurred_at"]
    if isinstance(at, datetime):
        data["occurred_at"] = at.isoformat()
    data.setdefault("received_at", data["occurred_at"])
    data.setdefault("submitted_by", data["region"]["province"])
    return AcceptedReport.model_validate(data)


def at(base: str = "2026-06-10T10:00:00+08:00", **delta: float) -> str:
    return (datetime.fromisoformat(base) + timedelta(**delta)).isoformat()


class Scorer:
    """Scores reports one after another, keeping states and the spread view like the pipeline does."""

    def __init__(self, model: Model | None = None) -> None:
        self.model = model or shipped_model()
        self.cells: dict[tuple[str, str], CellState] = {}
        self.spread = SpreadView()

    def score(self, *reports: AcceptedReport) -> list[Scored]:
        scored, changed = score_batch(list(reports), self.cells, self.spread, self.model)
        self.cells.update(changed)
        return scored

    def one(self, r: AcceptedReport) -> Scored:
        return self.score(r)[0]


def calibration() -> list[dict[str, Any]]:
    return load_jsonl("calibration.jsonl")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
