"""Notify's transactions: a batch of assessments, the periodic sweep, an acknowledgement.

Each loads the slice of state it needs in a few set-based statements, lets the pure engine decide,
plans deliveries and writes everything back in the same transaction, so the alert, its version, its
deliveries and the "already applied" marks commit together (or not at all, and Kafka redelivers).

Time: `now` (wall clock) is for people (acknowledgement deadlines, repeats, silences, delivery
times); event time is for the situation. The event-time clock is the watermark: the newest
`occurred_at` seen in any assessment (capped at now + 10 min, intake's limit). Quiet-time
resolution and roll-up windows are measured against it, so a replay of history resolves and rolls
up exactly as the live run did, and a province that stops reporting still sees its alerts resolve as
the rest of the country's reports move the clock on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
from pydantic import PrivateAttr, ValidationError

from waspada_notify import metrics
from waspada_notify.adapters import store
from waspada_notify.domain.config import ReceiverConfig, RoutingConfig
from waspada_notify.domain.dedup import Planned, plan, unmuted
from waspada_notify.domain.lifecycle import Decision, Engine, Version, World
from waspada_notify.domain.model import NATIONAL_AREA, AlertRecord, GroupState, group_key, national_key
from waspada_notify.domain.muting import Muter
from waspada_notify.domain.routing import Router
from waspada_shared import audit
from waspada_shared.auth import Principal
from waspada_shared.contracts.alert import AlertEvent, AlertStatus, Audience, CandidateStatus, Coverage
from waspada_shared.contracts.report import Category
from waspada_shared.contracts.risk import AssessmentHead, RiskAssessed
from waspada_shared.levels import Level
from waspada_shared.logging import get_logger
from waspada_shared.topics import Topics

log = get_logger(__name__)
MAX_FUTURE = timedelta(minutes=10)
# Event time this close to the wall clock is live operation (not a replay of history): see `sweep`.
LIVE_WINDOW = timedelta(days=1)
# Live, a partition silent for longer than this no longer holds national roll-ups back.
LIVE_SKEW = timedelta(minutes=2)


def settled_time(clocks: dict[str, datetime], now: datetime) -> datetime:
    """The event time every partition has reached: national roll-ups up to it are final.

    In a replay of history the slowest partition decides; live (event time within a day of the wall
    clock) a silent partition holds them back by at most LIVE_SKEW.
    """
    low, high = min(clocks.values()), max(clocks.values())
    if high >= now - LIVE_WINDOW:
        return min(high, max(low, now - LIVE_SKEW))
    return low


class AlertNotFound(LookupError):
    pass


class AlertResolved(Exception):
    pass


class CandidateNotPending(Exception):
    """The alert has no Level-4 candidate awaiting a decision (none, or already decided)."""


async def _locked_firing(conn: store.Conn, alert_id: str) -> AlertRecord:
    """The alert, under the writers' lock, for a person's action on it: it must exist and be firing."""
    await store.lock(conn)
    rec = await store.alert_record(conn, alert_id)
    if rec is None:
        raise AlertNotFound(alert_id)
    if rec.status is AlertStatus.RESOLVED:
        raise AlertResolved(alert_id)
    return rec


def _name(principal: Principal | str) -> str:
    return principal if isinstance(principal, str) else principal.name


def _actor(principal: Principal | str) -> Principal | tuple[str, str]:
    """The audit actor: the API key, or (a name, "internal") for callers without one (tools, tests)."""
    return (principal, "internal") if isinstance(principal, str) else principal


def _scope(rec: AlertRecord) -> str | None:
    return rec.province if rec.province.isdigit() and rec.province != NATIONAL_AREA else None


class PendingAssessment(AssessmentHead):
    """An assessment read as far as its head (what the processor looks at for every one); `full()`
    validates the whole event, for those it must decide."""

    _raw: bytes = PrivateAttr(b"")

    def with_raw(self, raw: bytes) -> PendingAssessment:
        self._raw = raw
        return self

    def full(self) -> RiskAssessed:
        return RiskAssessed.model_validate_json(self._raw)


Incoming = RiskAssessed | PendingAssessment


def _read_needed(steps: list[tuple[Incoming, str, bool]]) -> list[tuple[Incoming, str, bool]]:
    """Steps whose assessment must be decided, read in full; one that does not validate is skipped
    (logged), like an unreadable record: retrying it would never succeed."""
    out: list[tuple[Incoming, str, bool]] = []
    for a, clock, needed in steps:
        if needed and isinstance(a, PendingAssessment):
            try:
                a = a.full()
            except ValidationError as exc:
                log.error("unreadable assessment skipped", report_id=a.report_id, error=str(exc)[:500])
                metrics.ASSESSMENTS.labels("unreadable").inc()
                continue
        out.append((a, clock, needed))
    return out


def _decisions(rows: Sequence[asyncpg.Record]) -> dict[tuple[str, str], Decision]:
    return {
        (r["group_key"], r["report_id"]): Decision(
            r["decision"] == "confirm", r["decided_by"], r["reason"], r["decided_at"]
        )
        for r in rows
    }


@dataclass
class Committed:
    versions: list[Version] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)


def topic_router(topics: Topics | None) -> Callable[[Audience], str | None]:
    def topic_for(audience: Audience) -> str | None:
        if topics is None or audience is Audience.REGENCY:
            return None
        return topics.alerts_national if audience is Audience.NATIONAL else topics.alerts_province

    return topic_for


class AlertProcessor:
    def __init__(
        self,
        pool: asyncpg.Pool,
        config: RoutingConfig,
        router: Router,
        receivers: dict[str, ReceiverConfig],
        *,
        topics: Topics | None = None,
        on_planned: Callable[[], None] | None = None,
        resolve_guard: bool = True,
    ) -> None:
        self.pool = pool
        self.config = config
        self.engine = Engine(config, router, resolve_guard=resolve_guard)
        self.receivers = receivers
        self.topic_for = topic_router(topics)
        self.on_planned = on_planned
        windows = [
            config.global_.resolve_timeout,
            config.rollups.province.window,
            config.rollups.national.window,
        ]
        self.window = max(windows)
        self.quiet = config.global_.resolve_timeout

    # --- assessments -----------------------------------------------------------------------------

    async def process(
        self,
        assessments: Sequence[Incoming],
        now: datetime | None = None,
        clocks: Sequence[str] | None = None,
        assigned: Sequence[str] = (),
    ) -> Committed:
        """Apply a batch of assessments, one at a time in their order; replays and redeliveries change
        nothing, and batching changes nothing either.

        `clocks` names, per assessment, the event-time clock it moves: the Kafka partition it came
        from (a province's assessments share one). Without it, each province is its own clock.
        Every assessment is a step: the clock moves to its event time, quiet groups on that clock
        resolve, the assessment applies, its province and national roll-ups are re-evaluated at that
        time, and every alert it changed gets its own version.
        """
        now = now or datetime.now(UTC)
        if not assessments:
            return Committed()
        clock_of = (
            list(clocks) if clocks is not None else [f"province:{a.region.province}" for a in assessments]
        )
        keys = {
            a.report_id: group_key(a.region.province, a.region.regency, a.category.value) for a in assessments
        }
        seen = min(max(a.occurred_at for a in assessments), now + MAX_FUTURE)
        async with self.pool.acquire() as conn, conn.transaction():
            # One round trip: move the event-time clock, mark every assessment as applied (a
            # redelivery or replay of any of them changes nothing; `processed` counts what notify has
            # consumed) and read the levels of their groups.
            _, fresh, levels = await store.begin_batch(
                conn, seen, [a.report_id for a in assessments], sorted(set(keys.values()))
            )
            # Most assessments are normal in a normal group: nothing to decide, nothing to load. A group
            # counts as possibly raised when it was at the batch's start or an assessment of the batch
            # raises it; whether a step needs deciding is settled at the step, from the group as it is
            # then, exactly as one assessment per batch would see it.
            steps: list[tuple[Incoming, str, bool]] = []  # (assessment, clock, possibly raised)
            raised_keys = {k for k, level in levels.items() if level != "normal"}
            for a, clock in zip(assessments, clock_of, strict=True):  # Kafka order; an id twice counts once
                if a.report_id in fresh:
                    fresh.discard(a.report_id)
                    if a.level is not Level.NORMAL:
                        raised_keys.add(keys[a.report_id])
                    steps.append((a, clock, keys[a.report_id] in raised_keys))
            if len(steps) < len(assessments):
                metrics.ASSESSMENTS.labels("duplicate").inc(len(assessments) - len(steps))
            steps = _read_needed(steps)
            relevant = [a for a, _, needed in steps if needed]
            if len(relevant) < len(steps):
                metrics.ASSESSMENTS.labels("no_change").inc(len(steps) - len(relevant))
            if not steps:
                return Committed()
            moved: dict[str, datetime] = {}
            for a, clock, _ in steps:
                moved[clock] = max(moved.get(clock, a.occurred_at), a.occurred_at)
            await store.lock(conn)
            before = await store.move_clocks(conn, moved, assigned)
            categories = sorted({a.category.value for a in relevant})
            pairs = {(a.region.province, a.category) for a in relevant}
            rollup_keys = [group_key(p, None, c.value) for p, c in pairs] + [
                national_key(c) for c in categories
            ]
            touched = sorted({keys[a.report_id] for a in relevant} | set(rollup_keys))
            earliest = min(a.occurred_at for a, _, _ in steps)
            since = earliest - self.window
            quiet_before = max(moved.values()) - self.quiet  # nothing reported since: may resolve
            # Province roll-ups only (national ones are settled below): the members of these pairs.
            member_pairs = sorted((p, c.value) for p, c in pairs)
            groups = await store.load_groups(
                conn, touched, (), since, sorted(moved), quiet_before, pairs=member_pairs
            )
            if not relevant and not groups:  # nothing raised on these clocks: only time moved on
                settled = await self._settle_national(conn, now, None, locked=True)
                self._after(settled)
                return settled
            # A province roll-up on these clocks may lapse: its members count too.
            lapsing = sorted(
                {(g.province, g.category.value) for g in groups if g.coverage is Coverage.PROVINCE}
                - set(member_pairs)
            )
            if lapsing:
                known = {g.key for g in groups}
                more = await store.load_groups(conn, [], (), since, pairs=lapsing)
                groups += [g for g in more if g.key not in known]
            # Alerts of the groups this batch may change; the other groups only count as roll-up members.
            changing = {
                g.key
                for g in groups
                if g.clock in moved
                and (
                    g.coverage is Coverage.PROVINCE
                    or (g.last_qualifying_at is not None and g.last_qualifying_at < quiet_before)
                )
            }
            alerts = await store.firing_alerts(conn, sorted(changing | set(touched)))
            others = await store.firing_labels(conn, categories, self.config.inhibit_rules)
            world = World.of(groups, alerts, now, others)
            world.decisions = _decisions(
                await store.recorded_decisions(conn, sorted({keys[a.report_id] for a in relevant}))
            )
            national = self.config.rollups.national.window
            world.marks = await store.load_marks(
                conn,
                sorted({g.category.value for g in groups} | set(categories)),
                earliest - national,
                max(moved.values()),
            )
            result = Committed()
            records: dict[str, AlertRecord] = {}
            applied = skipped = 0
            times = dict(before)
            for a, clock, needed in steps:
                at = max(times.get(clock, a.occurred_at), a.occurred_at)
                if at != times.get(clock):  # time moved on this clock: quiet groups and roll-ups end
                    times[clock] = at
                    self.engine.resolve_quiet(world, at, clock)
                    self._lapse_province_rollups(world, clock, at)
                group = world.groups.get(keys[a.report_id])
                if needed and (
                    a.level is not Level.NORMAL or (group is not None and group.level is not Level.NORMAL)
                ):
                    assert isinstance(a, RiskAssessed)  # every needed step was read in full
                    applied += self.engine.apply(world, a, clock)
                    self.engine.rollups(world, [(a.region.province, a.category)], at, None, clock)
                elif needed:
                    skipped += 1  # normal in a group that is normal by now
                step_records, step_versions = self.engine.finalize(world)
                records.update((r.alert_id, r) for r in step_records)
                result.versions += step_versions
                world.next_step()
            metrics.ASSESSMENTS.labels("applied").inc(applied)
            metrics.ASSESSMENTS.labels("no_change").inc(skipped)
            if applied + skipped < len(relevant):
                metrics.ASSESSMENTS.labels("stale").inc(len(relevant) - applied - skipped)
            result = await self._save(conn, world, list(records.values()), result.versions, now)
            # In the same transaction: whoever sees these assessments processed sees the national
            # roll-ups they settle too.
            settled = await self._settle_national(conn, now, None, locked=True)
            result = Committed(result.versions + settled.versions, result.planned + settled.planned)
        self._after(result)
        return result

    async def settle_national(self, now: datetime | None = None, until: datetime | None = None) -> Committed:
        """Bring the national roll-ups up to the settled time (its own transaction; see `_settle_national`)."""
        now = now or datetime.now(UTC)
        async with self.pool.acquire() as conn, conn.transaction():
            result = await self._settle_national(conn, now, until)
        self._after(result)
        return result

    async def _settle_national(
        self, conn: store.Conn, now: datetime, until: datetime | None, *, locked: bool = False
    ) -> Committed:
        """Evaluate the national roll-ups in event-time order at every point where one can change (a mark
        joins, or leaves the window), up to the settled time.

        Only marks up to the time every partition has reached count, so the national roll-ups, their
        ids, levels and versions are the same however partitions interleave (`until` overrides the
        settled time: tests and tools). Runs inside the caller's transaction, after its writes
        (`locked`: the caller holds the decision lock already). Most batches end here: few round trips.
        """
        cfg = self.config.rollups.national
        if not cfg.enabled:
            return Committed()
        clocks, done = await store.clocks_and_progress(conn)
        if not clocks and until is None:
            return Committed()
        settled = until or settled_time(clocks, now)
        if done is not None and settled <= done:
            return Committed()
        if not locked:
            await store.lock(conn)
        since = done or datetime(1900, 1, 1, tzinfo=UTC)
        marks = await store.national_marks(conn, since - cfg.window, settled)
        # The points come from the marks alone: with none in this stretch of time (most batches), or
        # for the categories without one, no national roll-up can change and their groups stay unread.
        points = self.engine.settle_national(marks, since, settled)
        if not points:
            await store.settled_national(conn, settled, settled - 2 * cfg.window)
            return Committed()
        categories = sorted({c.value for _, c in points})
        keys = [national_key(c) for c in categories]
        groups = await store.load_groups(conn, keys, categories, since - cfg.window - self.window)
        alerts = await store.firing_alerts(conn, keys)
        others = await store.firing_labels(conn, categories, self.config.inhibit_rules)
        world = World.of(groups, alerts, now, others)
        world.marks = marks
        versions: list[Version] = []
        records: dict[str, AlertRecord] = {}
        for at, category in points:
            self.engine.rollups(world, [], at, [category])
            step_records, step_versions = self.engine.finalize(world)
            records.update((r.alert_id, r) for r in step_records)
            versions += step_versions
            world.next_step()
        await store.settled_national(conn, settled, settled - 2 * cfg.window)
        return await self._save(conn, world, list(records.values()), versions, now)

    def _lapse_province_rollups(self, world: World, clock: str, at: datetime) -> None:
        """Province roll-ups on this clock end by time passing too (their window lapses)."""
        pairs = []
        for g in world.province_groups():
            if g.clock != clock or g.level is Level.NORMAL:
                continue
            # Unchanged members and none of them out of the window yet: the roll-up stands as it is.
            checked = world.lapse_checked.get((g.province, g.category))
            if (
                checked is not None
                and checked[0] == world.pair_changes(g.province, g.category)
                and (checked[1] is None or at <= checked[1])
            ):
                continue
            pairs.append((g.province, g.category))
        if pairs:
            self.engine.rollups(world, pairs, at, None, clock)
            for province, category in pairs:
                world.lapse_checked[(province, category)] = (
                    world.pair_changes(province, category),
                    self.engine.province_lapse(world, province, category, at),
                )

    # --- the sweep -------------------------------------------------------------------------------

    async def sweep(self, now: datetime | None = None, event_now: datetime | None = None) -> Committed:
        """Resolve quiet alerts and lapsed roll-ups (event time), escalate missed acknowledgements,
        repeat unchanged alerts, remind undecided Level-4 candidates and release unmuted ones (wall
        clock). `event_now` sets every event-time clock at once (tests and tools)."""
        now = now or datetime.now(UTC)
        swept = await self._sweep_alerts(now, event_now)
        settled = await self.settle_national(now, event_now)
        return Committed(swept.versions + settled.versions, swept.planned + settled.planned)

    async def _sweep_alerts(self, now: datetime, event_now: datetime | None) -> Committed:
        quiet = self.config.global_.resolve_timeout
        async with self.pool.acquire() as conn, conn.transaction():
            t = event_now or await store.watermark(conn)
            # Only what needs attention: alerts whose time (event time) is up, acknowledgements and
            # repeats due (wall clock), muted alerts whose silence ended or whose inhibitor resolved,
            # and region groups still above normal with nothing reported for the quiet time.
            rows = await conn.fetch(
                """
                SELECT group_key AS key, category FROM alerts
                WHERE status = 'firing' AND (expires_at <= $2 OR ack_deadline <= $1 OR repeat_due_at <= $1)
                UNION
                SELECT a.group_key, a.category FROM alerts a
                WHERE a.status = 'firing' AND a.muted_by IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM silences s WHERE a.muted_by = 'silenced:' || s.silence_id
                                  AND s.starts_at <= $1 AND s.ends_at > $1)
                  AND NOT EXISTS (SELECT 1 FROM alerts b WHERE a.muted_by = 'inhibited:' || b.alert_id
                                  AND b.status = 'firing')
                UNION
                SELECT key, category FROM groups
                WHERE coverage = 'region' AND level <> 'normal' AND last_qualifying_at < $2 - $3::interval
                UNION
                SELECT group_key, category FROM alerts
                WHERE status = 'firing' AND candidate_status = 'pending' AND remind_at <= $1
                """,
                now,
                t or datetime.min.replace(tzinfo=UTC),
                quiet,
            )
            if not rows:
                return Committed()
            categories = sorted({r["category"] for r in rows})
            # A lapsing province roll-up may change the national one of its category: load it too.
            keys = sorted({r["key"] for r in rows} | {national_key(c) for c in categories})
            await store.lock(conn)
            clocks = {} if event_now else await store.clock_times(conn)  # event_now: every clock
            # Roll-ups are judged at their own clock, which may be far behind the newest event time:
            # load the region groups that can still count at the slowest clock.
            earliest = min([t, *clocks.values()]) if t else now
            groups = await store.load_groups(conn, keys, categories, earliest - self.window)
            alerts = await store.firing_alerts(conn, keys)
            others = await store.firing_labels(conn, categories, self.config.inhibit_rules)
            world = World.of(groups, alerts, now, others)
            if t is not None:
                # Each group's quiet time runs on its own clock (its partition's event time). Live, a
                # clock that fell silent follows the newest event time of all (a quiet province's
                # alerts still resolve); in a replay of older history the clocks stay apart, so what
                # resolves does not depend on how partitions interleave.
                live = t if t >= now - LIVE_WINDOW else None

                def clock_time(g: GroupState) -> datetime:
                    own = clocks.get(g.clock, t) if g.clock else t
                    return max(own, live) if live else own

                self.engine.resolve_quiet(world, clock_time)
                # Roll-ups only end by time passing (their window lapses); new ones need new reports.
                by_clock: dict[str | None, list[tuple[str, Category]]] = {}
                for g in groups:
                    if g.coverage is Coverage.PROVINCE:
                        by_clock.setdefault(g.clock, []).append((g.province, g.category))
                for clock, pairs in sorted(by_clock.items(), key=lambda kv: kv[0] or ""):
                    at = clocks.get(clock, t) if clock else t
                    self.engine.rollups(world, pairs, max(at, live) if live else at, None, clock)
            self.engine.ack_timeouts(world)
            self.engine.repeats(world)
            self.engine.remind(world)
            for alert_id in world.unrouted:
                log.warning("no route for acknowledgement escalation", alert_id=alert_id)
            result = await self._commit(conn, world, now, release=True)
        self._after(result)
        return result

    # --- acknowledgements ------------------------------------------------------------------------

    async def acknowledge(
        self, alert_id: str, by: str, note: str, principal: Principal | str, now: datetime | None = None
    ) -> tuple[AlertRecord, bool]:
        """Acknowledge an alert; (record, whether this call acknowledged it). Idempotent."""
        now = now or datetime.now(UTC)
        async with self.pool.acquire() as conn, conn.transaction():
            rec = await _locked_firing(conn, alert_id)
            if rec.acknowledged_at is not None:
                return rec, False
            in_time = rec.ack_deadline is None or now <= rec.ack_deadline
            since = rec.level_since or rec.created_at
            world = World.of([], [rec], now)
            self.engine.acknowledge(world, rec, by, note)
            result = await self._commit(conn, world, now)
            await conn.execute(
                "INSERT INTO acks (alert_id, version, acked_by, note, principal, acked_at, in_time)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                rec.alert_id,
                rec.version,
                by,
                note,
                _name(principal),
                now,
                in_time if rec.ack_required else None,
            )
            await audit.record(
                conn,
                _actor(principal),
                "alert.acknowledged",
                service="notify",
                target=rec.alert_id,
                scope=_scope(rec),
                detail={"by": by, "note": note, "version": rec.version, "in_time": in_time},
            )
        metrics.ACK_LATENCY.observe(max(0.0, (now - since).total_seconds()))
        self._after(result)
        return rec, True

    # --- Level-4 decisions -----------------------------------------------------------------------

    async def decide(
        self,
        alert_id: str,
        confirm: bool,
        by: str,
        reason: str,
        principal: Principal | str,
        now: datetime | None = None,
    ) -> AlertRecord:
        """Confirm or decline the pending Level-4 candidate of an alert's group; recorded as an event."""
        now = now or datetime.now(UTC)
        async with self.pool.acquire() as conn, conn.transaction():
            rec = await _locked_firing(conn, alert_id)
            groups = [
                g for g in await store.load_groups(conn, [rec.group_key], [], now) if g.key == rec.group_key
            ]
            pending = rec.candidate is not None and rec.candidate.status is CandidateStatus.PENDING
            if not pending or not groups or groups[0].candidate is not CandidateStatus.PENDING:
                raise CandidateNotPending(alert_id)
            g = groups[0]
            alerts = await store.firing_alerts(conn, [rec.group_key])
            others = await store.firing_labels(conn, [rec.category.value], self.config.inhibit_rules)
            world = World.of(groups, alerts, now, others)
            self.engine.decide(world, g, Decision(confirm, by, reason, now))
            result = await self._commit(conn, world, now)
            await conn.execute(
                "INSERT INTO decisions (group_key, report_id, alert_id, decision, decided_by, reason, principal,"
                " decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (group_key, report_id) DO NOTHING",
                g.key,
                g.candidate_report or (rec.candidate.report_id if rec.candidate else ""),
                alert_id,
                "confirm" if confirm else "decline",
                by,
                reason,
                _name(principal),
                now,
            )
            await audit.record(
                conn,
                _actor(principal),
                "candidate.confirmed" if confirm else "candidate.declined",
                service="notify",
                target=alert_id,
                scope=_scope(rec),
                detail={"by": by, "reason": reason, "report_id": g.candidate_report},
            )
            updated = world.alerts[alert_id]
        self._after(result)
        return updated

    # --- shared ----------------------------------------------------------------------------------

    async def _commit(
        self, conn: store.Conn, world: World, now: datetime, *, release: bool = False
    ) -> Committed:
        records, versions = self.engine.finalize(world)
        return await self._save(conn, world, records, versions, now, release=release)

    async def _save(
        self,
        conn: store.Conn,
        world: World,
        records: list[AlertRecord],
        versions: list[Version],
        now: datetime,
        *,
        release: bool = False,
    ) -> Committed:
        silences = await store.active_silences(conn, now) if versions or release else []
        muter = Muter(silences, self.config.inhibit_rules, world.sources())
        planned, mutes = plan(versions, muter, self.receivers, now, self.topic_for)
        changed = {v.record.alert_id for v in versions}
        muted = [a for a in world.firing() if a.muted_by and a.alert_id not in changed]
        released = unmuted(muted, muter, now) if release else []
        await store.save(conn, world.changed_groups(), records, versions, planned, released, now)
        await store.save_marks(conn, world.new_marks)
        for kind, audience in mutes:
            metrics.ALERT_EVENTS.labels(kind, audience.value).inc()
        return Committed(versions, planned)

    def _after(self, result: Committed) -> None:
        for v in result.versions:
            if v.event is not AlertEvent.ACKNOWLEDGED:
                metrics.ALERT_EVENTS.labels(v.event.value, v.record.audience.value).inc()
            log.info(
                "alert version changed",
                alert_id=v.alert.alert_id,
                version=v.alert.version,
                lifecycle=v.event.value,
                audience=v.alert.audience.value,
                province=v.alert.province,
                regency=v.alert.regency,
                level=v.alert.level.value,
            )
        if (result.planned or result.versions) and self.on_planned is not None:
            self.on_planned()
