"""Kafka identities and what each may do: the principals and ACLs behind SPEC §8 (docs/security.md).

Every Kafka client authenticates (SASL/SCRAM-SHA-512) as a principal, and the broker allows it only what
an ACL below grants (KRaft's StandardAuthorizer, `allow.everyone.if.no.acl.found=false`):

- each service reads and writes exactly its topics and consumer groups (SPEC §5);
- an agency writes only to the submission topic of its scope (`reports.submitted.v1.<province>`, or the
  plain `reports.submitted.v1` for the national scope) and reads nothing;
- the national alert reader reads the two alert topics (in its own consumer groups) and nothing else.

One definition, three readers: `deploy/local/kafka_auth.py` creates these principals and ACLs on the local
broker at `make up`; the integration tests prove the broker enforces them; `tests/unit/deploy/test_k8s.py`
checks that the Kubernetes KafkaUsers of the services grant the same. Names follow Strimzi's (KafkaUser
`waspada-intake`, ACL pattern types `literal` and `prefix`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from waspada_shared.topics import NATIONAL_SCOPE, Topics

Operation = Literal["Read", "Write", "Describe"]
ResourceType = Literal["topic", "group"]
PatternType = Literal["literal", "prefix"]
Kind = Literal["service", "agency", "reader"]

ADMIN_USER = "admin"  # the super user of the local broker (the broker itself, and the tooling)
NATIONAL_READER = "national-reader"
NATIONAL_READER_GROUPS = "national-reader"  # prefix of the consumer groups the reader may use
SERVICES = ("intake", "scoring", "notify")  # the console speaks HTTP only


@dataclass(frozen=True, slots=True)
class Acl:
    """Allow `operations` on one resource (a topic or a consumer group, by name or name prefix)."""

    resource_type: ResourceType
    name: str
    pattern: PatternType
    operations: tuple[Operation, ...]


@dataclass(frozen=True, slots=True)
class Principal:
    """A Kafka user (`User:<user>`) and everything it is allowed."""

    user: str
    kind: Kind
    acls: tuple[Acl, ...]
    scope: str | None = None  # agencies: the province code, or `national`

    def allows(self, operation: Operation, resource_type: ResourceType, name: str) -> bool:
        return any(
            a.resource_type == resource_type
            and operation in a.operations
            and (a.name == name if a.pattern == "literal" else name.startswith(a.name))
            for a in self.acls
        )


def service_user(service: str) -> str:
    return f"waspada-{service}"


def agency_user(scope: str) -> str:
    """`agency-19` for a province's agencies, `agency-national` for the national scope."""
    return f"agency-{scope}"


def demo_password(user: str) -> str:
    """The local profile's demo password of a principal (like the demo API keys: well known, loopback only).

    Never used outside the local profile: on Kubernetes Strimzi generates each KafkaUser's password.
    """
    return f"demo-{user}"


def _read(kind: ResourceType, name: str, pattern: PatternType = "literal") -> Acl:
    return Acl(kind, name, pattern, ("Read", "Describe"))


def _write(topic: str) -> Acl:
    return Acl("topic", topic, "literal", ("Write", "Describe"))


def service_principals(topics: Topics, notify_group: str = "waspada-notify") -> list[Principal]:
    """The services' principals: exactly the topics and consumer groups each uses (SPEC §5)."""
    intake = Principal(
        service_user("intake"),
        "service",
        (
            # Every submission door: the national topic and each scope's `<topic>.<province>`.
            _read("topic", topics.submitted, "prefix"),
            _write(topics.accepted),
            _write(topics.rejected),
            _read("group", topics.name("waspada-intake")),
        ),
    )
    scoring = Principal(
        service_user("scoring"),
        "service",
        (
            _read("topic", topics.accepted),
            _write(topics.assessed),
            _read("group", topics.name("waspada-scoring")),
        ),
    )
    notify = Principal(
        service_user("notify"),
        "service",
        (
            _read("topic", topics.assessed),
            _write(topics.alerts_province),
            _write(topics.alerts_national),
            _read("group", notify_group),
        ),
    )
    return [intake, scoring, notify]


def agency_principal(topics: Topics, scope: str) -> Principal:
    """An agency: writes to its scope's submission topic, reads nothing (not even the dead letters)."""
    return Principal(agency_user(scope), "agency", (_write(topics.submitted_for(scope)),), scope)


def national_reader(topics: Topics) -> Principal:
    """A national aggregation system: reads the alert topics, in consumer groups `national-reader*`."""
    return Principal(
        NATIONAL_READER,
        "reader",
        (
            _read("topic", topics.alerts_province),
            _read("topic", topics.alerts_national),
            _read("group", NATIONAL_READER_GROUPS, "prefix"),
        ),
    )


def local_principals(
    topics: Topics, provinces: Iterable[str], notify_group: str = "waspada-notify"
) -> list[Principal]:
    """Everyone the local profile creates: the services, one agency per province and a national one,
    and the national alert reader."""
    agencies = [agency_principal(topics, NATIONAL_SCOPE)] + [
        agency_principal(topics, p) for p in sorted(provinces)
    ]
    return [*service_principals(topics, notify_group), *agencies, national_reader(topics)]
