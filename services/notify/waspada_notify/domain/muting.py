"""Silences and inhibition: the one `Muter` that decides whether an alert version is kept quiet. Pure.

As in Alertmanager: a silence mutes alerts whose labels match all its matchers while `now` is inside
its window; an inhibit rule mutes a target alert while a firing source alert (matching the source
matchers, with the same values of the `equal` labels, and by default at least the target's level)
exists. Muted versions are still stored, published on the alert topics and visible in the API; their
deliveries to people are recorded as `suppressed`, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from waspada_notify.domain.config import InhibitRule
from waspada_notify.domain.matchers import Matcher, matches_all
from waspada_notify.domain.model import AlertRecord
from waspada_shared.contracts.alert import CandidateStatus
from waspada_shared.levels import Level


class Source(Protocol):
    """What inhibition needs of a firing alert (an AlertRecord, or just its AlertLabels)."""

    @property
    def alert_id(self) -> str: ...

    @property
    def level(self) -> Level: ...

    @property
    def firing(self) -> bool: ...

    def labels(self) -> dict[str, str]: ...


@dataclass(frozen=True, slots=True)
class Silence:
    silence_id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def mutes(self, labels: dict[str, str], now: datetime) -> bool:
        return self.active(now) and matches_all(self.matchers, labels)


@dataclass(frozen=True, slots=True)
class Mute:
    kind: str  # "silenced" or "inhibited"
    by: str  # silence id or inhibiting alert id

    def __str__(self) -> str:
        return f"{self.kind}:{self.by}"


def inhibitor(target: AlertRecord, firing: Iterable[Source], rules: Iterable[InhibitRule]) -> Source | None:
    """The firing alert that inhibits `target`, if any."""
    return _Inhibition(firing, rules).source_for(target)


class _Inhibition:
    """Sources indexed per rule by their `equal` label values: one lookup per target and rule."""

    def __init__(self, firing: Iterable[Source], rules: Iterable[InhibitRule]) -> None:
        self.rules = list(rules)
        self.index: list[dict[tuple[str, ...], list[Source]]] = [{} for _ in self.rules]
        for source in firing:
            if not source.firing:
                continue
            labels = source.labels()
            for i, rule in enumerate(self.rules):
                if matches_all(rule.source_matchers, labels):
                    key = tuple(labels[name] for name in rule.equal)
                    self.index[i].setdefault(key, []).append(source)

    def source_for(self, target: AlertRecord) -> Source | None:
        labels = target.labels()
        for i, rule in enumerate(self.rules):
            if not self.index[i] or not matches_all(rule.target_matchers, labels):
                continue
            for source in self.index[i].get(tuple(labels[name] for name in rule.equal), ()):
                if source.alert_id == target.alert_id:
                    continue
                if rule.source_level_at_least_target and source.level.rank < target.level.rank:
                    continue
                return source
        return None


class Muter:
    """Silences first (an operator's explicit decision), then inhibition by the firing `sources`."""

    def __init__(
        self, silences: Iterable[Silence], rules: Iterable[InhibitRule], sources: Iterable[Source] = ()
    ) -> None:
        self.silences = list(silences)
        self.inhibition = _Inhibition(sources, rules)

    def mute(self, alert: AlertRecord, now: datetime) -> Mute | None:
        labels = alert.labels()
        for s in self.silences:
            if s.mutes(labels, now):
                return Mute("silenced", s.silence_id)
        if alert.candidate is not None and alert.candidate.status is CandidateStatus.PENDING:
            return None  # a question to a desk is never spoken for by another alert
        source = self.inhibition.source_for(alert)
        return Mute("inhibited", source.alert_id) if source else None
