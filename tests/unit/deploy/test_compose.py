"""docker-compose.yml parses and agrees with the local stack (deploy/local/env.sh) and the settings defaults.

Docker cannot run on the test machines, so this checks the file itself: services, host ports, the
environment each service reads, health checks, start order, and the Prometheus/Grafana wiring.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from waspada_console.settings import ConsoleSettings
from waspada_intake.settings import IntakeSettings
from waspada_notify.settings import NotifySettings
from waspada_scoring.settings import ScoringSettings
from waspada_shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[3]
SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings,
    "scoring": ScoringSettings,
    "notify": NotifySettings,
}


@cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return loaded


def services() -> dict[str, Any]:
    found: dict[str, Any] = compose()["services"]
    return found


@cache
def local_env() -> dict[str, str]:
    """The local stack's values, as deploy/local/env.sh defines them (sourced in a clean environment)."""
    names = [
        "KAFKA_PORT",
        "PG_PORT",
        "PROMETHEUS_PORT",
        "INTAKE_PORT",
        "SCORING_PORT",
        "NOTIFY_PORT",
        "RECEIVER_PORT",
        "CONSOLE_PORT",
    ]
    script = "source deploy/local/env.sh; " + "; ".join(f'echo "{n}=${n}"' for n in names)
    out = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


def host_ports(service: str) -> dict[int, int]:
    """container port -> host port, for ports published on 127.0.0.1."""
    out: dict[int, int] = {}
    for spec in services()[service].get("ports", []):
        ip, host, container = str(spec).split(":")
        assert ip == "127.0.0.1", f"{service}: publish on loopback only ({spec})"
        out[int(container)] = int(host)
    return out


def env(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in services()[service].get("environment", {}).items()}


def test_the_stack_of_the_spec_is_there() -> None:
    assert set(services()) == {
        "kafka", "postgres", "topics", "intake", "scoring", "notify", "receiver", "console", "prometheus",
        "grafana",
    }  # fmt: skip
    assert services()["kafka"]["image"].startswith("apache/kafka:")
    assert services()["postgres"]["image"].startswith("postgres:15")
    assert services()["prometheus"]["image"].startswith("prom/prometheus:")
    assert services()["grafana"]["image"].startswith("grafana/grafana:")


def test_kafka_is_the_local_stacks_version_in_kraft_mode() -> None:
    pom = (ROOT / "deploy" / "kafka" / "pom.xml").read_text(encoding="utf-8")
    local_version = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    assert local_version
    assert services()["kafka"]["image"] == f"apache/kafka:{local_version.group(1)}"
    kafka = env("kafka")
    assert set(kafka["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "KAFKA_ZOOKEEPER_CONNECT" not in kafka


def test_host_ports_are_the_local_stacks() -> None:
    local = local_env()
    assert 19092 in host_ports("kafka").values() and host_ports("kafka")[19092] == int(local["KAFKA_PORT"])
    assert host_ports("postgres") == {5432: int(local["PG_PORT"])}
    assert host_ports("prometheus") == {9090: int(local["PROMETHEUS_PORT"])}
    assert host_ports("intake") == {8080: int(local["INTAKE_PORT"])}
    assert host_ports("scoring") == {8081: int(local["SCORING_PORT"])}
    # the demo receiver shares notify's network namespace, so notify publishes its port too
    assert host_ports("notify") == {8082: int(local["NOTIFY_PORT"]), 8089: int(local["RECEIVER_PORT"])}
    assert services()["receiver"]["network_mode"] == "service:notify"
    assert host_ports("console") == {8083: int(local["CONSOLE_PORT"])}


def test_console_reaches_the_apis_by_service_name_and_starts_after_them() -> None:
    console = services()["console"]
    console_env = env("console")
    fields = ConsoleSettings.model_fields
    for key in console_env:
        assert key.removeprefix("WASPADA_").lower() in fields, key
    built = ConsoleSettings.model_validate(
        {k.removeprefix("WASPADA_").lower(): v for k, v in console_env.items() if "${" not in v}
    )
    assert built.http_port == fields["http_port"].default
    assert (urlparse(built.intake_url).hostname, urlparse(built.intake_url).port) == ("intake", 8080)
    assert (urlparse(built.notify_url).hostname, urlparse(built.notify_url).port) == ("notify", 8082)
    assert {n: d["condition"] for n, d in console["depends_on"].items()} == {
        "intake": "service_healthy",
        "notify": "service_healthy",
    }
    assert "127.0.0.1:8083/readyz" in " ".join(console["healthcheck"]["test"])
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts[console["command"][0]] == "waspada_console.__main__:main"


def test_kafka_advertises_the_host_port_the_local_stack_uses() -> None:
    listeners = dict(item.split("://") for item in env("kafka")["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert listeners["HOST"] == f"127.0.0.1:{local_env()['KAFKA_PORT']}"
    assert listeners["PLAINTEXT"] == "kafka:9092"


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_service_environment_matches_its_settings(name: str) -> None:
    settings = SETTINGS[name]
    fields = settings.model_fields
    service_env = env(name)
    for key in service_env:
        assert key.startswith("WASPADA_"), key
        assert key.removeprefix("WASPADA_").lower() in fields, (
            f"{name}: {key} is not a setting of {settings.__name__}"
        )
    port = int(service_env["WASPADA_HTTP_PORT"])
    assert port == fields["http_port"].default, f"{name}: compose port differs from the settings default"
    assert port in host_ports(name)
    assert service_env["WASPADA_HTTP_HOST"] == "0.0.0.0"  # reachable from the other containers
    # the values parse with the service's own settings class (types, literals)
    built = settings.model_validate(
        {k.removeprefix("WASPADA_").lower(): v for k, v in service_env.items() if "${" not in v}
    )
    assert built.kafka_bootstrap == "kafka:9092"
    assert service_env["WASPADA_PROFILE"] in ("${WASPADA_PROFILE:-local}", "local")


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_services_reach_kafka_and_postgres_by_service_name(name: str) -> None:
    service_env = env(name)
    assert service_env["WASPADA_KAFKA_BOOTSTRAP"].split(":")[0] == "kafka"
    dsn = urlparse(service_env["WASPADA_DATABASE_URL"])
    postgres = env("postgres")
    assert (dsn.hostname, dsn.port, dsn.username, dsn.path.lstrip("/")) == (
        "postgres", 5432, postgres["POSTGRES_USER"], postgres["POSTGRES_DB"],
    )  # fmt: skip
    # the local stack's DSN names the same database and user
    local = urlparse(ServiceSettings.model_fields["database_url"].default)
    assert (local.username, local.path) == (dsn.username, dsn.path)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_services_start_after_their_dependencies_and_report_readiness(name: str) -> None:
    svc = services()[name]
    assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert svc["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    check = " ".join(svc["healthcheck"]["test"])
    assert f"127.0.0.1:{env(name)['WASPADA_HTTP_PORT']}/readyz" in check
    command = svc["command"][0]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert command in scripts and scripts[command] == f"waspada_{name}.__main__:main"


def test_topics_are_created_before_the_services_with_the_local_script() -> None:
    topics = services()["topics"]
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert "/opt/waspada/create_topics.py" in topics["command"][1]
    dockerfile = (ROOT / topics["build"]["dockerfile"]).read_text()
    assert "COPY deploy/local/create_topics.py /opt/waspada/create_topics.py" in dockerfile
    for name in ("kafka", "postgres", "intake", "scoring", "notify", "receiver", "prometheus", "grafana"):
        assert "healthcheck" in services()[name], name


def test_demo_webhook_reaches_the_receiver() -> None:
    url = urlparse(env("notify")["WASPADA_DEMO_WEBHOOK_URL"])
    assert url.hostname == "127.0.0.1"  # same network namespace as the receiver
    assert url.port == int(env("receiver")["WASPADA_RECEIVER_PORT"]) == int(local_env()["RECEIVER_PORT"])


def test_prometheus_scrapes_the_compose_services_with_the_shared_rules() -> None:
    prometheus = services()["prometheus"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    config_arg = next(a for a in prometheus["command"] if a.startswith("--config.file="))
    config_path = ROOT / "deploy" / "prometheus" / Path(config_arg.split("=", 1)[1]).name
    config = yaml.safe_load(config_path.read_text())
    assert config["rule_files"] == ["rules/*.yml"]
    targets = {
        job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]]
        for job in config["scrape_configs"]
    }
    for name in (*SETTINGS, "console"):
        assert targets[name] == [f"{name}:{env(name)['WASPADA_HTTP_PORT']}"], name


def test_grafana_is_provisioned_from_the_repository() -> None:
    grafana = services()["grafana"]
    for volume in grafana["volumes"]:
        source = volume.split(":")[0]
        if source.startswith("./"):
            assert (ROOT / source).is_dir(), source
    assert env("grafana")["WASPADA_PROMETHEUS_URL"] == "http://prometheus:9090"


def test_the_image_builds_from_the_repository() -> None:
    for name in (*SETTINGS, "topics", "console"):
        build = services()[name]["build"]
        assert build["context"] == "." and (ROOT / build["dockerfile"]).is_file()
    ignore = (ROOT / ".dockerignore").read_text().split()
    assert ".local" in ignore and ".venv" in ignore  # keep data and the venv out of the build context


def test_compose_file_validates_against_the_compose_specification() -> None:
    # check-jsonschema ships the compose-spec schema (builtin vendor.compose-spec): no network needed.
    out = subprocess.run(
        [str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
         str(ROOT / "docker-compose.yml")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


def test_images_are_exact_releases_and_every_service_is_limited() -> None:
    for name, service in services().items():
        image = service["image"]
        if image != "waspada:local":  # built from deploy/docker/Dockerfile, whose base is pinned
            # an exact release: x.y.z, or x.y for PostgreSQL (whose releases have two parts since 10)
            release = r"v?\d+\.\d+\.\d+" if not image.startswith("postgres:") else r"\d+\.\d+"
            assert re.fullmatch(rf"[a-z0-9./-]+:{release}(-[a-z0-9]+)?(@sha256:[0-9a-f]{{64}})?", image), (
                f"{name}: {image} is not an exact release"
            )
        limits = service["deploy"]["resources"]["limits"]
        assert float(limits["cpus"]) > 0 and limits["memory"], name


def test_the_demo_receiver_runs_only_in_the_demo_profile() -> None:
    assert services()["receiver"]["profiles"] == ["demo"]
    assert all("profiles" not in s for n, s in services().items() if n != "receiver")
