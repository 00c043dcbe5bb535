"""docs/asyncapi.yaml is generated from the services' FastStream brokers and must be current."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from waspada_shared.regions import reference
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
    # and the per-scope submission topics (SPEC §8) as one channel with the province as its parameter
    assert addresses == set(ALL_TOPICS) | {"reports.submitted.v1.{province}"}
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
    for topic in (
        "reports.submitted.v1",
        "reports.submitted.v1.{province}",
        "reports.accepted.v1",
        "risk.assessed.v1",
    ):
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


def test_the_asyncapi_parser_finds_no_error() -> None:
    # The reference parser (@asyncapi/parser: AsyncAPI's JSON Schemas and its Spectral rules), installed by
    # the setup from deploy/validators/package-lock.json; offline. Warnings and hints are printed.
    script = ROOT / "deploy" / "validators" / "asyncapi.mjs"
    assert (ROOT / "deploy" / "validators" / "node_modules" / "@asyncapi" / "parser").is_dir(), (
        "run make setup"
    )
    out = subprocess.run(
        ["node", str(script), str(ROOT / "docs" / "asyncapi.yaml")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    print(out.stdout)
    assert out.returncode == 0, out.stdout + out.stderr
    assert " Error " not in out.stdout and " Warning " not in out.stdout, out.stdout


def test_component_keys_match_the_specifications_pattern() -> None:
    doc = document()
    key = re.compile(r"^[\w\d.\-_]+$")
    for section in (doc["channels"], doc["operations"], doc["servers"], *doc["components"].values()):
        for name in section:
            assert key.match(name), name


def test_one_channel_per_topic_with_the_production_partitions_and_replicas() -> None:
    doc = document()
    scoped = "reports.submitted.v1.{province}"
    assert sorted(c["address"] for c in doc["channels"].values()) == sorted([*ALL_TOPICS, scoped])
    topics = {
        d["spec"]["topicName"]: d["spec"]
        for name in ("topics.yaml", "submission-topics.yaml")
        for d in yaml.safe_load_all((ROOT / "deploy" / "k8s" / "base" / name).read_text())
        if d
    }
    for channel in doc["channels"].values():
        binding = channel["bindings"]["kafka"]
        address = channel["address"]
        if address == scoped:
            assert set(channel["parameters"]["province"]["enum"]) == set(reference().provinces)
        spec = topics[address.replace("{province}", "11")]
        assert (binding["partitions"], binding["replicas"]) == (spec["partitions"], spec["replicas"])


def test_every_consumer_group_is_an_operation_binding() -> None:
    doc = document()
    groups = {
        (op["channel"]["$ref"].rsplit("/", 1)[-1], op["bindings"]["kafka"]["groupId"]["enum"][0])
        for op in doc["operations"].values()
        if op["action"] == "receive"
    }
    expected = {
        (generator()._key(generator()._channel_of(topic.name)), sub.group_id)
        for broker in generator().brokers().values()
        for sub in broker.subscribers
        for topic in sub.topics
    }
    assert groups == expected


def test_correlation_ids_point_at_a_declared_field() -> None:
    doc = document()
    schemas = doc["components"]["schemas"]
    for name, message in doc["components"]["messages"].items():
        where, _, pointer = message["correlationId"]["location"].partition("#/")
        schema = schemas[message["payload"]["$ref"].rsplit("/", 1)[-1]]
        if where == "$message.header":
            assert pointer in message["headers"]["properties"], name
            continue
        assert where == "$message.payload", name
        head, *rest = pointer.split("/")
        assert head in schema["properties"], name
        if not rest:
            continue
        # a field inside an untyped object (the rejected input): declared by the input contract
        assert rest == ["report_id"] and "report_id" in schemas["ReportIn"]["properties"], name


def test_servers_per_environment_with_security_licence_and_contact() -> None:
    doc = document()
    assert set(doc["servers"]) == {"local", "compose", "production"}
    production = doc["servers"]["production"]
    assert production["protocol"] == "kafka-secure"
    (scheme,) = production["security"]
    assert doc["components"]["securitySchemes"][scheme["$ref"].rsplit("/", 1)[-1]]["type"] == "scramSha512"
    assert doc["info"]["license"]["name"] and doc["info"]["contact"]["name"]
