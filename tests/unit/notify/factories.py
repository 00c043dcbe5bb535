"""Builders for notify's tests: assessments, engines and worlds with time passed in."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from waspada_notify.domain.config import RoutingConfig
from waspada_notify.domain.lifecycle import Engine
from waspada_notify.domain.loader import load_routing
from waspada_notify.domain.routing import Router
from waspada_shared.contracts.report import Category, Form, Kind
from waspada_shared.contracts.risk import AssessedRegion, Factor, RegionState, RiskAssessed
from waspada_shared.levels import Level

T0 = datetime(2024, 11, 20, 8, 0, tzinfo=UTC)
DEFAULT_ROUTING = Path(__file__).parents[3] / "services/notify/waspada_notify/routing.yml"
SCORES = {Level.NORMAL: 10.0, Level.WASPADA: 35.0, Level.SIAGA: 60.0, Level.AWAS: 85.0}
_clock = itertools.count()


def assessed(
    level: Level | str = Level.SIAGA,
    *,
    regency: str = "19.06",
    province: str | None = None,
    category: Category | str = Category.IDENTITY,
    at: datetime = T0,
    report_id: str | None = None,
    kind: Kind = Kind.INCIDENT,
    form: Form | None = Form.RIOT,
    received_at: datetime | None = None,
    reasons: str = "korban luka; isu SARA",
    **extra: Any,
) -> RiskAssessed:
    level = Level(level)
    n = next(_clock)
    score = SCORES[level]
    return RiskAssessed(
        report_id=report_id or f"rpt-{n}",
        region=AssessedRegion(province=province or regency[:2], regency=regency),
        category=Category(category),
        kind=kind,
        form=form,
        occurred_at=at,
        received_at=received_at or at + timedelta(seconds=30),
        score=score,
        level=level,
        factors=[
            Factor(name="severity", value=0.5, contribution=round(score * 0.6, 2), detail="korban luka"),
            Factor(name="category", value=1.0, contribution=round(score * 0.4, 2), detail="SARA"),
        ],
        reasons=reasons,
        summary="Bentrokan antarkelompok warga di pasar.",
        region_state=RegionState(count_24h=1, count_7d=2, baseline_daily=0.1),
        model_version="test",
        # scoring's clock: strictly increasing, so the staleness guard never trips by accident
        assessed_at=T0 + timedelta(microseconds=n),
        **extra,
    )


def default_config() -> RoutingConfig:
    return load_routing(DEFAULT_ROUTING.read_text(encoding="utf-8"), str(DEFAULT_ROUTING))


def engine(config: RoutingConfig | None = None, extra: tuple[str, ...] = ()) -> Engine:
    config = config or default_config()
    return Engine(config, Router(config, extra))


class Sim:
    """The engine over an in-memory store: batches and sweeps as the processor runs them."""

    def __init__(self, eng: Engine | None = None) -> None:
        from waspada_notify.domain.model import AlertRecord, GroupState

        self.engine = eng or engine()
        self.groups: dict[str, GroupState] = {}
        self.alerts: dict[str, AlertRecord] = {}
        self.watermark: datetime | None = None

    def _world(self, now: datetime) -> Any:
        from waspada_notify.domain.lifecycle import World

        return World.of(
            [g.copy() for g in self.groups.values()],
            [a.model_copy(deep=True) for a in self.alerts.values() if a.firing],
            now,
        )

    def _commit(self, world: Any) -> list[Any]:
        _, versions = self.engine.finalize(world)
        self.groups.update(world.groups)
        self.alerts.update(world.alerts)
        return list(versions)

    def feed(self, *batch: RiskAssessed, now: datetime | None = None) -> list[Any]:
        now = now or T0 + timedelta(minutes=1)
        mark = max(a.occurred_at for a in batch)
        self.watermark = max(self.watermark or mark, mark)
        world = self._world(now)
        for a in batch:
            self.engine.apply(world, a)
        self.engine.rollups(world, {(a.region.province, a.category) for a in batch}, self.watermark)
        return self._commit(world)

    def sweep(self, now: datetime, event_now: datetime | None = None) -> list[Any]:
        world = self._world(now)
        t = event_now or self.watermark
        if t is not None:
            self.engine.resolve_quiet(world, t)
            rollups = [g for g in world.groups.values() if g.coverage.value != "region"]
            pairs = [(g.province, g.category) for g in rollups if g.coverage.value == "province"]
            self.engine.rollups(
                world, pairs, t, [g.category for g in rollups if g.coverage.value == "national"]
            )
        self.engine.ack_timeouts(world)
        self.engine.repeats(world)
        return self._commit(world)

    def acknowledge(self, alert_id: str, now: datetime, by: str = "Kesbangpol") -> list[Any]:
        world = self._world(now)
        self.engine.acknowledge(world, world.alerts[alert_id], by, "ditangani")
        return self._commit(world)

    def open(self, key: str, audience: str) -> Any:
        found = [
            a
            for a in self.alerts.values()
            if a.group_key == key and a.audience.value == audience and a.firing
        ]
        assert len(found) <= 1
        return found[0] if found else None

    def notified(self, alert_id: str, at: datetime) -> None:
        """What the delivery planner records when a version goes out to people."""
        self.alerts[alert_id].last_notified_at = at
