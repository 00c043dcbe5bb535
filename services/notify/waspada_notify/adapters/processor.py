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

from waspada_notify import metrics
from waspada_notify.adapters import store
from waspada_notify.domain.config import ReceiverConfig, RoutingConfig
from waspada_notify.domain.dedup import Planned, plan, unmuted
from waspada_notify.domain.lifecycle import Engine, Version, World
from waspada_notify.domain.model import AlertRecord, group_key, national_key
from waspada_notify.domain.muting import Muter
from waspada_notify.domain.routing import Router
from waspada_shared.contracts.alert import AlertEvent, AlertStatus, Audience, Coverage
from waspada_shared.contracts.report import Category
from waspada_shared.contracts.risk import RiskAssessed
from waspada_shared.levels import Level
from waspada_shared.logging import get_logger
from waspada_shared.topics import Topics

log = get_logger(__name__)
MAX_FUTURE = timedelta(minutes=10)


class AlertNotFound(LookupError):
    pass


class AlertResolved(Exception):
    pass


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
    ) -> None:
        self.pool = pool
        self.config = config
        self.engine = Engine(config, router)
        self.receivers = receivers
        self.topic_for = topic_router(topics)
        self.on_planned = on_planned
        windows = [
            config.global_.resolve_timeout,
            config.rollups.province.window,
            config.rollups.national.window,
        ]
        self.window = max(windows)

    # --- assessments -----------------------------------------------------------------------------

    async def process(self, assessments: Sequence[RiskAssessed], now: datetime | None = None) -> Committed:
        """Apply a batch of assessments; replays and redeliveries change nothing."""
        now = now or datetime.now(UTC)
        if not assessments:
            return Committed()
        keys = {
            a.report_id: group_key(a.region.province, a.region.regency, a.category.value) for a in assessments
        }
        seen = min(max(a.occurred_at for a in assessments), now + MAX_FUTURE)
        async with self.pool.acquire() as conn, conn.transaction():
            # One round trip: move the event-time clock, mark every assessment as applied (a
            # redelivery or replay of any of them changes nothing; `processed` counts what notify has
            # consumed) and read the levels of their groups.
            t, fresh, levels = await store.begin_batch(
                conn, seen, [a.report_id for a in assessments], sorted(set(keys.values()))
            )
            todo: list[RiskAssessed] = []
            for a in assessments:  # Kafka order; an id twice in one batch counts once
                if a.report_id in fresh:
                    fresh.discard(a.report_id)
                    todo.append(a)
            if len(todo) < len(assessments):
                metrics.ASSESSMENTS.labels("duplicate").inc(len(assessments) - len(todo))
            # Most assessments are normal in a normal group: nothing to decide, nothing to lock.
            relevant = [
                a
                for a in todo
                if a.level is not Level.NORMAL or levels.get(keys[a.report_id], "normal") != "normal"
            ]
            if len(relevant) < len(todo):
                metrics.ASSESSMENTS.labels("no_change").inc(len(todo) - len(relevant))
            if not relevant:
                return Committed()
            # Read before the lock, safely: only the consumer of a region's partition raises its level
            # (the sweep only lowers levels, and a normal assessment on a normal group changes nothing).
            await store.lock(conn)
            todo = relevant
            categories = sorted({a.category.value for a in todo})
            pairs = {(a.region.province, a.category) for a in todo}
            rollup_keys = [group_key(p, None, c.value) for p, c in pairs] + [
                national_key(c) for c in categories
            ]
            touched = sorted({keys[a.report_id] for a in todo} | set(rollup_keys))
            groups = await store.load_groups(conn, touched, categories, t - self.window)
            alerts = await store.firing_alerts(conn, touched)
            others = await store.firing_labels(conn, categories, self.config.inhibit_rules)
            world = World.of(groups, alerts, now, others)
            applied = sum(self.engine.apply(world, a) for a in todo)
            metrics.ASSESSMENTS.labels("applied").inc(applied)
            if applied < len(todo):
                metrics.ASSESSMENTS.labels("stale").inc(len(todo) - applied)
            self.engine.rollups(world, pairs, t)
            result = await self._commit(conn, world, now)
        self._after(result)
        return result

    # --- the sweep -------------------------------------------------------------------------------

    async def sweep(self, now: datetime | None = None, event_now: datetime | None = None) -> Committed:
        """Resolve quiet alerts and lapsed roll-ups (event time), escalate missed acknowledgements,
        repeat unchanged alerts and release unmuted ones (wall clock)."""
        now = now or datetime.now(UTC)
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
            since = (t - self.window) if t else now
            groups = await store.load_groups(conn, keys, categories, since)
            alerts = await store.firing_alerts(conn, keys)
            others = await store.firing_labels(conn, categories, self.config.inhibit_rules)
            world = World.of(groups, alerts, now, others)
            if t is not None:
                self.engine.resolve_quiet(world, t)
                # Roll-ups only end by time passing (their window lapses); new ones need new reports.
                pairs = [(g.province, g.category) for g in groups if g.coverage is Coverage.PROVINCE]
                national = [Category(c) for c in categories]
                self.engine.rollups(world, pairs, t, national)
            self.engine.ack_timeouts(world)
            self.engine.repeats(world)
            for alert_id in world.unrouted:
                log.warning("no route for acknowledgement escalation", alert_id=alert_id)
            result = await self._commit(conn, world, now, release=True)
        self._after(result)
        return result

    # --- acknowledgements ------------------------------------------------------------------------

    async def acknowledge(
        self, alert_id: str, by: str, note: str, principal: str, now: datetime | None = None
    ) -> tuple[AlertRecord, bool]:
        """Acknowledge an alert; (record, whether this call acknowledged it). Idempotent."""
        now = now or datetime.now(UTC)
        async with self.pool.acquire() as conn, conn.transaction():
            await store.lock(conn)
            rec = await store.alert_record(conn, alert_id)
            if rec is None:
                raise AlertNotFound(alert_id)
            if rec.status is AlertStatus.RESOLVED:
                raise AlertResolved(alert_id)
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
                principal,
                now,
                in_time if rec.ack_required else None,
            )
        metrics.ACK_LATENCY.observe(max(0.0, (now - since).total_seconds()))
        self._after(result)
        return rec, True

    # --- shared ----------------------------------------------------------------------------------

    async def _commit(
        self, conn: store.Conn, world: World, now: datetime, *, release: bool = False
    ) -> Committed:
        records, versions = self.engine.finalize(world)
        silences = await store.active_silences(conn, now) if versions or release else []
        muter = Muter(silences, self.config.inhibit_rules, world.sources())
        planned, mutes = plan(versions, muter, self.receivers, now, self.topic_for)
        changed = {v.record.alert_id for v in versions}
        muted = [a for a in world.firing() if a.muted_by and a.alert_id not in changed]
        released = unmuted(muted, muter, now) if release else []
        await store.save(conn, world.changed_groups(), records, versions, planned, released, now)
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
