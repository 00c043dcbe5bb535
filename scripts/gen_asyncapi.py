"""Generate docs/asyncapi.yaml from the services' FastStream brokers (AsyncAPI 3.0).

    .venv/bin/python scripts/gen_asyncapi.py          # rewrite docs/asyncapi.yaml
    .venv/bin/python scripts/gen_asyncapi.py --check  # exit 1 if the committed file is not current

Each service's broker is built by the same `make_broker` the service uses, and its subscribers are
registered by the service's own registration code, without connecting to Kafka or PostgreSQL (the
handlers' dependencies are never called, so `None` stands in for them). The services publish through
`publish_all` rather than FastStream publisher objects, so their outgoing streams are declared here
from SPEC §5, with the contract models of `waspada_shared.contracts` as payloads. Subscribers consume
raw batches (`list[Any]`) for speed; their message payload is set to the contract each record carries.
Topic names are the unprefixed defaults; a deployment may prefix them (WASPADA_TOPIC_PREFIX).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from waspada_intake.adapters import consumers as intake_consumers
from waspada_intake.settings import IntakeSettings
from waspada_notify.adapters import pipeline as notify_pipeline
from waspada_notify.settings import NotifySettings
from waspada_scoring.adapters.pipeline import ScoringPipeline
from waspada_scoring.settings import ScoringSettings
from waspada_shared import topics as t
from waspada_shared.contracts.alert import Alert
from waspada_shared.contracts.rejection import RejectedReport
from waspada_shared.contracts.report import AcceptedReport, ReportIn
from waspada_shared.contracts.risk import RiskAssessed
from waspada_shared.kafka import make_broker
from waspada_shared.regions import reference
from waspada_shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "asyncapi.yaml"
BOOTSTRAP = "kafka:9092"
S = TypeVar("S", bound=ServiceSettings)
UNUSED: Any = None  # stands in for the handlers' dependencies (pool, stores): never called here


@dataclass(frozen=True)
class Stream:
    """One topic of SPEC §5: its contract, key and meaning."""

    model: type[BaseModel]
    key: str
    description: str


STREAMS: dict[str, Stream] = {
    t.REPORTS_SUBMITTED: Stream(
        ReportIn,
        "province code (`PP`)",
        "Raw reports (schema version 1, SPEC §3) produced by agencies with Kafka access. Intake validates "
        "them exactly like HTTP submissions; what it cannot accept goes to reports.rejected.v1.",
    ),
    t.REPORTS_ACCEPTED: Stream(
        AcceptedReport,
        "regency code (`PP.RR`); partitioned by its province part (`PP`), so a province's reports keep"
        " their submission order",
        "Validated reports without the confidential `reporter`, plus `received_at` and `submitted_by`.",
    ),
    t.REPORTS_REJECTED: Stream(
        RejectedReport,
        "province code, or `unknown` when the input named none",
        "Dead letters: the rejected input (reporter removed) and the reasons, field by field.",
    ),
    t.RISK_ASSESSED: Stream(
        RiskAssessed,
        "regency code (`PP.RR`); partitioned by its province part (`PP`), as reports.accepted.v1",
        "One assessment per report: score 0-100, level, the factors that add up to the score, region state.",
    ),
    t.ALERTS_PROVINCE: Stream(
        Alert,
        "province code (`PP`)",
        "Alert lifecycle events for province audiences; de-duplicate by `alert_id` + `version`.",
    ),
    t.ALERTS_NATIONAL: Stream(
        Alert,
        "province code (`PP`)",
        "Alert lifecycle events for the national desk (awas, cross-province escalations); de-duplicate by"
        " `alert_id` + `version`.",
    ),
}

# The per-scope submission topics (SPEC §8): one channel with the province as its parameter.
SCOPED_SUBMITTED = f"{t.REPORTS_SUBMITTED}{t.SCOPE_SEPARATOR}{{province}}"
STREAMS[SCOPED_SUBMITTED] = Stream(
    ReportIn,
    "province code (`PP`), the topic's own",
    "Raw reports of one province's agencies (SPEC §8). The broker lets only that province's agency"
    " principals write here (SASL/SCRAM, ACLs; reports.submitted.v1 is the national scope's door);"
    " intake validates them like HTTP submissions and rejects a report of any other province with"
    " reason `out_of_scope` (field `region.province`) on reports.rejected.v1.",
)
SCOPED_KEY = "reports-submitted-v1-province"

PUBLISHES: dict[str, list[str]] = {
    "intake": [t.REPORTS_ACCEPTED, t.REPORTS_REJECTED],
    "scoring": [t.RISK_ASSESSED],
    "notify": [t.ALERTS_PROVINCE, t.ALERTS_NATIONAL],
}


def _settings(cls: type[S]) -> S:
    # The defaults, whatever the developer's WASPADA_* environment says: the document must not vary.
    with _no_waspada_env():
        return cls(kafka_bootstrap=BOOTSTRAP, profile="production")


@contextmanager
def _no_waspada_env() -> Iterator[None]:
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("WASPADA_")}
    try:
        yield
    finally:
        os.environ.update(saved)


def brokers() -> dict[str, KafkaBroker]:
    """The three services' brokers with their subscribers registered (what they publish: PUBLISHES)."""
    registry = CollectorRegistry()  # keep the middleware's metrics out of the global registry

    intake_s = _settings(IntakeSettings)
    intake = make_broker(intake_s, "intake", registry)
    intake_consumers.register(
        intake, UNUSED, UNUSED, intake_s.topics, intake_s.consumer_batch, intake_s.max_body_bytes
    )

    scoring_s = _settings(ScoringSettings)
    scoring = make_broker(scoring_s, "scoring", registry)
    ScoringPipeline(UNUSED, scoring, scoring_s.topics, UNUSED, UNUSED).register(scoring_s.consumer_batch)

    notify_s = _settings(NotifySettings)
    notify = make_broker(notify_s, "notify", registry)
    notify_pipeline.register(
        notify, notify_s.topics, UNUSED, notify_s.consumer_batch, notify_s.consumer_group
    )

    return {"intake": intake, "scoring": scoring, "notify": notify}


INFO: dict[str, Any] = {
    "title": "Waspada event streams",
    "version": "1",
    "description": (
        "Kafka topics of Waspada, the early-warning pipeline for social conflict (SPEC §5). Values are"
        " UTF-8 JSON with the schema version in the `schema-version` header; delivery is at least"
        " once, so consumers de-duplicate (reports by `report_id`, alerts by `alert_id` + `version`)."
        " National aggregation systems consume `alerts.national.v1` and `alerts.province.v1` (and,"
        " with a further grant, `risk.assessed.v1`); agencies"
        " produce into their scope's `reports.submitted.v1.<province>` (national agencies:"
        " `reports.submitted.v1`). Every client authenticates with SASL/SCRAM-SHA-512 and is authorised"
        " by ACLs: one principal per agency scope, national consumer and service. Partitions and"
        " replicas are the production cluster's"
        " (deploy/k8s/base/topics.yaml). Generated by scripts/gen_asyncapi.py; do not edit."
    ),
    # No licence has been chosen for Waspada yet: the terms are the government's own until one is
    # (the same words as intake's OpenAPI document).
    "license": {"name": "Proprietary: for Indonesian government use; no licence granted"},
    "contact": {"name": "Waspada platform team"},
}

# One entry per environment, as each runs Kafka (README; docker-compose.yml; deploy/k8s/base/kafka.yaml).
SERVERS: dict[str, Any] = {
    "local": {
        "host": "127.0.0.1:19092",
        "protocol": "kafka",
        "description": (
            "The local stack (make up): one KRaft broker on loopback, SASL_PLAINTEXT with SCRAM-SHA-512 and"
            " ACLs (KAFKA_TLS=1: SASL_SSL with a locally generated CA); the local profile's demo principals"
            " (docs/security.md)."
        ),
        "security": [{"$ref": "#/components/securitySchemes/scramSha512"}],
    },
    "compose": {
        "host": "kafka:9092",
        "protocol": "kafka",
        "description": "docker compose: one KRaft broker, PLAINTEXT inside the compose network.",
    },
    "production": {
        "host": "waspada-kafka-bootstrap.waspada.svc:9093",
        "protocol": "kafka-secure",
        "description": (
            "Kubernetes (deploy/k8s, Strimzi): TLS with the cluster CA, SCRAM-SHA-512 as one KafkaUser per"
            " client whose ACLs allow only its own topics and consumer groups."
        ),
        "security": [{"$ref": "#/components/securitySchemes/scramSha512"}],
    },
}
SECURITY_SCHEMES: dict[str, Any] = {
    "scramSha512": {
        "type": "scramSha512",
        "description": (
            "SASL SCRAM-SHA-512, one principal per client whose ACLs allow only its own topics and consumer"
            " groups. Production: over TLS, the password in the Secret of the client's KafkaUser; local"
            " stack: the demo password `demo-<user>`."
        ),
    }
}

# What relates a record to others: the id the consumers de-duplicate by. The services' own producer sets
# no correlation header, so the correlation id is located in the payload.
CORRELATION: dict[type[BaseModel], tuple[str, str]] = {
    ReportIn: ("$message.payload#/report_id", "The submitter's `report_id`"),
    AcceptedReport: ("$message.payload#/report_id", "The submitter's `report_id`"),
    RiskAssessed: ("$message.payload#/report_id", "The assessed report's `report_id`"),
    Alert: ("$message.payload#/alert_id", "The alert's id (its lifecycle events share it)"),
    RejectedReport: (
        "$message.payload#/original/report_id",
        "The rejected input's `report_id`, if it had one",
    ),
}
BINDING_VERSION = "0.5.0"
TOPICS_YAML = ROOT / "deploy" / "k8s" / "base" / "topics.yaml"
SUBMISSION_TOPICS_YAML = ROOT / "deploy" / "k8s" / "base" / "submission-topics.yaml"  # gen_kafka_access.py


def _topic_settings() -> dict[str, dict[str, Any]]:
    """topic -> the production KafkaTopic's spec (partitions, replicas, config)."""
    found: dict[str, dict[str, Any]] = {}
    for path in (TOPICS_YAML, SUBMISSION_TOPICS_YAML):
        docs = yaml.safe_load_all(path.read_text(encoding="utf-8"))
        found |= {d["spec"]["topicName"]: d["spec"] for d in docs if d and d.get("kind") == "KafkaTopic"}
    return found


def _key(topic: str) -> str:
    """A component key for a topic (AsyncAPI keys: letters, digits, `.`, `-`, `_`): reports-accepted-v1."""
    return SCOPED_KEY if topic == SCOPED_SUBMITTED else topic.replace(".", "-")


def _channel_of(topic: str) -> str:
    """The channel a topic belongs to: itself, or the parameterised per-scope submission channel."""
    scope = t.Topics().scope_of(topic)
    return SCOPED_SUBMITTED if scope not in (None, t.NATIONAL_SCOPE) else topic


def specification() -> dict[str, Any]:
    """The document, from the services' registered subscribers (topic, consumer group) and SPEC §5."""
    consumers: dict[str, list[tuple[str, str]]] = {}  # topic -> [(service, group)]
    for service, broker in brokers().items():
        # Kafka subscribers (FastStream's generic type does not declare topics and group_id).
        for sub in cast(list[Any], broker.subscribers):
            for topic in sub.topics:
                found = consumers.setdefault(_channel_of(topic.name), [])
                if (service, str(sub.group_id)) not in found:
                    found.append((service, str(sub.group_id)))
    producers = {topic: service for service, topics in PUBLISHES.items() for topic in topics}
    settings = _topic_settings()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for topic in [*t.ALL_TOPICS, SCOPED_SUBMITTED]:
        stream, key = STREAMS[topic], _key(topic)
        spec = settings[topic] if topic != SCOPED_SUBMITTED else _scoped_settings(settings)
        schemas.update(_model_schemas(stream.model))
        location, meaning = CORRELATION[stream.model]
        messages[key] = {
            "name": stream.model.__name__,
            "title": f"{stream.model.__name__} on {topic}",
            "contentType": t.JSON_CONTENT_TYPE,
            "correlationId": {"location": location, "description": meaning},
            "headers": {
                "type": "object",
                "properties": {
                    t.HEADER_SCHEMA_VERSION: {
                        "type": "string",
                        "const": "1",
                        "description": "Contract version",
                    },
                    t.HEADER_CONTENT_TYPE: {"type": "string", "const": t.JSON_CONTENT_TYPE},
                },
                "required": [t.HEADER_SCHEMA_VERSION],
            },
            "payload": {"$ref": f"#/components/schemas/{stream.model.__name__}"},
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "description": stream.key},
                    "bindingVersion": BINDING_VERSION,
                }
            },
        }
        config = dict(spec.get("config", {}))
        if "cleanup.policy" in config:
            config["cleanup.policy"] = str(config["cleanup.policy"]).split(",")
        channels[key] = {
            "address": topic,
            "description": stream.description,
            "messages": {stream.model.__name__: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {
                "kafka": {
                    **({"topic": topic} if topic != SCOPED_SUBMITTED else {}),
                    "partitions": spec["partitions"],
                    "replicas": spec["replicas"],
                    "topicConfiguration": config,
                    "bindingVersion": BINDING_VERSION,
                }
            },
        }
        if topic == SCOPED_SUBMITTED:
            channels[key]["parameters"] = {
                "province": {
                    "description": "Kemendagri province code of the scope (the submitting agency's province)",
                    "enum": sorted(reference().provinces),
                }
            }
        refs = [{"$ref": f"#/channels/{key}/messages/{stream.model.__name__}"}]
        if topic in producers:
            service = producers[topic]
            operations[f"{service}.send.{key}"] = _operation(
                "send", key, f"{service} publishes {topic}", refs, clientId=_const(f"waspada-{service}")
            )
        for service, group in sorted(consumers.get(topic, [])):
            operations[f"{service}.receive.{key}"] = _operation(
                "receive",
                key,
                f"{service} consumes {topic} in consumer group {group}",
                refs,
                groupId=_const(group),
                clientId=_const(f"waspada-{service}"),
            )
    unknown = set(consumers) - {*t.ALL_TOPICS, SCOPED_SUBMITTED}
    if unknown:
        raise SystemExit(f"subscribers of topics not in SPEC §5 (STREAMS): {sorted(unknown)}")
    return {
        "asyncapi": "3.0.0",
        "info": INFO,
        "defaultContentType": t.JSON_CONTENT_TYPE,
        "servers": SERVERS,
        "channels": channels,
        "operations": dict(sorted(operations.items())),
        "components": {
            "messages": messages,
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def _scoped_settings(settings: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The production KafkaTopic of the per-scope submission topics (one per province, all alike)."""
    specs = [settings[t.Topics().submitted_for(p)] for p in sorted(reference().provinces)]
    if any(s != {**specs[0], "topicName": s["topicName"]} for s in specs):
        raise SystemExit("the per-scope submission KafkaTopics differ; the document declares one for all")
    return specs[0]


def _operation(action: str, channel: str, summary: str, messages: list[Any], **kafka: Any) -> dict[str, Any]:
    """One operation of a service on a channel, with its Kafka binding (client id, consumer group)."""
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "summary": summary,
        "messages": messages,
        "bindings": {"kafka": {**kafka, "bindingVersion": BINDING_VERSION}},
    }


def _const(value: str) -> dict[str, Any]:
    return {"type": "string", "enum": [value]}


def _model_schemas(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema and its definitions, keyed for components/schemas."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    defs = schema.pop("$defs", {})
    return {**defs, model.__name__: schema}


def render() -> str:
    text = yaml.safe_dump(specification(), sort_keys=False, allow_unicode=True, width=100)
    return (
        "# Generated by scripts/gen_asyncapi.py from the services' FastStream brokers. Do not edit.\n" + text
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/asyncapi.yaml is not current")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT.relative_to(ROOT)} is stale; run scripts/gen_asyncapi.py", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
