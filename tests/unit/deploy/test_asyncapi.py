"""docs/asyncapi.yaml is generated from the services' FastStream brokers and must be current."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from waspada_shared.topics import ALL_TOPICS

ROOT = Path(__file__).resolve().parents[3]


@cache
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "waspada_gen_asyncapi", ROOT / "scripts" / "gen_asyncapi.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text(encoding="utf-8"))
    return loaded


def test_committed_asyncapi_is_current() -> None:
    committed = (ROOT / "docs" / "asyncapi.yaml").read_text(encoding="utf-8")
    assert generator().render() == committed, "run .venv/bin/python scripts/gen_asyncapi.py"


def test_every_topic_of_the_spec_is_documented_with_its_producer_or_consumer() -> None:
    doc = document()
    assert doc["asyncapi"].startswith("3.")
    addresses = {c["address"] for c in doc["channels"].values()}
    assert addresses == set(ALL_TOPICS)
    actions = {
        (doc["channels"][op["channel"]["$ref"].rsplit("/", 1)[-1]]["address"], op["action"])
        for op in doc["operations"].values()
    }
    # what the services produce (send) and consume (receive), per SPEC §5
    for topic in (
        "reports.accepted.v1",
        "reports.rejected.v1",
        "risk.assessed.v1",
        "alerts.province.v1",
        "alerts.national.v1",
    ):
        assert (topic, "send") in actions, topic
    for topic in ("reports.submitted.v1", "reports.accepted.v1", "risk.assessed.v1"):
        assert (topic, "receive") in actions, topic


def test_every_message_has_a_contract_payload_key_and_schema_version_header() -> None:
    doc = document()
    schemas = doc["components"]["schemas"]
    for name, message in doc["components"]["messages"].items():
        ref = message["payload"]["$ref"].rsplit("/", 1)[-1]
        assert ref in schemas and schemas[ref]["type"] == "object", name
        assert "schema-version" in message["headers"]["properties"], name
        assert message["bindings"]["kafka"]["key"]["type"] == "string", name
    # the confidential reporter is never on a topic (it is in the submitted input only)
    assert "reporter" not in schemas["AcceptedReport"]["properties"]
    assert "reporter" not in schemas["RiskAssessed"]["properties"]


def test_every_reference_resolves() -> None:
    doc = document()

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(doc):
        node: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
