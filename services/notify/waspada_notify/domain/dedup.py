"""Which deliveries a new alert version gets, when, and what a repeat or an unmute does. Pure.

Alertmanager's dedup stage decides from the notification log, the repeat interval and `now`; here a
delivery row per (alert version, receiver, target) is that log, and this module decides the rows:
- a new alert waits `group_wait` (a burst of reports collapses into the latest version);
- an escalation (also by missed acknowledgement) and a repeat go at once;
- a de-escalation or resolution waits until `group_interval` after the previous notice;
- a newer version supersedes older ones not yet attempted (the store marks them `superseded`);
- a muted version (silence, inhibition) is recorded as `suppressed` with the reason;
- the alert topics get every lifecycle event except repeats, muted or not: they are the record that
  aggregation consumers count from, not a notification to people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from waspada_notify.domain.config import ReceiverConfig
from waspada_notify.domain.lifecycle import Version
from waspada_notify.domain.model import AlertRecord
from waspada_notify.domain.muting import Muter
from waspada_shared.contracts.alert import Alert, AlertEvent, Audience

KAFKA_RECEIVER = "alert-topics"
AT_ONCE = (
    AlertEvent.ESCALATED,
    AlertEvent.ACK_ESCALATED,
    AlertEvent.REPEATED,
    AlertEvent.CANDIDATE,
    AlertEvent.CANDIDATE_REMINDER,
    AlertEvent.CONFIRMED,
    AlertEvent.DECLINED,
)


@dataclass(frozen=True, slots=True)
class Planned:
    alert_id: str
    version: int
    receiver: str
    channel: str  # webhook, email, kafka
    target: str  # URL, comma-separated addresses, topic
    status: str  # pending or suppressed
    next_attempt: datetime
    payload: Alert
    received_at: datetime | None
    reason: str | None = None


def first_attempt(
    event: AlertEvent, rec: AlertRecord, previously_notified_at: datetime | None, now: datetime
) -> datetime:
    if event is AlertEvent.FIRED:
        return now + rec.group_wait
    if event in AT_ONCE or previously_notified_at is None:
        return now
    return max(now, previously_notified_at + rec.group_interval)


def targets_of(receiver: ReceiverConfig) -> list[tuple[str, str]]:
    return [("webhook", w.url) for w in receiver.webhook_configs] + [
        ("email", ",".join(e.to)) for e in receiver.email_configs
    ]


def plan(
    versions: Iterable[Version],
    muter: Muter,
    receivers: dict[str, ReceiverConfig],
    now: datetime,
    topic_for: Callable[[Audience], str | None],
) -> tuple[list[Planned], list[tuple[str, Audience]]]:
    """Delivery rows for new versions, and the mute events (silenced/inhibited, audience) for metrics.

    Sets `muted_by` and `last_notified_at` on the live records, which the caller then stores.
    """
    out: list[Planned] = []
    mutes: list[tuple[str, Audience]] = []
    for v in versions:
        rec = v.record
        people = v.event is not AlertEvent.ACKNOWLEDGED  # acknowledgements go to the topics only
        mute = muter.mute(rec, now) if people else None
        if people:
            rec.muted_by = str(mute) if mute else None
        if mute:
            mutes.append((mute.kind, rec.audience))
        at = first_attempt(v.event, rec, v.previously_notified_at, now)
        if people:
            status = "suppressed" if mute else "pending"
            for name in rec.receivers:
                cfg = receivers.get(name)
                for channel, target in targets_of(cfg) if cfg else []:
                    out.append(
                        Planned(
                            rec.alert_id,
                            v.alert.version,  # several versions of one alert may be planned at once
                            name,
                            channel,
                            target,
                            status,
                            at,
                            v.alert,
                            v.received_at,
                            str(mute) if mute else None,
                        )
                    )
                    if not mute:
                        rec.last_notified_at = at
        topic = topic_for(rec.audience)
        if topic and v.event is not AlertEvent.REPEATED:
            out.append(
                Planned(
                    rec.alert_id,
                    v.alert.version,
                    KAFKA_RECEIVER,
                    "kafka",
                    topic,
                    "pending",
                    now,
                    v.alert,
                    None,
                )
            )
    return out, mutes


def unmuted(muted: Iterable[AlertRecord], muter: Muter, now: datetime) -> list[AlertRecord]:
    """Firing alerts whose current version was muted and no longer is: their deliveries go out now."""
    out = []
    for rec in muted:
        if rec.firing and rec.muted_by and muter.mute(rec, now) is None:
            rec.muted_by = None
            rec.last_notified_at = now
            out.append(rec)
    return out
