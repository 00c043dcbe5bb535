"""Create the Waspada topics on the local broker, idempotently.

Run by deploy/local/stack.sh right after Kafka opens its port, so it also serves as the
"Kafka is really ready" check: it retries until the broker answers metadata requests and
every topic has a leader, or the timeout expires.

Topic names come from ``waspada_shared.topics.ALL_TOPICS`` (names without prefix) when that
module exists, else from the list below; ``WASPADA_TOPIC_PREFIX`` is prepended. The submission
topics of each scope (``reports.submitted.v1.<province>``, SPEC §8) come from the same module and
have one partition each: their records are all keyed by the one province.

Connects with the ``WASPADA_KAFKA_*`` security settings (deploy/local/env.sh: the super user).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

FALLBACK_TOPICS = [
    "reports.submitted.v1",
    "reports.accepted.v1",
    "reports.rejected.v1",
    "risk.assessed.v1",
    "alerts.province.v1",
    "alerts.national.v1",
]
TOPIC_ALREADY_EXISTS = 36  # Kafka protocol error code


def topic_names() -> tuple[list[str], list[str], str]:
    """(prefixed names, prefixed per-scope submission topics, where the lists came from)."""
    prefix = os.environ.get("WASPADA_TOPIC_PREFIX", "")
    try:
        from waspada_shared import topics  # type: ignore[attr-defined,unused-ignore]
        from waspada_shared.regions import reference

        t = topics.Topics(prefix)
        scoped = t.submission_topics(reference().provinces)[1:]
        return t.all(), scoped, "waspada_shared.topics"
    except (ImportError, AttributeError):
        return [prefix + name for name in FALLBACK_TOPICS], [], "built-in list"


def security() -> dict[str, Any]:
    """The client's SASL/TLS arguments from WASPADA_KAFKA_* (none: PLAINTEXT)."""
    try:
        from waspada_shared.kafka import client_security
        from waspada_shared.settings import ServiceSettings
    except ImportError:
        return {}
    return client_security(ServiceSettings())


def _errors(response: object) -> list[tuple[str, int, str | None]]:
    """(topic, error_code, message) from any CreateTopicsResponse version."""
    out = []
    for entry in getattr(response, "topic_errors", None) or getattr(response, "topics", []):
        name, code = entry[0], entry[1]
        message = entry[2] if len(entry) > 2 and isinstance(entry[2], str) else None
        out.append((name, code, message))
    return out


async def ensure_topics(bootstrap: str, wanted: dict[str, int], deadline: float) -> None:
    """Create every missing topic of `wanted` (name -> partitions); return once all have leaders."""
    names = list(wanted)
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000, **security())
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [n for n in names if n not in existing]
            if missing:
                response = await admin.create_topics(
                    [NewTopic(n, num_partitions=wanted[n], replication_factor=1) for n in missing]
                )
                for name, code, message in _errors(response):
                    if code not in (0, TOPIC_ALREADY_EXISTS):
                        raise RuntimeError(f"creating {name}: error {code} {message or ''}".strip())
                print(f"created topics: {', '.join(missing)}")
            # Ready means every topic has a leader for every partition.
            described = await admin.describe_topics(names)
            leaderless = [
                t["topic"]
                for t in described
                if t["error_code"] != 0 or any(p["leader"] < 0 for p in t["partitions"])
            ]
            if not leaderless:
                return
            last_error = RuntimeError(f"no leader yet for {', '.join(leaderless)}")
        except (TimeoutError, KafkaError, OSError, RuntimeError) as exc:
            last_error = exc
        finally:
            await admin.close()
        await asyncio.sleep(0.5)
    raise TimeoutError(f"Kafka at {bootstrap} not ready: {last_error!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default=os.environ.get("WASPADA_KAFKA_BOOTSTRAP", "127.0.0.1:19092"))
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds")
    args = parser.parse_args()
    names, scoped, source = topic_names()
    wanted = {n: args.partitions for n in names} | dict.fromkeys(scoped, 1)
    try:
        asyncio.run(ensure_topics(args.bootstrap, wanted, time.monotonic() + args.timeout))
    except TimeoutError as exc:
        print(f"create_topics: {exc}", file=sys.stderr)
        return 1
    print(f"topics ready ({source}): {', '.join(names)}, and {len(scoped)} per-scope submission topics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
