"""National aggregation consumer: how national systems plug into Waspada.

Notify publishes every alert lifecycle event of province and national audiences on two Kafka topics:

    alerts.province.v1   alerts for province teams (key: province code)
    alerts.national.v1   alerts for the national desk, incl. cross-province roll-ups (key: province)

Each value is the alert as JSON (`waspada_shared.contracts.alert.Alert`): `alert_id`, `version`,
`event` (fired, escalated, deescalated, resolved, ack_escalated, acknowledged), `province`
("00" for a cross-province roll-up, whose provinces are in `provinces`), `regency`, `level`,
`category`, `status`, `title`/`summary` in Bahasa Indonesia, `first_seen`, `updated_at`, ...
Delivery is at least once: de-duplicate by (alert_id, version), as this consumer does.

This example keeps a roll-up per province and per day (the day of `updated_at` in the province's own
time zone: WIB, WITA or WIT): how many alerts fired, escalated, de-escalated, resolved, were
acknowledged or escalated for want of an acknowledgement, and the highest level seen. It stores that
state together with the Kafka offsets it has applied in one JSON file, written atomically, and on start
resumes from those offsets; so a crash or restart neither loses nor double-counts an event
(the same pattern works with a database: state and offsets in one transaction).

Kafka authenticates every client (SASL/SCRAM-SHA-512) and lets it read only what its ACLs allow. A national
system connects as its own principal, allowed to read the two alert topics (in consumer groups named
`national-reader*`) and nothing else; the local stack ships the demo principal `national-reader` with the
password `demo-national-reader`, the defaults below. Elsewhere pass --user/--password (or
KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD) and, over TLS, --protocol SASL_SSL --cafile CA.pem.

Run it against the local stack (prefix as in WASPADA_TOPIC_PREFIX):

    .venv/bin/python examples/national_rollup.py --state /tmp/rollup.json          # follow, print every 10 s
    .venv/bin/python examples/national_rollup.py --state /tmp/rollup.json --once   # catch up, print, exit

Nothing here depends on Waspada's code: a national system needs only a Kafka client and this format.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context

TOPICS = ("alerts.province.v1", "alerts.national.v1")
LEVELS = ("normal", "waspada", "siaga", "awas")
EVENTS = ("fired", "escalated", "deescalated", "resolved", "ack_escalated", "acknowledged", "repeated")
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}


def local_day(at: str, province: str) -> str:
    hours = 9 if province in _WIT else 8 if province in _WITA else 7
    return datetime.fromisoformat(at).astimezone(timezone(timedelta(hours=hours))).date().isoformat()


@dataclass
class Rollup:
    """Per (province, day): event counts and the highest level; plus what has been applied."""

    days: dict[str, dict[str, Any]] = field(default_factory=dict)  # "19|2024-11-20" -> counters
    seen: set[str] = field(default_factory=set)  # "alert_id|version"
    offsets: dict[str, int] = field(default_factory=dict)  # "topic|partition" -> next offset

    def apply(self, alert: dict[str, Any]) -> bool:
        """Count one lifecycle event; False for a duplicate (already applied)."""
        key = f"{alert['alert_id']}|{alert['version']}"
        if key in self.seen:
            return False
        self.seen.add(key)
        event = alert.get("event") or "fired"
        provinces = alert.get("provinces") or [alert["province"]]
        for province in provinces:
            row = self.days.setdefault(
                f"{province}|{local_day(alert['updated_at'], province)}",
                {**{e: 0 for e in EVENTS}, "max_level": "normal", "categories": []},
            )
            row[event] = row.get(event, 0) + 1
            if LEVELS.index(alert["level"]) > LEVELS.index(row["max_level"]):
                row["max_level"] = alert["level"]
            if alert["category"] not in row["categories"]:
                row["categories"] = sorted([*row["categories"], alert["category"]])
        return True

    def dump(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps({"days": self.days, "seen": sorted(self.seen), "offsets": self.offsets}))
        os.replace(tmp, path)  # atomic: state and offsets always match

    @classmethod
    def load(cls, path: Path | None) -> Rollup:
        if path is None or not path.exists():
            return cls()
        data = json.loads(path.read_text())
        return cls(data["days"], set(data["seen"]), data["offsets"])

    def table(self) -> str:
        lines = [
            f"{'province':8} {'day':10} {'max level':9} " + " ".join(f"{e[:11]:>11}" for e in EVENTS[:-1])
        ]
        for key in sorted(self.days):
            province, day = key.split("|")
            row = self.days[key]
            lines.append(
                f"{province:8} {day:10} {row['max_level']:9} "
                + " ".join(f"{row[e]:>11}" for e in EVENTS[:-1])
            )
        return "\n".join(lines)


def consume(rollup: Rollup, records: Iterable[Any]) -> int:
    applied = 0
    for rec in records:
        try:
            alert = json.loads(rec.value)
        except (TypeError, ValueError):
            print(f"skipping unreadable record {rec.topic}/{rec.partition}@{rec.offset}", file=sys.stderr)
        else:
            applied += rollup.apply(alert)
        rollup.offsets[f"{rec.topic}|{rec.partition}"] = rec.offset + 1
    return applied


def security(args: argparse.Namespace) -> dict[str, Any]:
    """aiokafka's SASL (and TLS) arguments for this consumer's principal."""
    if args.protocol == "PLAINTEXT":
        return {}
    found: dict[str, Any] = {
        "security_protocol": args.protocol,
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": args.user,
        "sasl_plain_password": args.password,
    }
    if args.protocol == "SASL_SSL":
        found["ssl_context"] = create_ssl_context(cafile=args.cafile or None)
    return found


async def partitions(bootstrap: str, names: list[str], auth: dict[str, Any]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **auth)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    tps = [
        TopicPartition(t["topic"], p["partition"])
        for t in described
        if not t["error_code"]
        for p in t["partitions"]
    ]
    if not tps:
        raise SystemExit(f"no such topics: {', '.join(names)}")
    return sorted(tps)


async def run(args: argparse.Namespace) -> None:
    state = Path(args.state) if args.state else None
    rollup = Rollup.load(state)
    auth = security(args)
    consumer = AIOKafkaConsumer(bootstrap_servers=args.bootstrap, enable_auto_commit=False, **auth)
    await consumer.start()
    try:
        tps = await partitions(args.bootstrap, [args.prefix + t for t in TOPICS], auth)
        consumer.assign(tps)
        for tp in tps:  # resume where the state file says, or from the beginning
            offset = rollup.offsets.get(f"{tp.topic}|{tp.partition}")
            if offset is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, offset)
        ends = await consumer.end_offsets(tps) if args.once else {}
        last_print = 0.0
        while True:
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                consume(rollup, records)
            if state is not None and batch:
                rollup.dump(state)
            loop_time = asyncio.get_running_loop().time()
            if args.once:
                positions = [await consumer.position(tp) for tp in tps]
                if all(pos >= ends[tp] for pos, tp in zip(positions, tps, strict=True)):
                    break
            if not args.once and loop_time - last_print >= args.every:
                print(rollup.table(), flush=True)
                last_print = loop_time
    finally:
        await consumer.stop()
    print(rollup.table())


def main() -> None:
    parser = argparse.ArgumentParser(description="Per-province, per-day roll-up of Waspada alert events")
    parser.add_argument("--bootstrap", default=os.environ.get("WASPADA_KAFKA_BOOTSTRAP", "127.0.0.1:19092"))
    parser.add_argument("--prefix", default=os.environ.get("WASPADA_TOPIC_PREFIX", ""), help="topic prefix")
    parser.add_argument(
        "--protocol",
        choices=("SASL_PLAINTEXT", "SASL_SSL", "PLAINTEXT"),
        default=os.environ.get("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
        help="SASL_PLAINTEXT on the local stack's loopback listener, SASL_SSL elsewhere",
    )
    parser.add_argument("--user", default=os.environ.get("KAFKA_SASL_USERNAME", "national-reader"))
    parser.add_argument("--password", default=os.environ.get("KAFKA_SASL_PASSWORD", "demo-national-reader"))
    parser.add_argument("--cafile", default=os.environ.get("KAFKA_SSL_CAFILE", ""), help="CA of the brokers")
    parser.add_argument("--state", help="JSON file keeping the roll-up and the offsets applied")
    parser.add_argument("--once", action="store_true", help="read up to the current end, print, exit")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between printed tables")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
