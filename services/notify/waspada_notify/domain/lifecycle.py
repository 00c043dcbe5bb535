"""The alert lifecycle: assessments, roll-ups, quiet time, acknowledgement timeouts and repeats. Pure.

`World` is the slice of state one database transaction works on (groups and firing alerts, loaded by
the adapter). The `Engine` changes it in memory; `finalize` then turns what changed into alert
versions: one new version per alert and transaction at most, whose event is read off the difference
between the alert as loaded and as left (fired, escalated, de-escalated, resolved), or is the step
that forced it (ack escalation, repeat, acknowledgement). Time is always passed in: event time
(`occurred_at`, the watermark) for quiet time and roll-up windows, wall-clock `now` for people.

`level` on an assessment is the group's current level after that report, as scoring keeps it
(escalates at once, de-escalates with hysteresis, recovery lowers it).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from waspada_notify.domain import texts
from waspada_notify.domain.config import RoutingConfig
from waspada_notify.domain.model import (
    NATIONAL_AREA,
    AlertLabels,
    AlertRecord,
    GroupState,
    Resolution,
    Via,
    alert_id_for,
    group_key,
    national_key,
    next_audience,
)
from waspada_notify.domain.muting import Source
from waspada_notify.domain.routing import Router, RouteTarget
from waspada_shared.contracts.alert import (
    Alert,
    AlertEvent,
    AlertStatus,
    Audience,
    Candidate,
    CandidateStatus,
    Coverage,
    TopFactor,
)
from waspada_shared.contracts.report import Category, Kind
from waspada_shared.contracts.risk import AWAS_CANDIDATE, RiskAssessed
from waspada_shared.levels import Level

Content = Callable[[AlertRecord], None]
MAX_REPORT_IDS = 50
# Events a person asked for, or a decision: they name the version even when the level moved with it.
_DECISION_EVENTS = (
    AlertEvent.ACK_ESCALATED,
    AlertEvent.CANDIDATE,
    AlertEvent.CANDIDATE_REMINDER,
    AlertEvent.CONFIRMED,
    AlertEvent.DECLINED,
)


@dataclass(frozen=True, slots=True)
class Mark:
    """A province had a region of a category at `rank` (siaga or above) at event time `at`."""

    at: datetime
    province: str
    rank: int


@dataclass(frozen=True, slots=True)
class Decision:
    """A person's answer to a Level-4 candidate; kept as an event, so a replay applies it again."""

    confirm: bool
    by: str
    reason: str
    at: datetime


@dataclass(slots=True)
class Version:
    """A new alert version: the live record (the planner still sets delivery fields) and its payload."""

    record: AlertRecord
    alert: Alert
    event: AlertEvent
    received_at: datetime | None  # intake receipt of the report behind it (latency metric)
    previously_notified_at: datetime | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What `finalize` compares against: an alert as it was when first touched (cheaper than a copy)."""

    level: Level
    firing: bool
    members: frozenset[str]
    last_notified_at: datetime | None

    @classmethod
    def of(cls, rec: AlertRecord) -> Snapshot:
        return cls(rec.level, rec.firing, frozenset(rec.members), rec.last_notified_at)


_NEVER = datetime.min.replace(tzinfo=UTC)  # the quiet-time key of a group never raised


@dataclass
class World:
    groups: dict[str, GroupState]
    alerts: dict[str, AlertRecord]
    now: datetime
    others: dict[str, AlertLabels] = field(default_factory=dict)  # other firing alerts: inhibitors
    open: dict[tuple[str, Audience], str] = field(default_factory=dict)
    before: dict[str, Snapshot | None] = field(default_factory=dict)
    dirty_groups: set[str] = field(default_factory=set)
    forced: dict[str, AlertEvent] = field(default_factory=dict)
    received: dict[str, datetime] = field(default_factory=dict)
    ack_timeout_of: dict[str, timedelta] = field(default_factory=dict)
    unrouted: list[str] = field(default_factory=list)
    # Recorded decisions by (group key, candidate report id): a replay meets them again.
    decisions: dict[tuple[str, str], Decision] = field(default_factory=dict)
    # National roll-up marks by category (None: count the region groups' latest times instead).
    marks: dict[Category, list[Mark]] | None = None
    new_marks: list[tuple[Category, Mark]] = field(default_factory=list)
    # Region groups by category and by (province, category), and the province roll-up groups, built on
    # first use and kept up to date by `add_group`: a step must not scan every group of the batch.
    _by_category: dict[Category, list[GroupState]] | None = field(default=None, repr=False)
    _by_pair: dict[tuple[str, Category], list[GroupState]] = field(default_factory=dict, repr=False)
    _province_groups: list[GroupState] | None = field(default=None, repr=False)
    # Region groups by clock, in a heap by their last qualifying time (entries made stale by a later
    # report are skipped when popped): at each step only the groups whose quiet time has passed are
    # looked at, not every group of the batch. `_order` keeps the groups' order in `groups`.
    _quiet: dict[str, list[tuple[datetime, int, str]]] | None = field(default=None, repr=False)
    _order: dict[str, int] = field(default_factory=dict, repr=False)
    # Changes to the region groups of each (province, category): a province roll-up whose members did
    # not change needs no new look until its first member leaves the window (`lapse_checked`).
    _pair_changes: dict[tuple[str, Category], int] = field(default_factory=dict, repr=False)
    lapse_checked: dict[tuple[str, Category], tuple[int, datetime | None]] = field(
        default_factory=dict, repr=False
    )

    def touch_pair(self, province: str, category: Category) -> None:
        self._pair_changes[(province, category)] = self._pair_changes.get((province, category), 0) + 1

    def pair_changes(self, province: str, category: Category) -> int:
        return self._pair_changes.get((province, category), 0)

    def add_group(self, g: GroupState) -> GroupState:
        self.groups[g.key] = g
        self._order.setdefault(g.key, len(self._order))
        if self._by_category is not None:
            self._indexed(g)
        return g

    def province_groups(self) -> list[GroupState]:
        """The province roll-up groups."""
        self._index()
        return self._province_groups or []

    def requeue(self, g: GroupState) -> None:
        """A region group's last qualifying time or clock changed: index it again for quiet time."""
        if self._quiet is not None and g.clock is not None:
            heapq.heappush(self._quiet.setdefault(g.clock, []), self._quiet_entry(g))

    def quiet_since(self, clock: str, before: datetime) -> list[GroupState]:
        """Region groups on `clock` with no qualifying report at or after `before` (or none at all), in
        their order in `groups`; each is returned once (until `requeue`)."""
        if self._quiet is None:
            for key in self.groups:
                self._order.setdefault(key, len(self._order))
            self._quiet = {}
            for g in self.groups.values():
                if g.coverage is Coverage.REGION and g.clock is not None:
                    self._quiet.setdefault(g.clock, []).append(self._quiet_entry(g))
            for heap in self._quiet.values():
                heapq.heapify(heap)
        heap = self._quiet.get(clock, [])
        due: list[GroupState] = []
        while heap and heap[0][0] < before:
            at, _, key = heapq.heappop(heap)
            g = self.groups[key]
            if g.clock == clock and self._quiet_entry(g)[0] == at:  # not superseded by a later report
                due.append(g)
        return sorted(due, key=lambda g: self._order[g.key])

    def _quiet_entry(self, g: GroupState) -> tuple[datetime, int, str]:
        return (g.last_qualifying_at or _NEVER, self._order[g.key], g.key)

    def _index(self) -> dict[Category, list[GroupState]]:
        if self._by_category is None:
            self._by_category, self._province_groups = {}, []
            for g in self.groups.values():
                self._indexed(g)
        return self._by_category

    def _indexed(self, g: GroupState) -> None:
        assert self._by_category is not None and self._province_groups is not None
        if g.coverage is Coverage.REGION:
            self._by_category.setdefault(g.category, []).append(g)
            self._by_pair.setdefault((g.province, g.category), []).append(g)
        elif g.coverage is Coverage.PROVINCE:
            self._province_groups.append(g)

    def region_groups(self, category: Category, province: str | None = None) -> list[GroupState]:
        """The region groups of a category (of one province, when given)."""
        index = self._index()
        return index.get(category, []) if province is None else self._by_pair.get((province, category), [])

    def mark(self, category: Category, m: Mark) -> None:
        if self.marks is not None:
            self.marks.setdefault(category, []).append(m)
            self.new_marks.append((category, m))

    @classmethod
    def of(
        cls,
        groups: Iterable[GroupState],
        alerts: Iterable[AlertRecord],
        now: datetime,
        others: Iterable[AlertLabels] = (),
    ) -> World:
        world = cls({g.key: g for g in groups}, {a.alert_id: a for a in alerts}, now)
        world._order = {key: i for i, key in enumerate(world.groups)}
        world.others = {o.alert_id: o for o in others if o.alert_id not in world.alerts}
        for a in world.alerts.values():
            if a.firing:
                world.open[(a.group_key, a.audience)] = a.alert_id
        return world

    def open_alert(self, key: str, audience: Audience) -> AlertRecord | None:
        alert_id = self.open.get((key, audience))
        return self.alerts[alert_id] if alert_id else None

    def has_open(self, key: str) -> bool:
        return any((key, a) in self.open for a in Audience)

    def touch(self, rec: AlertRecord) -> None:
        if rec.alert_id not in self.before:
            self.before[rec.alert_id] = Snapshot.of(rec)

    def add(self, rec: AlertRecord) -> None:
        self.alerts[rec.alert_id] = rec
        self.open[(rec.group_key, rec.audience)] = rec.alert_id
        self.before[rec.alert_id] = None

    def firing(self) -> list[AlertRecord]:
        return [a for a in self.alerts.values() if a.firing]

    def sources(self) -> list[Source]:
        """Every firing alert known to this transaction, for inhibition."""
        full: list[Source] = list(self.firing())
        return full + [o for alert_id, o in self.others.items() if alert_id not in self.alerts]

    def changed_groups(self) -> list[GroupState]:
        return [self.groups[k] for k in sorted(self.dirty_groups)]

    def group_alerts(self, key: str) -> list[AlertRecord]:
        return [a for a in (self.open_alert(key, aud) for aud in Audience) if a is not None]

    def next_step(self) -> None:
        """Forget what the last step changed: the next step's versions compare against the present."""
        self.before.clear()
        self.forced.clear()
        self.received.clear()
        self.ack_timeout_of.clear()


def _top(a: RiskAssessed) -> list[TopFactor]:
    ranked = sorted((f for f in a.factors if f.contribution > 0), key=lambda f: -f.contribution)[:3]
    return [TopFactor(name=f.name, contribution=f.contribution, detail=f.detail) for f in ranked]


def report_content(a: RiskAssessed) -> Content:
    top = _top(a)

    def apply(rec: AlertRecord) -> None:
        rec.score = a.score
        rec.reasons = a.reasons
        rec.top_factors = top
        if a.summary:
            rec.report_summary = a.summary
        if a.kind is not Kind.RECOVERY:
            rec.kind = a.kind
        if a.form is not None:
            rec.form = a.form
        if a.report_id not in rec.report_ids:
            rec.report_ids = [*rec.report_ids, a.report_id][-MAX_REPORT_IDS:]
        if a.level is not Level.NORMAL and a.occurred_at > rec.last_report_at:
            rec.last_report_at = a.occurred_at

    return apply


class Engine:
    def __init__(self, config: RoutingConfig, router: Router, *, resolve_guard: bool = True) -> None:
        self.config = config
        self.router = router
        self.quiet = config.global_.resolve_timeout
        self.timeouts = config.ack_escalation.timeouts
        self.candidates = config.candidates
        # Quiet-time resolution waits group_interval (wall clock) after an alert's last version, so
        # people see an alert before its end; a backtest turns that off (event time only).
        self.resolve_guard = resolve_guard

    # --- assessments -----------------------------------------------------------------------------

    def apply(self, world: World, a: RiskAssessed, clock: str | None = None) -> bool:
        """Apply one assessment to its region group; False when it is older than what was applied.

        `clock` names the event-time clock the assessment moves (its Kafka partition): the group's
        quiet time is counted on it.
        """
        key = group_key(a.region.province, a.region.regency, a.category.value)
        g = world.groups.get(key)
        if g is None:
            g = world.add_group(
                GroupState(
                    key=key,
                    coverage=Coverage.REGION,
                    province=a.region.province,
                    regency=a.region.regency,
                    category=a.category,
                )
            )
        if g.last_assessed_at is not None and a.assessed_at < g.last_assessed_at:
            return False  # a replay from before the group's latest state
        last = g.last_qualifying_at
        if last is not None and a.occurred_at - last > self.quiet and world.has_open(key):
            # The group was quiet for longer than the quiet time before this report: the old
            # alerts resolve first (as the sweep would have done), and this report starts afresh.
            g.level = Level.NORMAL
            self._resolve_group(world, g, Resolution.QUIET)
        level = a.level
        if g.candidate is CandidateStatus.CONFIRMED:
            # A confirmed Level 4 holds while scoring keeps the region at siaga or above.
            if level.rank >= Level.SIAGA.rank:
                level = Level.AWAS
            else:
                g.candidate = g.candidate_report = None
        g.level = level
        if clock is not None:
            g.clock = clock
        g.score = a.score
        g.last_assessed_at = a.assessed_at
        g.last_report_id = a.report_id
        g.observe(level, a.occurred_at)
        world.requeue(g)
        world.touch_pair(g.province, g.category)
        if level.rank >= self.config.rollups.national.min_level.rank:
            world.mark(g.category, Mark(a.occurred_at, g.province, level.rank))
        world.dirty_groups.add(key)
        self._sync(world, g, report_content(a), a.occurred_at, a.received_at, a.report_id, None)
        if AWAS_CANDIDATE in a.flags:
            self._ask(world, g, a)
        return True

    # --- Level-4 candidates ------------------------------------------------------------------------

    def _ask(self, world: World, g: GroupState, a: RiskAssessed) -> None:
        """Ask the province and national desks about Level 4 at once (one question per episode)."""
        if g.level is Level.AWAS or g.candidate is not None:
            return
        g.candidate, g.candidate_report = CandidateStatus.PENDING, a.report_id
        world.dirty_groups.add(g.key)
        for audience in (Audience.PROVINCE, Audience.NATIONAL):
            if world.open_alert(g.key, audience) is not None:
                continue
            target = self.router.targets({**self._labels(g), "escalation": audience.value}).get(audience)
            if target is None:
                world.unrouted.append(g.key)
                continue
            rec = self._new(
                world, g, audience, target, a.occurred_at, f"candidate:{a.report_id}", Via.CANDIDATE
            )
            report_content(a)(rec)
            world.received[rec.alert_id] = a.received_at
        remind = self.candidates.decision_timeout if self.candidates.max_reminders else None
        candidate = Candidate(
            status=CandidateStatus.PENDING,
            reasons=[p for p in a.reasons.split("; ") if "kandidat Level 4" in p] or ["kandidat Level 4"],
            facts=a.reasons,
            report_id=a.report_id,
            requested_at=world.now,
            remind_at=world.now + remind if remind else None,
        )
        for rec in world.group_alerts(g.key):
            world.touch(rec)
            rec.candidate = candidate
            world.forced[rec.alert_id] = AlertEvent.CANDIDATE
        recorded = world.decisions.get((g.key, a.report_id))
        if recorded is not None:
            self.decide(world, g, recorded)

    def decide(self, world: World, g: GroupState, d: Decision) -> None:
        """Apply a person's decision on the group's pending Level-4 candidate."""
        status = CandidateStatus.CONFIRMED if d.confirm else CandidateStatus.DECLINED
        event = AlertEvent.CONFIRMED if d.confirm else AlertEvent.DECLINED
        g.candidate = status
        world.dirty_groups.add(g.key)
        for rec in world.group_alerts(g.key):
            world.touch(rec)
            if rec.candidate is not None:
                rec.candidate = rec.candidate.model_copy(
                    update={
                        "status": status,
                        "remind_at": None,
                        "decided_at": d.at,
                        "decided_by": d.by,
                        "decision_reason": d.reason,
                    }
                )
            world.forced[rec.alert_id] = event
        at = g.last_qualifying_at or d.at
        if d.confirm:
            g.level = Level.AWAS
            g.observe(Level.AWAS, at)
            self._sync(world, g, lambda rec: None, at, None, f"confirm:{g.candidate_report}", None)
            return
        # Declined: a desk that was asked only because of the candidate is not told more.
        targets = self.router.targets(self._labels(g)) if g.level is not Level.NORMAL else {}
        for rec in world.group_alerts(g.key):
            if rec.via is Via.CANDIDATE and rec.audience not in targets:
                self._resolve(world, rec, Resolution.CANDIDATE_DECLINED)

    def remind(self, world: World) -> None:
        """Remind the desks of candidates still undecided after the decision timeout (wall clock)."""
        now, cfg = world.now, self.candidates
        for rec in sorted(world.firing(), key=lambda r: r.alert_id):
            c = rec.candidate
            if (
                c is None
                or c.status is not CandidateStatus.PENDING
                or c.remind_at is None
                or c.remind_at > now
                or rec.audience is Audience.REGENCY
            ):
                continue
            world.touch(rec)
            n = c.reminders + 1
            rec.candidate = c.model_copy(
                update={
                    "reminders": n,
                    "remind_at": now + cfg.decision_timeout if n < cfg.max_reminders else None,
                }
            )
            world.forced[rec.alert_id] = AlertEvent.CANDIDATE_REMINDER

    def _labels(self, g: GroupState, escalation: str = "") -> dict[str, str]:
        return {
            "audience": "",
            "coverage": g.coverage.value,
            "province": g.province,
            "regency": g.regency or "",
            "category": g.category.value,
            "level": g.level.value,
            "escalation": escalation,
        }

    def _sync(
        self,
        world: World,
        g: GroupState,
        content: Content,
        event_time: datetime,
        received_at: datetime | None,
        trigger: str,
        normal_resolution: Resolution | None,
    ) -> None:
        """Bring the group's alerts (one per audience) in line with its level and the route tree.

        New audiences get a new alert; open alerts follow the level up (escalation) and down
        (de-escalation), also for audiences the lower level would not reach: whoever was told is
        told it is over. Alerts close by quiet time (`resolve_quiet`); a region back at normal keeps
        its alerts, unchanged, until then. A roll-up that no longer holds closes at once
        (`normal_resolution`).
        """
        targets = self.router.targets(self._labels(g)) if g.level is not Level.NORMAL else {}
        for audience in Audience:
            cur = world.open_alert(g.key, audience)
            target = targets.get(audience)
            if cur is None:
                if target is not None:
                    rec = self._new(world, g, audience, target, event_time, trigger, Via.ROUTE)
                    content(rec)
                    if received_at is not None:
                        world.received[rec.alert_id] = received_at
                continue
            world.touch(cur)
            content(cur)
            cur.active_at = world.now
            if g.level is Level.NORMAL:
                if normal_resolution is not None:
                    self._resolve(world, cur, normal_resolution)
                continue
            changed = self._set_level(cur, g.level, world.now)
            if target is not None:
                self._retarget(cur, target)
            if changed and received_at is not None:
                world.received[cur.alert_id] = received_at

    def _new(
        self,
        world: World,
        g: GroupState,
        audience: Audience,
        target: RouteTarget,
        event_time: datetime,
        trigger: str,
        via: Via,
    ) -> AlertRecord:
        rec = AlertRecord(
            alert_id=alert_id_for(g.key, audience, event_time, trigger),
            group_key=g.key,
            audience=audience,
            coverage=g.coverage,
            province=g.province,
            regency=g.regency,
            category=g.category,
            level=g.level,
            score=g.score,
            first_seen=event_time,
            last_report_at=event_time,
            created_at=world.now,
            updated_at=world.now,
            via=via,
        )
        self._retarget(rec, target)
        rec.level_since = world.now
        rec.ack_deadline = self._deadline(rec, world.now)
        world.add(rec)
        return rec

    @staticmethod
    def _retarget(rec: AlertRecord, target: RouteTarget) -> None:
        rec.receivers = list(target.receivers)
        rec.group_wait = target.timing.group_wait
        rec.group_interval = target.timing.group_interval
        rec.repeat_interval = target.timing.repeat_interval

    def _deadline(self, rec: AlertRecord, now: datetime) -> datetime | None:
        timeout = self.timeouts.get(rec.level)
        if timeout is None or next_audience(rec.audience) is None:
            return None
        rec.ack_required = True
        return now + timeout

    def _set_level(self, rec: AlertRecord, level: Level, now: datetime) -> bool:
        if level is rec.level:
            return False
        up = level.rank > rec.level.rank
        rec.level = level
        rec.level_since = now
        if up:  # a higher level needs a fresh acknowledgement, on its own (shorter) clock
            rec.acknowledged_at = rec.acknowledged_by = rec.ack_note = None
            rec.ack_escalated_level = None
            rec.ack_deadline = self._deadline(rec, now)
        elif rec.acknowledged_at is None:
            rec.ack_deadline = (
                (rec.ack_deadline or self._deadline(rec, now)) if level in self.timeouts else None
            )
        return True

    def _resolve(self, world: World, rec: AlertRecord, why: Resolution) -> None:
        world.touch(rec)
        rec.status = AlertStatus.RESOLVED
        rec.resolution = why
        rec.resolved_at = world.now
        rec.ack_deadline = None
        world.open.pop((rec.group_key, rec.audience), None)

    def _resolve_group(self, world: World, g: GroupState, why: Resolution) -> None:
        g.candidate = g.candidate_report = None  # the episode is over: a new one asks again
        for audience in Audience:
            cur = world.open_alert(g.key, audience)
            if cur is not None:
                self._resolve(world, cur, why)

    # --- roll-ups --------------------------------------------------------------------------------

    def rollups(
        self,
        world: World,
        pairs: Iterable[tuple[str, Category]],
        t: datetime,
        national: Iterable[Category] | None = (),
        clock: str | None = None,
    ) -> None:
        """Re-evaluate at event time `t` the province roll-ups of these (province, category) pairs, and
        the national roll-ups of their categories (and of `national`); `national=None`: province
        roll-ups only (the national ones are settled in event-time order, see `settle_national`).

        The world holds every region group of these categories that reached a level within the
        window, and the roll-up groups and alerts of these pairs and categories.
        """
        cfg = self.config.rollups
        pairs = set(pairs)
        if cfg.province.enabled:
            since = t - cfg.province.window
            for province, category in sorted(pairs):
                members = [
                    g for g in world.region_groups(category, province) if g.hot(since, cfg.province.min_level)
                ]
                if len(members) < cfg.province.min_regencies:
                    members = []
                self._rollup(
                    world,
                    group_key(province, None, category.value),
                    Coverage.PROVINCE,
                    province,
                    category,
                    {m.regency or "": m for m in members},
                    cfg.province.min_level,
                    t,
                    cfg.province.min_regencies,
                    cfg.province.window,
                    clock=clock,
                )
        if cfg.national.enabled and national is not None:  # None: province roll-ups only
            since = t - cfg.national.window
            for category in sorted({c for _, c in pairs} | set(national)):
                by_province, reach = self._national_members(
                    world, category, world.region_groups(category), since, t
                )
                if len(by_province) < cfg.national.min_provinces:
                    by_province, reach = {}, {}
                self._rollup(
                    world,
                    national_key(category.value),
                    Coverage.NATIONAL,
                    NATIONAL_AREA,
                    category,
                    by_province,
                    cfg.national.min_level,
                    t,
                    cfg.national.min_provinces,
                    cfg.national.window,
                    list(reach.values()),
                )

    def settle_national(
        self, marks: Mapping[Category, list[Mark]], since: datetime, until: datetime
    ) -> list[tuple[datetime, Category]]:
        """The points in (since, until] at which a national roll-up can change, in event-time order:
        every mark (a province joins or rises) and every time a mark leaves the window. The marks
        alone decide them, so they are known before any group is read."""
        window = self.config.rollups.national.window
        points: set[tuple[datetime, Category]] = set()
        for category, category_marks in marks.items():
            for m in category_marks:
                for at in (m.at, m.at + window + timedelta(microseconds=1)):
                    if since < at <= until:
                        points.add((at, category))
        return sorted(points, key=lambda p: (p[0], p[1].value))

    def _national_members(
        self, world: World, category: Category, groups: list[GroupState], since: datetime, t: datetime
    ) -> tuple[dict[str, GroupState], dict[str, datetime]]:
        """Per province, its strongest region within the window before t, and its latest time there."""
        minimum = self.config.rollups.national.min_level
        by_province: dict[str, GroupState] = {}
        reach: dict[str, datetime] = {}
        if world.marks is None:  # no marks (pure tests): the groups' latest times
            for g in groups:
                if g.hot(since, minimum):
                    best = by_province.get(g.province)
                    if best is None or g.level.rank > best.level.rank:
                        by_province[g.province] = g
                    at = g.last_at_or_above(minimum) or t
                    reach[g.province] = max(at, reach.get(g.province, at))
            return by_province, reach
        # Marks in [since, t] only: a province whose later reports were processed first (another
        # partition ran ahead) counts for this time exactly as it did then.
        ranks: dict[str, int] = {}
        for m in world.marks.get(category, []):
            if since <= m.at <= t:
                ranks[m.province] = max(m.rank, ranks.get(m.province, 0))
                reach[m.province] = max(m.at, reach.get(m.province, m.at))
        strongest: dict[str, GroupState] = {}
        for g in groups:
            if g.province in ranks and (g.province not in strongest or g.score > strongest[g.province].score):
                strongest[g.province] = g
        for province, rank in ranks.items():
            best = strongest.get(province)
            by_province[province] = GroupState(
                key=best.key if best else f"{province}/*/{category.value}",
                coverage=Coverage.REGION,
                province=province,
                regency=best.regency if best else None,
                category=category,
                level=Level.from_rank(rank),
                score=best.score if best else 0.0,
                last_report_id=best.last_report_id if best else None,
                reached={Level.from_rank(rank): reach[province]},
            )
        return by_province, reach

    def _rollup(
        self,
        world: World,
        key: str,
        coverage: Coverage,
        province: str,
        category: Category,
        members: dict[str, GroupState],
        minimum: Level,
        t: datetime,
        needed: int = 2,
        window: timedelta = timedelta(hours=72),
        reach: list[datetime] | None = None,
        clock: str | None = None,
    ) -> None:
        g = world.groups.get(key)
        if g is None:
            if not members:
                return
            g = world.add_group(GroupState(key, coverage, province, None, category))
        if clock is not None and g.clock != clock:
            g.clock = clock  # a province's roll-up lapses on the clock its regencies move
            world.dirty_groups.add(key)
        level = Level.NORMAL
        if members:
            level = Level.from_rank(max(minimum.rank, *(m.level.rank for m in members.values())))
        if not members and g.level is Level.NORMAL and not world.has_open(key):
            return
        levels = {code: m.level for code, m in members.items()}
        latest = max((m.last_qualifying_at for m in members.values() if m.last_qualifying_at), default=None)
        # Without new reports the roll-up holds until its `needed`-th most recent member leaves the window.
        if reach is None:
            reach = [m.last_at_or_above(minimum) or t for m in members.values()]
        reach = sorted(reach, reverse=True)
        holds_until = reach[needed - 1] + window if len(reach) >= needed else None
        open_ = [a for a in (world.open_alert(key, aud) for aud in Audience) if a is not None]
        if (
            members
            and g.level is level
            and open_
            and all(
                a.level is level
                and a.members == levels
                and (latest is None or a.last_report_at >= latest)
                and a.holds_until == holds_until
                for a in open_
            )
        ):
            return  # the roll-up stands as it was: nothing to store or send
        world.dirty_groups.add(key)
        g.level = level
        if members:
            g.score = max(m.score for m in members.values())
            g.observe(level, t)
        report_ids = [m.last_report_id for m in members.values() if m.last_report_id]

        def content(rec: AlertRecord) -> None:
            if not members:
                return  # resolution: keep the last membership for the record
            rec.holds_until = holds_until
            rec.members = dict(levels)
            rec.score = g.score
            rec.report_ids = sorted(report_ids)[-MAX_REPORT_IDS:]
            if latest is not None and latest > rec.last_report_at:
                rec.last_report_at = latest

        self._sync(world, g, content, t, None, "rollup", Resolution.ROLLUP_ENDED)

    def province_lapse(self, world: World, province: str, category: Category, t: datetime) -> datetime | None:
        """The first event time after `t` at which a member of this province roll-up leaves its window
        (None: it has no member left)."""
        cfg = self.config.rollups.province
        since = t - cfg.window
        lasts = [g.last_at_or_above(cfg.min_level) for g in world.region_groups(category, province)]
        ends = [last + cfg.window for last in lasts if last is not None and last >= since]
        return min(ends) if ends else None

    # --- the sweep (time passes) -----------------------------------------------------------------

    def resolve_quiet(
        self, world: World, t: datetime | Callable[[GroupState], datetime | None], clock: str | None = None
    ) -> None:
        """Resolve region alerts with no qualifying report within the quiet time before event time t
        (one time, or each group's own clock); with `clock`, only the groups on that clock.

        Not sooner than `group_interval` (wall clock) after the alert's last version or report, unless
        the guard is off: a backfill of old reports does not fire and resolve within seconds, and
        people see the alert before its end.
        """
        if clock is not None and not callable(t):
            # One time on one clock (a step): only groups whose quiet time may have passed.
            candidates = world.quiet_since(clock, t - self.quiet)
        else:
            candidates = list(world.groups.values())
        for g in candidates:
            if g.coverage is not Coverage.REGION or (clock is not None and g.clock != clock):
                continue
            now_t = t(g) if callable(t) else t
            if now_t is None:
                continue
            last = g.last_qualifying_at
            if last is not None and now_t - last <= self.quiet:
                continue
            open_ = world.group_alerts(g.key)
            if self.resolve_guard and any(
                world.now < max(a.updated_at, a.active_at or a.updated_at) + a.group_interval for a in open_
            ):
                continue
            if g.level is not Level.NORMAL or open_:
                g.level = Level.NORMAL
                world.dirty_groups.add(g.key)
                world.touch_pair(g.province, g.category)
                self._resolve_group(world, g, Resolution.QUIET)

    def ack_timeouts(self, world: World) -> None:
        """Escalate firing alerts not acknowledged in time to the next audience up (wall clock)."""
        now = world.now
        for rec in sorted(world.firing(), key=lambda r: r.alert_id):
            if rec.acknowledged_at or rec.ack_deadline is None or rec.ack_deadline > now:
                continue
            if rec.ack_escalated_level is rec.level or rec.muted_by:
                continue
            up = next_audience(rec.audience)
            if up is None:
                continue
            world.touch(rec)
            rec.ack_escalated_level = rec.level
            g = world.groups.get(rec.group_key)
            labels = {**rec.labels(), "audience": "", "escalation": up.value}
            target = self.router.targets(labels).get(up)
            if target is None:
                world.unrouted.append(rec.alert_id)
                continue
            upper = world.open_alert(rec.group_key, up)
            if upper is None:
                if g is None:
                    g = GroupState(
                        key=rec.group_key,
                        coverage=rec.coverage,
                        province=rec.province,
                        regency=rec.regency,
                        category=rec.category,
                        level=rec.level,
                        score=rec.score,
                    )
                upper = self._new(
                    world, g, up, target, rec.first_seen, f"ack:{rec.alert_id}", Via.ACK_ESCALATION
                )
                upper.level = rec.level
                upper.ack_deadline = self._deadline(upper, now)
                for name in (
                    "score",
                    "form",
                    "kind",
                    "report_summary",
                    "reasons",
                    "top_factors",
                    "report_ids",
                    "members",
                    "holds_until",
                    "last_report_at",
                ):
                    setattr(upper, name, getattr(rec, name))
            else:
                world.touch(upper)
                if upper.level.rank < rec.level.rank:
                    self._set_level(upper, rec.level, now)
                upper.receivers = list(dict.fromkeys([*upper.receivers, *target.receivers]))
            upper.escalated_from = rec.audience
            world.forced[upper.alert_id] = AlertEvent.ACK_ESCALATED
            world.ack_timeout_of[upper.alert_id] = self.timeouts.get(rec.level, timedelta(0))

    def repeats(self, world: World) -> None:
        """Send unchanged firing alerts again once their repeat interval has passed since the last notice."""
        for rec in world.firing():
            due = rec.repeat_due()
            if (
                rec.alert_id in world.before
                or rec.muted_by
                or not rec.receivers
                or due is None
                or due > world.now
            ):
                continue
            world.touch(rec)
            world.forced[rec.alert_id] = AlertEvent.REPEATED

    def acknowledge(self, world: World, rec: AlertRecord, by: str, note: str) -> None:
        world.touch(rec)
        rec.acknowledged_at = world.now
        rec.acknowledged_by = by
        rec.ack_note = note
        rec.ack_deadline = None
        world.forced[rec.alert_id] = AlertEvent.ACKNOWLEDGED

    # --- versions --------------------------------------------------------------------------------

    @staticmethod
    def _event(before: Snapshot | None, rec: AlertRecord, forced: AlertEvent | None) -> AlertEvent | None:
        if before is None:
            return forced or AlertEvent.FIRED
        if rec.status is AlertStatus.RESOLVED:
            return AlertEvent.RESOLVED if before.firing else None
        if forced in _DECISION_EVENTS:
            return forced
        if rec.level.rank != before.level.rank:
            return AlertEvent.ESCALATED if rec.level.rank > before.level.rank else AlertEvent.DEESCALATED
        if rec.members.keys() - before.members:
            return AlertEvent.ESCALATED  # the escalation spread to another regency/province
        if before.members - rec.members.keys():
            return AlertEvent.DEESCALATED
        return forced

    def finalize(self, world: World) -> tuple[list[AlertRecord], list[Version]]:
        """Records to store (changed ones) and the new versions among them."""
        records: list[AlertRecord] = []
        versions: list[Version] = []
        for alert_id, before in world.before.items():
            rec = world.alerts[alert_id]
            rec.expires_at = (
                rec.holds_until if rec.coverage is not Coverage.REGION else rec.last_report_at + self.quiet
            )
            event = self._event(before, rec, world.forced.get(alert_id))
            if event is None:
                records.append(rec)  # touched: report ids, score, acknowledgement state may have changed
                continue
            if before is not None and (
                event in (AlertEvent.ESCALATED, AlertEvent.DEESCALATED, AlertEvent.RESOLVED)
                or rec.level is not before.level
            ):
                rec.previous_level = before.level
            rec.version += 1
            rec.event = event
            rec.updated_at = world.now
            rec.title = texts.title(rec, event)
            rec.summary = texts.summary(
                rec, event, quiet=self.quiet, ack_timeout=world.ack_timeout_of.get(alert_id)
            )
            records.append(rec)
            versions.append(
                Version(
                    rec,
                    rec.to_alert(),
                    event,
                    world.received.get(alert_id),
                    before.last_notified_at if before else None,
                )
            )
        # Resolutions first: the store's "one open alert per group and audience" index sees the old
        # alert closed before a new one opens in the same statement.
        records.sort(key=lambda r: (r.firing, r.alert_id))
        return records, versions
