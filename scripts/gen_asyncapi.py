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
from faststream.specification import AsyncAPI
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
    """The three services' brokers with their subscribers and (documented) publishers registered."""
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

    for service, broker in (("intake", intake), ("scoring", scoring), ("notify", notify)):
        for topic in PUBLISHES[service]:
            stream = STREAMS[topic]
            broker.publisher(
                topic,
                title=f"{service}.{topic.removesuffix('.v1').replace('.', '-')}",
                description=stream.description,
                schema=stream.model,
            )
    return {"intake": intake, "scoring": scoring, "notify": notify}


def specification() -> dict[str, Any]:
    spec = AsyncAPI(
        *brokers().values(),
        title="Waspada event streams",
        version="1",
        description=(
            "Kafka topics of Waspada, the early-warning pipeline for social conflict (SPEC §5). Values are"
            " UTF-8 JSON with the schema version in the `schema-version` header; delivery is at least"
            " once, so consumers de-duplicate (reports by `report_id`, alerts by `alert_id` + `version`)."
            " National aggregation systems consume `risk.assessed.v1` and `alerts.national.v1`; agencies"
            " produce into `reports.submitted.v1`. Generated by scripts/gen_asyncapi.py; do not edit."
        ),
        schema_version="3.0.0",
    ).to_specification()
    return _complete(cast(dict[str, Any], spec.to_jsonable()))


def _model_schemas(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema and its definitions, keyed for components/schemas."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    defs = schema.pop("$defs", {})
    return {**defs, model.__name__: schema}


def _complete(doc: dict[str, Any]) -> dict[str, Any]:
    """Contract payloads for the subscribers, keys and headers for every message, stable ordering."""
    components = doc.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    messages: dict[str, Any] = components.setdefault("messages", {})
    for server in doc.get("servers", {}).values():
        server["description"] = "The deployment's Kafka (local stack: 127.0.0.1:19092; compose: kafka:9092)"
    for name, channel in doc.get("channels", {}).items():
        topic = channel["address"]
        stream = STREAMS.get(topic)
        if stream is None:
            raise SystemExit(f"channel {name}: topic {topic} is not in SPEC §5 (STREAMS)")
        schemas.update(_model_schemas(stream.model))
        channel.setdefault("description", stream.description)
        for ref in channel["messages"].values():
            message = messages[ref["$ref"].rsplit("/", 1)[-1]]
            payload_ref = message["payload"].get("$ref", "")
            if payload_ref.endswith(":Payload"):  # a subscriber's raw batch: one record is one model
                schemas.pop(payload_ref.rsplit("/", 1)[-1], None)
                message["payload"] = {"$ref": f"#/components/schemas/{stream.model.__name__}"}
            message["contentType"] = t.JSON_CONTENT_TYPE
            message["headers"] = {
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
            }
            message["bindings"] = {
                "kafka": {"key": {"type": "string", "description": stream.key}, "bindingVersion": "0.4.0"}
            }
    for section in (doc.get("channels", {}), doc.get("operations", {}), messages, schemas):
        ordered = dict(sorted(section.items()))
        section.clear()
        section.update(ordered)
    return doc


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
